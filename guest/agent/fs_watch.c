/* The `watch` builtin; see fs_watch.h. */
#include "fs_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"

#define WATCH_MASK                                                                             \
    (IN_CREATE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |         \
     IN_DONT_FOLLOW)

struct watched {
    int wd;
    char *path; /* malloc'd, at most FS_PATH_MAX bytes */
};

static struct watched table[WATCH_MAX];
static int nwatched;
static int ifd;
static int recursive_mode;
static int limit_warned;
static int root_wd = -1;
static int root_is_dir;
static dev_t root_dev; /* directories on other filesystems (/proc, /sys, mounts) are not walked */

static struct watched *find(int wd)
{
    for (int i = 0; i < nwatched; i++)
        if (table[i].wd == wd)
            return &table[i];
    return NULL;
}

static void forget(int wd)
{
    struct watched *w = find(wd);
    if (!w)
        return;
    free(w->path);
    *w = table[--nwatched];
}

static int emit(const char *op, const char *path, const char *to, int is_dir)
{
    if (out_str("{\"op\":\"") < 0 || out_str(op) < 0 || out_str("\"") < 0)
        return -1;
    if (path && out_json_name("path", path, 0) < 0)
        return -1;
    if (to && out_json_name("to", to, 0) < 0)
        return -1;
    if (is_dir >= 0 && out_str(is_dir ? ",\"isDir\":true" : ",\"isDir\":false") < 0)
        return -1;
    return out_str("}\n");
}

/* Joins dir and name into buf (FS_PATH_MAX + 1 bytes); -1 when too long. */
static int join(char *buf, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int slash = dl > 0 && dir[dl - 1] != '/';
    if (dl + (size_t)slash + nl > FS_PATH_MAX)
        return -1;
    memcpy(buf, dir, dl);
    if (slash)
        buf[dl++] = '/';
    memcpy(buf + dl, name, nl + 1);
    return 0;
}

static int add_watch(const char *path)
{
    if (nwatched >= WATCH_MAX) {
        if (!limit_warned) {
            limit_warned = 1;
            char msg[64];
            snprintf(msg, sizeof msg, "more than %d directories: the rest are not watched",
                     WATCH_MAX);
            fs_fail_msg("watch", msg, 0);
        }
        return -1;
    }
    int wd = inotify_add_watch(ifd, path, WATCH_MASK);
    if (wd < 0)
        return -1;
    struct watched *w = find(wd);
    if (w) /* the same directory again (a move inside the tree): keep the newest path */
        free(w->path);
    else
        w = &table[nwatched++];
    w->wd = wd;
    w->path = strdup(path);
    if (!w->path) {
        inotify_rm_watch(ifd, wd);
        *w = table[--nwatched];
        return -1;
    }
    return wd;
}

/* Watches dir and the directories below it; with announce, reports what is already inside as
 * created (it appeared before the watch could see it). */
static void add_tree(const char *dir, int announce, int depth)
{
    if (add_watch(dir) < 0 || depth > FS_PATH_MAX / 2)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char *child = malloc(FS_PATH_MAX + 1);
    while (child && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || join(child, dir, e->d_name) < 0)
            continue;
        struct stat st;
        if (lstat(child, &st) < 0)
            continue;
        if (announce)
            emit("create", child, NULL, S_ISDIR(st.st_mode));
        if (S_ISDIR(st.st_mode) && st.st_dev == root_dev)
            add_tree(child, announce, depth + 1);
    }
    free(child);
    closedir(d);
}

/* Rewrites the watched paths under from to lie under to (a directory moved inside the tree). */
static void rename_prefix(const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    for (int i = 0; i < nwatched; i++) {
        char *p = table[i].path;
        if (strncmp(p, from, fl) || (p[fl] && p[fl] != '/'))
            continue;
        size_t rest = strlen(p + fl);
        if (tl + rest > FS_PATH_MAX)
            continue;
        char *np = malloc(tl + rest + 1);
        if (!np)
            continue;
        memcpy(np, to, tl);
        memcpy(np + tl, p + fl, rest + 1);
        free(p);
        table[i].path = np;
    }
}

