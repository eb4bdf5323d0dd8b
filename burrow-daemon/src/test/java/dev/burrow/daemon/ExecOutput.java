package dev.burrow.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** An exec's NDJSON answer read back: stdout and stderr decoded, the exit code (-1 without one), every line as sent. */
record ExecOutput(String stdout, String stderr, int exit, List<JsonNode> lines) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ExecOutput parse(String ndjson) throws IOException {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        List<JsonNode> lines = new ArrayList<>();
        int exit = -1;
        for (String line : ndjson.split("\n")) {
            JsonNode n = JSON.readTree(line);
            lines.add(n);
            if (n.has("stdout")) {
                out.append(new String(Base64.getDecoder().decode(n.get("stdout").asText()), StandardCharsets.UTF_8));
            } else if (n.has("stderr")) {
                err.append(new String(Base64.getDecoder().decode(n.get("stderr").asText()), StandardCharsets.UTF_8));
            } else if (n.has("exit")) {
                exit = n.get("exit").asInt();
            }
        }
        return new ExecOutput(out.toString(), err.toString(), exit, List.copyOf(lines));
    }

    /** The {@code error} line, if the exec ended with one. */
    JsonNode error() {
        return lines.stream().filter(n -> n.has("error")).findFirst().orElse(null);
    }
}
