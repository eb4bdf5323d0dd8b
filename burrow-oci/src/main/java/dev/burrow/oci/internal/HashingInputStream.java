package dev.burrow.oci.internal;

import dev.burrow.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Hashes and counts every byte read through it. Mark/reset is not supported. */
public final class HashingInputStream extends FilterInputStream {
    private final MessageDigest md = Sha256.newDigest();
    private long count;

    public HashingInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            md.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            md.update(b, off, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
        long left = n;
        while (left > 0) {
            int r = read(buf, 0, (int) Math.min(left, buf.length));
            if (r < 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads the rest of the stream, so the digest covers all of it. */
    public void drain() throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (read(buf, 0, buf.length) >= 0) {
            // hashing
        }
    }

    public long count() {
        return count;
    }

    public Digest digest() {
        return Digest.of(md.digest());
    }
}