static char evbuf[WATCH_READ_BUF] __attribute__((aligned(__alignof__(struct inotify_event))));

/* The MOVED_TO event with this cookie later in the batch, or NULL. */
static struct inotify_event *find_pair(char *from, char *end, uint32_t cookie)
{
    for (char *p = from; p < end;) {
        struct inotify_event *ev = (struct inotify_event *)p;
        if ((ev->mask & IN_MOVED_TO) && ev->cookie == cookie)
            return ev;
        p += sizeof *ev + ev->len;
    }
    return NULL;
}

static int handle_batch(char *buf, size_t len)
{
    static char full[FS_PATH_MAX + 1], to[FS_PATH_MAX + 1];
    char *end = buf + len;
    for (char *p = buf; p < end;) {
        struct inotify_event *ev = (struct inotify_event *)p;
        p += sizeof *ev + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
            emit("overflow", table[0].path, NULL, root_is_dir);
            continue;
        }
        if (ev->mask & IN_IGNORED) {
            forget(ev->wd);
            if (ev->wd == root_wd)
                return 1;
            continue;
        }
        struct watched *w = find(ev->wd);
        if (!w || ev->cookie == UINT32_MAX) /* consumed as the second half of a move */
            continue;
        if (ev->len == 0)
            snprintf(full, sizeof full, "%s", w->path);
        else if (join(full, w->path, ev->name) < 0)
            continue;
        int is_dir = (ev->mask & IN_ISDIR) != 0;
        if (ev->mask & IN_DELETE_SELF) {
            if (ev->wd == root_wd)
                emit("delete", full, NULL, is_dir);
            continue;
        }
        if (ev->mask & IN_MOVED_FROM) {
            struct inotify_event *pair = find_pair(p, end, ev->cookie);
            struct watched *tw = pair ? find(pair->wd) : NULL;
            if (tw && join(to, tw->path, pair->name) == 0) {
                pair->cookie = UINT32_MAX;
                emit("move", full, to, is_dir);
                if (is_dir && recursive_mode)
                    rename_prefix(full, to);
            } else {
                emit("delete", full, NULL, is_dir);
            }
            continue;
        }
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
            emit("create", full, NULL, is_dir);
            if (is_dir && recursive_mode)
                add_tree(full, 1, 0);
        } else if (ev->mask & IN_DELETE) {
            emit("delete", full, NULL, is_dir);
        } else if (ev->mask & IN_MODIFY) {
            emit("modify", full, NULL, is_dir);
        }
    }
    return 0;
}

int fs_watch(const char *path, int recursive)
{
    recursive_mode = recursive;
    ifd = inotify_init1(IN_CLOEXEC);
    if (ifd < 0)
        return fs_fail("watch", path, errno);
    struct stat st;
    if (stat(path, &st) < 0)
        return fs_fail("watch", path, errno);
    root_dev = st.st_dev;
    root_wd = inotify_add_watch(ifd, path, WATCH_MASK);
    if (root_wd < 0)
        return fs_fail("watch", path, errno);
    table[0].wd = root_wd;
    table[0].path = strdup(path);
    if (!table[0].path)
        return fs_fail("watch", path, ENOMEM);
    nwatched = 1;
    if (recursive && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        static char child[FS_PATH_MAX + 1];
        while (d && (e = readdir(d))) {
            struct stat cs;
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                join(child, path, e->d_name) == 0 && lstat(child, &cs) == 0 && S_ISDIR(cs.st_mode) &&
                cs.st_dev == root_dev)
                add_tree(child, 0, 0);
        }
        if (d)
            closedir(d);
    }
    root_is_dir = S_ISDIR(st.st_mode);
    if (emit("ready", path, NULL, root_is_dir) < 0 || out_flush() < 0)
        return fs_fail("watch", "stdout", errno);
    for (;;) {
        ssize_t n = read(ifd, evbuf, sizeof evbuf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fs_fail("watch", path, errno);
        }
        int done = handle_batch(evbuf, (size_t)n);
        if (out_flush() < 0)
            return fs_fail("watch", "stdout", errno);
        if (done)
            return FS_EXIT_OK;
    }
}
