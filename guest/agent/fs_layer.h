/* Filesystem layers of a builder microVM (builtins `layer-mark`, `layer-diff`, `untar`; see
 * builtins.h for how a builtin runs and docs/PROTOCOL.md "Builtins" for the contract).
 *
 * layer-mark [ROOT [MARK]]  walks ROOT (default /) without leaving its filesystem and records,
 *                           per entry, its path and (dev, inode, mode, uid, gid, size, mtime ns,
 *                           ctime ns, nlink, hash of a symlink's target) in MARK (default
 *                           LAYER_MARK_PATH, on the /run tmpfs: not on the captured disk). Prints
 *                           {"entries":N}.
 * layer-diff [ROOT [MARK]]  walks again and writes on stdout an uncompressed OCI layer tar of what
 *                           changed since the mark: new and changed entries whole, a whiteout
 *                           `dir/.wh.name` per vanished path (one for a vanished directory, none
 *                           for its children). The order is the walk's (children sorted by name,
 *                           parents first), so the same change gives the same bytes. The last
 *                           line on stderr is {"entries":N,"whiteouts":W}; warnings before it
 *                           start with "burrow: ". Removes MARK at the end.
 * untar [ROOT]              applies an OCI layer tar (uncompressed) read on stdin to ROOT
 *                           (default /). Prints {"entries":N}.
 *
 * An entry counts as changed when its device, inode, ctime, mtime, size, mode, owner (or a
 * symlink's target) differ from the mark. ctime cannot be set from userspace (only by changing
 * the clock), so a RUN that restores a file's mtime with touch -d still changes its ctime.
 *
 * ROOT and MARK other than the defaults exist for the tests (guest/test/test_layer.c). */
#ifndef BURROW_FS_LAYER_H
#define BURROW_FS_LAYER_H

#define LAYER_MARK_DIR "/run/burrow"
#define LAYER_MARK_PATH LAYER_MARK_DIR "/layer.mark"
#define LAYER_MAX_ENTRIES 2000000          /* entries a mark or diff walks; beyond: fails */
#define LAYER_MAX_DEPTH 256                /* directory depth; beyond: fails */
#define LAYER_MAX_NAME_BYTES (64u << 20)   /* names of the directories on the walk's path, held to sort */
#define LAYER_MAX_HARDLINKS 65536          /* multiply linked files a diff remembers; beyond: copies */
#define LAYER_HARDLINK_PATH_BYTES (16u << 20) /* the remembered files' paths */
#define LAYER_MAX_WARNINGS 16              /* warning lines on stderr; the rest are counted */
#define LAYER_WARNING_BYTES 512            /* one warning line at most */
#define LAYER_XATTR_MAX 1024               /* the security.capability value kept */
#define UNTAR_PAX_MAX (1u << 20)           /* one pax extended header */
#define UNTAR_DIR_TIMES_BYTES (4u << 20)   /* paths of directories whose mtime is set at the end */

#define LAYER_CAP_XATTR "security.capability"
#define LAYER_PAX_XATTR_KEY "SCHILY.xattr." LAYER_CAP_XATTR

int layer_mark_main(int argc, char **argv);
int layer_diff_main(int argc, char **argv);
int untar_main(int argc, char **argv);

/* Shared by fs_layer.c and fs_untar.c: warnings on stderr, "burrow: OP: …" one line each of at
 * most LAYER_WARNING_BYTES, the first LAYER_MAX_WARNINGS of them; layer_warn_summary() counts the
 * rest. */
void layer_warn_as(const char *op);
void layer_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void layer_warn_summary(void);

#endif
