package dev.burrow.oci.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.burrow.oci.ImageException;
import java.util.ArrayList;
import java.util.List;

/** The shared JSON mapper and small tree helpers. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Json() {
    }

    public static JsonNode parse(byte[] bytes, String what) throws ImageException {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new ImageException(what + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ImageException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new ImageException(what + " could not be parsed: " + e.getMessage());
        }
    }

    public static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** A JSON array of strings, or null when absent or null. */
    public static List<String> strings(JsonNode node, String field, String what) throws ImageException {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            // some tools write a shell-form string; keep it as one argument
            return List.of(v.asText());
        }
        if (!v.isArray()) {
            throw new ImageException(what + ": '" + field + "' is not an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            out.add(e.isNull() ? "" : e.asText());
        }
        return out;
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
