/* The tar writer of the `read` builtin: a directory tree as a POSIX tar stream (ustar headers,
 * pax records for paths and link targets longer than 100 bytes and sizes of 8 GiB or more) on
 * stdout. Entries are named relative to the directory ("a", "a/b/", "a/c"); symlinks are stored
 * as symlinks, never followed; special files (devices, fifos, sockets) are skipped; the walk
 * does not descend into other mounts (their mount point is stored as an empty directory).
 * Entries that cannot be read are skipped with a warning on stderr (the stream stays valid). */
#ifndef BURROW_FS_TAR_H
#define BURROW_FS_TAR_H

#include <stddef.h>
#include <sys/stat.h>

#define TAR_MAX_DEPTH 256   /* deeper directories are stored empty, with a warning */
#define TAR_MAX_WARNINGS 64 /* warning lines on stderr; the rest are counted */

/* Writes the tree under the open directory dirfd (which it closes); path names it in
 * warnings. Returns a builtin exit code (fs_util.h). */
int fs_tar_dir(int dirfd, const char *path);

/* The pieces the layer builtins (fs_layer.h) share. fs_tar_header writes the header(s) of one
 * entry on the buffered stdout (fs_util.h): a pax header first when the name, link target,
 * size, uid or gid does not fit ustar, or when extra (ready-made pax records, extra_len bytes,
 * may be NULL) is given; uid, gid, mode (07777) and mtime (seconds) come from st. fs_tar_padding
 * pads data of size bytes to the block. Both return 0, or -1 with errno. */
int fs_tar_header(const char *name, const char *link, const struct stat *st,
                  unsigned long long size, char type, const char *extra, size_t extra_len);
int fs_tar_padding(unsigned long long size);

#endif
