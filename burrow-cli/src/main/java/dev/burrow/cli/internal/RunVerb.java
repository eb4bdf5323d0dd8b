package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** {@code burrow run IMAGE[:VERSION] [OPTIONS]}: starts a microVM and prints its id (or all of it as JSON). */
public record RunVerb(String image, List<String> labels, List<String> envs, String idle, String suspended,
                      boolean autoResume, String maxDuration, String egress, String payload, boolean noWait,
                      boolean json) implements HotVerb {
    @Override
    public int run(VerbContext context) {
        ImageCommands.Ref ref = ImageCommands.Ref.parse(image);
        ObjectNode body = Json.object();
        body.put("image", ref.name());
        if (ref.version() != null) body.put("version", ref.version());
        if (maxDuration != null) body.put("maxDurationSeconds", Args.seconds("--max-duration", maxDuration));
        Args.putPairs(body, "env", envs, "--env");
        Args.putPairs(body, "labels", labels, "--label");
        if (idle == null && (suspended != null || autoResume)) {
            throw new BurrowException("--suspended and --auto-resume belong to an idle policy: give --idle too, e.g. --idle 300s");
        }
        if (idle != null) {
            ObjectNode p = body.putObject("idlePolicy");
            p.put("maxIdleSeconds", Args.seconds("--idle", idle));
            if (suspended != null) p.put("suspendedSeconds", Args.seconds("--suspended", suspended));
            if (autoResume) p.put("autoResume", true);
        }
        if (payload != null) body.put("runHookPayload", payload);
        if (egress != null) body.set("network", EgressSpec.parse(egress));
        if (noWait) body.put("wait", false);
        JsonNode vm = context.api().post("/v1/microvms", body);
        context.env().out().println(json ? Json.pretty(vm) : Json.text(vm, "id"));
        return 0;
    }
}
