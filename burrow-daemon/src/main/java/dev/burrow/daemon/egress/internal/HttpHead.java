package dev.burrow.daemon.egress.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The Host of an HTTP/1.x request head, read strictly: the head ends with an empty line within
 * the prefix's bounds; the request line is {@code METHOD SP target SP HTTP/1.x}; exactly one
 * Host header, no whitespace before a colon, no folded lines; an absolute-form target must name
 * the same host; CONNECT is refused (the guest's port 80 is not a tunnel).
 */
public final class HttpHead {

    private static final int CHUNK = 2048;

    private HttpHead() {}

    /** A head that breaks these rules. */
    public static final class Malformed extends IOException {
        public Malformed(String message) {
            super(message);
        }
    }

    /** The Host as the request wrote it (port included when written). */
    public static String readHost(Prefix in) throws IOException {
        int scanned = 0;
        while (true) {
            in.some(CHUNK);
            byte[] b = in.bytes();
            int end = endOfHead(b, Math.max(0, scanned - 3));
            if (end >= 0) {
                return host(new String(b, 0, end, StandardCharsets.ISO_8859_1));
            }
            scanned = b.length;
        }
    }

    private static int endOfHead(byte[] b, int from) {
        for (int i = from; i + 3 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The Host of a head (without its final empty line). */
    static String host(String head) throws Malformed {
        String[] lines = head.split("\r\n", -1);
        String[] request = lines[0].split(" ", -1);
        if (request.length != 3 || request[0].isEmpty() || request[1].isEmpty() || !request[2].matches("HTTP/1\\.[01]")) {
            throw new Malformed("not an HTTP/1.x request line");
        }
        if (!request[0].chars().allMatch(ch -> ch >= 'A' && ch <= 'Z')) {
            throw new Malformed("a method that is not an uppercase token");
        }
        if (request[0].equals("CONNECT")) {
            throw new Malformed("CONNECT is not allowed");
        }
        String host = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new Malformed("an empty or folded header line");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.substring(0, colon).chars().anyMatch(ch -> ch <= ' ' || ch >= 0x7f)) {
                throw new Malformed("a header line without a valid name");
            }
            if (line.substring(0, colon).equalsIgnoreCase("host")) {
                if (host != null) {
                    throw new Malformed("more than one Host header");
                }
                host = line.substring(colon + 1).strip();
            }
        }
        if (host == null || host.isEmpty()) {
            throw new Malformed("no Host header");
        }
        String target = request[1];
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            String rest = target.substring(target.indexOf("//") + 2);
            int slash = rest.indexOf('/');
            String authority = slash < 0 ? rest : rest.substring(0, slash);
            if (!authority.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT))) {
                throw new Malformed("the request target names another host than the Host header");
            }
        }
        return host;
    }
}
