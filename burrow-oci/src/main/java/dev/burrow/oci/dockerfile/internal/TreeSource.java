package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.dockerfile.ContextEntry;
import dev.burrow.oci.dockerfile.DockerIgnore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * COPY sources inside a tree on the host. A build context ({@link Mode#CONTEXT}) refuses any path
 * or symlink that leads out of it and hides what {@code .dockerignore} excludes; another stage's
 * root ({@link Mode#ROOTFS}) is resolved as the guest would: an absolute symlink starts at that
 * root and {@code ..} stops there. The host never follows a link: each component is looked up
 * with {@code lstat} and symlinks are re-resolved by reading them.
 */
public final class TreeSource {
    public enum Mode {
        CONTEXT, ROOTFS
    }

    /** Symlinks one lookup may follow. */
    public static final int MAX_HOPS = 40;
    /** Paths one source's globs may expand to (symlinks to {@code .} could otherwise multiply them). */
    public static final int MAX_MATCHES = 100_000;
    /** Directory levels a walk may descend. */
    public static final int MAX_DEPTH = 256;

    /** Metadata the host file system cannot keep (recorded when a context is extracted). */
    public record Meta(int mode, Instant mtime) {
    }

    private record Found(Path host, String real, BasicFileAttributes attrs) {
    }

    private final Path root;
    private final Mode mode;
    private final DockerIgnore ignore;
    private final Map<String, Meta> meta;

    public TreeSource(Path root, Mode mode, DockerIgnore ignore, Map<String, Meta> meta) {
        this.root = root;
        this.mode = mode;
        this.ignore = ignore;
        this.meta = meta;
    }

    public Path root() {
        return root;
    }

    /** The entries a COPY source names: globs expanded, top-level symlinks followed; none is an error. */
    public List<ContextEntry> resolve(String source) throws IOException {
        List<String> comps = components(source);
        if (mode == Mode.CONTEXT && escapes(comps)) {
            throw new ImageException("the source '" + source + "' is outside the build context");
        }
        List<List<String>> candidates = new ArrayList<>();
        candidates.add(new ArrayList<>());
        boolean glob = false;
        for (String c : comps) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : candidates) {
                if (!GoGlob.hasMeta(c)) {
                    next.add(plus(prefix, c));
                    continue;
                }
                glob = true;
                GoGlob p;
                try {
                    p = GoGlob.compile(c, false);
                } catch (IllegalArgumentException e) {
                    throw new ImageException("the source '" + source + "': " + e.getMessage());
                }
                Found dir = follow(prefix, source);
                if (dir == null || !dir.attrs().isDirectory()) {
                    continue;
                }
                for (String name : list(dir.host())) {
                    if (p.matches(name)) {
                        if (next.size() >= MAX_MATCHES) {
                            throw new ImageException("the source '" + source + "' matches more than " + MAX_MATCHES
                                    + " paths");
                        }
                        next.add(plus(prefix, name));
                    }
                }
            }
            candidates = next;
        }
        List<ContextEntry> out = new ArrayList<>();
        for (List<String> cand : candidates) {
            Found f = follow(cand, source);
            if (f == null || hidden(f.real(), f.attrs().isDirectory())) {
                continue;
            }
            out.add(entry(String.join("/", cand), f.host(), f.real(), f.attrs()));
        }
        if (out.isEmpty()) {
            throw new ImageException("the source '" + source + "' matches no file in the "
                    + (mode == Mode.CONTEXT ? "build context" : "stage")
                    + (glob ? "" : (mode == Mode.CONTEXT ? " (or .dockerignore excludes it)" : "")));
        }
        return out;
    }

    /** Everything under a directory entry, depth first in name order, symlinks not followed. */
    public List<ContextEntry> walk(ContextEntry dir) throws IOException {
        List<ContextEntry> out = new ArrayList<>();
        walk(dir.hostPath(), dir.path(), realOf(dir), 0, out);
        return out;
    }

    private String realOf(ContextEntry e) throws IOException {
        String rel = root.relativize(e.hostPath()).toString();
        return rel.equals("") ? "" : rel;
    }

    private void walk(Path host, String path, String real, int depth, List<ContextEntry> out) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ImageException("'" + path + "' is more than " + MAX_DEPTH + " directories deep");
        }
        for (String name : list(host)) {
            Path child = host.resolve(name);
            BasicFileAttributes a = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String childPath = path.isEmpty() ? name : path + "/" + name;
            String childReal = real.isEmpty() ? name : real + "/" + name;
            if (!a.isDirectory() && !a.isRegularFile() && !a.isSymbolicLink()) {
                continue;
            }
            if (a.isDirectory()) {
                int mark = out.size();
                out.add(null);
                walk(child, childPath, childReal, depth + 1, out);
                if (hidden(childReal, true) && out.size() == mark + 1) {
                    out.remove(mark);
                } else {
                    out.set(mark, entry(childPath, child, childReal, a));
                }
            } else if (!hidden(childReal, false)) {
                out.add(entry(childPath, child, childReal, a));
            }
        }
    }

    /** A regular file of the tree by exact path (symlinks inside followed), or null. */
    public Path regularFile(String path) throws IOException {
        List<String> comps = components(path);
        if (mode == Mode.CONTEXT && escapes(comps)) {
            throw new ImageException("'" + path + "' is outside the build context");
        }
        Found f = follow(comps, path);
        return f != null && f.attrs().isRegularFile() ? f.host() : null;
    }

    private boolean hidden(String real, boolean directory) {
        if (mode != Mode.CONTEXT || real.isEmpty()) {
            return false;
        }
        return ignore.excluded(real) && !(directory && ignore.hasExceptions());
    }

    private ContextEntry entry(String path, Path host, String real, BasicFileAttributes a) throws IOException {
        ContextEntry.Kind kind = a.isDirectory() ? ContextEntry.Kind.DIRECTORY
                : a.isSymbolicLink() ? ContextEntry.Kind.SYMLINK : ContextEntry.Kind.FILE;
        String link = kind == ContextEntry.Kind.SYMLINK ? Files.readSymbolicLink(host).toString() : null;
        long size = kind == ContextEntry.Kind.FILE ? a.size() : 0;
        if (mode == Mode.CONTEXT) {
            Meta m = meta.get(real);
            int defaultMode = kind == ContextEntry.Kind.DIRECTORY ? 0755 : kind == ContextEntry.Kind.SYMLINK ? 0777 : 0644;
            return new ContextEntry(path, host, kind, m != null ? m.mode() : defaultMode, 0, 0, size,
                    m != null ? m.mtime() : Instant.EPOCH, link);
        }
        int unixMode = (Integer) Files.getAttribute(host, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        int uid = (Integer) Files.getAttribute(host, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(host, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        FileTime t = a.lastModifiedTime();
        return new ContextEntry(path, host, kind, unixMode, uid, gid, size, t.toInstant(), link);
    }

    /**
     * Follows a path from the root, every symlink included; null when something is missing.
     * In a context a symlink that leads out is an error naming the source.
     */
    private Found follow(List<String> comps, String source) throws IOException {
        Deque<String> todo = new ArrayDeque<>(comps);
        List<String> real = new ArrayList<>();
        Path cur = root;
        BasicFileAttributes attrs = Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int hops = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (real.isEmpty()) {
                    if (mode == Mode.CONTEXT) {
                        throw new ImageException("the source '" + source + "' leads outside the build context");
                    }
                } else {
                    real.removeLast();
                    cur = cur.getParent();
                }
                attrs = Files.readAttributes(cur, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                continue;
            }
            if (!attrs.isDirectory()) {
                return null;
            }
            Path p = cur.resolve(c);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            }
            if (a.isSymbolicLink()) {
                if (++hops > MAX_HOPS) {
                    throw new ImageException("the source '" + source + "': too many levels of symbolic links");
                }
                String target = Files.readSymbolicLink(p).toString();
                if (target.startsWith("/")) {
                    if (mode == Mode.CONTEXT) {
                        throw new ImageException("the source '" + source + "' goes through the symlink '"
                                + String.join("/", plus(real, c)) + "' pointing outside the build context");
                    }
                    real.clear();
                    cur = root;
                    attrs = Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                }
                List<String> parts = List.of(target.split("/"));
                if (mode == Mode.CONTEXT && escapes(concat(real, parts))) {
                    throw new ImageException("the source '" + source + "' goes through the symlink '"
                            + String.join("/", plus(real, c)) + "' pointing outside the build context");
                }
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
                continue;
            }
            real.add(c);
            cur = p;
            attrs = a;
        }
        return new Found(cur, String.join("/", real), attrs);
    }

    private static List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }

    private static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (!c.isEmpty() && !c.equals(".")) {
                out.add(c);
            }
        }
        return out;
    }

    private static boolean escapes(List<String> comps) {
        int depth = 0;
        for (String c : comps) {
            if (c.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!c.isEmpty() && !c.equals(".")) {
                depth++;
            }
        }
        return false;
    }

    private static List<String> plus(List<String> l, String c) {
        List<String> out = new ArrayList<>(l);
        out.add(c);
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
