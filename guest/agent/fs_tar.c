/* The tar writer of the `read` builtin; see fs_tar.h. */
#include "fs_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"

#define BLOCK 512
#define USTAR_NAME 100
#define USTAR_SIZE_MAX 077777777777LL
#define USTAR_ID_MAX 07777777
#define PAX_MAX (2 * FS_PATH_MAX + 128)

struct walk {
    const char *root;       /* the path being read, for warnings */
    dev_t dev;              /* the root's device: other devices are mounts not crossed */
    char rel[FS_PATH_MAX + 2];
    unsigned warnings;
    int out_err;            /* stdout failed: stop */
};

static char copybuf[FS_COPY_BUF];

static void warn(struct walk *w, const char *what, int err)
{
    w->warnings++;
    if (w->warnings > TAR_MAX_WARNINGS)
        return;
    char line[FS_PATH_MAX * 2 + 128];
    int n = snprintf(line, sizeof line, "burrow: read %s: %s: skipped (%s)\n", w->root, w->rel,
                     err ? strerror(err) : what);
    if (n > 0)
        (void)fs_write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void octal(char *field, size_t width, unsigned long long v)
{
    /* width-1 digits and a NUL, zero-padded */
    field[width - 1] = 0;
    for (size_t i = width - 1; i > 0; i--) {
        field[i - 1] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static int emit_block(const char *hdr)
{
    return out_bytes(hdr, BLOCK);
}

int fs_tar_padding(unsigned long long size)
{
    static const char zeros[BLOCK];
    size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
    return pad ? out_bytes(zeros, pad) : 0;
}

static void checksum(char *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < BLOCK; i++)
        sum += (unsigned char)h[i];
    octal(h + 148, 7, sum);
    h[155] = ' ';
}

static void header_base(char *h, const char *name, mode_t mode, const struct stat *st,
                        unsigned long long size, char type)
{
    memset(h, 0, BLOCK);
    strncpy(h, name, USTAR_NAME); /* may fill all 100 bytes without a NUL: ustar allows it */
    octal(h + 100, 8, mode & 07777);
    octal(h + 108, 8, st && st->st_uid <= USTAR_ID_MAX ? st->st_uid : 0);
    octal(h + 116, 8, st && st->st_gid <= USTAR_ID_MAX ? st->st_gid : 0);
    octal(h + 124, 12, size);
    octal(h + 136, 12, st && st->st_mtim.tv_sec > 0 ? (unsigned long long)st->st_mtim.tv_sec : 0);
    h[156] = type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
}

/* Appends one "LEN key=value\n" record to buf (LEN counts the whole record). */
static size_t pax_record(char *buf, size_t at, const char *key, const char *value)
{
    size_t body = 1 + strlen(key) + 1 + strlen(value) + 1; /* " key=value\n" */
    size_t len = body + 1;
    while (1) {
        char digits[24];
        size_t d = (size_t)snprintf(digits, sizeof digits, "%zu", len);
        if (d + body == len)
            break;
        len = d + body;
    }
    if (at + len > PAX_MAX)
        return at;
    snprintf(buf + at, PAX_MAX - at + 1, "%zu %s=%s\n", len, key, value);
    return at + len;
}

static int emit_header(const char *name, const char *link, const struct stat *st,
                       unsigned long long size, char type)
{
    return fs_tar_header(name, link, st, size, type, NULL, 0);
}

int fs_tar_header(const char *name, const char *link, const struct stat *st,
                  unsigned long long size, char type, const char *extra, size_t extra_len)
{
    static char pax[PAX_MAX + 1];
    size_t plen = 0;
    if (strlen(name) > USTAR_NAME)
        plen = pax_record(pax, plen, "path", name);
    if (link && strlen(link) > USTAR_NAME)
        plen = pax_record(pax, plen, "linkpath", link);
    if (size > (unsigned long long)USTAR_SIZE_MAX) {
        char num[32];
        snprintf(num, sizeof num, "%llu", size);
        plen = pax_record(pax, plen, "size", num);
    }
    char num[32];
    if (st->st_uid > USTAR_ID_MAX) {
        snprintf(num, sizeof num, "%u", (unsigned)st->st_uid);
        plen = pax_record(pax, plen, "uid", num);
    }
    if (st->st_gid > USTAR_ID_MAX) {
        snprintf(num, sizeof num, "%u", (unsigned)st->st_gid);
        plen = pax_record(pax, plen, "gid", num);
    }
    char h[BLOCK];
    if (plen || extra_len) {
        header_base(h, "././@PaxHeader", 0644, NULL, plen + extra_len, 'x');
        checksum(h);
        if (emit_block(h) < 0 || out_bytes(pax, plen) < 0 ||
            (extra_len && out_bytes(extra, extra_len) < 0) ||
            fs_tar_padding(plen + extra_len) < 0)
            return -1;
    }
    header_base(h, name, st->st_mode, st, size > (unsigned long long)USTAR_SIZE_MAX ? 0 : size,
                type);
    if (link)
        strncpy(h + 157, link, USTAR_NAME);
    checksum(h);
    return emit_block(h);
}

/* Stores a regular file: exactly the size in its header, zero-filled if it shrank meanwhile. */
static int emit_file(struct walk *w, int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        warn(w, NULL, errno);
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        warn(w, "changed while read", 0);
        close(fd);
        return 0;
    }
    unsigned long long size = (unsigned long long)st.st_size, done = 0;
    int rc = emit_header(w->rel, NULL, &st, size, '0');
    while (rc == 0 && done < size) {
        size_t want = size - done < sizeof copybuf ? (size_t)(size - done) : sizeof copybuf;
        ssize_t r = read(fd, copybuf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* shrank or failed: keep the stream valid */
            if (r < 0)
                warn(w, NULL, errno);
            memset(copybuf, 0, want);
            r = (ssize_t)want;
        }
        rc = out_bytes(copybuf, (size_t)r);
        done += (unsigned long long)r;
    }
    close(fd);
    if (rc == 0)
        rc = fs_tar_padding(size);
    return rc;
}

static int walk_dir(struct walk *w, int dirfd, size_t rlen, int depth);

/* Kept out of emit_entry so the recursion's frames do not each carry a path buffer. */
static __attribute__((noinline)) int emit_symlink(struct walk *w, int dirfd, const char *name,
                                                  const struct stat *st)
{
    char target[FS_PATH_MAX + 1];
    ssize_t n = readlinkat(dirfd, name, target, FS_PATH_MAX);
    if (n < 0) {
        warn(w, NULL, errno);
        return 0;
    }
    target[n] = 0;
    return emit_header(w->rel, target, st, 0, '2');
}

static int emit_entry(struct walk *w, int dirfd, const char *name, size_t rlen, int depth)
{
    size_t nlen = strlen(name);
    if (rlen + (rlen ? 1 : 0) + nlen + 1 > FS_PATH_MAX) {
        w->rel[rlen] = 0;
        warn(w, "path too long", 0);
        return 0;
    }
    size_t at = rlen;
    if (rlen)
        w->rel[at++] = '/';
    memcpy(w->rel + at, name, nlen + 1);
    size_t elen = at + nlen;

    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        warn(w, NULL, errno);
        return 0;
    }
    if (S_ISREG(st.st_mode))
        return emit_file(w, dirfd, name);
    if (S_ISLNK(st.st_mode))
        return emit_symlink(w, dirfd, name, &st);
    if (!S_ISDIR(st.st_mode)) {
        warn(w, "not a regular file, directory or symlink", 0);
        return 0;
    }
    w->rel[elen] = '/';
    w->rel[elen + 1] = 0;
    int rc = emit_header(w->rel, NULL, &st, 0, '5');
    w->rel[elen] = 0;
    if (rc < 0 || st.st_dev != w->dev)
        return rc;
    if (depth + 1 >= TAR_MAX_DEPTH) {
        warn(w, "too deep", 0);
        return 0;
    }
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        warn(w, NULL, errno);
        return 0;
    }
    return walk_dir(w, sub, elen, depth + 1);
}

