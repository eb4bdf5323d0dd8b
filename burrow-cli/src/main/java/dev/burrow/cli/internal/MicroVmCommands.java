package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code burrow run|ps|inspect|rm}. */
public final class MicroVmCommands {
    private MicroVmCommands() {}

    @Command(name = "run", description = "Run a microVM from IMAGE[:VERSION] and print its id.")
    public static final class Run extends BaseCommand {
        @Parameters(index = "0", paramLabel = "IMAGE[:VERSION]")
        String image;

        @Option(names = {"-l", "--label"}, paramLabel = "K=V", description = "A label (repeatable).")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "An environment variable for exec, PTY and the run hook (repeatable).")
        List<String> envs = new ArrayList<>();

        @Option(names = "--idle", paramLabel = "DURATION", description = "Suspend after this long idle, e.g. 300s.")
        String idle;

        @Option(names = "--suspended", paramLabel = "DURATION", description = "Terminate after this long suspended, e.g. 1h.")
        String suspended;

        @Option(names = "--auto-resume", description = "Resume on the next data-plane call.")
        boolean autoResume;

        @Option(names = "--max-duration", paramLabel = "DURATION", description = "Hard lifetime, e.g. 8h.")
        String maxDuration;

        @Option(names = "--egress", paramLabel = "MODE", description = "Outbound network: none (default), internet, or allowlist:a.com,*.b.org (HTTP/HTTPS to those names only).")
        String egress;

        @Option(names = "--payload", paramLabel = "TEXT", description = "The run hook's payload.")
        String payload;

        @Option(names = "--no-wait", description = "Answer PENDING at once instead of waiting for the run hook.")
        boolean noWait;

        @Option(names = "--json", description = "Print the whole microVM as JSON.")
        boolean json;

        @Override
        public Integer call() {
            return new RunVerb(image, labels, envs, idle, suspended, autoResume, maxDuration, egress, payload, noWait, json)
                    .run(context());
        }
    }

    @Command(name = "ps", description = "List microVMs.")
    public static final class Ps extends BaseCommand {
        @Option(names = "--state", paramLabel = "STATE", description = "Only this state, e.g. RUNNING.")
        String state;

        @Option(names = {"-l", "--label"}, paramLabel = "K=V", description = "Only microVMs with this label.")
        String label;

        @Option(names = "--json", description = "Print the microVMs as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            return new PsVerb(state, label, json).run(context());
        }
    }

    @Command(name = "inspect", description = "Show a microVM as JSON.")
    public static final class Inspect extends BaseCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
        String id;

        @Option(names = "--json", description = "(the output is always JSON)")
        boolean json;

        @Override
        public Integer call() {
            String full = IdResolver.resolve(api(), id);
            out().println(Json.pretty(api().get("/v1/microvms/" + ApiClient.seg(full))));
            return 0;
        }
    }

    @Command(name = "rm", description = "Terminate microVMs.")
    public static final class Rm extends BaseCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "ID", description = "Ids or unique prefixes.")
        List<String> ids;

        @Override
        public Integer call() {
            BurrowException failure = null;
            for (String prefix : ids) {
                try {
                    String full = IdResolver.resolve(api(), prefix);
                    api().delete("/v1/microvms/" + ApiClient.seg(full));
                    out().println(full);
                } catch (BurrowException e) {
                    if (ids.size() == 1) throw e;
                    err().println("burrow: " + prefix + ": " + e.getMessage());
                    failure = e;
                }
            }
            if (failure != null) return 125;
            return 0;
        }
    }

    @Command(name = "fork", description = "Fork a running or suspended microVM into N new ones (all or nothing); prints their ids.")
    public static final class Fork extends BaseCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
        String id;

        @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "1", description = "How many forks, 1 to 64 (default 1).")
        int count;

        @Option(names = "--json", description = "Print the forks as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            if (count < 1 || count > 64) {
                throw new BurrowException("-n: the count must be between 1 and 64; got " + count);
            }
            String full = IdResolver.resolve(api(), id);
            ObjectNode body = Json.object();
            body.put("count", count);
            JsonNode result = api().post("/v1/microvms/" + ApiClient.seg(full) + "/fork", body);
            if (json) {
                out().println(Json.pretty(result.path("items")));
                return 0;
            }
            for (JsonNode vm : result.path("items")) {
                out().println(Json.text(vm, "id"));
            }
            return 0;
        }
    }

    /** {@code burrow suspend|resume ID…}: the lifecycle call on each microVM, printing its id and new state. */
    abstract static class Lifecycle extends BaseCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "ID", description = "Ids or unique prefixes.")
        List<String> ids;

        abstract String endpoint();

        @Override
        public Integer call() {
            for (String prefix : ids) {
                String full = IdResolver.resolve(api(), prefix);
                var vm = api().postEmpty("/v1/microvms/" + ApiClient.seg(full) + "/" + endpoint());
                out().println(full + " " + vm.path("state").asText());
            }
            return 0;
        }
    }

    @Command(name = "suspend", description = "Suspend microVMs: memory, device state and disk saved; no process left.")
    public static final class Suspend extends Lifecycle {
        @Override
        String endpoint() {
            return "suspend";
        }
    }

    @Command(name = "resume", description = "Resume suspended microVMs.")
    public static final class Resume extends Lifecycle {
        @Override
        String endpoint() {
            return "resume";
        }
    }
}
