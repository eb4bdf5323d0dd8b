package dev.burrow.daemon.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What must never reach a log line: API keys ({@code bk_…}), bearer tokens, HTTP credentials
 * headers and {@code password=}/{@code secret=} style pairs. Each is replaced by its first
 * characters and {@code …[redacted]}, enough to tell two keys apart, never enough to use one.
 * Control characters are escaped so one record is one line whatever a guest or client sent.
 */
public final class Redaction {

    /** The longest message kept; the rest is cut (a guest can send a 64 KiB line). */
    public static final int MAX_MESSAGE_CHARS = 8192;

    private static final Pattern SECRETS = Pattern.compile(
            "(?i)(bk_|burrow\\.token\\.)[A-Za-z0-9_-]{6,}"                      // API keys, even glued to other text; WebSocket subprotocol tokens
            + "|(\\bbearer\\s+)[^\\s\"',;]+"                                    // Authorization: Bearer …
            + "|(\\b(?:authorization|proxy-authorization|x-burrow-token|x-aws-proxy-auth|cookie|set-cookie)\\s*[:=]\\s*)[^\\r\\n]+"
            + "|(\\b(?:password|passwd|secret|token|api[_-]?key|access[_-]?key)\"?\\s*[=:]\\s*\"?)[^\\s\"',;&]+");

    private Redaction() {
    }

    /** The text with every credential replaced and every control character escaped. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String cut = text.length() > MAX_MESSAGE_CHARS
                ? text.substring(0, MAX_MESSAGE_CHARS) + "…[" + (text.length() - MAX_MESSAGE_CHARS) + " chars cut]"
                : text;
        Matcher m = SECRETS.matcher(cut);
        StringBuilder out = null;
        while (m.find()) {
            if (out == null) {
                out = new StringBuilder(cut.length());
            }
            String keep = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
            m.appendReplacement(out, Matcher.quoteReplacement(keep + "…[redacted]"));
        }
        String redacted = out == null ? cut : m.appendTail(out).toString();
        return escapeControls(redacted);
    }

    /** Newlines, tabs, escape sequences and other C0/C1 controls as {@code \n}, {@code \t}, {@code \x1b}. */
    static String escapeControls(String s) {
        int i = 0;
        while (i < s.length() && !isControl(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (isControl(c)) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029';
    }
}
