/* The layer builtins; see fs_layer.h. */
#include "fs_layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_tar.h"
#include "fs_util.h"

#define BLOCK 512
#define CAP_XATTR "security.capability"
#define PAX_XATTR_KEY "SCHILY.xattr." CAP_XATTR
#define MARK_MAGIC "BRWMARK1"
#define MKDIR_MODE 0755

static char copybuf[FS_COPY_BUF];

/* ---- warnings (bounded, one line each) ---- */

static const char *warn_op = "layer";
static unsigned warnings;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    if (++warnings > LAYER_MAX_WARNINGS)
        return;
    char line[LAYER_WARNING_BYTES];
    int n = snprintf(line, sizeof line, "burrow: %s: ", warn_op);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    (void)fs_write_all(2, line, len);
}

static void warn_summary(void)
{
    if (warnings <= LAYER_MAX_WARNINGS)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "burrow: %s: %u more warnings\n", warn_op,
                     warnings - LAYER_MAX_WARNINGS);
    if (n > 0)
        (void)fs_write_all(2, line, (size_t)n);
}

/* ---- the mark file ---- */

struct mark_rec {
    uint64_t dev, ino, size, nlink, link_hash;
    int64_t mtime_ns, ctime_ns;
    uint32_t mode, uid, gid;
    uint32_t path_len;
};

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void rec_of(struct mark_rec *r, const struct stat *st, int dirfd, const char *name)
{
    memset(r, 0, sizeof *r);
    r->dev = st->st_dev;
    r->ino = st->st_ino;
    r->size = (uint64_t)st->st_size;
    r->nlink = st->st_nlink;
    r->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    r->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    r->mode = st->st_mode;
    r->uid = st->st_uid;
    r->gid = st->st_gid;
    if (S_ISLNK(st->st_mode)) {
        char target[FS_PATH_MAX + 1];
        ssize_t n = readlinkat(dirfd, name, target, FS_PATH_MAX);
        if (n >= 0)
            r->link_hash = fnv1a(target, (size_t)n);
    }
}

static int rec_changed(const struct mark_rec *a, const struct mark_rec *b)
{
    return a->dev != b->dev || a->ino != b->ino || a->ctime_ns != b->ctime_ns ||
           a->mtime_ns != b->mtime_ns || a->size != b->size || a->mode != b->mode ||
           a->uid != b->uid || a->gid != b->gid || a->link_hash != b->link_hash;
}

/* Path order of the walk: byte order with '/' below every other byte, which is the order of
 * a depth-first walk whose children are sorted by name (a parent before its children). */
static int path_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = *a == '/' ? 1 : (unsigned char)*a;
        unsigned char cb = *b == '/' ? 1 : (unsigned char)*b;
        if (ca != cb || !ca)
            return (int)ca - (int)cb;
    }
}

static int is_below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && path[n] == '/';
}

/* ---- the walk shared by mark and diff ---- */

struct walk;
typedef int (*visit_fn)(struct walk *w, int dirfd, const char *name, const struct stat *st);

struct walk {
    const char *op;
    dev_t dev;                 /* the root's device: others are mounts, neither walked nor recorded */
    dev_t skip_dev;            /* the mark file, which is never part of a layer */
    ino_t skip_ino;
    unsigned long long entries;
    size_t name_bytes;         /* names held by the directories on the current path */
    char rel[FS_PATH_MAX + 2]; /* the entry's path relative to the root, no leading '/' */
    size_t rlen;
    visit_fn visit;
    int (*skip)(struct walk *w); /* an entry or a directory's contents the walk had to leave out */
    int failed;                /* an exit code once the walk must stop */
};

static int walk_fail(struct walk *w, const char *msg, int code)
{
    char line[FS_PATH_MAX + 128];
    snprintf(line, sizeof line, "%s at /%.*s", msg, FS_PATH_MAX, w->rel);
    w->failed = fs_fail_msg(w->op, line, code);
    return -1;
}

static const char *names_base;
static int name_order(const void *a, const void *b)
{
    return strcmp(names_base + *(const size_t *)a, names_base + *(const size_t *)b);
}

/* Reads the names of dirfd into *buf (NUL-separated) and their sorted offsets into *offs. */
static int read_names(struct walk *w, DIR *d, char **buf, size_t **offs, size_t *count)
{
    size_t cap = 0, len = 0, ocap = 0, n = 0;
    struct dirent *e;
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            if (errno)
                return walk_fail(w, strerror(errno), fs_exit_for(errno));
            break;
        }
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t nl = strlen(e->d_name) + 1;
        if (w->name_bytes + nl > LAYER_MAX_NAME_BYTES)
            return walk_fail(w, "directories too large to sort", FS_EXIT_NO_SPACE);
        if (len + nl > cap) {
            cap = (len + nl) * 2 + 4096;
            char *nb = realloc(*buf, cap);
            if (!nb)
                return walk_fail(w, "out of memory", FS_EXIT_NO_SPACE);
            *buf = nb;
        }
        if (n == ocap) {
            ocap = ocap * 2 + 64;
            size_t *no = realloc(*offs, ocap * sizeof **offs);
            if (!no)
                return walk_fail(w, "out of memory", FS_EXIT_NO_SPACE);
            *offs = no;
        }
        memcpy(*buf + len, e->d_name, nl);
        (*offs)[n++] = len;
        len += nl;
        w->name_bytes += nl;
    }
    names_base = *buf;
    if (n > 1)
        qsort(*offs, n, sizeof **offs, name_order);
    *count = n;
    return 0;
}

