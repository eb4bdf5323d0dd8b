package dev.burrow.daemon.logs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts console bytes into the {@code text} of NDJSON lines: one per console line, its newline
 * kept (so the texts joined give the output back), a line longer than the limit in pieces of at
 * most that many bytes, cut on a character boundary. Invalid UTF-8 becomes U+FFFD; JSON
 * escapes the control characters. Holds at most one unfinished line.
 */
public final class LineSplitter {

    private final byte[] line;
    private int length;

    public LineSplitter(int maxLineBytes) {
        this.line = new byte[maxLineBytes];
    }

    /** The complete lines (and full-size pieces) in {@code bytes}; the rest waits for more, or for {@link #flush}. */
    public List<String> feed(ByteBuffer bytes) {
        List<String> out = new ArrayList<>();
        while (bytes.hasRemaining()) {
            byte b = bytes.get();
            line[length++] = b;
            if (b == '\n') {
                out.add(take(length));
            } else if (length == line.length) {
                out.add(take(boundary()));
            }
        }
        return out;
    }

    /** The unfinished line as it is (output that is not followed by a newline yet, e.g. a prompt); null when none. */
    public String flush() {
        int end = boundaryOfIncompleteTail();
        return end == 0 ? null : take(end);
    }

    /** Where to cut a full buffer: before a UTF-8 sequence the buffer's end would split (or at the end). */
    private int boundary() {
        int end = boundaryOfIncompleteTail();
        return end == 0 ? length : end; // never zero: a buffer of continuation bytes is cut whole
    }

    /** The length without a trailing UTF-8 sequence that is still missing bytes. */
    private int boundaryOfIncompleteTail() {
        for (int back = 1; back <= 3 && back <= length; back++) {
            int b = line[length - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue; // a continuation byte: look further back for its lead
            }
            int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            return need > back ? length - back : length;
        }
        return length;
    }

    private String take(int n) {
        String s = new String(line, 0, n, StandardCharsets.UTF_8);
        System.arraycopy(line, n, line, 0, length - n);
        length -= n;
        return s;
    }
}