/* Walks the directory dirfd (closed on return); w->rel[0..rlen) is its relative path. */
static int walk_dir(struct walk *w, int dirfd, size_t rlen, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        warn(w, NULL, errno);
        close(dirfd);
        return 0;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            if (errno) {
                w->rel[rlen] = 0;
                warn(w, NULL, errno);
            }
            break;
        }
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        rc = emit_entry(w, dirfd, e->d_name, rlen, depth);
        w->rel[rlen] = 0;
    }
    closedir(d);
    return rc;
}

int fs_tar_dir(int dirfd, const char *path)
{
    static struct walk w;
    memset(&w, 0, sizeof w);
    w.root = path;
    struct stat st;
    if (fstat(dirfd, &st) < 0) {
        int err = errno;
        close(dirfd);
        return fs_fail("read", path, err);
    }
    w.dev = st.st_dev;
    int rc = walk_dir(&w, dirfd, 0, 0);
    static const char end[2 * BLOCK];
    if (rc == 0)
        rc = out_bytes(end, sizeof end);
    if (rc == 0)
        rc = out_flush();
    if (rc < 0)
        return fs_fail("read", path, errno);
    if (w.warnings > TAR_MAX_WARNINGS) {
        char line[128];
        int n = snprintf(line, sizeof line, "burrow: read: %u more entries skipped\n",
                         w.warnings - TAR_MAX_WARNINGS);
        if (n > 0)
            (void)fs_write_all(2, line, (size_t)n);
    }
    return FS_EXIT_OK;
}