static int walk_dir(struct walk *w, int dirfd, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return walk_fail(w, strerror(errno), fs_exit_for(errno));
    }
    char *names = NULL;
    size_t *offs = NULL, count = 0, held = w->name_bytes;
    int rc = read_names(w, d, &names, &offs, &count);
    size_t rlen = w->rlen;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *name = names + offs[i];
        size_t nl = strlen(name);
        if (rlen + (rlen ? 1 : 0) + nl + 1 > FS_PATH_MAX) {
            warn("/%s/%s: path too long, left out", w->rel, name);
            continue; /* nothing in the mark either: its path could not be recorded */
        }
        size_t at = rlen;
        if (rlen)
            w->rel[at++] = '/';
        memcpy(w->rel + at, name, nl + 1);
        w->rlen = at + nl;
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) {
                warn("/%s: %s, left out", w->rel, strerror(errno));
                rc = w->skip ? w->skip(w) : 0;
            }
        } else if (st.st_dev != w->dev || (st.st_dev == w->skip_dev && st.st_ino == w->skip_ino)) {
            /* another mount, or the mark itself */
        } else if (++w->entries > LAYER_MAX_ENTRIES) {
            char msg[64];
            snprintf(msg, sizeof msg, "more than %d entries", LAYER_MAX_ENTRIES);
            rc = walk_fail(w, msg, FS_EXIT_NO_SPACE);
        } else if ((rc = w->visit(w, dirfd, name, &st)) == 0 && S_ISDIR(st.st_mode)) {
            if (depth + 1 >= LAYER_MAX_DEPTH) {
                char msg[64];
                snprintf(msg, sizeof msg, "directories nested deeper than %d", LAYER_MAX_DEPTH);
                rc = walk_fail(w, msg, fs_exit_for(ELOOP));
            } else {
                int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                    warn("/%s: %s, its contents left out", w->rel, strerror(errno));
                    rc = w->skip ? w->skip(w) : 0;
                } else {
                    rc = walk_dir(w, sub, depth + 1);
                }
            }
        }
        w->rlen = rlen;
        w->rel[rlen] = 0;
    }
    closedir(d);
    free(names);
    free(offs);
    w->name_bytes = held;
    return rc;
}

static int walk_root(struct walk *w, const char *root)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        w->failed = fs_fail(w->op, root, err);
        return -1;
    }
    w->dev = st.st_dev;
    w->rel[0] = 0;
    w->rlen = 0;
    return walk_dir(w, fd, 0);
}

static int layer_args(const char *op, int argc, char **argv, const char **root, const char **mark)
{
    if (argc > 3) {
        char usage[64];
        snprintf(usage, sizeof usage, "usage: %s [ROOT [MARK]]", op);
        return fs_fail_msg(op, usage, FS_EXIT_USAGE);
    }
    *root = argc > 1 ? argv[1] : "/";
    *mark = argc > 2 ? argv[2] : LAYER_MARK_PATH;
    if ((*root)[0] != '/' || (*mark)[0] != '/')
        return fs_fail_msg(op, "paths must be absolute", FS_EXIT_USAGE);
    if (strlen(*root) > FS_PATH_MAX || strlen(*mark) > FS_PATH_MAX - 16)
        return fs_fail(op, "", ENAMETOOLONG);
    return 0;
}

/* ---- layer-mark ---- */

static FILE *mark_out;

static int mark_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    struct mark_rec r;
    rec_of(&r, st, dirfd, name);
    r.path_len = (uint32_t)w->rlen;
    if (fwrite(&r, sizeof r, 1, mark_out) != 1 || fwrite(w->rel, w->rlen, 1, mark_out) != 1)
        return walk_fail(w, "writing the mark failed", fs_exit_for(errno));
    return 0;
}

int layer_mark_main(int argc, char **argv)
{
    const char *root, *mark;
    int rc = layer_args("layer-mark", argc, argv, &root, &mark);
    if (rc)
        return rc;
    warn_op = "layer-mark";
    if (!strcmp(mark, LAYER_MARK_PATH) && mkdir(LAYER_MARK_DIR, 0700) < 0 && errno != EEXIST)
        return fs_fail("layer-mark", LAYER_MARK_DIR, errno);
    char temp[FS_PATH_MAX + 1];
    snprintf(temp, sizeof temp, "%s.tmp", mark);
    int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return fs_fail("layer-mark", temp, errno);
    mark_out = fdopen(fd, "w");
    if (!mark_out)
        return fs_fail("layer-mark", temp, errno);
    static struct walk w;
    memset(&w, 0, sizeof w);
    w.op = "layer-mark";
    w.visit = mark_visit;
    w.skip_dev = st.st_dev;
    w.skip_ino = st.st_ino;
    rc = fwrite(MARK_MAGIC, 8, 1, mark_out) == 1 ? walk_root(&w, root) : -1;
    if (rc == 0 && (fflush(mark_out) != 0 || fsync(fd) < 0))
        rc = walk_fail(&w, "writing the mark failed", fs_exit_for(errno));
    fclose(mark_out);
    if (rc == 0 && rename(temp, mark) < 0)
        rc = walk_fail(&w, "naming the mark failed", fs_exit_for(errno));
    if (rc) {
        unlink(temp);
        return w.failed ? w.failed : FS_EXIT_OTHER;
    }
    warn_summary();
    char line[64];
    snprintf(line, sizeof line, "{\"entries\":%llu}\n", w.entries);
    if (out_str(line) < 0 || out_flush() < 0)
        return fs_fail("layer-mark", "stdout", errno);
    return FS_EXIT_OK;
}

/* ---- layer-diff ---- */

