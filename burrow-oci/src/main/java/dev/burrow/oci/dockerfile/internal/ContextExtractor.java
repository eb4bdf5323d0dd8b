package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.Compression;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.oci.internal.BoundedTarInputStream;
import dev.burrow.oci.internal.Decompression;
import dev.burrow.oci.internal.Posix;
import dev.burrow.oci.internal.RootResolver;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Extracts a build context archive hostile-safe: names are checked (no absolute name, no
 * {@code ..}, bounded length), every parent is created or verified as a real directory with
 * {@code lstat} (an entry is never written through a symlink), files are created fresh without
 * following links, special files are refused, and entries and extracted bytes are counted.
 * Modes and mtimes the host keeps differently are returned as {@link TreeSource.Meta}.
 */
public final class ContextExtractor {
    private final Path dir;
    private final ContextLimits limits;
    private final Map<String, TreeSource.Meta> meta = new HashMap<>();
    private final byte[] buffer = new byte[64 * 1024];
    private long entries;
    private long bytes;

    public ContextExtractor(Path dir, ContextLimits limits) {
        this.dir = dir;
        this.limits = limits;
    }

    public Map<String, TreeSource.Meta> extract(Path archive) throws IOException {
        createRoot();
        try (BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(archive))) {
            raw.mark(8);
            byte[] magic = raw.readNBytes(4);
            raw.reset();
            if (magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && (magic[2] == 3 || magic[2] == 5)) {
                raw.close();
                extractZip(archive);
                return meta;
            }
            Compression c = Decompression.sniff(raw);
            try (InputStream in = Decompression.open(raw, c); BoundedTarInputStream tar = BoundedTarInputStream.of(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    String name = e.getName();
                    count(name);
                    Instant mtime = e.getLastModifiedTime() == null ? Instant.EPOCH : e.getLastModifiedTime().toInstant();
                    if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                        throw new ImageException("context entry '" + shorten(name)
                                + "' is a device node, FIFO or other special file; a build context holds only files, "
                                + "directories and symlinks");
                    } else if (e.isDirectory()) {
                        directory(name, e.getMode(), mtime);
                    } else if (e.isSymbolicLink()) {
                        symlink(name, e.getLinkName(), mtime);
                    } else if (e.isLink()) {
                        hardlink(name, e.getLinkName());
                    } else if (e.isFile()) {
                        file(name, e.getMode(), mtime, tar, e.getSize());
                    } else {
                        throw new ImageException("context entry '" + shorten(name)
                                + "' is a device node, FIFO or other special file; a build context holds only files, "
                                + "directories and symlinks");
                    }
                }
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException("the build context could not be extracted (is it a tar or zip archive?): " + e.getMessage(), e);
        }
        return meta;
    }

    private void extractZip(Path archive) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
            Enumeration<ZipArchiveEntry> all = zip.getEntriesInPhysicalOrder();
            while (all.hasMoreElements()) {
                ZipArchiveEntry e = all.nextElement();
                String name = e.getName();
                count(name);
                int unix = e.getUnixMode();
                Instant mtime = e.getLastModifiedTime() == null ? Instant.EPOCH : e.getLastModifiedTime().toInstant();
                if (e.isUnixSymlink()) {
                    String target;
                    try (InputStream in = zip.getInputStream(e)) {
                        byte[] t = in.readNBytes(limits.maxNameLength() + 1);
                        target = new String(t, StandardCharsets.UTF_8);
                    }
                    symlink(name, target, mtime);
                } else if (e.isDirectory()) {
                    directory(name, unix == 0 ? 0755 : unix, mtime);
                } else {
                    int type = unix & 0170000;
                    if (type != 0 && type != 0100000) {
                        throw new ImageException("context entry '" + shorten(name) + "' is a special file");
                    }
                    try (InputStream in = zip.getInputStream(e)) {
                        file(name, unix == 0 ? 0644 : unix, mtime, in, -1);
                    }
                }
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException("the build context could not be extracted as a zip archive: " + e.getMessage(), e);
        }
    }

    private void createRoot() throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory()) {
                throw new IOException(dir + " exists and is not a directory");
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                if (ds.iterator().hasNext()) {
                    throw new IOException(dir + " is not empty");
                }
            }
        } else {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setAttribute(dir, "unix:mode", 0700);
    }

    private void count(String name) throws ImageException {
        if (++entries > limits.maxEntries()) {
            throw new ImageException("the build context has more than " + limits.maxEntries() + " entries (at '"
                    + shorten(name) + "')");
        }
    }

    /** The components of a name; refused when absolute, too long or climbing with {@code ..}. */
    private List<String> components(String name) throws ImageException {
        if (name.length() > limits.maxNameLength()) {
            throw new ImageException("context entry '" + shorten(name) + "' has a name longer than "
                    + limits.maxNameLength() + " characters");
        }
        if (name.startsWith("/")) {
            throw new ImageException("context entry '" + shorten(name) + "' has an absolute name");
        }
        if (name.indexOf('\0') >= 0) {
            throw new ImageException("context entry '" + shorten(name) + "' has a NUL in its name");
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new ImageException("context entry '" + shorten(name) + "' has a '..' component");
            }
            out.add(c);
        }
        if (out.size() > TreeSource.MAX_DEPTH) {
            throw new ImageException("context entry '" + shorten(name) + "' is more than " + TreeSource.MAX_DEPTH
                    + " directories deep");
        }
        return out;
    }

    /** The real parent directory of the entry, creating missing ones; never through a symlink. */
    private Path parent(List<String> comps, String name) throws IOException {
        Path cur = dir;
        for (int i = 0; i < comps.size() - 1; i++) {
            Path p = cur.resolve(comps.get(i));
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                Files.createDirectory(p);
                Files.setAttribute(p, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
            } else if (a.isSymbolicLink()) {
                throw new ImageException("context entry '" + shorten(name) + "' would be written through the symlink '"
                        + String.join("/", comps.subList(0, i + 1)) + "'");
            } else if (!a.isDirectory()) {
                throw new ImageException("context entry '" + shorten(name) + "': '"
                        + String.join("/", comps.subList(0, i + 1)) + "' is not a directory");
            }
            cur = p;
        }
        return cur;
    }

    private Path prepare(String name, List<String> comps, boolean keepDirectory) throws IOException {
        Path target = parent(comps, name).resolve(comps.getLast());
        BasicFileAttributes a = lstat(target);
        if (a != null) {
            if (a.isDirectory()) {
                if (keepDirectory) {
                    return target;
                }
                throw new ImageException("context entry '" + shorten(name) + "' would replace a directory");
            }
            Files.delete(target);
        }
        return target;
    }

    private void directory(String name, int mode, Instant mtime) throws IOException {
        List<String> comps = components(name);
        if (comps.isEmpty()) {
            return;
        }
        Path p = prepare(name, comps, true);
        if (lstat(p) == null) {
            Files.createDirectory(p);
        }
        Files.setAttribute(p, "unix:mode", (mode & 0777) | 0700, LinkOption.NOFOLLOW_LINKS);
        meta.put(String.join("/", comps), new TreeSource.Meta(mode & 07777, mtime));
    }

    private void file(String name, int mode, Instant mtime, InputStream in, long declared) throws IOException {
        List<String> comps = components(name);
        if (comps.isEmpty()) {
            throw new ImageException("context entry '" + shorten(name) + "' is a file without a name");
        }
        if (declared > limits.maxTotalBytes() - bytes) {
            throw tooBig(name);
        }
        Path p = prepare(name, comps, false);
        try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                bytes += n;
                if (bytes > limits.maxTotalBytes()) {
                    throw tooBig(name);
                }
                out.write(buffer, 0, n);
            }
        }
        Files.setAttribute(p, "unix:mode", (mode & 0777) | 0600, LinkOption.NOFOLLOW_LINKS);
        meta.put(String.join("/", comps), new TreeSource.Meta(mode & 07777, mtime));
    }

    private void symlink(String name, String target, Instant mtime) throws IOException {
        List<String> comps = components(name);
        if (comps.isEmpty()) {
            throw new ImageException("context entry '" + shorten(name) + "' is a symlink without a name");
        }
        if (target.isEmpty() || target.length() > limits.maxNameLength() || target.indexOf('\0') >= 0) {
            throw new ImageException("context entry '" + shorten(name) + "' has an empty, over-long or NUL symlink target");
        }
        Path p = prepare(name, comps, false);
        Posix.symlink(target, p);
        meta.put(String.join("/", comps), new TreeSource.Meta(0777, mtime));
    }

    private void hardlink(String name, String target) throws IOException {
        List<String> comps = components(name);
        List<String> targetComps = components(target);
        if (comps.isEmpty() || targetComps.isEmpty() || comps.equals(targetComps)) {
            throw new ImageException("context entry '" + shorten(name) + "' is a hard link without a name or target, or to itself");
        }
        Path src = dir;
        for (int i = 0; i < targetComps.size(); i++) {
            src = src.resolve(targetComps.get(i));
            BasicFileAttributes a = lstat(src);
            boolean last = i == targetComps.size() - 1;
            if (a == null || (last ? !a.isRegularFile() : !a.isDirectory())) {
                throw new ImageException("context entry '" + shorten(name) + "' is a hard link to '" + shorten(target)
                        + "', which is not a regular file extracted before it");
            }
        }
        long size = Files.size(src);
        if (size > limits.maxTotalBytes() - bytes) {
            throw tooBig(name);
        }
        bytes += size;
        Path p = prepare(name, comps, false);
        Files.createLink(p, src);
        TreeSource.Meta m = meta.get(String.join("/", targetComps));
        meta.put(String.join("/", comps), m != null ? m : new TreeSource.Meta(0644, Instant.EPOCH));
    }

    private ImageException tooBig(String name) {
        return new ImageException("the build context is larger than the limit of " + limits.maxTotalBytes()
                + " bytes (at '" + shorten(name) + "')");
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        return RootResolver.lstat(p);
    }

    private static String shorten(String s) {
        return s.length() <= 100 ? s : s.substring(0, 80) + "…" + s.substring(s.length() - 16);
    }
}
