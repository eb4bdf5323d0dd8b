package dev.burrow.oci.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.registry.Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The first error of a registry's JSON error body, shortened and made printable for a message.
 * A registry may echo what it was sent: a message containing a secret of the request is dropped
 * (the code alone is kept).
 */
final class ErrorBody {
    /** Bytes of an error body read. */
    static final int MAX_BYTES = 16 * 1024;
    /** Characters of the registry's own words kept. */
    static final int MAX_CHARS = 200;

    private ErrorBody() {
    }

    /** Secrets shorter than this are not searched for (they would match ordinary words). */
    static final int MIN_SECRET_CHARS = 4;

    /** What a request carried that must not come back in a message: passwords, tokens, the header. */
    static List<String> secrets(Credentials creds, String authorization) {
        List<String> out = new ArrayList<>();
        switch (creds) {
            case Credentials.Basic b -> out.add(b.password());
            case Credentials.Token t -> out.add(t.bearer());
            case Credentials.Anonymous a -> {
            }
        }
        if (authorization != null) {
            int space = authorization.indexOf(' ');
            out.add(space >= 0 ? authorization.substring(space + 1) : authorization);
        }
        out.removeIf(secret -> secret.length() < MIN_SECRET_CHARS);
        return out;
    }

    /** {@code ": CODE: message"}, or empty when the body says nothing usable. */
    static String summary(InputStream body, List<String> secrets) {
        try {
            byte[] bytes = body.readNBytes(MAX_BYTES);
            JsonNode errors = Json.MAPPER.readTree(bytes).get("errors");
            if (errors == null || !errors.isArray() || errors.isEmpty()) {
                return "";
            }
            JsonNode first = errors.get(0);
            String code = printable(String.valueOf(Json.text(first, "code")));
            String message = String.valueOf(Json.text(first, "message"));
            for (String secret : secrets) {
                if (message.contains(secret) || code.contains(secret)) {
                    return secrets.stream().anyMatch(code::contains) ? "" : ": " + code;
                }
            }
            return ": " + printable(code + ": " + message);
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
