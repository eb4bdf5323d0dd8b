package dev.burrow.daemon.ingress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A guest's response status line and headers, parsed strictly within a byte limit: anything a
 * careful HTTP/1.1 client would not accept is a {@link Broken} response (502), never a guess.
 *
 * @param version "HTTP/1.1" or "HTTP/1.0"
 * @param headers in order, names as sent
 */
record ResponseHead(String version, int status, List<Header> headers) {

    record Header(String name, String value) {}

    /** The guest's response is not valid HTTP/1.1 (or exceeds a limit). */
    static final class Broken extends IOException {
        Broken(String message) {
            super(message);
        }
    }

    /** Every value of a header (case-insensitive name), comma lists not split. */
    List<String> all(String name) {
        List<String> out = new ArrayList<>();
        for (Header h : headers) {
            if (h.name.equalsIgnoreCase(name)) {
                out.add(h.value);
            }
        }
        return out;
    }

    String first(String name) {
        List<String> all = all(name);
        return all.isEmpty() ? null : all.getFirst();
    }

    /** True when a comma-separated header of that name lists {@code token} (case-insensitive). */
    boolean lists(String name, String token) {
        for (String v : all(name)) {
            for (String t : v.split(",")) {
                if (t.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Reads one head; null when the guest ended the stream before its first byte (a closed keep-alive stream). */
    static ResponseHead read(GuestInput in, int limit) throws IOException {
        byte[] line = new byte[Math.min(limit, 8192)];
        int total = 0;
        String statusLine = null;
        List<Header> headers = new ArrayList<>();
        while (true) {
            int len = 0;
            boolean cr = false;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    if (statusLine == null && len == 0 && total == 0) {
                        return null;
                    }
                    throw new Broken("the guest closed the connection inside its response head");
                }
                if (++total > limit) {
                    throw new Broken("the guest's response head is larger than " + limit + " bytes");
                }
                if (b == '\n') {
                    break;
                }
                if (cr) {
                    throw new Broken("a bare CR in the guest's response head");
                }
                if (b == '\r') {
                    cr = true;
                    continue;
                }
                if (len == line.length) {
                    byte[] bigger = new byte[Math.min(limit, line.length * 2)];
                    System.arraycopy(line, 0, bigger, 0, len);
                    line = bigger;
                }
                line[len++] = (byte) b;
            }
            String text = new String(line, 0, len, StandardCharsets.ISO_8859_1);
            if (statusLine == null) {
                statusLine = text;
                continue;
            }
            if (text.isEmpty()) {
                break;
            }
            headers.add(header(text));
        }
        return new ResponseHead(version(statusLine), status(statusLine), List.copyOf(headers));
    }

    private static String version(String statusLine) throws Broken {
        if (statusLine.startsWith("HTTP/1.1 ") || statusLine.startsWith("HTTP/1.0 ")) {
            return statusLine.substring(0, 8);
        }
        throw new Broken("the guest did not answer HTTP/1.x (its first line starts " + quote(statusLine) + ")");
    }

    private static int status(String statusLine) throws Broken {
        if (statusLine.length() < 12 || (statusLine.length() > 12 && statusLine.charAt(12) != ' ')) {
            throw new Broken("the guest's status line is malformed: " + quote(statusLine));
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = statusLine.charAt(i);
            if (c < '0' || c > '9') {
                throw new Broken("the guest's status code is not three digits: " + quote(statusLine));
            }
            status = status * 10 + (c - '0');
        }
        if (status < 100 || status > 599) {
            throw new Broken("the guest's status code " + status + " is outside 100..599");
        }
        for (int i = 13; i < statusLine.length(); i++) {
            char c = statusLine.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7F) {
                throw new Broken("a control character in the guest's reason phrase");
            }
        }
        return status;
    }

    private static Header header(String text) throws Broken {
        if (text.charAt(0) == ' ' || text.charAt(0) == '\t') {
            throw new Broken("the guest folded a header line (obsolete line folding is refused)");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new Broken("a guest header line without a name: " + quote(text));
        }
        String name = text.substring(0, colon);
        for (int i = 0; i < name.length(); i++) {
            if (!token(name.charAt(i))) {
                throw new Broken("the guest's header name " + quote(name) + " is not a token");
            }
        }
        String value = text.substring(colon + 1).strip();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7F) {
                throw new Broken("a control character in the guest's " + name + " header");
            }
        }
        return new Header(name, value);
    }

    private static boolean token(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static String quote(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        StringBuilder b = new StringBuilder("'");
        cut.chars().forEach(c -> b.append(c < 0x20 || c >= 0x7F ? '?' : (char) c));
        return b.append('\'').toString();
    }

    /** How the body that follows this head is delimited (RFC 9112 §6.3), for a request of {@code method}. */
    Framing framing(String method) throws Broken {
        if (method.equals("HEAD") || status / 100 == 1 || status == 204 || status == 304) {
            return new Framing(Framing.Kind.NONE, 0);
        }
        List<String> te = all("Transfer-Encoding");
        if (!te.isEmpty()) {
            String last = String.join(",", te);
            String[] codings = last.split(",");
            return codings[codings.length - 1].strip().toLowerCase(Locale.ROOT).equals("chunked")
                    ? new Framing(Framing.Kind.CHUNKED, -1) : new Framing(Framing.Kind.TO_CLOSE, -1);
        }
        List<String> cl = all("Content-Length");
        if (!cl.isEmpty()) {
            long length = -1;
            for (String v : cl) {
                for (String part : v.split(",")) {
                    long n = contentLength(part.strip());
                    if (length >= 0 && n != length) {
                        throw new Broken("the guest sent conflicting Content-Length values");
                    }
                    length = n;
                }
            }
            return new Framing(Framing.Kind.LENGTH, length);
        }
        return new Framing(Framing.Kind.TO_CLOSE, -1);
    }

    private static long contentLength(String v) throws Broken {
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Broken("the guest's Content-Length is not a number: " + quote(v));
        }
        return Long.parseLong(v);
    }

    /** @param length the byte count for {@link Kind#LENGTH}, else -1 */
    record Framing(Kind kind, long length) {
        enum Kind { NONE, LENGTH, CHUNKED, TO_CLOSE }
    }
}
