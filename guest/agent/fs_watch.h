/* The `watch` builtin: inotify on a file or directory (and, recursive, every directory below
 * it, including ones created later), one NDJSON line per change on stdout until killed:
 *   {"op":"ready","path":ROOT,"isDir":B}       once, when the watches are in place
 *   {"op":"create"|"modify"|"delete","path":P,"isDir":B}
 *   {"op":"move","path":FROM,"to":TO,"isDir":B} a rename seen whole inside the watched tree
 *                                               (a move out reads as delete, a move in as create)
 *   {"op":"overflow","path":ROOT,"isDir":B}    the kernel queue overflowed: events were lost
 * Paths are absolute (ROOT joined with the names). The number of watches is bounded, and the
 * walk stays on ROOT's filesystem (a recursive watch of / does not walk /proc or /sys). */
#ifndef BURROW_FS_WATCH_H
#define BURROW_FS_WATCH_H

#define WATCH_MAX 8192            /* directories watched at most; more are warned about once */
#define WATCH_READ_BUF (64 * 1024)

int fs_watch(const char *path, int recursive);

#endif
