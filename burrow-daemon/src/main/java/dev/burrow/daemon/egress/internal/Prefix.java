package dev.burrow.daemon.egress.internal;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.function.IntConsumer;

/**
 * The first bytes of a guest's connection, read under two bounds: at most {@code maxBytes} in
 * all, and all of them before a deadline (each read's timeout is what is left of it, so a
 * guest sending a byte at a time cannot hold a connection open). What was read is kept so it
 * can be replayed to the server.
 */
public final class Prefix {

    /** The connection broke a bound or ended before the prefix was whole. */
    public static final class Cut extends IOException {
        public Cut(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final int maxBytes;
    private final long deadlineNanos;
    private final IntConsumer readTimeoutMillis;
    private final ByteArrayOutputStream read = new ByteArrayOutputStream();

    /** {@code readTimeoutMillis} sets the socket's read timeout before each read (a no-op in tests). */
    public Prefix(InputStream in, int maxBytes, long deadlineNanos, IntConsumer readTimeoutMillis) {
        this.in = in;
        this.maxBytes = maxBytes;
        this.deadlineNanos = deadlineNanos;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** Reads exactly {@code n} more bytes and returns them. */
    public byte[] exactly(int n) throws IOException {
        if (read.size() + n > maxBytes) {
            throw new Cut("more than " + maxBytes + " bytes before the name");
        }
        byte[] b = new byte[n];
        int got = 0;
        while (got < n) {
            int r = readSome(b, got, n - got);
            got += r;
        }
        read.write(b, 0, n);
        return b;
    }

    /** Reads what is available (at least one byte, at most {@code max}) and returns the count; the bytes are in {@link #bytes()}. */
    public int some(int max) throws IOException {
        int room = Math.min(max, maxBytes - read.size());
        if (room <= 0) {
            throw new Cut("more than " + maxBytes + " bytes before the name");
        }
        byte[] b = new byte[room];
        int r = readSome(b, 0, room);
        read.write(b, 0, r);
        return r;
    }

    private int readSome(byte[] b, int off, int len) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new Cut("the name did not arrive in time");
        }
        readTimeoutMillis.accept((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        int r;
        try {
            r = in.read(b, off, len);
        } catch (SocketTimeoutException e) {
            throw new Cut("the name did not arrive in time");
        }
        if (r < 0) {
            throw new EOFException("the connection ended before the name");
        }
        return r;
    }

    /** Everything read so far. */
    public byte[] bytes() {
        return read.toByteArray();
    }

    public int size() {
        return read.size();
    }
}
