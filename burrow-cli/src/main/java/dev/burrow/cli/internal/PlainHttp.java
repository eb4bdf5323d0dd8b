package dev.burrow.cli.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange over a plain socket, for an {@code http:} burrowd: a request with a
 * known body, {@code Connection: close}, and the response's status and body (by
 * {@code Content-Length}, chunked, or to the end). The hot verbs use it instead of the JDK
 * client, whose selector and executor threads and their hand-offs were most of a
 * {@code burrow version}'s wall time on a loaded machine (docs/PERFORMANCE.md, issue 13).
 * Redirects are not followed (neither did the JDK client); no TLS, no keep-alive.
 */
final class PlainHttp {
    /** How long a connect may take: the JDK client's connect timeout in {@link ApiClient}. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** The most the status line and headers of one response may take. */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** The longest chunk-size line of a chunked body. */
    static final int MAX_CHUNK_LINE = 1024;

    /** A response: its status, headers (names in lower case) and body stream, which closes the socket. */
    record Response(int status, Map<String, String> headers, InputStream body) {}

    private PlainHttp() {}

    /** Sends the request and reads the response head; the body is left to the caller to read and close. */
    static Response exchange(URI uri, String method, Map<String, String> headers, byte[] body) throws IOException {
        String host = uri.getHost();
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        if (host == null) throw new IOException("no host in " + uri);
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            connect(socket, host, port);
            StringBuilder head = new StringBuilder(256);
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(host);   // an IPv6 literal keeps its brackets in a URI's host
            if (uri.getPort() >= 0) head.append(':').append(port);
            head.append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
            head.append("Connection: close\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
            if (body == null || body.length == 0) {
                out.write(headBytes);
            } else {
                byte[] all = new byte[headBytes.length + body.length];
                System.arraycopy(headBytes, 0, all, 0, headBytes.length);
                System.arraycopy(body, 0, all, headBytes.length, body.length);
                out.write(all);
            }
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            int status;
            Map<String, String> responseHeaders;
            do {
                String statusLine = line(in, MAX_HEAD_BYTES);
                status = statusOf(statusLine);
                responseHeaders = headers(in);
            } while (status >= 100 && status < 200);   // an interim answer: the real one follows
            InputStream raw = new FilterInputStream(in) {
                @Override
                public void close() throws IOException {
                    socket.close();
                }
            };
            return new Response(status, responseHeaders, bodyOf(method, status, responseHeaders, raw));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Connects; every way of not getting there is a {@link ConnectException}, as the JDK client reports it. */
    private static void connect(Socket socket, String host, int port) throws IOException {
        try {
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
        } catch (SocketTimeoutException | UnknownHostException | NoRouteToHostException e) {
            ConnectException c = new ConnectException(e.getMessage());
            c.initCause(e);
            throw c;
        }
    }

    private static int statusOf(String line) throws IOException {
        // HTTP/1.1 200 OK
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new IOException("not an HTTP/1.1 status line: " + abbreviate(line));
        }
        try {
            return Integer.parseInt(line.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + abbreviate(line));
        }
    }

    private static Map<String, String> headers(InputStream in) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int budget = MAX_HEAD_BYTES;
        String line;
        while (!(line = line(in, budget)).isEmpty()) {
            budget -= line.length() + 2;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException("malformed response header: " + abbreviate(line));
            headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        return headers;
    }

    private static InputStream bodyOf(String method, int status, Map<String, String> headers, InputStream in) throws IOException {
        if (method.equals("HEAD") || status == 204 || status == 304) return new Bounded(in, 0);
        String te = headers.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) return new Chunked(in);
        String length = headers.get("content-length");
        if (length != null) {
            try {
                return new Bounded(in, Long.parseLong(length.trim()));
            } catch (NumberFormatException e) {
                throw new IOException("malformed Content-Length: " + abbreviate(length));
            }
        }
        return in;   // to the end of the connection
    }

    /** One CRLF- (or LF-) terminated line of at most {@code max} bytes, without its terminator. */
    static String line(InputStream in, int max) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) throw new EOFException("burrowd closed the connection mid-response");
            if (buf.size() >= max) throw new IOException("response header line longer than " + max + " bytes");
            buf.write(b);
        }
        String s = buf.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String abbreviate(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }

    /** A response body: single-byte reads go through the bulk read, which each kind of body bounds. */
    private abstract static class Body extends FilterInputStream {

        Body(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** A body of a known length; ends early only with an error. */
    private static final class Bounded extends Body {
        private long left;

        Bounded(InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("burrowd closed the connection " + left + " bytes before the body's end");
            left -= n;
            return n;
        }
    }

    /** A chunked body (RFC 9112 §7.1), trailers skipped. */
    private static final class Chunked extends Body {
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (left == 0) {
                String size = line(in, MAX_CHUNK_LINE);
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("malformed chunk size: " + abbreviate(size));
                }
                if (left < 0) throw new IOException("malformed chunk size: " + abbreviate(size));
                if (left == 0) {
                    while (!line(in, MAX_HEAD_BYTES).isEmpty()) {
                        // a trailer field: not used
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("burrowd closed the connection mid-chunk");
            left -= n;
            if (left == 0 && !line(in, MAX_CHUNK_LINE).isEmpty()) throw new IOException("a chunk does not end with CRLF");
            return n;
        }
    }
}
