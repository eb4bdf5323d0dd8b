package dev.burrow.daemon.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/** Query parameters checked as strictly as bodies: a value that does not parse is a 400 naming the parameter. */
final class Queries {

    /** A microVM id, which is what a list cursor encodes. */
    private static final Pattern CURSOR_ID = Pattern.compile("[a-z0-9]{1,40}");
    private static final Pattern CURSOR = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private Queries() {}

    /** {@code true} or {@code false} (absent = false). */
    static boolean bool(Call c, String name) {
        String v = c.query(name);
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw ApiException.badRequest(name, name + " must be true or false; got '" + printable(v) + "'");
    }

    /** A whole number in {@code [min, max]} (absent = {@code def}). */
    static long number(Call c, String name, long def, long min, long max) {
        String v = c.query(name);
        if (v == null) {
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, name + " must be a whole number between " + min + " and " + max + "; got '" + printable(v) + "'");
        }
        if (n < min || n > max) {
            throw ApiException.badRequest(name, name + " must be between " + min + " and " + max + "; got " + n);
        }
        return n;
    }

    /** A list cursor: opaque to clients, but it must be one this server hands out. */
    static String cursor(Call c) {
        String v = c.query("cursor");
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (isCursor(v)) {
            return v;
        }
        throw ApiException.badRequest("cursor", "cursor must be a nextCursor this server returned");
    }

    /** Whether {@code v} is a microVM list cursor this server hands out (also the AWS door's nextToken). */
    static boolean isCursor(String v) {
        if (CURSOR.matcher(v).matches()) {
            try {
                return CURSOR_ID.matcher(new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8)).matches();
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * One page of a list held whole in memory (image names, versions): {@code ?limit=} 1..500
     * (default 100) and an offset cursor ({@code o<N>}, base64url) that this method hands out.
     */
    static <T> Dtos.ListOf<T> page(Call c, List<T> all) {
        int limit = (int) number(c, "limit", 100, 1, 500);
        String cursor = cursor(c);
        int from = 0;
        if (cursor != null) {
            String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!id.matches("o[0-9]{1,9}")) {
                throw ApiException.badRequest("cursor", "cursor must be a nextCursor this server returned");
            }
            from = Math.min(all.size(), Integer.parseInt(id.substring(1)));
        }
        int to = Math.min(all.size(), from + limit);
        String next = to < all.size()
                ? Base64.getUrlEncoder().withoutPadding().encodeToString(("o" + to).getBytes(StandardCharsets.UTF_8)) : null;
        return new Dtos.ListOf<>(all.subList(from, to), next);
    }

    /** Rejects query parameters the route does not know. */
    static void only(Call c, List<String> known) {
        List<String> unknown = c.unknownQuery(known);
        if (!unknown.isEmpty()) {
            String first = printable(unknown.getFirst());
            throw ApiException.badRequest(first, "unknown query parameter '" + first + "'"
                    + (known.isEmpty() ? "; this call takes none" : "; the accepted ones are " + known));
        }
    }

    /** A value as it may appear in a message: control characters escaped, length bounded. */
    static String printable(String v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length() && i < 64; i++) {
            char ch = v.charAt(i);
            b.append(ch < 0x20 || ch == 0x7f ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
        }
        return v.length() > 64 ? b + "…" : b.toString();
    }
}
