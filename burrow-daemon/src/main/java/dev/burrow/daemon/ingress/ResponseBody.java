package dev.burrow.daemon.ingress;

import java.io.IOException;

/**
 * A guest response body as decoded bytes, delimited by its {@link ResponseHead.Framing}: a length,
 * chunks (parsed strictly; chunk lines and trailers within a byte limit) or the guest's close.
 */
final class ResponseBody {

    /** Longest chunk-size line (size, extensions) and longest trailer section accepted. */
    static final int MAX_CHUNK_LINE = 4096;

    private final GuestInput in;
    private final ResponseHead.Framing framing;
    private final int trailerLimit;
    private long remaining;
    private boolean done;

    ResponseBody(GuestInput in, ResponseHead.Framing framing, int trailerLimit) {
        this.in = in;
        this.framing = framing;
        this.trailerLimit = trailerLimit;
        this.remaining = framing.kind() == ResponseHead.Framing.Kind.LENGTH ? framing.length() : 0;
        this.done = framing.kind() == ResponseHead.Framing.Kind.NONE
                || framing.kind() == ResponseHead.Framing.Kind.LENGTH && framing.length() == 0;
    }

    /** True once the whole body was read and the stream stands at the next response (reusable). */
    boolean complete() {
        return done && framing.kind() != ResponseHead.Framing.Kind.TO_CLOSE;
    }

    /** Up to {@code len} decoded bytes, or -1 at the body's end. */
    int read(byte[] b, int off, int len) throws IOException {
        if (done) {
            return -1;
        }
        return switch (framing.kind()) {
            case NONE -> -1;
            case TO_CLOSE -> {
                int n = in.read(b, off, len);
                if (n < 0) {
                    done = true;
                }
                yield n;
            }
            case LENGTH -> {
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new ResponseHead.Broken("the guest closed the connection " + remaining + " bytes before its Content-Length");
                }
                remaining -= n;
                done = remaining == 0;
                yield n;
            }
            case CHUNKED -> chunked(b, off, len);
        };
    }

    private int chunked(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            remaining = chunkSize();
            if (remaining == 0) {
                trailers();
                done = true;
                return -1;
            }
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new ResponseHead.Broken("the guest closed the connection inside a chunk");
        }
        remaining -= n;
        if (remaining == 0) {
            String end = line(MAX_CHUNK_LINE);
            if (!end.isEmpty()) {
                throw new ResponseHead.Broken("a chunk of the guest's response does not end with CRLF");
            }
        }
        return n;
    }

    private long chunkSize() throws IOException {
        String l = line(MAX_CHUNK_LINE);
        int semi = l.indexOf(';');
        String hex = (semi >= 0 ? l.substring(0, semi) : l).strip();
        if (hex.isEmpty() || hex.length() > 15) {
            throw new ResponseHead.Broken("the guest's chunk size is malformed");
        }
        long size = 0;
        for (int i = 0; i < hex.length(); i++) {
            int d = Character.digit(hex.charAt(i), 16);
            if (d < 0) {
                throw new ResponseHead.Broken("the guest's chunk size is not hexadecimal");
            }
            size = size * 16 + d;
        }
        return size;
    }

    private void trailers() throws IOException {
        int total = 0;
        while (true) {
            String l = line(trailerLimit);
            total += l.length() + 2;
            if (total > trailerLimit) {
                throw new ResponseHead.Broken("the guest's trailers are larger than " + trailerLimit + " bytes");
            }
            if (l.isEmpty()) {
                return;
            }
        }
    }

    /** One line without its CRLF (or LF), at most {@code limit} bytes. */
    private String line(int limit) throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new ResponseHead.Broken("the guest closed the connection inside its chunked body");
            }
            if (c == '\n') {
                int last = s.length() - 1;
                if (last >= 0 && s.charAt(last) == '\r') {
                    s.setLength(last);
                }
                return s.toString();
            }
            if (s.length() >= limit) {
                throw new ResponseHead.Broken("a line of the guest's chunked body is longer than " + limit + " bytes");
            }
            s.append((char) c);
        }
    }
}
