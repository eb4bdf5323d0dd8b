/* Shared pieces of the file builtins; see fs_util.h. */
#include "fs_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fs_exit_for(int err)
{
    switch (err) {
    case ENOENT:
        return FS_EXIT_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return FS_EXIT_PERMISSION;
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case EXDEV:
    case EBUSY:
    case ELOOP:
    case EINVAL:
        return FS_EXIT_WRONG_TYPE;
    case EEXIST:
        return FS_EXIT_EXISTS;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return FS_EXIT_NO_SPACE;
    case ENAMETOOLONG:
        return FS_EXIT_USAGE;
    default:
        return FS_EXIT_OTHER;
    }
}

static void err_line(const char *a, const char *b, const char *c)
{
    char line[FS_PATH_MAX + 256];
    int n = snprintf(line, sizeof line, "burrow: %s%s%s: %s\n", a, b[0] ? " " : "", b, c);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    (void)fs_write_all(2, line, (size_t)n);
}

int fs_fail(const char *op, const char *path, int err)
{
    err_line(op, path ? path : "", strerror(err));
    return fs_exit_for(err);
}

int fs_fail_msg(const char *op, const char *msg, int code)
{
    err_line(op, "", msg);
    return code;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ---- buffered stdout ---- */

static char obuf[FS_OUT_BUF];
static size_t olen;
static int oerr;

int out_failed(void) { return oerr != 0; }

int out_flush(void)
{
    if (oerr) {
        errno = oerr;
        return -1;
    }
    if (olen && fs_write_all(1, obuf, olen) < 0) {
        oerr = errno;
        return -1;
    }
    olen = 0;
    return 0;
}

int out_bytes(const void *p, size_t n)
{
    if (oerr) {
        errno = oerr;
        return -1;
    }
    if (olen + n > sizeof obuf) {
        if (out_flush() < 0)
            return -1;
        if (n > sizeof obuf) {
            if (fs_write_all(1, p, n) < 0) {
                oerr = errno;
                return -1;
            }
            return 0;
        }
    }
    memcpy(obuf + olen, p, n);
    olen += n;
    return 0;
}

int out_str(const char *s) { return out_bytes(s, strlen(s)); }

int out_json_key(const char *key, int first)
{
    if (!first && out_bytes(",", 1) < 0)
        return -1;
    if (out_bytes("\"", 1) < 0 || out_str(key) < 0)
        return -1;
    return out_bytes("\":", 2);
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there are not one. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int out_json_string(const uint8_t *p, size_t n, int *lossy)
{
    if (out_bytes("\"", 1) < 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            if (out_bytes(esc, 2) < 0)
                return -1;
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            if (out_bytes(esc, 6) < 0)
                return -1;
            i++;
        } else {
            size_t len = utf8_len(p + i, n - i);
            if (len == 0) {
                if (lossy)
                    *lossy = 1;
                if (out_bytes("\\ufffd", 6) < 0)
                    return -1;
                i++;
            } else {
                if (out_bytes(p + i, len) < 0)
                    return -1;
                i += len;
            }
        }
    }
    return out_bytes("\"", 1);
}

int out_json_base64(const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (out_bytes("\"", 1) < 0)
        return -1;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                     i + 1 < n ? tab[(v >> 6) & 63] : '=', i + 2 < n ? tab[v & 63] : '='};
        if (out_bytes(q, 4) < 0)
            return -1;
    }
    return out_bytes("\"", 1);
}

int out_json_name(const char *key, const char *bytes, int first)
{
    size_t n = strlen(bytes);
    int lossy = 0;
    if (out_json_key(key, first) < 0 || out_json_string((const uint8_t *)bytes, n, &lossy) < 0)
        return -1;
    if (!lossy)
        return 0;
    char k[64];
    snprintf(k, sizeof k, "%sBytes", key);
    if (out_json_key(k, 0) < 0)
        return -1;
    return out_json_base64((const uint8_t *)bytes, n);
}

const char *fs_type_name(mode_t mode)
{
    if (S_ISREG(mode))
        return "file";
    if (S_ISDIR(mode))
        return "dir";
    if (S_ISLNK(mode))
        return "symlink";
    return "other";
}

int out_json_stat(const struct stat *st, int dirfd, const char *name)
{
    char num[64];
    if (out_json_key("type", 0) < 0 || out_str("\"") < 0 || out_str(fs_type_name(st->st_mode)) < 0 ||
        out_str("\"") < 0)
        return -1;
    snprintf(num, sizeof num, "%lld", (long long)st->st_size);
    if (out_json_key("size", 0) < 0 || out_str(num) < 0)
        return -1;
    snprintf(num, sizeof num, "\"%04o\"", (unsigned)(st->st_mode & 07777));
    if (out_json_key("mode", 0) < 0 || out_str(num) < 0)
        return -1;
    struct tm tm;
    time_t t = st->st_mtim.tv_sec;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    char ts[48];
    strftime(ts, sizeof ts, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
    if (out_json_key("modifiedAt", 0) < 0 || out_str(ts) < 0)
        return -1;
    if (S_ISLNK(st->st_mode)) {
        char target[FS_PATH_MAX + 1];
        ssize_t n = readlinkat(dirfd, name, target, FS_PATH_MAX);
        if (n >= 0) {
            target[n] = 0;
            if (out_json_name("linkTarget", target, 0) < 0)
                return -1;
        }
    }
    return 0;
}
