package dev.burrow.oci.registry.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge: a scheme ({@code bearer}, {@code basic}) and its
 * parameters ({@code realm}, {@code service}, {@code scope}).
 */
public record Challenge(String scheme, Map<String, String> params) {
    /** Longer headers are refused rather than parsed. */
    public static final int MAX_HEADER_CHARS = 8192;

    public Challenge {
        params = Map.copyOf(params);
    }

    public String param(String name) {
        return params.get(name);
    }

    /** Parses every challenge in a header value; unparseable text yields what was read so far. */
    public static List<Challenge> parse(String header) {
        List<Challenge> out = new ArrayList<>();
        if (header == null || header.length() > MAX_HEADER_CHARS) {
            return out;
        }
        Cursor c = new Cursor(header);
        while (true) {
            c.skip(", \t");
            String scheme = c.token();
            if (scheme.isEmpty()) {
                return out;
            }
            Map<String, String> params = new LinkedHashMap<>();
            while (true) {
                c.skip(" \t");
                int mark = c.pos;
                String name = c.token();
                c.skip(" \t");
                if (name.isEmpty() || !c.take('=')) {
                    c.pos = mark; // the next challenge's scheme
                    break;
                }
                c.skip(" \t");
                String value = c.peek() == '"' ? c.quoted() : c.token();
                params.put(name.toLowerCase(Locale.ROOT), value);
                c.skip(" \t");
                if (!c.take(',')) {
                    break;
                }
            }
            out.add(new Challenge(scheme.toLowerCase(Locale.ROOT), params));
        }
    }

    private static final class Cursor {
        private final String s;
        private int pos;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        boolean take(char ch) {
            if (peek() == ch) {
                pos++;
                return true;
            }
            return false;
        }

        void skip(String chars) {
            while (pos < s.length() && chars.indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        String token() {
            int start = pos;
            while (pos < s.length() && "=, \t\"".indexOf(s.charAt(pos)) < 0) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String quoted() {
            pos++; // opening quote
            StringBuilder b = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != '"') {
                char ch = s.charAt(pos++);
                if (ch == '\\' && pos < s.length()) {
                    ch = s.charAt(pos++);
                }
                b.append(ch);
            }
            pos++; // closing quote
            return b.toString();
        }
    }
}
