package dev.burrow.daemon.images.builtin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File operations on a root file system being built on the host. Nothing here follows a symlink
 * out of the tree, and nothing deletes below a mount point: debootstrap mounts {@code /proc},
 * {@code /sys} and sometimes binds the host's {@code /dev} into its target, and a recursive delete
 * through such a mount would reach the host.
 */
final class RootTrees {
    private static final Logger log = LoggerFactory.getLogger(RootTrees.class);

    private RootTrees() {
    }

    /** Mount points at or below {@code dir} (from {@code /proc/self/mountinfo}), deepest first. */
    static List<Path> mountsUnder(Path dir) throws IOException {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length < 5) {
                continue;
            }
            Path mountPoint = Path.of(unescapeMountinfo(f[4]));
            if (mountPoint.startsWith(real)) {
                out.add(mountPoint);
            }
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Mountinfo escapes space, tab, newline and backslash as {@code \ooo}. */
    static String unescapeMountinfo(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }

    /**
     * Unmounts whatever is still mounted below {@code dir} (a failed debootstrap can leave
     * {@code proc} or {@code sys} mounted) and fails when something stays mounted.
     */
    static void unmountAllUnder(Path dir) throws IOException {
        List<Path> mounts = mountsUnder(dir);
        for (Path m : mounts) {
            log.warn("unmounting {} left mounted in the build tree", m);
            run(List.of("umount", m.toString()));
        }
        List<Path> left = mountsUnder(dir);
        for (Path m : left) {
            run(List.of("umount", "-l", m.toString()));
        }
        left = mountsUnder(dir);
        if (!left.isEmpty()) {
            throw new IOException("still mounted below " + dir + ": " + left + "; not touching the tree");
        }
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            log.warn("{} failed: {}", command, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code root/rel}, checked to be a real directory inside {@code root} (no component of
     * {@code rel} is a symlink leading out). Null when it does not exist or is not a directory.
     */
    static Path directoryInside(Path root, String rel) throws IOException {
        Path p = root.resolve(rel);
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!p.toRealPath().startsWith(root.toRealPath())) {
            throw new IOException(rel + " leads out of the tree " + root);
        }
        return p;
    }

    /** Deletes the contents of {@code root/rel} (the directory itself stays). Returns the bytes freed. */
    static long deleteContents(Path root, String rel) throws IOException {
        Path dir = directoryInside(root, rel);
        if (dir == null) {
            return 0;
        }
        long freed = 0;
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.toList();
        }
        for (Path c : children) {
            freed += deleteRecursively(c);
        }
        return freed;
    }

    /** Deletes a tree without following symlinks; refuses to cross a mount point. */
    static long deleteRecursively(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
            long size = Files.isRegularFile(top, LinkOption.NOFOLLOW_LINKS) ? Files.size(top) : 0;
            Files.delete(top); // a file, or a symlink (deleted, never followed)
            return size;
        }
        if (!mountsUnder(top).isEmpty()) {
            throw new IOException("refusing to delete " + top + ": something is mounted below it");
        }
        long[] freed = {0};
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    freed[0] += attrs.size();
                }
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return freed[0];
    }

    /** The total size of the regular files below {@code dir}. */
    static long size(Path dir) throws IOException {
        long[] total = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    total[0] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }
}