struct mark_in {
    FILE *f;
    int have;
    struct mark_rec rec;
    char path[FS_PATH_MAX + 1];
};

static struct mark_in min;
static unsigned long long emitted, whiteouts;

/* Hard links among emitted files: (dev, ino) -> the first emitted name. */
struct link_slot {
    uint64_t dev, ino;
    size_t path; /* offset + 1 in link_paths; 0: empty */
};
static struct link_slot *links;
static size_t link_count;
static char *link_paths;
static size_t link_paths_len;

static int mark_next(struct walk *w)
{
    min.have = 0;
    size_t n = fread(&min.rec, sizeof min.rec, 1, min.f);
    if (n != 1) {
        if (ferror(min.f))
            return walk_fail(w, "reading the mark failed", FS_EXIT_OTHER);
        return 0;
    }
    if (min.rec.path_len == 0 || min.rec.path_len > FS_PATH_MAX ||
        fread(min.path, min.rec.path_len, 1, min.f) != 1)
        return walk_fail(w, "the mark is corrupt", FS_EXIT_OTHER);
    min.path[min.rec.path_len] = 0;
    min.have = 1;
    return 0;
}

static int emit_whiteout(struct walk *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    char name[FS_PATH_MAX + 8];
    if (dl + 4 + strlen(base) > FS_PATH_MAX) {
        warn("/%s: removed, but its whiteout's name is too long: left out", path);
        return 0;
    }
    snprintf(name, sizeof name, "%.*s.wh.%s", (int)dl, path, base);
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0644;
    whiteouts++;
    if (fs_tar_header(name, NULL, &st, 0, '0', NULL, 0) < 0)
        return walk_fail(w, "writing stdout failed", fs_exit_for(errno));
    return 0;
}

/* Every marked path before `upto` (NULL: all the rest) vanished: one whiteout for each, none for
 * what was below a vanished directory. */
static int emit_vanished(struct walk *w, const char *upto)
{
    static char gone[FS_PATH_MAX + 1];
    while (min.have && (!upto || path_cmp(min.path, upto) < 0)) {
        memcpy(gone, min.path, min.rec.path_len + 1);
        if (emit_whiteout(w, gone) < 0)
            return -1;
        do {
            if (mark_next(w) < 0)
                return -1;
        } while (min.have && is_below(min.path, gone));
    }
    return 0;
}

/* Skips the marked entries below path (a directory that is no longer one). */
static int skip_below(struct walk *w, const char *path)
{
    while (min.have && is_below(min.path, path))
        if (mark_next(w) < 0)
            return -1;
    return 0;
}

/* One pax record "LEN key=value\n" with a binary value; returns its length or 0 if it did not fit. */
static size_t pax_binary(char *buf, size_t cap, const char *key, const void *value, size_t vlen)
{
    size_t body = 1 + strlen(key) + 1 + vlen + 1;
    size_t len = body + 1;
    for (;;) {
        char digits[24];
        size_t d = (size_t)snprintf(digits, sizeof digits, "%zu", len);
        if (d + body == len)
            break;
        len = d + body;
    }
    if (len > cap)
        return 0;
    size_t at = (size_t)sprintf(buf, "%zu %s=", len, key);
    memcpy(buf + at, value, vlen);
    buf[len - 1] = '\n';
    return len;
}

static const char *link_lookup(const struct stat *st)
{
    if (!links)
        return NULL;
    size_t cap = 2 * LAYER_MAX_HARDLINKS;
    for (size_t i = (size_t)((st->st_ino * 0x9E3779B97F4A7C15ull) % cap);; i = (i + 1) % cap) {
        if (!links[i].path)
            return NULL;
        if (links[i].dev == st->st_dev && links[i].ino == st->st_ino)
            return link_paths + links[i].path - 1;
    }
}

static void link_remember(const struct stat *st, const char *path)
{
    size_t cap = 2 * LAYER_MAX_HARDLINKS, pl = strlen(path) + 1;
    if (!links) {
        links = calloc(cap, sizeof *links);
        link_paths = malloc(LAYER_HARDLINK_PATH_BYTES);
        if (!links || !link_paths) {
            free(links), free(link_paths);
            links = NULL, link_paths = NULL;
        }
    }
    if (!links || link_count >= LAYER_MAX_HARDLINKS || link_paths_len + pl > LAYER_HARDLINK_PATH_BYTES) {
        warn("/%s: too many hard-linked files to remember: its other names are copies", path);
        return;
    }
    size_t i = (size_t)((st->st_ino * 0x9E3779B97F4A7C15ull) % cap);
    while (links[i].path)
        i = (i + 1) % cap;
    memcpy(link_paths + link_paths_len, path, pl);
    links[i] = (struct link_slot){st->st_dev, st->st_ino, link_paths_len + 1};
    link_paths_len += pl;
    link_count++;
}

