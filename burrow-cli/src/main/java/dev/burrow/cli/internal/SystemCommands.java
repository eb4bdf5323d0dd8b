package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code burrow system df|prune}: what burrowd's data directory holds and freeing what nothing
 * needs. The data directory is shared by every tenant, so both need the admin key.
 */
@Command(name = "system", description = "Show and free burrowd's disk space (needs the admin key: root, or BURROW_ADMIN_KEY).",
        subcommands = {SystemCommands.Df.class, SystemCommands.Prune.class})
public final class SystemCommands extends BaseCommand {
    /** The API's category names as the table shows them; a name this CLI does not know is shown as it is. */
    static final Map<String, String> LABELS = Map.of("blobs", "blobs", "buildCache", "build cache", "versionDisks", "version disks",
            "templates", "templates", "uploads", "uploads", "buildLogs", "build logs", "temporary", "temporary files",
            "legacyStores", "legacy stores", "microvms", "microVMs", "other", "other");

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: df or prune");
    }

    static String label(JsonNode category) {
        String name = Json.text(category, "name");
        return LABELS.getOrDefault(name, name);
    }

    @Command(name = "df", description = "Show the data directory's allocated space by category and what a prune would free.")
    public static final class Df extends AdminCommand {
        @Option(names = "--json", description = "Print burrowd's answer as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            JsonNode df = adminApi().get("/v1/system/df");
            if (json) {
                out().println(Json.pretty(df));
                return 0;
            }
            print(df, out());
            return 0;
        }

        static void print(JsonNode df, PrintStream out) {
            Table t = new Table("CATEGORY", "COUNT", "SIZE", "RECLAIMABLE");
            for (JsonNode c : df.path("categories")) {
                t.row(label(c), Long.toString(c.path("count").asLong()), Units.humanBytes(c.path("bytes").asLong()),
                        reclaimable(c.path("reclaimableBytes").asLong(), c.path("bytes").asLong()));
            }
            t.row("total", "", Units.humanBytes(df.path("totalBytes").asLong()),
                    reclaimable(df.path("reclaimableBytes").asLong(), df.path("totalBytes").asLong()));
            t.print(out);
        }

        private static String reclaimable(long bytes, long of) {
            return of == 0 ? Units.humanBytes(bytes) : Units.humanBytes(bytes) + String.format(Locale.ROOT, " (%d%%)", Math.round(bytes * 100.0 / of));
        }
    }

    @Command(name = "prune", description = "Free what no image, version, upload, build or microVM needs (the build cache goes too).")
    public static final class Prune extends AdminCommand {
        @Option(names = "--json", description = "Print burrowd's answer as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            JsonNode r = adminApi().postEmpty("/v1/system/prune");
            if (json) {
                out().println(Json.pretty(r));
                return 0;
            }
            print(r, out());
            return 0;
        }

        static void print(JsonNode r, PrintStream out) {
            for (JsonNode c : r.path("freed")) {
                long n = c.path("count").asLong();
                if (n > 0) {
                    out.println("freed " + label(c) + ": " + n + (n == 1 ? " entry, " : " entries, ") + Units.humanBytes(c.path("bytes").asLong()));
                }
            }
            int forgotten = r.path("cacheEntriesForgotten").asInt();
            if (forgotten > 0) {
                out.println("build cache entries dropped: " + forgotten);
            }
            for (JsonNode d : r.path("deferred")) {
                out.println("deferred: " + d.asText());
            }
            out.println("Total reclaimed space: " + Units.humanBytes(r.path("totalBytes").asLong()));
        }
    }
}
