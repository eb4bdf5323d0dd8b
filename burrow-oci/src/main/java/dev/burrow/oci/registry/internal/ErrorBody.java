package dev.burrow.oci.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.internal.Json;
import java.io.IOException;
import java.io.InputStream;

/** The first error of a registry's JSON error body, shortened and made printable for a message. */
final class ErrorBody {
    /** Bytes of an error body read. */
    static final int MAX_BYTES = 16 * 1024;
    /** Characters of the registry's own words kept. */
    static final int MAX_CHARS = 200;

    private ErrorBody() {
    }

    /** {@code ": CODE: message"}, or empty when the body says nothing usable. */
    static String summary(InputStream body) {
        try {
            byte[] bytes = body.readNBytes(MAX_BYTES);
            JsonNode errors = Json.MAPPER.readTree(bytes).get("errors");
            if (errors == null || !errors.isArray() || errors.isEmpty()) {
                return "";
            }
            JsonNode first = errors.get(0);
            String text = Json.text(first, "code") + ": " + Json.text(first, "message");
            return ": " + printable(text);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < MAX_CHARS; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c != 0x7f ? c : '?');
        }
        return b.toString();
    }
}
