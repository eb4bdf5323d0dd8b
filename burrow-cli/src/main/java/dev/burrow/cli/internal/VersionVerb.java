package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code burrow version [--json]}: the CLI's version and burrowd's ({@code GET /v1/version}). */
public record VersionVerb(boolean json) implements HotVerb {
    /** The CLI's version when the jar's manifest names none (a run from classes). */
    static final String UNPACKAGED_VERSION = "0.1.0-SNAPSHOT";

    /** The CLI's version: the jar manifest's when there is one. */
    public static String clientVersion() {
        String v = VersionVerb.class.getPackage().getImplementationVersion();
        return v == null ? UNPACKAGED_VERSION : v;
    }

    @Override
    public int run(VerbContext context) {
        JsonNode server = null;
        BurrowException failure = null;
        try {
            server = context.api().get("/v1/version");
        } catch (BurrowException e) {
            failure = e;
        }
        var out = context.env().out();
        if (json) {
            ObjectNode node = Json.object();
            node.put("client", clientVersion());
            if (server == null) node.putNull("server"); else node.set("server", server);
            out.println(Json.pretty(node));
        } else {
            out.println("client: burrow " + clientVersion());
            if (server != null) out.println("server: " + describe(server));
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
