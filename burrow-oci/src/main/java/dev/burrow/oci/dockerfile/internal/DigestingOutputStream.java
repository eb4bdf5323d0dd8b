package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.Digest;
import dev.burrow.oci.internal.Sha256;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Counts and hashes what passes through; {@link #close()} flushes but leaves the target open. */
public final class DigestingOutputStream extends FilterOutputStream {
    private final MessageDigest sha = Sha256.newDigest();
    private long count;

    public DigestingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        sha.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        sha.update(b, off, len);
        count += len;
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    public long count() {
        return count;
    }

    public Digest digest() {
        return Digest.of(sha.digest());
    }
}
