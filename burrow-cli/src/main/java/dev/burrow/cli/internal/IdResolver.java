package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** MicroVM ids from any unique prefix (SPEC §0). */
public final class IdResolver {
    private IdResolver() {}

    public static String resolve(ApiClient api, String prefix) {
        if (prefix == null || prefix.isEmpty()) throw new BurrowException("empty microVM id");
        List<String> matches = new ArrayList<>();
        for (JsonNode vm : api.listAll("/v1/microvms")) {
            String id = Json.text(vm, "id");
            if (id.equals(prefix)) return id;
            if (id.startsWith(prefix)) matches.add(id);
        }
        if (matches.size() == 1) return matches.getFirst();
        if (matches.size() > 1) {
            List<String> shown = matches.stream().sorted().limit(10).toList();
            throw new BurrowException("ambiguous microVM id prefix '" + prefix + "': matches " + String.join(", ", shown)
                    + (matches.size() > shown.size() ? " and " + (matches.size() - shown.size()) + " more" : ""));
        }
        // the list may leave some states out; a full id still answers directly
        try {
            JsonNode vm = api.get("/v1/microvms/" + ApiClient.seg(prefix));
            String id = Json.text(vm, "id");
            if (!id.isEmpty()) return id;
        } catch (BurrowException e) {
            if (e.status() != 404) throw e;
        }
        throw new BurrowException("no microVM matches '" + prefix + "'", 404, "not-found", null);
    }
}
