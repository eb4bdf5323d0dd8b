/* Shared pieces of the file builtins (builtins.c, fs_tar.c, fs_watch.c): a bounded output
 * buffer on stdout, JSON string writing for names that are arbitrary bytes, and the one error
 * idiom (a line on stderr, an exit code per errno class).
 *
 * Exit codes (the daemon maps them to HTTP statuses; docs/files.md lists them):
 *   0  done                      10 other error        -> 500
 *   11 not found      -> 404     12 permission denied  -> 403
 *   13 wrong type     -> 409     14 already exists     -> 409
 *   15 no space       -> 507     16 bad argument       -> 400
 * A name the agent does not know exits 127 (see builtins.h). */
#ifndef BURROW_FS_UTIL_H
#define BURROW_FS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define FS_EXIT_OK 0
#define FS_EXIT_OTHER 10
#define FS_EXIT_NOT_FOUND 11
#define FS_EXIT_PERMISSION 12
#define FS_EXIT_WRONG_TYPE 13
#define FS_EXIT_EXISTS 14
#define FS_EXIT_NO_SPACE 15
#define FS_EXIT_USAGE 16

#define FS_PATH_MAX 4096          /* longest path a builtin accepts or builds */
#define FS_OUT_BUF (64 * 1024)    /* stdout buffer */
#define FS_COPY_BUF (128 * 1024)  /* file copy buffer */

/* The exit code for an errno value. */
int fs_exit_for(int err);
/* Writes "burrow: OP PATH: strerror(err)" on stderr and returns fs_exit_for(err). */
int fs_fail(const char *op, const char *path, int err);
/* Writes "burrow: OP: MSG" on stderr and returns code. */
int fs_fail_msg(const char *op, const char *msg, int code);

/* Writes all of buf to fd, retrying on EINTR and short writes; -1 with errno on failure. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Buffered stdout. Every function returns 0, or -1 with errno once a write failed; after a
 * failure the buffer stays failed. */
int out_bytes(const void *p, size_t n);
int out_str(const char *s);
int out_flush(void);
int out_failed(void);

/* JSON: writes "key": as the start of a member, prefixed by ',' unless first. */
int out_json_key(const char *key, int first);
/* Writes bytes as one JSON string: escapes quotes, backslashes and control characters; each
 * byte of invalid UTF-8 becomes U+FFFD. Sets *lossy when any byte was replaced. */
int out_json_string(const uint8_t *p, size_t n, int *lossy);
/* Writes bytes as one JSON string of standard base64 with padding. */
int out_json_base64(const uint8_t *p, size_t n);
/* Writes "key":"…" (after a ',' unless first) and, when the bytes were not valid UTF-8,
 * ,"keyBytes":"base64" with the exact bytes. */
int out_json_name(const char *key, const char *bytes, int first);

/* Writes the stat members (type, size, mode, modifiedAt, and linkTarget for symlinks; no
 * braces) of an entry that lstat() described; dirfd/name let it read a symlink's target. */
int out_json_stat(const struct stat *st, int dirfd, const char *name);

/* "file", "dir", "symlink" or "other". */
const char *fs_type_name(mode_t mode);

#endif