/* A regular file whole: exactly the size in its header, zero-filled if it shrank meanwhile. */
static int emit_file(struct walk *w, int dirfd, const char *name, const struct stat *walked)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != walked->st_ino) {
        warn("/%s: %s, left out", w->rel, fd < 0 ? strerror(errno) : "changed while read");
        if (fd >= 0)
            close(fd);
        return 0;
    }
    static char xattr[LAYER_XATTR_MAX], pax[LAYER_XATTR_MAX + 64];
    size_t plen = 0;
    ssize_t xl = fgetxattr(fd, CAP_XATTR, xattr, sizeof xattr);
    if (xl > 0)
        plen = pax_binary(pax, sizeof pax, PAX_XATTR_KEY, xattr, (size_t)xl);
    else if (xl < 0 && errno == ERANGE)
        warn("/%s: its %s is too large, left out", w->rel, CAP_XATTR);
    unsigned long long size = (unsigned long long)st.st_size, done = 0;
    int rc = fs_tar_header(w->rel, NULL, &st, size, '0', plen ? pax : NULL, plen);
    while (rc == 0 && done < size) {
        size_t want = size - done < sizeof copybuf ? (size_t)(size - done) : sizeof copybuf;
        ssize_t r = read(fd, copybuf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0)
                warn("/%s: %s, the rest zero-filled", w->rel, strerror(errno));
            else
                warn("/%s: shrank while read, zero-filled", w->rel);
            memset(copybuf, 0, want);
            r = (ssize_t)want;
        }
        rc = out_bytes(copybuf, (size_t)r);
        done += (unsigned long long)r;
    }
    close(fd);
    if (rc == 0)
        rc = fs_tar_padding(size);
    if (rc < 0)
        return walk_fail(w, "writing stdout failed", fs_exit_for(errno));
    if (st.st_nlink > 1)
        link_remember(walked, w->rel);
    return 0;
}

static __attribute__((noinline)) int emit_symlink(struct walk *w, int dirfd, const char *name,
                                                  const struct stat *st)
{
    char target[FS_PATH_MAX + 1];
    ssize_t n = readlinkat(dirfd, name, target, FS_PATH_MAX);
    if (n < 0) {
        warn("/%s: %s, left out", w->rel, strerror(errno));
        return 0;
    }
    target[n] = 0;
    if (fs_tar_header(w->rel, target, st, 0, '2', NULL, 0) < 0)
        return walk_fail(w, "writing stdout failed", fs_exit_for(errno));
    return 0;
}

static int emit_entry(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    int rc = 0;
    if (S_ISDIR(st->st_mode)) {
        w->rel[w->rlen] = '/';
        w->rel[w->rlen + 1] = 0;
        rc = fs_tar_header(w->rel, NULL, st, 0, '5', NULL, 0);
        w->rel[w->rlen] = 0;
        if (rc < 0)
            return walk_fail(w, "writing stdout failed", fs_exit_for(errno));
    } else if (S_ISLNK(st->st_mode)) {
        return emit_symlink(w, dirfd, name, st);
    } else if (S_ISREG(st->st_mode)) {
        const char *first = st->st_nlink > 1 ? link_lookup(st) : NULL;
        if (!first)
            return emit_file(w, dirfd, name, st);
        if (fs_tar_header(w->rel, first, st, 0, '1', NULL, 0) < 0)
            return walk_fail(w, "writing stdout failed", fs_exit_for(errno));
    } else {
        warn("/%s: not a regular file, directory or symlink, left out", w->rel);
        return 0;
    }
    return 0;
}

/* The walk left the current entry out: so does the diff (no whiteout for it or anything below). */
static int diff_skip(struct walk *w)
{
    if (emit_vanished(w, w->rel) < 0)
        return -1;
    if (min.have && !strcmp(min.path, w->rel) && mark_next(w) < 0)
        return -1;
    return skip_below(w, w->rel);
}

static int diff_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    if (emit_vanished(w, w->rel) < 0)
        return -1;
    if (min.have && !strcmp(min.path, w->rel)) {
        struct mark_rec now;
        rec_of(&now, st, dirfd, name);
        int changed = rec_changed(&min.rec, &now);
        int was_dir = S_ISDIR(min.rec.mode);
        if (mark_next(w) < 0)
            return -1;
        if (was_dir && !S_ISDIR(st->st_mode) && skip_below(w, w->rel) < 0)
            return -1;
        if (!changed)
            return 0;
    }
    emitted++;
    return emit_entry(w, dirfd, name, st);
}

int layer_diff_main(int argc, char **argv)
{
    const char *root, *mark;
    int rc = layer_args("layer-diff", argc, argv, &root, &mark);
    if (rc)
        return rc;
    warn_op = "layer-diff";
    int fd = open(mark, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (errno == ENOENT)
            return fs_fail_msg("layer-diff", "no mark: run layer-mark first", FS_EXIT_NOT_FOUND);
        return fs_fail("layer-diff", mark, errno);
    }
    min.f = fdopen(fd, "r");
    char magic[8];
    if (!min.f || fread(magic, 8, 1, min.f) != 1 || memcmp(magic, MARK_MAGIC, 8)) {
        unlink(mark);
        return fs_fail_msg("layer-diff", "the mark is corrupt", FS_EXIT_OTHER);
    }
    static struct walk w;
    memset(&w, 0, sizeof w);
    w.op = "layer-diff";
    w.visit = diff_visit;
    w.skip = diff_skip;
    w.skip_dev = st.st_dev;
    w.skip_ino = st.st_ino;
    rc = mark_next(&w);
    if (rc == 0)
        rc = walk_root(&w, root);
    if (rc == 0) {
        w.rel[0] = 0;
        rc = emit_vanished(&w, NULL);
    }
    static const char end[2 * BLOCK];
    if (rc == 0 && (out_bytes(end, sizeof end) < 0 || out_flush() < 0))
        rc = walk_fail(&w, "writing stdout failed", fs_exit_for(errno));
    fclose(min.f);
    unlink(mark);
    if (rc)
        return w.failed ? w.failed : FS_EXIT_OTHER;
    warn_summary();
    char line[96];
    int n = snprintf(line, sizeof line, "{\"entries\":%llu,\"whiteouts\":%llu}\n", emitted, whiteouts);
    (void)fs_write_all(2, line, (size_t)n);
    return FS_EXIT_OK;
}

/* ---- untar ---- */

