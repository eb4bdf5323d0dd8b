package dev.burrow.oci;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One entry of a layer to write: what {@link OciLayoutWriter} puts in a layer tar. The name is
 * written exactly as given (so tests can write hostile names); contents come from bytes or a file.
 *
 * @param xattrs extended attributes, written as PAX {@code SCHILY.xattr.*} records (binary values
 *     that are not valid UTF-8 as {@code LIBARCHIVE.xattr.*} base64 records)
 * @param mtime modification time, or null for {@link OciLayoutWriter#FIXED_MTIME}
 */
public record TarEntrySpec(Type type, String name, int mode, long uid, long gid, byte[] content, Path source,
        String linkTarget, int devMajor, int devMinor, Map<String, byte[]> xattrs, Instant mtime) {

    public enum Type {
        DIRECTORY, FILE, SYMLINK, HARDLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO
    }

    public TarEntrySpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        xattrs = xattrs == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(xattrs));
    }

    public static TarEntrySpec dir(String name) {
        return new TarEntrySpec(Type.DIRECTORY, name, 0755, 0, 0, null, null, null, 0, 0, null, null);
    }

    public static TarEntrySpec file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    public static TarEntrySpec file(String name, byte[] content) {
        return new TarEntrySpec(Type.FILE, name, 0644, 0, 0, content, null, null, 0, 0, null, null);
    }

    /** A regular file whose bytes are read from {@code source} when the layer is written. */
    public static TarEntrySpec file(String name, Path source) {
        return new TarEntrySpec(Type.FILE, name, 0644, 0, 0, null, source, null, 0, 0, null, null);
    }

    public static TarEntrySpec symlink(String name, String target) {
        return new TarEntrySpec(Type.SYMLINK, name, 0777, 0, 0, null, null, target, 0, 0, null, null);
    }

    public static TarEntrySpec hardlink(String name, String target) {
        return new TarEntrySpec(Type.HARDLINK, name, 0644, 0, 0, null, null, target, 0, 0, null, null);
    }

    public static TarEntrySpec charDevice(String name, int major, int minor) {
        return new TarEntrySpec(Type.CHAR_DEVICE, name, 0666, 0, 0, null, null, null, major, minor, null, null);
    }

    public static TarEntrySpec blockDevice(String name, int major, int minor) {
        return new TarEntrySpec(Type.BLOCK_DEVICE, name, 0660, 0, 0, null, null, null, major, minor, null, null);
    }

    public static TarEntrySpec fifo(String name) {
        return new TarEntrySpec(Type.FIFO, name, 0644, 0, 0, null, null, null, 0, 0, null, null);
    }

    /** A whiteout hiding {@code path} of lower layers. */
    public static TarEntrySpec whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(name, new byte[0]);
    }

    /** Marks {@code dir} opaque: lower layers' contents of it are hidden. */
    public static TarEntrySpec opaque(String dir) {
        return file(dir.endsWith("/") ? dir + ".wh..wh..opq" : dir + "/.wh..wh..opq", new byte[0]);
    }

    public TarEntrySpec withMode(int m) {
        return new TarEntrySpec(type, name, m, uid, gid, content, source, linkTarget, devMajor, devMinor, xattrs, mtime);
    }

    public TarEntrySpec withOwner(long u, long g) {
        return new TarEntrySpec(type, name, mode, u, g, content, source, linkTarget, devMajor, devMinor, xattrs, mtime);
    }

    public TarEntrySpec withMtime(Instant t) {
        return new TarEntrySpec(type, name, mode, uid, gid, content, source, linkTarget, devMajor, devMinor, xattrs, t);
    }

    public TarEntrySpec withXattr(String key, byte[] value) {
        Map<String, byte[]> x = new TreeMap<>(xattrs);
        x.put(key, value);
        return new TarEntrySpec(type, name, mode, uid, gid, content, source, linkTarget, devMajor, devMinor, x, mtime);
    }

    public TarEntrySpec withXattr(String key, String value) {
        return withXattr(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
