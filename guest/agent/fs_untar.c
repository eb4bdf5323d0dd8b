/* The untar builtin; see fs_layer.h. */
#include "fs_layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_util.h"

#define BLOCK 512
#define MKDIR_MODE 0755
#define warn layer_warn

static char copybuf[FS_COPY_BUF];

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
        } else if (!strcmp(key, LAYER_PAX_XATTR_KEY)) {
            if (vl <= sizeof ov.xattr) {
                memcpy(ov.xattr, val, vl);
                ov.xattr_len = vl;
                ov.has_xattr = 1;
            } else {
                warn("an entry's %s of %zu bytes: not kept", LAYER_CAP_XATTR, vl);
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
        fsetxattr(fd, LAYER_CAP_XATTR, ent.xattr, ent.xattr_len, 0) < 0)
        warn("/%s: %s not set: %s", ent.name, LAYER_CAP_XATTR, strerror(errno));
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
    layer_warn_as("untar");
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
        if (ov.size)
            size = ov.sizev;
        if (type == '1' || type == '2' || type == '5')
            size = 0; /* no data follows a link or a directory: a size there is ignored */
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
    layer_warn_summary();
    char line[64];
    snprintf(line, sizeof line, "{\"entries\":%llu}\n", applied);
    if (out_str(line) < 0 || out_flush() < 0)
        return fs_fail("untar", "stdout", errno);
    return FS_EXIT_OK;
}