struct tar_in {
    size_t off, len;
    int eof;
};
static struct tar_in in;

/* Makes at least one byte available; 0 at EOF, -1 on a read error. */
static int in_fill(void)
{
    if (in.off < in.len)
        return 1;
    if (in.eof)
        return 0;
    for (;;) {
        ssize_t r = read(0, copybuf, sizeof copybuf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        in.off = 0;
        in.len = (size_t)r;
        if (r == 0)
            in.eof = 1;
        return r > 0;
    }
}

/* Reads exactly n bytes into dst (NULL: skips them); -1 when stdin ends first or fails. */
static int in_read(void *dst, unsigned long long n)
{
    while (n > 0) {
        int f = in_fill();
        if (f <= 0) {
            if (f == 0)
                errno = 0;
            return -1;
        }
        size_t take = in.len - in.off;
        if (take > n)
            take = (size_t)n;
        if (dst) {
            memcpy(dst, copybuf + in.off, take);
            dst = (char *)dst + take;
        }
        in.off += take;
        n -= take;
    }
    return 0;
}

struct entry {
    char name[FS_PATH_MAX + 1];
    char link[FS_PATH_MAX + 1];
    char type;
    unsigned long long size;
    unsigned mode;
    unsigned long long uid, gid;
    long long mtime;
    long mtime_ns;
    char xattr[LAYER_XATTR_MAX];
    size_t xattr_len;
    int has_xattr;
};

/* Overrides of the next entry (pax 'x', GNU 'L'/'K'). */
struct overrides {
    int path, link, size, uid, gid, mtime;
    char pathv[FS_PATH_MAX + 1], linkv[FS_PATH_MAX + 1];
    unsigned long long sizev, uidv, gidv;
    long long mtimev;
    long mtime_nsv;
    char xattr[LAYER_XATTR_MAX];
    size_t xattr_len;
    int has_xattr;
};

static struct overrides ov;
static struct entry ent;
static const char *untar_root;
static unsigned long long applied;

static int untar_fail(const char *what, const char *detail, int code)
{
    char msg[2 * FS_PATH_MAX + 128];
    snprintf(msg, sizeof msg, "entry '%.*s': %s%s%s", FS_PATH_MAX, ent.name, what,
             detail ? ": " : "", detail ? detail : "");
    return fs_fail_msg("untar", msg, code);
}

static int parse_octal(const char *p, size_t n, unsigned long long *v)
{
    if ((unsigned char)p[0] & 0x80) { /* base-256 */
        unsigned long long x = (unsigned char)p[0] & 0x3f;
        if ((unsigned char)p[0] & 0x40)
            return -1;
        for (size_t i = 1; i < n; i++) {
            if (x >> 55)
                return -1;
            x = (x << 8) | (unsigned char)p[i];
        }
        *v = x;
        return 0;
    }
    size_t i = 0;
    unsigned long long x = 0;
    while (i < n && (p[i] == ' ' || p[i] == 0) && i < n)
        i++;
    if (i == n) {
        *v = 0;
        return 0;
    }
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (x >> 60)
            return -1;
        x = x * 8 + (unsigned long long)(p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != 0)
            return -1;
    *v = x;
    return 0;
}

static int parse_decimal(const char *p, size_t n, unsigned long long *v)
{
    unsigned long long x = 0;
    if (!n || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        x = x * 10 + (unsigned long long)(p[i] - '0');
    }
    *v = x;
    return 0;
}

static int header_ok(const unsigned char *h)
{
    unsigned long long want;
    if (parse_octal((const char *)h + 148, 8, &want) < 0)
        return 0;
    unsigned long long sum = 0;
    long long ssum = 0;
    for (int i = 0; i < BLOCK; i++) {
        unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
        sum += c;
        ssum += (signed char)c;
    }
    return sum == want || (unsigned long long)ssum == want;
}

static void copy_field(char *dst, const unsigned char *src, size_t n)
{
    size_t l = strnlen((const char *)src, n);
    memcpy(dst, src, l);
    dst[l] = 0;
}

/* Reads a pax extended header's records (size bytes) into ov. */
static int read_pax(unsigned long long size)
{
    if (size > UNTAR_PAX_MAX)
        return untar_fail("a pax header larger than 1 MiB", NULL, FS_EXIT_USAGE);
    static char buf[UNTAR_PAX_MAX + 1];
    if (in_read(buf, size) < 0 || in_read(NULL, (BLOCK - size % BLOCK) % BLOCK) < 0)
        return untar_fail("the tar ends inside a pax header", NULL, FS_EXIT_USAGE);
    const char *bad = NULL;
    size_t at = 0;
    while (at < size && !bad) {
        size_t i = at, len = 0;
        while (i < size && buf[i] >= '0' && buf[i] <= '9' && len < UNTAR_PAX_MAX)
            len = len * 10 + (size_t)(buf[i++] - '0');
        if (i >= size || buf[i] != ' ' || len <= i - at + 1 || at + len > size ||
            buf[at + len - 1] != '\n') {
            bad = "a malformed pax record";
            break;
        }
        char *key = buf + i + 1, *end = buf + at + len - 1;
        char *eq = memchr(key, '=', (size_t)(end - key));
        if (!eq) {
            bad = "a malformed pax record";
            break;
        }
        *eq = 0;
        char *val = eq + 1;
        size_t vl = (size_t)(end - val);
        unsigned long long v;
        if (!strcmp(key, "path") || !strcmp(key, "linkpath")) {
            if (vl > FS_PATH_MAX || memchr(val, 0, vl)) {
                bad = "a pax path longer than 4096 bytes or with a NUL";
                break;
            }
            char *dst = key[0] == 'p' ? ov.pathv : ov.linkv;
            memcpy(dst, val, vl);
            dst[vl] = 0;
            *(key[0] == 'p' ? &ov.path : &ov.link) = 1;
        } else if (!strcmp(key, "size") || !strcmp(key, "uid") || !strcmp(key, "gid")) {
            if (parse_decimal(val, vl, &v) < 0) {
                bad = "a malformed pax number";
                break;
            }
            if (key[0] == 's')
                ov.size = 1, ov.sizev = v;
            else if (key[0] == 'u')
                ov.uid = 1, ov.uidv = v;
            else
                ov.gid = 1, ov.gidv = v;
        } else if (!strcmp(key, "mtime")) {
            char *dot = memchr(val, '.', vl);
            size_t il = dot ? (size_t)(dot - val) : vl;
            if (il && parse_decimal(val, il, &v) == 0) {
                ov.mtime = 1;
                ov.mtimev = (long long)v;
                ov.mtime_nsv = 0;
                if (dot) {
                    long ns = 0;
                    size_t k = 0;
                    for (char *p = dot + 1; p < end && k < 9 && *p >= '0' && *p <= '9'; p++, k++)
                        ns = ns * 10 + (*p - '0');
                    for (; k < 9; k++)
                        ns *= 10;
                    ov.mtime_nsv = ns;
                }
            }
        } else if (!strcmp(key, PAX_XATTR_KEY)) {
            if (vl <= sizeof ov.xattr) {
                memcpy(ov.xattr, val, vl);
                ov.xattr_len = vl;
                ov.has_xattr = 1;
            } else {
                warn("an entry's %s of %zu bytes: not kept", CAP_XATTR, vl);
            }
        }
        at += len;
    }
    return bad ? untar_fail(bad, NULL, FS_EXIT_USAGE) : 0;
}

static int read_gnu_long(char *dst, unsigned long long size)
{
    if (size > FS_PATH_MAX + 1)
        return untar_fail("a GNU long name longer than 4096 bytes", NULL, FS_EXIT_USAGE);
    if (in_read(dst, size) < 0 || in_read(NULL, (BLOCK - size % BLOCK) % BLOCK) < 0)
        return untar_fail("the tar ends inside a long name", NULL, FS_EXIT_USAGE);
    dst[size] = 0;
    return 0;
}

/* Normalizes an entry name in place ("./a//b/" -> "a/b"); -1 for an absolute name or one with
 * a ".." component. "" is the root itself. */
static int normalize(char *name)
{
    if (name[0] == '/')
        return -1;
    char *out = name, *p = name;
    while (*p) {
        char *c = p;
        while (*p && *p != '/')
            p++;
        size_t l = (size_t)(p - c);
        if (*p)
            p++;
        if (l == 0 || (l == 1 && c[0] == '.'))
            continue;
        if (l == 2 && c[0] == '.' && c[1] == '.')
            return -1;
        if (out != name)
            *out++ = '/';
        memmove(out, c, l);
        out += l;
    }
    *out = 0;
    return 0;
}

static int full_path(char *dst, const char *rel)
{
    int root_is_slash = !strcmp(untar_root, "/");
    int n = snprintf(dst, FS_PATH_MAX + 1, "%s/%s", root_is_slash ? "" : untar_root, rel);
    if (n < 0 || n > FS_PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int mkdir_parents(const char *path)
{
    char buf[FS_PATH_MAX + 1];
    snprintf(buf, sizeof buf, "%s", path);
    char *last = strrchr(buf, '/');
    if (!last || last == buf)
        return 0;
    *last = 0;
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, MKDIR_MODE) < 0 && errno != EEXIST)
            return -1;
        *p = c;
        if (!c)
            break;
    }
    if (stat(buf, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Empties the directory dirfd (closed on return) without leaving its filesystem. */
static int empty_dir(int dirfd, dev_t dev, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                errno = EXDEV;
                rc = -1;
                break;
            }
            if (depth + 1 >= LAYER_MAX_DEPTH) {
                errno = ELOOP;
                rc = -1;
                break;
            }
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0 || empty_dir(sub, dev, depth + 1) < 0 ||
                unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0)
                rc = -1;
        } else if (unlinkat(dirfd, e->d_name, 0) < 0 && errno != ENOENT) {
            rc = -1;
        }
    }
    int err = errno;
    closedir(d);
    errno = err;
    return rc;
}

