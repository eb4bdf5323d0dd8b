package dev.burrow.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's own HTTP/1.1 client, the same code on every route so only the route differs:
 * one GET written by hand, the response read with hard limits (headers, body), Content-Length or
 * chunked. The connection stays open for the next GET unless the server said close.
 */
final class HttpProbe {

    /** The most header bytes a response may have. */
    static final int MAX_HEADER_BYTES = 64 * 1024;
    /** The largest body the benchmark fetches, with room. */
    static final int MAX_BODY_BYTES = 4 << 20;

    /** What one GET returned: status, body, and whether the server keeps the connection. */
    record Response(int status, byte[] body, boolean keepAlive) {}

    private HttpProbe() {}

    static Response get(InputStream in, OutputStream out, String host, String path, Map<String, String> headers) throws IOException {
        StringBuilder req = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        out.write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String[] lines = readHead(in).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: " + lines[0]);
        }
        long length = -1;
        boolean chunked = false;
        boolean close = status[0].equals("HTTP/1.0");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: " + lines[i]);
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.contains("chunked");
                case "connection" -> close = value.contains("close") || close && !value.contains("keep-alive");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            body = readChunked(in);
        } else if (length >= 0) {
            body = readExactly(in, length);
        } else {
            body = readToEnd(in);
            close = true;
        }
        return new Response(Integer.parseInt(status[1]), body, !close);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the response head (" + head.size() + " bytes)");
            }
            head.write(b);
            if (head.size() > MAX_HEADER_BYTES) {
                throw new IOException("response head larger than " + MAX_HEADER_BYTES + " bytes");
            }
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        byte[] h = head.toByteArray();
        return new String(h, 0, h.length - 4, StandardCharsets.ISO_8859_1);
    }

    private static byte[] readExactly(InputStream in, long length) throws IOException {
        if (length > MAX_BODY_BYTES) {
            throw new IOException("body of " + length + " bytes is larger than " + MAX_BODY_BYTES);
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("body ended after " + body.length + " of " + length + " bytes");
        }
        return body;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        if (body.length > MAX_BODY_BYTES) {
            throw new IOException("body larger than " + MAX_BODY_BYTES + " bytes");
        }
        return body;
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in);
            int semi = line.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            if (body.size() + size > MAX_BODY_BYTES) {
                throw new IOException("chunked body larger than " + MAX_BODY_BYTES + " bytes");
            }
            body.write(readExactly(in, size));
            if (!readLine(in).isEmpty()) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside a chunked body");
            }
            if (b == '\n') {
                int end = sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r' ? sb.length() - 1 : sb.length();
                return sb.substring(0, end);
            }
            if (sb.length() > 1024) {
                throw new IOException("chunk line longer than 1024 bytes");
            }
            sb.append((char) b);
        }
    }
}
