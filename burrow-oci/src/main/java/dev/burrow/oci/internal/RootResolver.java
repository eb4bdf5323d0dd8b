package dev.burrow.oci.internal;

import dev.burrow.oci.ImageException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves paths inside an image root the way the guest kernel will once the root is mounted at
 * {@code /}: symlinks are followed by reading them and re-resolving their target inside the
 * root (an absolute target starts again at the image root; {@code ..} stops at the root), with
 * at most {@link #MAX_HOPS} symlinks per lookup.
 *
 * <p>The host never follows a link: each component is looked up with {@code lstat} in a
 * directory that was itself verified to be a real directory, so every returned path is made
 * only of real directories under the root. This relies on nobody else modifying the staging
 * tree while it is built (it is private, mode 0700).
 */
public final class RootResolver {
    public static final int MAX_HOPS = 40;
    /** Directory levels of a resolved path (entries are refused deeper than this). */
    public static final int MAX_DEPTH = 256;
    /** Path components one lookup may visit, symlink targets included (bounds its cost). */
    public static final int MAX_STEPS = 4096;

    private final Path root;

    public RootResolver(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Told about each directory a lookup created. */
    @FunctionalInterface
    public interface OnCreate {
        void created(Path dir) throws IOException;
    }

    /** How a lookup treats a {@code ..} that would climb above the root. */
    public enum Dotdot {
        /** Stays at the root, as the kernel does. */
        CLAMP,
        /** Is an error: the path points outside the image (used for hard-link targets). */
        REJECT
    }

    /**
     * Resolves a directory path to a real directory under the root.
     *
     * @param components path components, resolved from the root
     * @param onCreate called for each missing directory, which is created (mode 0755); when null,
     *     a missing directory makes the result null instead
     * @param dotdot how to treat {@code ..} above the root
     * @param name the entry name, for messages
     */
    public Path resolveDirectory(List<String> components, OnCreate onCreate, Dotdot dotdot, String name)
            throws IOException {
        List<String> real = new ArrayList<>();
        Path current = root;
        Deque<String> todo = new ArrayDeque<>(components);
        int hops = 0;
        int steps = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (++steps > MAX_STEPS) {
                throw new ImageException("'" + shorten(name) + "': resolving it visits more than " + MAX_STEPS
                        + " path components (symlinks to long paths?)");
            }
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (real.isEmpty()) {
                    if (dotdot == Dotdot.REJECT) {
                        throw new ImageException("'" + name + "' resolves outside the image root");
                    }
                } else {
                    real.removeLast();
                    current = current.getParent();
                }
                continue;
            }
            if (real.size() >= MAX_DEPTH) {
                throw new ImageException("'" + shorten(name) + "' is more than " + MAX_DEPTH
                        + " directories deep; Burrow unpacks at most that depth");
            }
            Path p = child(current, c, name);
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                if (onCreate == null) {
                    return null;
                }
                createDirectory(p);
                onCreate.created(p);
                real.add(c);
                current = p;
            } else if (a.isDirectory()) {
                real.add(c);
                current = p;
            } else if (a.isSymbolicLink()) {
                if (++hops > MAX_HOPS) {
                    throw new ImageException("'" + name + "': too many levels of symbolic links (more than "
                            + MAX_HOPS + "; a symlink loop?)");
                }
                String target = Files.readSymbolicLink(p).toString();
                if (target.startsWith("/")) {
                    real.clear();
                    current = root;
                }
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
            } else {
                throw new ImageException("'" + name + "': /" + relative(real, c) + " is not a directory");
            }
        }
        return current;
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 60) + "…" + s.substring(s.length() - 16);
    }

    /** The host path of a child of a resolved directory (a single component, never {@code ..}). */
    public Path child(Path dir, String c, String name) throws ImageException {
        if (c.isEmpty() || c.equals(".") || c.equals("..") || c.indexOf('/') >= 0 || c.indexOf('\0') >= 0) {
            throw new ImageException("'" + name + "' has an invalid path component '" + c + "'");
        }
        try {
            return dir.resolve(c);
        } catch (InvalidPathException e) {
            throw new ImageException("'" + name + "' is not a valid file name here: " + e.getReason());
        }
    }


    private static String relative(List<String> real, String c) {
        return real.isEmpty() ? c : String.join("/", real) + "/" + c;
    }

    /** {@code lstat}, or null when nothing is there. */
    public static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void createDirectory(Path p) throws IOException {
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException e) {
            return;
        }
        Files.setAttribute(p, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    }
}