/* Removes path whatever it is (a directory with everything in it); 0 when nothing was there. */
static int remove_all(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || empty_dir(fd, st.st_dev, 0) < 0)
        return -1;
    return rmdir(path);
}

/* Removes what is at path unless it is a directory and keep_dir is set. */
static int clear_for(const char *path, int keep_dir)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (keep_dir && S_ISDIR(st.st_mode))
        return 1;
    return remove_all(path);
}

/* Directories whose mtime is set again at the end (extracting children changed it). */
struct dir_time {
    struct timespec t;
    size_t path;
};
static struct dir_time *dir_times;
static size_t dir_count, dir_cap;
static char *dir_paths;
static size_t dir_paths_len;

static void remember_dir_time(const char *path, const struct timespec *t)
{
    size_t pl = strlen(path) + 1;
    if (!dir_paths && !(dir_paths = malloc(UNTAR_DIR_TIMES_BYTES)))
        return;
    if (dir_paths_len + pl > UNTAR_DIR_TIMES_BYTES)
        return;
    if (dir_count == dir_cap) {
        size_t nc = dir_cap * 2 + 256;
        struct dir_time *n = realloc(dir_times, nc * sizeof *n);
        if (!n)
            return;
        dir_times = n, dir_cap = nc;
    }
    memcpy(dir_paths + dir_paths_len, path, pl);
    dir_times[dir_count++] = (struct dir_time){*t, dir_paths_len};
    dir_paths_len += pl;
}

