package dev.burrow.cli.internal;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code burrow config [--json]}: the effective client settings (file plus environment overrides). */
@Command(name = "config", description = "Print the client settings (url, apiKey, dataDir).")
public final class ConfigCommand extends BaseCommand {
    @Option(names = "--json", description = "Print {\"url\", \"apiKey\", \"dataDir\"} as JSON.")
    boolean json;

    @Override
    public Integer call() {
        ClientConfig c = config();
        if (json) {
            out().println(Json.pretty(c.toJson()));
            return 0;
        }
        out().println("url:     " + c.url());
        out().println("apiKey:  " + (c.apiKey() == null ? "(none)" : mask(c.apiKey())));
        out().println("dataDir: " + (c.dataDir() == null ? "(unknown)" : c.dataDir()));
        out().println("file:    " + c.file());
        return 0;
    }

    static String mask(String key) {
        if (key.length() <= 10) return "****";
        return key.substring(0, 6) + "…" + key.substring(key.length() - 4) + " (burrow config --json shows it)";
    }
}
