package dev.burrow.vmm.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Owners and modes of the files a jailed VMM reaches. What a VMM writes is its own (its uid,
 * 0600, directories 0700); what it only reads belongs to root and the instance's VMM group
 * (0640), group-writable (0660) only where an old QEMU insists on opening it for writing.
 * Each change is made only when the file differs, so a file shared by many launches is not
 * rewritten (nor its ctime touched) on every one.
 */
public final class JailFiles {

    static final Set<PosixFilePermission> OWN_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWN_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> SHARED = PosixFilePermissions.fromString("rw-r-----");
    static final Set<PosixFilePermission> SHARED_WRITABLE = PosixFilePermissions.fromString("rw-rw----");
    private static final long ROOT = 0;

    private JailFiles() {}

    /** {@code path} becomes the VMM's: its uid and gid, 0600 (a directory 0700). */
    public static void own(Path path, JailIds.Ids ids) throws IOException {
        boolean dir = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
        set(path, ids.uid(), ids.gid(), dir ? OWN_DIR : OWN_FILE);
    }

    /** {@code path} becomes readable by the instance's VMMs: root, the VMM group, 0640 (0660 when {@code groupWritable}). */
    public static void share(Path path, long group, boolean groupWritable) throws IOException {
        set(path, ROOT, group, groupWritable ? SHARED_WRITABLE : SHARED);
    }

    private static void set(Path path, long uid, long gid, Set<PosixFilePermission> mode) throws IOException {
        if (((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue() != uid
                || ((Number) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue() != gid) {
            Files.setAttribute(path, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
        }
        if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
            Files.setPosixFilePermissions(path, mode);
        }
    }
}
