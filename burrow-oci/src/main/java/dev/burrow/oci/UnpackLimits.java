package dev.burrow.oci;

/**
 * What one image may cost to unpack, derived from the disk it will be written to. Every limit
 * is a named constant here; docs/images.md lists them.
 *
 * <p>The disk model approximates what {@code mkfs.ext4 -d} (e2fsprogs defaults: 4 KiB blocks,
 * 256-byte inodes, one inode per 16 KiB of disk, one per 4 KiB below 512 MiB) needs: file data
 * rounded up to whole blocks, one block per directory, one per symlink whose target does not fit
 * in the inode, a directory entry per name, and about 5 % of the disk for the file system's own
 * metadata (inode tables, journal, bitmaps). It errs on the side of refusing early rather than
 * letting mkfs run out of space.
 *
 * @param diskMiB the size of the disk the tree becomes
 */
public record UnpackLimits(long diskMiB) {
    /** The largest disk a version may have (SPEC §2 {@code resources.diskMiB}); named in messages. */
    public static final long MAX_DISK_MIB = 32768;
    /** The disk size used when a caller gives none (SPEC §2's default). */
    public static final long DEFAULT_DISK_MIB = 2048;
    /** The smallest disk {@link Ext4Image} builds. */
    public static final long MIN_DISK_MIB = 8;
    /** Tar entries per image, whatever the disk size. */
    public static final long MAX_ENTRIES = 1_000_000;
    /** One PAX extended header, GNU long name or GNU long link (Go's archive/tar uses the same). */
    public static final int MAX_HEADER_BYTES = 1024 * 1024;
    /** All header records read before one entry: PAX headers, long names and links, sparse maps. */
    public static final int MAX_HEADER_CHAIN_BYTES = 4 * MAX_HEADER_BYTES;
    /** An entry's path or hard-link target, in UTF-8 bytes (Linux PATH_MAX). */
    public static final int MAX_PATH_BYTES = 4096;
    /** One component of a path, in UTF-8 bytes (Linux NAME_MAX). */
    public static final int MAX_NAME_BYTES = 255;
    /** A symlink's target, in UTF-8 bytes (ext4 stores at most a block minus one). */
    public static final int MAX_SYMLINK_TARGET_BYTES = 4095;
    /** Extended attributes kept per entry; more are skipped with a warning. */
    public static final int MAX_XATTRS_PER_ENTRY = 32;
    /** Names plus values of the extended attributes kept per entry (they must fit one ext4 block). */
    public static final int MAX_XATTR_BYTES_PER_ENTRY = 3072;
    /** Entries in an image archive (oci-archive or docker-archive): its blobs and metadata files. */
    public static final int MAX_ARCHIVE_ENTRIES = 10_000;

    /** ext4's block size: data is allocated in these. */
    public static final long BLOCK_BYTES = 4096;
    /** mke2fs's default bytes-per-inode, and the one for file systems under 512 MiB. */
    private static final long BYTES_PER_INODE = 16384;
    private static final long SMALL_BYTES_PER_INODE = 4096;
    private static final long SMALL_FS_MIB = 512;
    /** Inodes ext4 reserves for itself (the first 11). */
    private static final long RESERVED_INODES = 11;
    /** Percent of the disk ext4's own metadata takes (measured ≤ 5.0 % at 1–32 GiB with e2fsprogs 1.47). */
    private static final long METADATA_PERCENT = 5;
    private static final long SMALL_METADATA_PERCENT = 15;
    private static final long MIB = 1024 * 1024;

    public static final UnpackLimits DEFAULT = new UnpackLimits(DEFAULT_DISK_MIB);

    public UnpackLimits {
        if (diskMiB < MIN_DISK_MIB) {
            throw new IllegalArgumentException("diskMiB < " + MIN_DISK_MIB + ": " + diskMiB);
        }
    }

    /** Inodes the disk has, minus ext4's reserved ones: files, directories and symlinks together. */
    public long inodes() {
        long ratio = diskMiB < SMALL_FS_MIB ? SMALL_BYTES_PER_INODE : BYTES_PER_INODE;
        return diskMiB * MIB / ratio - RESERVED_INODES;
    }

    /** Tar entries the image may have: as many as the disk has inodes, at most {@link #MAX_ENTRIES}. */
    public long maxEntries() {
        return Math.min(inodes(), MAX_ENTRIES);
    }

    /** Bytes the files, directories and symlinks may take on the disk. */
    public long capacityBytes() {
        long percent = diskMiB < SMALL_FS_MIB ? SMALL_METADATA_PERCENT : METADATA_PERCENT;
        return diskMiB * MIB / 100 * (100 - percent) - MIB;
    }

    /** What to do about a disk that is too small, for messages. */
    public String raiseAdvice() {
        return diskMiB >= MAX_DISK_MIB ? "that is the largest disk Burrow builds (resources.diskMiB max " + MAX_DISK_MIB + ")"
                : "raise resources.diskMiB (max " + MAX_DISK_MIB + ")";
    }
}
