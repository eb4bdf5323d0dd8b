package dev.burrow.daemon.space.internal;

import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deleting by rename: a path leaves its place in one atomic step into {@code <dataDir>/trash},
 * and only then is its content removed. A crash half-way through a delete leaves a half-deleted
 * tree in the trash, never a blob or template that looks whole where readers look for it; the
 * next {@link #empty()} finishes the job.
 */
public final class Trash {
    private final Path dir;
    private final AtomicLong sequence = new AtomicLong(System.nanoTime());

    public Trash(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Moves {@code p} into the trash (same file system: the data directory); false when it was already gone. */
    public boolean discard(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.createDirectories(dir);
        try {
            Files.move(p, dir.resolve(sequence.incrementAndGet() + "-" + p.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (NoSuchFileException e) {
            return false; // removed by someone else in between
        }
    }

    /** Removes everything in the trash, what this process discarded and what a crashed one left. */
    public void empty() throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                FileTrees.delete(e);
            }
        }
    }
}