static int set_meta(const char *path, int fd, int is_link)
{
    uid_t uid = (uid_t)ent.uid;
    gid_t gid = (gid_t)ent.gid;
    if ((fd >= 0 ? fchown(fd, uid, gid) : lchown(path, uid, gid)) < 0)
        return -1;
    if (!is_link && (fd >= 0 ? fchmod(fd, ent.mode & 07777) : chmod(path, ent.mode & 07777)) < 0)
        return -1;
    if (ent.has_xattr && fd >= 0 &&
        fsetxattr(fd, CAP_XATTR, ent.xattr, ent.xattr_len, 0) < 0)
        warn("/%s: %s not set: %s", ent.name, CAP_XATTR, strerror(errno));
    struct timespec ts[2] = {{ent.mtime, ent.mtime_ns}, {ent.mtime, ent.mtime_ns}};
    if ((fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW)) < 0)
        return -1;
    return 0;
}

static int write_file(const char *path)
{
    if (clear_for(path, 0) < 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    unsigned long long left = ent.size;
    while (left > 0) {
        int f = in_fill();
        if (f <= 0) {
            close(fd);
            errno = f == 0 ? EPIPE : errno;
            return -2;
        }
        size_t take = in.len - in.off;
        if (take > left)
            take = (size_t)left;
        if (fs_write_all(fd, copybuf + in.off, take) < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        in.off += take;
        left -= take;
    }
    int rc = set_meta(path, fd, 0);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

static int apply_entry(void)
{
    static char path[FS_PATH_MAX + 1], target[FS_PATH_MAX + 1];
    const char *slash = strrchr(ent.name, '/');
    const char *base = slash ? slash + 1 : ent.name;
    int has_data = 1; /* what follows the header is skipped unless a regular file took it */
    int counted = 1;
    if (full_path(path, ent.name) < 0)
        return untar_fail(strerror(errno), NULL, FS_EXIT_USAGE);
    if (mkdir_parents(path) < 0)
        return untar_fail("creating its directories", strerror(errno), fs_exit_for(errno));
    if (!strncmp(base, ".wh.", 4)) {
        if (!strcmp(base, ".wh..wh..opq")) {
            char dir[FS_PATH_MAX + 1];
            snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
            int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            struct stat st;
            if (fd < 0 || fstat(fd, &st) < 0 || empty_dir(fd, st.st_dev, 0) < 0)
                return untar_fail("emptying its directory", strerror(errno), fs_exit_for(errno));
        } else if (strncmp(base, ".wh..wh.", 8)) {
            const char *victim = base + 4;
            if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                return untar_fail("not a valid whiteout", NULL, FS_EXIT_USAGE);
            int dl = (int)(strrchr(path, '/') - path);
            snprintf(target, sizeof target, "%.*s/%s", dl, path, victim);
            if (remove_all(target) < 0)
                return untar_fail("removing what it whites out", strerror(errno), fs_exit_for(errno));
        }
        applied++;
        return in_read(NULL, ent.size + (BLOCK - ent.size % BLOCK) % BLOCK) < 0
                   ? untar_fail("the tar ends inside it", NULL, FS_EXIT_USAGE) : 0;
    }
    int rc = 0;
    switch (ent.type) {
    case '5': {
        int kept = clear_for(path, 1);
        if (kept < 0 || (!kept && mkdir(path, 0700) < 0) || set_meta(path, -1, 0) < 0)
            return untar_fail(strerror(errno), NULL, fs_exit_for(errno));
        struct timespec t = {ent.mtime, ent.mtime_ns};
        remember_dir_time(path, &t);
        break;
    }
    case '2':
        if (!ent.link[0])
            return untar_fail("a symlink without a target", NULL, FS_EXIT_USAGE);
        if (clear_for(path, 0) < 0 || symlink(ent.link, path) < 0 || set_meta(path, -1, 1) < 0)
            return untar_fail(strerror(errno), NULL, fs_exit_for(errno));
        break;
    case '1': {
        char link[FS_PATH_MAX + 1];
        memcpy(link, ent.link, sizeof link);
        if (normalize(link) < 0 || !link[0])
            return untar_fail("a hard link whose target is absolute, has a '..' component or is the root",
                              ent.link, FS_EXIT_USAGE);
        if (full_path(target, link) < 0)
            return untar_fail(strerror(errno), NULL, FS_EXIT_USAGE);
        struct stat a, b;
        if (lstat(target, &a) < 0)
            return untar_fail("its hard link target", strerror(errno), fs_exit_for(errno));
        if (S_ISDIR(a.st_mode))
            return untar_fail("a hard link to a directory", ent.link, FS_EXIT_WRONG_TYPE);
        if (lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            break;
        if (clear_for(path, 0) < 0 || linkat(AT_FDCWD, target, AT_FDCWD, path, 0) < 0)
            return untar_fail(strerror(errno), NULL, fs_exit_for(errno));
        break;
    }
    case '0':
    case 0:
    case '7':
        rc = write_file(path);
        has_data = 0;
        if (rc == -2)
            return untar_fail("the tar ends inside its data", NULL, FS_EXIT_USAGE);
        if (rc < 0)
            return untar_fail(strerror(errno), NULL, fs_exit_for(errno));
        if (in_read(NULL, (BLOCK - ent.size % BLOCK) % BLOCK) < 0)
            return untar_fail("the tar ends inside its data", NULL, FS_EXIT_USAGE);
        break;
    default:
        warn("/%s: entry type '%c' (a device, fifo or unknown) not created", ent.name,
             ent.type >= 32 && ent.type < 127 ? ent.type : '?');
        counted = 0;
    }
    if (has_data && in_read(NULL, ent.size + (BLOCK - ent.size % BLOCK) % BLOCK) < 0)
        return untar_fail("the tar ends inside its data", NULL, FS_EXIT_USAGE);
    applied += (unsigned long long)counted;
    return 0;
}

int untar_main(int argc, char **argv)
{
    if (argc > 2)
        return fs_fail_msg("untar", "usage: untar [ROOT]", FS_EXIT_USAGE);
    untar_root = argc > 1 ? argv[1] : "/";
    if (untar_root[0] != '/' || strlen(untar_root) > FS_PATH_MAX)
        return fs_fail_msg("untar", "ROOT must be an absolute path", FS_EXIT_USAGE);
    warn_op = "untar";
    umask(0);
    memset(&ov, 0, sizeof ov);
    for (;;) {
        unsigned char h[BLOCK];
        if (in_read(h, BLOCK) < 0) {
            if (errno)
                return fs_fail("untar", "stdin", errno);
            break; /* EOF without the end blocks: accepted, as tar does */
        }
        static const unsigned char zero[BLOCK];
        if (!memcmp(h, zero, BLOCK))
            break;
        ent.name[0] = 0;
        if (!header_ok(h))
            return fs_fail_msg("untar", "not a tar: a header's checksum is wrong", FS_EXIT_USAGE);
        unsigned long long size, mode, uid, gid, mtime;
        if (parse_octal((char *)h + 124, 12, &size) < 0 || parse_octal((char *)h + 100, 8, &mode) < 0 ||
            parse_octal((char *)h + 108, 8, &uid) < 0 || parse_octal((char *)h + 116, 8, &gid) < 0 ||
            parse_octal((char *)h + 136, 12, &mtime) < 0)
            return fs_fail_msg("untar", "not a tar: a header has a malformed number", FS_EXIT_USAGE);
        char type = (char)h[156];
        if (ov.size)
            size = ov.sizev;
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            int rc = 0;
            if (type == 'x')
                rc = read_pax(size);
            else if (type == 'L')
                rc = read_gnu_long(ov.pathv, size), ov.path = 1;
            else if (type == 'K')
                rc = read_gnu_long(ov.linkv, size), ov.link = 1;
            else if (in_read(NULL, size + (BLOCK - size % BLOCK) % BLOCK) < 0)
                rc = fs_fail_msg("untar", "the tar ends inside a global header", FS_EXIT_USAGE);
            if (rc)
                return rc;
            continue;
        }
        if (ov.path) {
            snprintf(ent.name, sizeof ent.name, "%s", ov.pathv);
        } else if (!memcmp(h + 257, "ustar", 5) && h[345]) {
            char prefix[156], name[101];
            copy_field(prefix, h + 345, 155);
            copy_field(name, h, 100);
            snprintf(ent.name, sizeof ent.name, "%s/%s", prefix, name);
        } else {
            copy_field(ent.name, h, 100);
        }
        if (ov.link)
            snprintf(ent.link, sizeof ent.link, "%s", ov.linkv);
        else
            copy_field(ent.link, h + 157, 100);
        ent.type = type;
        ent.size = size;
        ent.mode = (unsigned)mode;
        ent.uid = ov.uid ? ov.uidv : uid;
        ent.gid = ov.gid ? ov.gidv : gid;
        ent.mtime = ov.mtime ? ov.mtimev : (long long)mtime;
        ent.mtime_ns = ov.mtime ? ov.mtime_nsv : 0;
        ent.has_xattr = ov.has_xattr;
        ent.xattr_len = ov.xattr_len;
        memcpy(ent.xattr, ov.xattr, ov.xattr_len);
        memset(&ov, 0, sizeof ov);
        if (ent.uid > 0xFFFFFFFEull || ent.gid > 0xFFFFFFFEull)
            return untar_fail("an owner out of range", NULL, FS_EXIT_USAGE);
        char shown[FS_PATH_MAX + 1];
        memcpy(shown, ent.name, sizeof shown);
        if (normalize(ent.name) < 0) {
            memcpy(ent.name, shown, sizeof shown);
            return untar_fail("refused: an absolute name or a '..' component", NULL, FS_EXIT_USAGE);
        }
        if (!ent.name[0]) { /* the root itself: its owner and mode stay */
            if (in_read(NULL, size + (BLOCK - size % BLOCK) % BLOCK) < 0)
                return fs_fail_msg("untar", "the tar ends inside an entry", FS_EXIT_USAGE);
            continue;
        }
        int rc = apply_entry();
        if (rc)
            return rc;
    }
    /* the rest of stdin (a writer's padding to its record size) is read, not left to block it */
    while (in_fill() > 0)
        in.off = in.len;
    for (size_t i = 0; i < dir_count; i++) {
        struct timespec ts[2] = {dir_times[i].t, dir_times[i].t};
        utimensat(AT_FDCWD, dir_paths + dir_times[i].path, ts, AT_SYMLINK_NOFOLLOW);
    }
    warn_summary();
    char line[64];
    snprintf(line, sizeof line, "{\"entries\":%llu}\n", applied);
    if (out_str(line) < 0 || out_flush() < 0)
        return fs_fail("untar", "stdout", errno);
    return FS_EXIT_OK;
}
