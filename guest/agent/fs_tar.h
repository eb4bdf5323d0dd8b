/* The tar writer of the `read` builtin: a directory tree as a POSIX tar stream (ustar headers,
 * pax records for paths and link targets longer than 100 bytes and sizes of 8 GiB or more) on
 * stdout. Entries are named relative to the directory ("a", "a/b/", "a/c"); symlinks are stored
 * as symlinks, never followed; special files (devices, fifos, sockets) are skipped; the walk
 * does not descend into other mounts (their mount point is stored as an empty directory).
 * Entries that cannot be read are skipped with a warning on stderr (the stream stays valid). */
#ifndef BURROW_FS_TAR_H
#define BURROW_FS_TAR_H

#define TAR_MAX_DEPTH 256   /* deeper directories are stored empty, with a warning */
#define TAR_MAX_WARNINGS 64 /* warning lines on stderr; the rest are counted */

/* Writes the tree under the open directory dirfd (which it closes); path names it in
 * warnings. Returns a builtin exit code (fs_util.h). */
int fs_tar_dir(int dirfd, const char *path);

#endif
