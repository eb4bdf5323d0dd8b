package dev.burrow.oci.registry;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import dev.burrow.oci.registry.internal.KeyedLocks;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Blobs a registry transfer has started but not finished: {@code <store root>/partial/sha256/<hex>},
 * never visible as blobs. A pull cut off by a dropped connection leaves its partial file, and the
 * next pull of that blob resumes from it with {@code Range}. One transfer per blob at a time in
 * this process: {@link #lock} is held by whoever writes the partial file.
 */
public final class PartialBlobs {
    /** A partial file untouched this long is abandoned: {@link #clean} may remove it. */
    public static final Duration ABANDONED_AFTER = Duration.ofDays(1);
    static final String DIRECTORY = "partial";
    /** Process-wide: pulls through different clients of the same store must not write one file together. */
    private static final KeyedLocks LOCKS = new KeyedLocks();

    private final BlobStore store;
    private final Path dir;

    public PartialBlobs(BlobStore store) throws IOException {
        this.store = Objects.requireNonNull(store, "store");
        this.dir = store.root().resolve(DIRECTORY).resolve(Digest.ALGORITHM);
        Files.createDirectories(dir);
    }

    public BlobStore store() {
        return store;
    }

    /** Where a blob's partial transfer lives. */
    public Path path(Digest digest) {
        return dir.resolve(digest.hex());
    }

    /** Bytes of a partial transfer kept, or 0. */
    public long size(Digest digest) throws IOException {
        try {
            return Files.isRegularFile(path(digest), LinkOption.NOFOLLOW_LINKS) ? Files.size(path(digest)) : 0;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /** Waits until no other transfer of {@code digest} into this store runs; close to release. */
    public KeyedLocks.Held lock(Digest digest) throws InterruptedException {
        return LOCKS.lock(path(digest).toAbsolutePath().toString());
    }

    /**
     * Removes partial files last written before {@code olderThan} (and anything else found in the
     * partial directory that is not a regular file named by a digest), skipping those being
     * written. Returns the bytes freed.
     */
    public long clean(Instant olderThan) throws IOException {
        long freed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                Digest d;
                try {
                    d = new Digest(p.getFileName().toString());
                } catch (IllegalArgumentException e) {
                    freed += delete(p);
                    continue;
                }
                try (KeyedLocks.Held held = LOCKS.tryLock(path(d).toAbsolutePath().toString())) {
                    if (held == null) {
                        continue; // a transfer is writing it
                    }
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                            || Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(olderThan)) {
                        freed += delete(p);
                    }
                }
            }
        }
        return freed;
    }

    private static long delete(Path p) throws IOException {
        try {
            long size = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : 0;
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return 0; // never created by a transfer; left for whoever made it
            }
            Files.deleteIfExists(p);
            return size;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
