package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** {@code burrow version}: the CLI's version and burrowd's ({@code GET /v1/version}). */
@Command(name = "version", description = "Print the client and server versions.")
public final class VersionCommand extends BaseCommand {
    /** The CLI's version: the jar manifest's when there is one. */
    public static String clientVersion() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"burrow " + clientVersion()};
        }
    }

    @Option(names = "--json", description = "Print {\"client\", \"server\"} as JSON.")
    boolean json;

    @Override
    public Integer call() {
        JsonNode server = null;
        BurrowException failure = null;
        try {
            server = api().get("/v1/version");
        } catch (BurrowException e) {
            failure = e;
        }
        if (json) {
            ObjectNode node = Json.object();
            node.put("client", clientVersion());
            if (server == null) node.putNull("server"); else node.set("server", server);
            out().println(Json.pretty(node));
        } else {
            out().println("client: burrow " + clientVersion());
            if (server != null) out().println("server: " + describe(server));
        }
        if (failure != null) throw failure;
        return 0;
    }

    /** {@code burrowd 0.1.0 (agent protocol 1, qemu 7.2.22, TCG, kernel …)}. */
    public static String describe(JsonNode v) {
        StringBuilder sb = new StringBuilder("burrowd ").append(Json.text(v, "server"));
        StringBuilder extra = new StringBuilder();
        if (!Json.text(v, "agentProtocol").isEmpty()) extra.append("agent protocol ").append(Json.text(v, "agentProtocol"));
        for (String f : new String[] {"vmm", "accelerator"}) {
            if (!Json.text(v, f).isEmpty()) extra.append(extra.isEmpty() ? "" : ", ").append(Json.text(v, f));
        }
        if (!Json.text(v, "kernel").isEmpty()) extra.append(extra.isEmpty() ? "" : ", ").append("kernel ").append(Json.text(v, "kernel"));
        if (!extra.isEmpty()) sb.append(" (").append(extra).append(')');
        return sb.toString();
    }
}
