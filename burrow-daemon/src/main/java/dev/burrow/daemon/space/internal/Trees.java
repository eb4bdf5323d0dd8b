package dev.burrow.daemon.space.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Listing and dating what lies in the data directory, tolerant of entries that vanish meanwhile. */
public final class Trees {

    private Trees() {
    }

    /** The entries of a directory (none when it does not exist), in name order. */
    public static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(out::add);
        } catch (NoSuchFileException e) {
            return out;
        }
        out.sort(null);
        return out;
    }

    /**
     * The newest modification time anywhere in the tree (symlinks not followed): a temporary
     * directory a long job still writes into is young even when it was created long ago. A tree
     * that changes under the walk (an entry vanished) counts as new: it is in use.
     */
    public static Instant newestModified(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(Trees::modified).max(Instant::compareTo).orElse(Instant.EPOCH);
        } catch (NoSuchFileException e) {
            return Instant.MAX;
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return Instant.MAX;
            }
            throw e.getCause();
        }
    }

    private static Instant modified(Path p) {
        try {
            FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            return t.toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
