package dev.burrow.oci.internal;

import com.github.luben.zstd.ZstdOutputStream;
import dev.burrow.oci.Compression;
import dev.burrow.oci.Digest;
import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Writes one layer tar, compressed, into {@code blobs/sha256/}, returning its digests. */
public final class LayerBlobWriter {
    /** A written layer blob: its digest and size, and the digest of the uncompressed tar. */
    public record Written(Digest digest, long size, Digest diffId) {
    }

    private LayerBlobWriter() {
    }

    public static Written write(List<TarEntrySpec> entries, Compression compression, Path blobDir, Instant mtime)
            throws IOException {
        Files.createDirectories(blobDir);
        Path tmp = Files.createTempFile(blobDir, "layer-", ".tmp");
        try {
            MessageDigest blobMd = Sha256.newDigest();
            MessageDigest diffMd = Sha256.newDigest();
            long size;
            try (OutputStream file = Files.newOutputStream(tmp);
                 CountingOutputStream counted = new CountingOutputStream(new DigestOutputStream(file, blobMd))) {
                OutputStream compressed = switch (compression) {
                    case GZIP -> new GZIPOutputStream(counted, 64 * 1024);
                    case ZSTD -> new ZstdOutputStream(counted, 3);
                    case NONE -> counted;
                };
                DigestOutputStream plain = new DigestOutputStream(compressed, diffMd);
                TarWriting.write(entries, plain, mtime);
                plain.flush();
                if (compressed != counted) {
                    compressed.close(); // finishes the compressed stream (and closes counted: harmless twice)
                }
                counted.flush();
                size = counted.count;
            }
            Digest digest = Digest.of(blobMd.digest());
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, blobDir.resolve(digest.hex()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Written(digest, size, Digest.of(diffMd.digest()));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Stores bytes verbatim as a blob. */
    public static Digest writeBlob(byte[] bytes, Path blobDir) throws IOException {
        Files.createDirectories(blobDir);
        Digest d = Sha256.of(bytes);
        Files.write(blobDir.resolve(d.hex()), bytes);
        return d;
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;
        private boolean closed;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                super.close();
            }
        }
    }
}
