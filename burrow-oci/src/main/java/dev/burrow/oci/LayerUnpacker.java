package dev.burrow.oci;

import dev.burrow.oci.internal.BoundedTarInputStream;
import dev.burrow.oci.internal.Decompression;
import dev.burrow.oci.internal.DiskBudget;
import dev.burrow.oci.internal.EntryAttributes;
import dev.burrow.oci.internal.EntryName;
import dev.burrow.oci.internal.HashingInputStream;
import dev.burrow.oci.internal.Posix;
import dev.burrow.oci.internal.RootResolver;
import dev.burrow.oci.internal.RootResolver.Dotdot;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Applies image layers, lowest first, to a staging directory that becomes the root file system.
 *
 * <p>Nothing is ever written outside the staging root: every entry's parent directories are
 * resolved inside the root by {@link RootResolver} (symlinks interpreted as the guest would, never
 * followed by the host), the final component is handled without following links, entries named
 * with {@code ..} fail, and hard links must point at something inside the root. Device nodes and
 * FIFOs are skipped with a warning (the guest's devtmpfs provides {@code /dev}).
 *
 * <p>Nothing is ever bigger than the disk it becomes: a {@link DiskBudget} counts what the tree
 * will take on ext4 as it is written and fails the moment it exceeds the {@link UnpackLimits}; the
 * tar reader refuses oversized header records before reading them, and names, symlink targets
 * and extended attributes are length-capped.
 *
 * <p>Not thread-safe; one instance per build. Call {@link #finish()} after the last layer.
 */
public final class LayerUnpacker {
    private static final int BUFFER = 128 * 1024;

    /** What applying one layer did. */
    public record LayerStats(Digest layer, Compression compression, long entries, long bytesWritten, Duration took) {
    }

    private final Path root;
    private final RootResolver resolver;
    private final BuildLog log;
    private final EntryAttributes attributes;
    private final DiskBudget budget;
    private final Map<Path, FileTime> directoryTimes = new HashMap<>();
    private Set<Path> thisLayer = new HashSet<>();
    private String layerName = "layer";
    private String base = ""; // the last component of the entry being applied
    private long bytesWritten;

    /** Creates the staging root (mode 0700) if it does not exist; it must be a real directory. */
    public LayerUnpacker(Path stagingRoot, BuildLog log) throws IOException {
        this(stagingRoot, log, UnpackLimits.DEFAULT);
    }

    /** As {@link #LayerUnpacker(Path, BuildLog)}, for a disk of {@code limits.diskMiB()}. */
    public LayerUnpacker(Path stagingRoot, BuildLog log, UnpackLimits limits) throws IOException {
        this.budget = new DiskBudget(Objects.requireNonNull(limits, "limits"));
        this.root = createStaging(stagingRoot);
        this.resolver = new RootResolver(root);
        this.log = Objects.requireNonNull(log, "log");
        int uid = (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        this.attributes = new EntryAttributes(log::warn, uid == 0);
    }

    /** Creates (or checks) a staging directory: a real directory, mode 0700. */
    public static Path createStaging(Path stagingRoot) throws IOException {
        Path root = stagingRoot.toAbsolutePath().normalize();
        BasicFileAttributes a = RootResolver.lstat(root);
        if (a == null) {
            Files.createDirectories(root.getParent());
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else if (!a.isDirectory()) {
            throw new ImageException("the staging directory is not a directory");
        }
        Files.setAttribute(root, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
        return root.toRealPath();
    }

    /**
     * Deletes a staging tree, whatever modes its layers gave its directories. Never follows a
     * symlink; quiet when nothing is there.
     */
    public static void discard(Path stagingRoot) throws IOException {
        if (RootResolver.lstat(stagingRoot) == null) {
            return;
        }
        Files.walkFileTree(stagingRoot, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.setAttribute(d, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    public Path root() {
        return root;
    }

    /** What the tree written so far takes on the disk, by the {@link DiskBudget} model. */
    public long diskBytes() {
        return budget.bytes();
    }

    /**
     * Applies one layer read from {@code raw} (the layer blob as stored, possibly compressed).
     * The blob's size and digest, and its uncompressed digest when the layer has a diffId, are
     * verified; a mismatch fails the build (what was already written stays in staging, which the
     * caller discards).
     */
    public LayerStats apply(Layer layer, InputStream raw) throws IOException {
        long start = System.nanoTime();
        layerName = "layer " + layer.digest();
        thisLayer = new HashSet<>();
        long before = bytesWritten;
        HashingInputStream compressed = new HashingInputStream(raw);
        BufferedInputStream buffered = new BufferedInputStream(compressed, BUFFER);
        Compression compression;
        HashingInputStream plain;
        try {
            compression = Decompression.sniff(buffered);
            plain = new HashingInputStream(Decompression.open(buffered, compression));
        } catch (ImageException e) {
            throw new ImageException(layerName + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw corrupt(e);
        }
        BoundedTarInputStream tar = BoundedTarInputStream.of(plain);
        long entries = 0;
        TarArchiveEntry e;
        while ((e = next(tar)) != null) {
            entries++;
            budget.entry();
            try {
                apply(e, tar);
            } catch (ImageException ex) {
                throw ex;
            } catch (java.nio.file.FileSystemException ex) {
                String reason = ex.getReason() == null ? ex.toString() : ex.getReason();
                if (reason.contains("File name too long") || reason.contains("Invalid argument")) {
                    throw new ImageException(layerName + " entry '" + shorten(e.getName()) + "' cannot be created: " + reason, ex);
                }
                throw new IOException(layerName + ": extracting '" + shorten(e.getName()) + "' failed: " + reason, ex);
            }
        }
        try {
            plain.drain();
            compressed.drain();
        } catch (IOException ex) {
            throw corrupt(ex);
        }
        verify(layer, compressed, plain);
        LayerStats stats = new LayerStats(layer.digest(), compression, entries, bytesWritten - before,
                Duration.ofNanos(System.nanoTime() - start));
        thisLayer = new HashSet<>();
        return stats;
    }

    /** Sets directory modification times, which extracting children disturbed. */
    public void finish() throws IOException {
        for (Map.Entry<Path, FileTime> d : directoryTimes.entrySet()) {
            BasicFileAttributes a = RootResolver.lstat(d.getKey());
            if (a != null && a.isDirectory()) {
                attributes.mtime(d.getKey(), d.getValue());
            }
        }
        directoryTimes.clear();
    }

    private void verify(Layer layer, HashingInputStream compressed, HashingInputStream plain) throws ImageException {
        if (compressed.count() != layer.size()) {
            throw new ImageException(layerName + " is " + compressed.count() + " bytes but the manifest says " + layer.size());
        }
        Digest actual = compressed.digest();
        if (!actual.equals(layer.digest())) {
            throw new ImageException(layerName + " does not match its digest (got " + actual + ")");
        }
        if (layer.diffId() != null) {
            Digest diff = plain.digest();
            if (!diff.equals(layer.diffId())) {
                throw new ImageException(layerName + ": its uncompressed content " + diff
                        + " does not match the config's rootfs.diff_ids entry " + layer.diffId());
            }
        }
    }

    private TarArchiveEntry next(BoundedTarInputStream tar) throws ImageException {
        try {
            return tar.getNextEntry();
        } catch (ImageException e) {
            throw new ImageException(layerName + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw corrupt(e);
        }
    }

    private ImageException corrupt(IOException e) {
        String what = e instanceof java.io.EOFException ? "unexpected end of data"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ImageException(layerName + " is corrupt or truncated: " + what, e);
    }

    private void apply(TarArchiveEntry e, BoundedTarInputStream tar) throws IOException {
        String name = e.getName();
        checkLength(name, "name", UnpackLimits.MAX_PATH_BYTES);
        List<String> parts = EntryName.components(name);
        if (parts == null) {
            throw new ImageException(layerName + " entry '" + name + "' "
                    + (EntryName.escapesLexically(name) ? "escapes the image root" : "has a '..' component"));
        }
        if (parts.isEmpty()) {
            return; // the root directory itself: its owner and mode are set by mkfs
        }
        for (String part : parts) {
            if (part.length() > UnpackLimits.MAX_NAME_BYTES / 3 && utf8(part) > UnpackLimits.MAX_NAME_BYTES) {
                throw new ImageException(layerName + " entry '" + shorten(name) + "' has a component of " + utf8(part)
                        + " bytes; a file name is at most " + UnpackLimits.MAX_NAME_BYTES + " bytes");
            }
        }
        base = parts.getLast();
        List<String> parent = parts.subList(0, parts.size() - 1);
        if (base.startsWith(".wh.")) {
            whiteout(parent, base, name);
            return;
        }
        if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            String kind = e.isFIFO() ? "FIFO" : e.isCharacterDevice() ? "character device" : "block device";
            log.warn("skipped " + kind + " /" + String.join("/", parts) + " in " + layerName
                    + " (device nodes are not created; the guest's devtmpfs provides /dev)");
            return;
        }
        Path dir = resolver.resolveDirectory(parent, this::created, Dotdot.CLAMP, name);
        Path target = resolver.child(dir, base, name);
        if (e.isDirectory()) {
            directory(e, target);
        } else if (e.isSymbolicLink()) {
            symlink(e, target);
        } else if (e.isLink()) {
            hardLink(e, target, name);
        } else if (isRegular(e)) {
            regularFile(e, tar, target);
        } else {
            log.warn("skipped /" + String.join("/", parts) + " in " + layerName + ": unsupported tar entry type '"
                    + (char) e.getLinkFlag() + "'");
            return;
        }
        thisLayer.add(target);
    }

    /** A directory the resolver created for an entry whose parents were missing. */
    private void created(Path dir) throws ImageException {
        thisLayer.add(dir);
        budget.addDirectory(dir.getFileName().toString());
    }

    private void checkLength(String value, String what, int max) throws ImageException {
        if (value != null && value.length() > max / 3 && utf8(value) > max) {
            throw new ImageException(layerName + ": an entry's " + what + " is " + utf8(value) + " bytes ('"
                    + shorten(value) + "'); the limit is " + max + " bytes");
        }
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 60) + "…" + s.substring(s.length() - 16);
    }

    private static boolean isRegular(TarArchiveEntry e) {
        byte f = e.getLinkFlag();
        return f == TarConstants.LF_NORMAL || f == TarConstants.LF_OLDNORM || f == TarConstants.LF_CONTIG
                || e.isSparse();
    }

    private void directory(TarArchiveEntry e, Path target) throws IOException {
        BasicFileAttributes a = RootResolver.lstat(target);
        if (a != null && !a.isDirectory()) {
            removeAll(target);
            a = null;
        }
        if (a == null) {
            budget.addDirectory(base);
            Files.createDirectory(target);
        }
        attributes.owner(target, e.getLongUserId(), e.getLongGroupId());
        attributes.mode(target, e.getMode());
        xattrs(target, e);
        directoryTimes.put(target, e.getLastModifiedTime());
    }

    private void regularFile(TarArchiveEntry e, BoundedTarInputStream tar, Path target) throws IOException {
        removeAll(target);
        budget.addInode(base, 0);
        long size = 0;
        byte[] buf = new byte[BUFFER];
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            while (true) {
                int n;
                try {
                    n = tar.read(buf);
                } catch (IOException ex) {
                    throw corrupt(ex);
                }
                if (n < 0) {
                    break;
                }
                budget.grow(size, size + n);
                size += n;
                out.write(buf, 0, n);
                bytesWritten += n;
            }
        }
        attributes.owner(target, e.getLongUserId(), e.getLongGroupId());
        attributes.mode(target, e.getMode());
        xattrs(target, e);
        attributes.mtime(target, e.getLastModifiedTime());
    }

    private void symlink(TarArchiveEntry e, Path target) throws IOException {
        removeAll(target);
        String linkText = e.getLinkName();
        if (linkText == null || linkText.isEmpty()) {
            log.warn("skipped symlink " + where(target) + ": it has an empty target");
            return;
        }
        checkLength(linkText, "symlink target", UnpackLimits.MAX_SYMLINK_TARGET_BYTES);
        budget.addInode(base, DiskBudget.symlinkBlocks(utf8(linkText)));
        Posix.symlink(linkText, target);
        attributes.owner(target, e.getLongUserId(), e.getLongGroupId());
        xattrs(target, e);
        attributes.mtime(target, e.getLastModifiedTime());
    }

    private void hardLink(TarArchiveEntry e, Path target, String name) throws IOException {
        String linkName = e.getLinkName();
        checkLength(linkName, "hard link target", UnpackLimits.MAX_PATH_BYTES);
        List<String> parts = EntryName.components(linkName);
        if (parts == null || parts.isEmpty()) {
            String why = parts == null && !EntryName.escapesLexically(linkName) ? "has a '..' component"
                    : parts == null ? "is outside the image root" : "is the image root";
            throw new ImageException(layerName + ": hard link '" + name + "' -> '" + linkName + "': the target " + why);
        }
        Path existing;
        try {
            Path dir = resolver.resolveDirectory(parts.subList(0, parts.size() - 1), null, Dotdot.REJECT, linkName);
            existing = dir == null ? null : resolver.child(dir, parts.getLast(), linkName);
        } catch (ImageException ex) {
            throw new ImageException(layerName + ": hard link '" + name + "' -> '" + linkName + "': " + ex.getMessage(), ex);
        }
        BasicFileAttributes a = existing == null ? null : RootResolver.lstat(existing);
        if (a == null) {
            throw new ImageException(layerName + ": hard link '" + name + "' -> '" + linkName
                    + "': the target does not exist in the image");
        }
        if (a.isDirectory()) {
            log.warn("skipped hard link " + where(target) + " -> '" + linkName + "': it points to a directory");
            return;
        }
        if (existing.equals(target)) {
            return;
        }
        removeAll(target);
        budget.addLink(base);
        Files.createLink(target, existing); // link(2) does not follow a symlink target on Linux
    }

    private void whiteout(List<String> parent, String base, String name) throws IOException {
        if (base.equals(".wh..wh..opq")) {
            Path dir = resolver.resolveDirectory(parent, this::created, Dotdot.CLAMP, name);
            thisLayer.add(dir);
            clearLowerContents(dir);
            return;
        }
        if (base.startsWith(".wh..wh.")) {
            log.warn("skipped " + name + " in " + layerName + " (AUFS metadata)");
            return;
        }
        String victim = base.substring(".wh.".length());
        if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
            throw new ImageException(layerName + " entry '" + name + "' is not a valid whiteout");
        }
        Path dir = resolver.resolveDirectory(parent, null, Dotdot.CLAMP, name);
        if (dir == null) {
            return; // nothing below to hide
        }
        Path p = resolver.child(dir, victim, name);
        if (!thisLayer.contains(p)) {
            removeAll(p); // a whiteout hides lower layers only
        }
    }

    /** Removes everything under {@code dir} that this layer did not write. */
    private void clearLowerContents(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(dir) && !thisLayer.contains(d)) {
                    removeAll(d);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (!thisLayer.contains(f)) {
                    delete(f, attrs);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes a path and, for a directory, everything under it. Never follows a symlink. */
    private void removeAll(Path p) throws IOException {
        BasicFileAttributes a = RootResolver.lstat(p);
        if (a == null) {
            return;
        }
        if (!a.isDirectory()) {
            delete(p, a);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                delete(f, attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                budget.release(d.getFileName().toString(), true, UnpackLimits.BLOCK_BYTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes a file or symlink and gives its disk cost back. */
    private void delete(Path f, BasicFileAttributes a) throws IOException {
        boolean lastLink = a.isSymbolicLink() || (Integer) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS) <= 1;
        Files.delete(f);
        long blocks = a.isSymbolicLink() ? DiskBudget.symlinkBlocks(a.size()) : a.isRegularFile() ? DiskBudget.blocks(a.size()) : 0;
        budget.release(f.getFileName().toString(), lastLink, blocks);
    }

    /** Applies the entry's extended attributes; ones that need a block of their own are counted. */
    private void xattrs(Path target, TarArchiveEntry e) throws IOException {
        if (attributes.xattrs(target, e, where(target)) > EntryAttributes.IN_INODE_XATTR_BYTES) {
            budget.charge(UnpackLimits.BLOCK_BYTES);
        }
    }

    private String where(Path p) {
        return "/" + root.relativize(p) + " (" + layerName + ")";
    }
}
