package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code burrow admin tenant create|ls|inspect|set|rm}. */
@Command(name = "tenant", description = "Create, list, change and delete tenants.",
        subcommands = {
                TenantCommands.Create.class,
                TenantCommands.Ls.class,
                TenantCommands.Inspect.class,
                TenantCommands.Set.class,
                TenantCommands.Rm.class,
        })
public final class TenantCommands extends BaseCommand {
    static final String QUOTA_HELP = "NAME=VALUE,… with NAME one of microvms, vcpus, memory, suspended, uploads, builds;"
            + " sizes as 512M or 8G; VALUE unlimited lifts a quota (repeatable).";

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: create, ls, inspect, set or rm");
    }

    static String path(String name) {
        return "/v1/admin/tenants/" + ApiClient.seg(name);
    }

    @Command(name = "create", description = "Create a tenant, optionally with quotas (omitted = unlimited).")
    public static final class Create extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--quota", paramLabel = "QUOTAS", description = QUOTA_HELP)
        List<String> quotas = new ArrayList<>();

        @Option(names = "--json", description = "Print the tenant as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            ObjectNode body = Json.object();
            body.put("name", name);
            if (!quotas.isEmpty()) body.set("quotas", QuotaSpec.parse(quotas));
            JsonNode tenant = adminApi().post("/v1/admin/tenants", body);
            out().println(json ? Json.pretty(tenant) : Json.text(tenant, "name"));
            return 0;
        }
    }

    @Command(name = "ls", description = "List tenants with their usage and quotas (used/limit).")
    public static final class Ls extends AdminCommand {
        @Option(names = "--json", description = "Print the tenants as a JSON array.")
        boolean json;

        @Override
        protected Integer run() {
            List<JsonNode> items = adminApi().listAll("/v1/admin/tenants");
            if (json) {
                out().println(Json.pretty(ImageCommands.array(items)));
                return 0;
            }
            table(items, Instant.now()).print(out());
            return 0;
        }

        static Table table(List<JsonNode> tenants, Instant now) {
            List<String> headers = new ArrayList<>(List.of("NAME"));
            for (QuotaSpec.Quota q : QuotaSpec.Quota.values()) headers.add(q.cliName.toUpperCase(Locale.ROOT));
            headers.add("CREATED");
            Table t = new Table(headers.toArray(String[]::new));
            for (JsonNode tenant : tenants) {
                List<String> row = new ArrayList<>(List.of(Json.text(tenant, "name")));
                for (QuotaSpec.Quota q : QuotaSpec.Quota.values()) row.add(QuotaSpec.cell(tenant, q));
                row.add(Table.ago(Json.text(tenant, "createdAt"), now));
                t.row(row.toArray(String[]::new));
            }
            return t;
        }
    }

    @Command(name = "inspect", description = "Show a tenant with its quotas and usage as JSON.")
    public static final class Inspect extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "(the output is always JSON)")
        boolean json;

        @Override
        protected Integer run() {
            out().println(Json.pretty(adminApi().get(path(name))));
            return 0;
        }
    }

    @Command(name = "set", description = "Change a tenant's quotas: the ones given replace the current ones; the others stay.")
    public static final class Set extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--quota", required = true, paramLabel = "QUOTAS", description = QUOTA_HELP)
        List<String> quotas = new ArrayList<>();

        @Option(names = "--json", description = "Print the tenant as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            ObjectNode body = Json.object();
            body.set("quotas", QuotaSpec.parse(quotas));
            JsonNode tenant = adminApi().patch(path(name), body);
            if (json) {
                out().println(Json.pretty(tenant));
            } else {
                Ls.table(List.of(tenant), Instant.now()).print(out());
            }
            return 0;
        }
    }

    @Command(name = "rm", description = "Delete a tenant with its keys, images and registry credentials.")
    public static final class Rm extends AdminCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "NAME")
        List<String> names;

        @Option(names = {"-f", "--force"}, description = "Terminate its microVMs and delete its images first.")
        boolean force;

        @Option(names = "--json", description = "Print the deleted names as a JSON array.")
        boolean json;

        @Override
        protected Integer run() {
            List<String> deleted = new ArrayList<>();
            for (String name : names) {
                try {
                    adminApi().delete(path(name) + (force ? "?force=true" : ""));
                } catch (BurrowException e) {
                    if (e.status() != 409 || force) throw e;
                    throw new BurrowException(e.getMessage() + " (--force terminates and deletes what it still has)",
                            e.status(), e.type(), e);
                }
                if (!json) out().println(name);
                deleted.add(name);
            }
            if (json) out().println(Json.pretty(Json.MAPPER.valueToTree(deleted)));
            return 0;
        }
    }
}
