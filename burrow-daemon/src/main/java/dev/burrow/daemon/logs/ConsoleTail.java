package dev.burrow.daemon.logs;

import dev.burrow.vmm.ConsoleRing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * One reader's place in a console ring: the older half first, then the newer, then whatever is
 * appended, across rotations. The half being read is held open, so a rotation (a rename) or a
 * suspend or resume (which hard-link the same files elsewhere) lose nothing of it; files are
 * told apart by their file key (device and inode), never by name. When the writer rotated more
 * than once between two reads, the halves in between may be gone: the next read starts at the
 * oldest half there is and {@link #skipped} says so once.
 */
public final class ConsoleTail implements AutoCloseable {

    /** How often opening a half is retried when a rotation renames it under the reader. */
    private static final int OPEN_ATTEMPTS = 4;

    /** An open half and which file it is. */
    private record Half(FileChannel channel, Object key) {}

    private Half current;
    /** The newer half opened with the older one at the start, read once the older is done. */
    private Half pending;
    private boolean skipped;

    /**
     * Reads what follows the last read into {@code buf} (at most its remaining space) and answers
     * how many bytes came; 0 when nothing new is there yet (or no ring exists).
     */
    public int read(ConsoleRing ring, ByteBuffer buf) throws IOException {
        if (current == null && !start(ring)) {
            return 0;
        }
        for (int hops = 0; hops < OPEN_ATTEMPTS; hops++) {
            int n = current.channel.read(buf);
            if (n > 0) {
                return n;
            }
            if (pending != null) {
                current.channel.close();
                current = pending;
                pending = null;
                continue;
            }
            Object newer = key(ring.newer());
            if (newer == null || newer.equals(current.key)) {
                return 0; // nothing new (or the ring is between two places)
            }
            // the writer moved on to another file: ours is complete, read its rest before leaving it
            n = current.channel.read(buf);
            if (n > 0) {
                return n;
            }
            boolean rotatedOnce = current.key.equals(key(ring.older()));
            current.channel.close();
            current = null;
            if (rotatedOnce) {
                current = open(ring.newer());
                if (current == null) {
                    return 0;
                }
                skipped |= !current.key.equals(newer); // it rotated again meanwhile
            } else {
                skipped = true; // rotated more than once: what was between may be gone
                if (!start(ring)) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** True once after a read that may have missed output (the ring rotated past this reader). */
    public boolean skipped() {
        boolean s = skipped;
        skipped = false;
        return s;
    }

    /** Opens the older half and the newer one together, checking no rotation came between the two opens. */
    private boolean start(ConsoleRing ring) throws IOException {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            Half older = open(ring.older());
            Half newer = open(ring.newer());
            if (older == null && newer == null) {
                return false;
            }
            Object olderNow = key(ring.older());
            boolean consistent = older == null ? olderNow == null : older.key.equals(olderNow);
            if (consistent) {
                current = older != null ? older : newer;
                pending = older != null ? newer : null;
                return true;
            }
            close(older);
            close(newer);
        }
        return false;
    }

    /** The file at {@code p} opened, when the name held the same file before and after the open; null when absent. */
    private static Half open(Path p) throws IOException {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            Object before = key(p);
            if (before == null) {
                return null;
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(p, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                continue;
            }
            if (before.equals(key(p))) {
                return new Half(ch, before);
            }
            ch.close();
        }
        return null;
    }

    private static Object key(Path p) throws IOException {
        try {
            return Objects.requireNonNull(Files.readAttributes(p, BasicFileAttributes.class).fileKey(), "file keys");
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void close(Half h) throws IOException {
        if (h != null) {
            h.channel.close();
        }
    }

    @Override
    public void close() throws IOException {
        close(current);
        close(pending);
        current = null;
        pending = null;
    }
}
