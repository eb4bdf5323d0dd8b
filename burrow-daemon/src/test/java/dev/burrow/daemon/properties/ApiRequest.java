package dev.burrow.daemon.properties;

import dev.burrow.daemon.properties.OpenApiOperations.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One generated request: an operation, values for its path parameters (some stand for things
 * that exist and are only made concrete when the request is sent), query parameters, headers,
 * the key it is sent with, a body, and the reasons it is invalid per the document (empty = valid).
 */
public record ApiRequest(Operation op, Map<String, PathValue> path, Map<String, List<String>> query, Map<String, String> headers,
                         Auth auth, byte[] body, String bodyNote, List<String> invalidBecause) {

    /** How much of a body {@link #toString} shows. */
    private static final int SHOWN_BODY = 300;
    /** How much of a parameter or header value {@link #toString} shows. */
    private static final int SHOWN_VALUE = 60;

    /** Which key the request is sent with. */
    public enum Auth { ADMIN, NONE, WRONG_KEY, OTHER_TENANT }

    /** A path parameter: something that exists (made concrete when sent) or a literal value. */
    public sealed interface PathValue {}

    /** A resource the daemon has, of a kind; {@link LiveDaemon} creates or picks it when the request is sent. */
    public record Existing(Kind kind) implements PathValue {
        @Override
        public String toString() {
            return "<" + kind.words + ">";
        }
    }

    /** A literal value, sent percent-encoded; {@code wellFormed} when it matches the parameter's schema. */
    public record Literal(String value, boolean wellFormed) implements PathValue {
        @Override
        public String toString() {
            return printable(value);
        }
    }

    /** Kinds of existing resources. */
    public enum Kind {
        FIXTURE_VM("the RUNNING fixture microVM"),
        FRESH_VM("a fresh RUNNING microVM"),
        SUSPENDED_VM("a fresh SUSPENDED microVM"),
        TERMINATED_VM("a TERMINATED microVM"),
        IMAGE("the READY image bb"),
        SCRATCH_IMAGE("a fresh image whose build failed"),
        VERSION("version 1"),
        OWN_TENANT("the caller's tenant"),
        OTHER_TENANT("another tenant"),
        SPARE_TENANT("a fresh spare tenant"),
        SPARE_KEY("a fresh key of another tenant"),
        RUNNING_EXEC("a running exec of cat, stdin streamed, in the fixture microVM");

        final String words;

        Kind(String words) {
            this.words = words;
        }
    }

    public boolean valid() {
        return invalidBecause.isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(op.method()).append(' ');
        String p = op.template();
        for (Map.Entry<String, PathValue> e : path.entrySet()) {
            p = p.replace("{" + e.getKey() + "}", e.getValue().toString());
        }
        b.append(p);
        String sep = "?";
        for (Map.Entry<String, List<String>> q : query.entrySet()) {
            for (String v : q.getValue()) {
                b.append(sep).append(q.getKey()).append('=').append(printable(v));
                sep = "&";
            }
        }
        b.append("  [key: ").append(auth.name().toLowerCase().replace('_', ' '));
        headers.forEach((k, v) -> b.append(", ").append(k).append(": ").append(printable(v)));
        b.append(']');
        if (body != null) {
            String text = new String(body, StandardCharsets.UTF_8);
            b.append("  body").append(bodyNote.isEmpty() ? "" : " (" + bodyNote + ")").append(": ")
                    .append(visible(text.length() > SHOWN_BODY ? text.substring(0, SHOWN_BODY) + "…(" + body.length + " bytes)" : text));
        }
        b.append(invalidBecause.isEmpty() ? "  — valid per the document" : "  — invalid: " + String.join("; ", invalidBecause));
        return b.toString();
    }

    /** Control characters made visible and long values cut, so a report line shows what was sent. */
    static String printable(String s) {
        return s.length() > SHOWN_VALUE && !s.startsWith("{") && !s.startsWith("[")
                ? visible(s.substring(0, SHOWN_VALUE)) + "…(" + s.length() + " chars)" : visible(s);
    }

    static String visible(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
