package dev.burrow.oci.internal;

import dev.burrow.oci.UnpackLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/** Applies a tar entry's ownership, mode, times and extended attributes to what was extracted. */
public final class EntryAttributes {
    private static final String SCHILY = "SCHILY.xattr.";
    private static final String LIBARCHIVE = "LIBARCHIVE.xattr.";
    /** Extended attribute bytes an ext4 inode of 256 bytes holds without a block of its own. */
    public static final int IN_INODE_XATTR_BYTES = 96;

    private final Consumer<String> warn;
    private final boolean root;
    private boolean chownFailed;

    public EntryAttributes(Consumer<String> warn, boolean runningAsRoot) {
        this.warn = warn;
        this.root = runningAsRoot;
    }

    /** Sets uid/gid on the path itself ({@code lchown}). Not root: recorded once as a warning. */
    public void owner(Path p, long uid, long gid) throws IOException {
        if (chownFailed || (root && uid == 0 && gid == 0)) {
            return; // we create files as root already
        }
        try {
            Files.setAttribute(p, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        } catch (FileSystemException e) {
            chownFailed = true;
            warn.accept("file ownership could not be applied (not running as root?): " + e.getMessage()
                    + "; files keep the builder's uid/gid");
        }
    }

    /** Sets the permission bits including setuid, setgid and sticky. Never used on symlinks. */
    public void mode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    public void mtime(Path p, FileTime mtime) throws IOException {
        if (mtime == null) {
            return;
        }
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(mtime, mtime, null);
        } catch (FileSystemException e) {
            // e.g. a symlink on a file system without lutimes: harmless
        }
    }

    /**
     * Applies the PAX xattr records ({@code SCHILY.xattr.*}, {@code LIBARCHIVE.xattr.*}): at most
     * {@link UnpackLimits#MAX_XATTRS_PER_ENTRY} of them and {@link UnpackLimits#MAX_XATTR_BYTES_PER_ENTRY}
     * bytes of names and values; the rest are skipped with a warning. Returns the bytes kept.
     */
    public int xattrs(Path p, TarArchiveEntry e, String where) {
        Map<String, String> pax = e.getExtraPaxHeaders();
        if (pax.isEmpty()) {
            return 0;
        }
        Map<String, byte[]> attrs = new TreeMap<>();
        for (Map.Entry<String, String> h : pax.entrySet()) {
            String key = h.getKey();
            if (key.startsWith(LIBARCHIVE)) {
                String name = java.net.URLDecoder.decode(key.substring(LIBARCHIVE.length()), StandardCharsets.UTF_8);
                try {
                    attrs.put(name, Base64.getDecoder().decode(h.getValue().trim()));
                } catch (IllegalArgumentException ex) {
                    warn.accept(where + ": xattr " + name + " has an invalid base64 value; skipped");
                }
            } else if (key.startsWith(SCHILY)) {
                String name = key.substring(SCHILY.length());
                String value = h.getValue();
                if (value.indexOf('\uFFFD') >= 0) {
                    warn.accept(where + ": xattr " + name + " has a binary value the tar reader cannot preserve; skipped");
                    continue;
                }
                attrs.putIfAbsent(name, value.getBytes(StandardCharsets.UTF_8));
            }
        }
        int kept = 0;
        int bytes = 0;
        for (Map.Entry<String, byte[]> a : attrs.entrySet()) {
            String name = a.getKey();
            if (!allowed(name)) {
                warn.accept(where + ": xattr " + name + " skipped (only user.*, trusted.* and security.capability are kept)");
                continue;
            }
            int size = name.getBytes(StandardCharsets.UTF_8).length + a.getValue().length;
            if (kept == UnpackLimits.MAX_XATTRS_PER_ENTRY || bytes + size > UnpackLimits.MAX_XATTR_BYTES_PER_ENTRY) {
                warn.accept(where + ": xattr " + name + " skipped: an entry keeps at most " + UnpackLimits.MAX_XATTRS_PER_ENTRY
                        + " extended attributes of " + UnpackLimits.MAX_XATTR_BYTES_PER_ENTRY + " bytes in all");
                continue;
            }
            try {
                Posix.lsetxattr(p, name, a.getValue());
                kept++;
                bytes += size;
            } catch (IOException ex) {
                warn.accept(where + ": xattr " + name + " could not be set: " + ex.getMessage());
            }
        }
        return bytes;
    }

    static boolean allowed(String name) {
        return name.startsWith("user.") || name.startsWith("trusted.") || name.equals("security.capability");
    }
}
