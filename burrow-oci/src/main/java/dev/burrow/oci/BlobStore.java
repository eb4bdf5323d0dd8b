package dev.burrow.oci;

import dev.burrow.oci.internal.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A content-addressed store of blobs: {@code root/sha256/<hex>}, each stored once.
 *
 * <p>{@link #put} streams into a temporary file beside the blobs while hashing, verifies the
 * digest, then renames the file into place atomically. Concurrent puts of the same content are
 * safe: each writes its own temporary file and the rename of identical bytes is idempotent.
 * Stored blobs are read-only (0444).
 */
public final class BlobStore {
    /** No limit for {@link #put(InputStream, Digest, long)}. */
    public static final long UNLIMITED = Long.MAX_VALUE;
    private static final int BUFFER = 256 * 1024;

    private final Path root;
    private final Path blobs;
    private final Path tmp;

    public BlobStore(Path root) throws IOException {
        this.root = Objects.requireNonNull(root, "root");
        this.blobs = root.resolve(Digest.ALGORITHM);
        this.tmp = root.resolve("tmp");
        Files.createDirectories(blobs);
        Files.createDirectories(tmp);
    }

    public Path root() {
        return root;
    }

    /** Stores the stream's bytes; verifies them against {@code expected} when it is not null. */
    public Digest put(InputStream in, Digest expected) throws IOException {
        return put(in, expected, UNLIMITED);
    }

    /**
     * Stores the stream's bytes (read to its end), failing when they exceed {@code maxBytes} or
     * do not match {@code expected} (when not null). Returns the digest of what was read.
     */
    public Digest put(InputStream in, Digest expected, long maxBytes) throws IOException {
        Objects.requireNonNull(in, "in");
        if (expected != null && contains(expected)) {
            // Already stored: still read and verify the bytes (the caller's stream must be consumed).
            MessageDigest md = Sha256.newDigest();
            copy(in, OutputStream.nullOutputStream(), md, maxBytes);
            return verify(Digest.of(md.digest()), expected);
        }
        Path part = Files.createTempFile(tmp, expected == null ? "blob-" : expected.shortHex() + "-", ".part");
        try {
            MessageDigest md = Sha256.newDigest();
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                copy(in, out, md, maxBytes);
                out.flush();
                ch.force(true);
            }
            Digest actual = verify(Digest.of(md.digest()), expected);
            Path target = path(actual);
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("r--r--r--"));
                try {
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                    // another put of the same content won the race; its bytes are ours
                }
            }
            return actual;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** Stores a byte array. */
    public Digest put(byte[] bytes) throws IOException {
        return put(new java.io.ByteArrayInputStream(bytes), null);
    }

    public boolean contains(Digest digest) {
        return Files.isRegularFile(path(digest), LinkOption.NOFOLLOW_LINKS);
    }

    /** Where a blob lives (whether or not it is stored). */
    public Path path(Digest digest) {
        return blobs.resolve(digest.hex());
    }

    public long size(Digest digest) throws IOException {
        try {
            return Files.size(path(digest));
        } catch (NoSuchFileException e) {
            throw new ImageException("blob " + digest + " is not in the blob store");
        }
    }

    public InputStream open(Digest digest) throws IOException {
        try {
            return Files.newInputStream(path(digest), LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new ImageException("blob " + digest + " is not in the blob store");
        }
    }

    private static Digest verify(Digest actual, Digest expected) throws ImageException {
        if (expected != null && !expected.equals(actual)) {
            throw new ImageException("content does not match its digest " + expected + " (got " + actual + ")");
        }
        return actual;
    }

    private static void copy(InputStream in, OutputStream out, MessageDigest md, long maxBytes) throws IOException {
        byte[] buf = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
            if (total > maxBytes) {
                throw new ImageException("blob is larger than the limit of " + maxBytes + " bytes");
            }
            md.update(buf, 0, n);
            out.write(buf, 0, n);
        }
    }
}
