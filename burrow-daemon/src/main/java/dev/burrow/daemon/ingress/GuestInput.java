package dev.burrow.daemon.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * The guest's bytes through one bounded buffer, each read under a deadline: a read that gets
 * nothing in time closes the link and fails with {@link TimedOut}. Guest bytes are hostile: the
 * buffer never grows.
 */
final class GuestInput {

    /** No byte came from the guest within the deadline. */
    static final class TimedOut extends IOException {
        TimedOut(String message) {
            super(message);
        }
    }

    private final GuestLink link;
    private final InputStream in;
    private final Watchdog watchdog;
    private final byte[] buf;
    private int pos;
    private int end;
    private Duration timeout;
    private long deadlineNanos = Long.MAX_VALUE;
    private boolean eof;

    GuestInput(GuestLink link, Watchdog watchdog, int bufferBytes, Duration timeout) {
        this.link = link;
        this.in = link.input();
        this.watchdog = watchdog;
        this.buf = new byte[bufferBytes];
        this.timeout = timeout;
    }

    void timeout(Duration t) {
        this.timeout = t;
    }

    /** A total deadline ({@link System#nanoTime} scale; {@link Long#MAX_VALUE}: none) besides the per-read timeout. */
    void deadline(long nanos) {
        this.deadlineNanos = nanos;
    }

    /** Bytes buffered and not yet taken. */
    int buffered() {
        return end - pos;
    }

    /** One byte, or -1 at the guest's end. */
    int read() throws IOException {
        if (pos == end && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xFF;
    }

    /** Up to {@code len} bytes (at least one), or -1 at the guest's end. */
    int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == end && !fill()) {
            return -1;
        }
        int n = Math.min(len, end - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        pos = 0;
        end = 0;
        int n;
        long wait = timeout.toNanos();
        if (deadlineNanos != Long.MAX_VALUE) {
            wait = Math.min(wait, deadlineNanos - System.nanoTime());
            if (wait <= 0) {
                link.close();
                throw new TimedOut("the guest's response head took longer than its deadline");
            }
        }
        try (Watchdog.Alarm alarm = watchdog.arm(Duration.ofNanos(wait), link::close)) {
            try {
                n = in.read(buf, 0, buf.length);
            } catch (IOException e) {
                if (alarm.rang()) {
                    throw new TimedOut("the guest sent nothing for " + Duration.ofNanos(wait).toMillis() + " ms");
                }
                throw e;
            }
            if (n < 0 && alarm.rang()) {
                throw new TimedOut("the guest sent nothing for " + Duration.ofNanos(wait).toMillis() + " ms");
            }
        }
        if (n < 0) {
            eof = true;
            return false;
        }
        end = n;
        return true;
    }
}
