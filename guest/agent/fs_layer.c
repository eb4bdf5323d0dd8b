/* layer-mark and layer-diff, and the warnings the layer builtins share; see fs_layer.h. */
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
#define MARK_MAGIC "BRWMARK1"

#define warn layer_warn

static char copybuf[FS_COPY_BUF];

/* ---- warnings (bounded, one line each) ---- */

static const char *warn_op = "layer";
static unsigned warnings;

void layer_warn_as(const char *op)
{
    warn_op = op;
}

void layer_warn(const char *fmt, ...)
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

void layer_warn_summary(void)
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
    layer_warn_as("layer-mark");
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
    layer_warn_summary();
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
    ssize_t xl = fgetxattr(fd, LAYER_CAP_XATTR, xattr, sizeof xattr);
    if (xl > 0)
        plen = pax_binary(pax, sizeof pax, LAYER_PAX_XATTR_KEY, xattr, (size_t)xl);
    else if (xl < 0 && errno == ERANGE)
        warn("/%s: its %s is too large, left out", w->rel, LAYER_CAP_XATTR);
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
    layer_warn_as("layer-diff");
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
    layer_warn_summary();
    char line[96];
    int n = snprintf(line, sizeof line, "{\"entries\":%llu,\"whiteouts\":%llu}\n", emitted, whiteouts);
    (void)fs_write_all(2, line, (size_t)n);
    return FS_EXIT_OK;
}
