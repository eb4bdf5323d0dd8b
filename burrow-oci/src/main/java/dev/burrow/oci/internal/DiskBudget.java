package dev.burrow.oci.internal;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.UnpackLimits;
import java.nio.charset.StandardCharsets;

/**
 * Counts what the unpacked tree will take on its ext4 disk as entries are written, and fails the
 * moment it would not fit: data in whole blocks, a block per directory and per slow symlink, a
 * directory entry per name, an inode per file, directory and symlink. Removing a path (a
 * whiteout, an overwrite) gives its cost back, so the count follows the tree, not the layers.
 */
public final class DiskBudget {
    /** Longest symlink target ext4 keeps inside the inode (a "fast" symlink, no block). */
    static final int FAST_SYMLINK_BYTES = 59;
    /** A directory entry: 8 bytes of header plus the name, padded to 4 bytes. */
    private static final int DIRENT_HEADER_BYTES = 8;

    private final UnpackLimits limits;
    private final long capacity;
    private final long inodeLimit;
    private final long entryLimit;
    private long bytes;
    private long inodes;
    private long entries;

    public DiskBudget(UnpackLimits limits) {
        this.limits = limits;
        this.capacity = limits.capacityBytes();
        this.inodeLimit = limits.inodes();
        this.entryLimit = limits.maxEntries();
    }

    public UnpackLimits limits() {
        return limits;
    }

    /** Bytes counted so far. */
    public long bytes() {
        return bytes;
    }

    public long inodes() {
        return inodes;
    }

    /** Counts one tar entry of the image. */
    public void entry() throws ImageException {
        if (++entries > entryLimit) {
            throw new ImageException(entries <= UnpackLimits.MAX_ENTRIES
                    ? "the image has more than " + limits.maxEntries() + " entries, as many as a " + limits.diskMiB()
                            + " MiB disk has inodes; " + limits.raiseAdvice()
                    : "the image has more than " + UnpackLimits.MAX_ENTRIES + " entries, the most Burrow unpacks");
        }
    }

    /** Whole blocks for {@code size} bytes of data. */
    public static long blocks(long size) {
        return (size + UnpackLimits.BLOCK_BYTES - 1) / UnpackLimits.BLOCK_BYTES * UnpackLimits.BLOCK_BYTES;
    }

    /** What a name costs in its directory. */
    public static long dirent(String name) {
        int n = ascii(name) ? name.length() : name.getBytes(StandardCharsets.UTF_8).length;
        return DIRENT_HEADER_BYTES + (n + 3) / 4 * 4;
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** What a symlink with a target of {@code targetBytes} costs beyond its inode. */
    public static long symlinkBlocks(long targetBytes) {
        return targetBytes > FAST_SYMLINK_BYTES ? UnpackLimits.BLOCK_BYTES : 0;
    }

    /** A new inode (file, directory, symlink) named {@code name}, with {@code extra} bytes of blocks. */
    public void addInode(String name, long extra) throws ImageException {
        inodes++;
        charge(dirent(name) + extra);
        if (inodes > inodeLimit) {
            throw new ImageException("the image's files need more than the " + inodeLimit + " inodes of a "
                    + limits.diskMiB() + " MiB disk; " + limits.raiseAdvice());
        }
    }

    /** A new directory named {@code name}: an inode and its first block. */
    public void addDirectory(String name) throws ImageException {
        addInode(name, UnpackLimits.BLOCK_BYTES);
    }

    /** A hard link: a name only. */
    public void addLink(String name) throws ImageException {
        charge(dirent(name));
    }

    /** A file grew from {@code from} to {@code to} bytes of data. */
    public void grow(long from, long to) throws ImageException {
        charge(blocks(to) - blocks(from));
    }

    /** Extra bytes (an xattr block). */
    public void charge(long n) throws ImageException {
        bytes += n;
        if (bytes > capacity) {
            throw new ImageException("the image's files need more than " + limits.diskMiB() + " MiB; "
                    + limits.raiseAdvice());
        }
    }

    /** A removed path gives back its name, and its inode and blocks when it was the last link. */
    public void release(String name, boolean lastLink, long blockBytes) {
        bytes -= dirent(name);
        if (lastLink) {
            inodes--;
            bytes -= blockBytes;
        }
    }
}
