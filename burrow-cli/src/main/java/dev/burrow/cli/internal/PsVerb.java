package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** {@code burrow ps [--state STATE] [-l K=V] [--json]}: the microVMs as a table or a JSON array. */
public record PsVerb(String state, String label, boolean json) implements HotVerb {
    @Override
    public int run(VerbContext context) {
        StringBuilder path = new StringBuilder("/v1/microvms");
        String sep = "?";
        if (state != null) {
            path.append(sep).append("state=").append(ApiClient.q(state));
            sep = "&";
        }
        if (label != null) path.append(sep).append("label=").append(ApiClient.q(label));
        List<JsonNode> items = context.api().listAll(path.toString());
        var out = context.env().out();
        if (json) {
            out.println(Json.pretty(Json.array(items)));
            return 0;
        }
        Table t = new Table("ID", "IMAGE", "STATE", "CREATED", "LABELS");
        Instant now = Instant.now();
        for (JsonNode vm : items) {
            String img = Json.text(vm, "image");
            if (!Json.text(vm, "version").isEmpty()) img += ":" + Json.text(vm, "version");
            t.row(Json.text(vm, "id"), img, Json.text(vm, "state"), Table.ago(Json.text(vm, "createdAt"), now),
                    labels(vm.get("labels")));
        }
        t.print(out);
        return 0;
    }

    static String labels(JsonNode labels) {
        if (labels == null || !labels.isObject()) return "";
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            parts.add(e.getKey() + "=" + e.getValue().asText());
        }
        return String.join(",", parts);
    }
}
