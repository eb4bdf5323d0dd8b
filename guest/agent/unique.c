/* HELLO uniqueness: entropy + CRNG reseed, clock, hostname, machine-id. Each step is validated
 * and attempted independently; failures become problem bits and a detail string. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* From <linux/random.h> (not available to musl-gcc). */
#define RNDADDENTROPY _IOW('R', 0x03, int[2])
#define RNDRESEEDCRNG _IO('R', 0x07)

struct detail {
    char *buf;
    size_t cap, len;
};

static void add_detail(struct detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_detail(struct detail *d, const char *fmt, ...)
{
    if (d->len + 1 >= d->cap)
        return;
    if (d->len) {
        int n = snprintf(d->buf + d->len, d->cap - d->len, "; ");
        if (n > 0)
            d->len += (size_t)n < d->cap - d->len ? (size_t)n : d->cap - d->len - 1;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        d->len += (size_t)n < d->cap - d->len ? (size_t)n : d->cap - d->len - 1;
}

static int apply_entropy(const uint8_t *p, uint32_t n, struct detail *d)
{
    struct {
        int entropy_count;
        int buf_size;
        uint8_t buf[HELLO_MAX_ENTROPY];
    } info;
    int fd = open("/dev/urandom", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        add_detail(d, "rng: open /dev/urandom: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    if (n > 0) {
        info.entropy_count = (int)(n * 8);
        info.buf_size = (int)n;
        memcpy(info.buf, p, n);
        if (ioctl(fd, RNDADDENTROPY, &info) < 0) {
            add_detail(d, "rng: RNDADDENTROPY: %s", strerror(errno));
            rc = -1;
        }
        memset(info.buf, 0, sizeof info.buf);
    }
    if (rc == 0 && ioctl(fd, RNDRESEEDCRNG) < 0) {
        add_detail(d, "rng: RNDRESEEDCRNG: %s", strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

static int write_id_file(const char *path, const char *id, struct detail *d)
{
    char buf[34];
    memcpy(buf, id, 32);
    buf[32] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    if (fd < 0) {
        add_detail(d, "machine-id: open %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t w = write(fd, buf, 33);
    int err = errno;
    if (close(fd) < 0 && w == 33) {
        w = -1;
        err = errno;
    }
    if (w != 33) {
        add_detail(d, "machine-id: write %s: %s", path, w < 0 ? strerror(err) : "short write");
        return -1;
    }
    return 0;
}

static int valid_hostname(const char *s, uint32_t n)
{
    if (n == 0 || n > HELLO_MAX_HOSTNAME)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int valid_machine_id(const char *s, uint32_t n)
{
    if (n != 32)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

uint32_t uniqueness_apply(const struct msg_hello *h, char *detail, size_t detlen)
{
    struct detail d = { detail, detlen, 0 };
    uint32_t problems = 0;
    detail[0] = 0;

    /* RNG */
    if (h->entropy_len > HELLO_MAX_ENTROPY) {
        add_detail(&d, "rng: %u entropy bytes (max %u)", h->entropy_len, HELLO_MAX_ENTROPY);
        problems |= PROB_RNG;
    } else if (apply_entropy(h->entropy, h->entropy_len, &d) < 0) {
        problems |= PROB_RNG;
    }

    /* Clock */
    if (h->unix_time_nanos == 0) {
        add_detail(&d, "clock: no time given");
        problems |= PROB_CLOCK;
    } else {
        struct timespec ts;
        ts.tv_sec = (time_t)(h->unix_time_nanos / 1000000000ull);
        ts.tv_nsec = (long)(h->unix_time_nanos % 1000000000ull);
        if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
            add_detail(&d, "clock: clock_settime: %s", strerror(errno));
            problems |= PROB_CLOCK;
        }
    }

    /* Hostname */
    if (!valid_hostname(h->hostname, h->hostname_len)) {
        add_detail(&d, "hostname: invalid (1-%u of [A-Za-z0-9.-])", HELLO_MAX_HOSTNAME);
        problems |= PROB_HOSTNAME;
    } else if (sethostname(h->hostname, h->hostname_len) < 0) {
        add_detail(&d, "hostname: sethostname: %s", strerror(errno));
        problems |= PROB_HOSTNAME;
    }

    /* machine-id */
    if (!valid_machine_id(h->machine_id, h->machine_id_len)) {
        add_detail(&d, "machine-id: invalid (want 32 lowercase hex digits)");
        problems |= PROB_MACHINE_ID;
    } else {
        struct stat st;
        if (write_id_file("/etc/machine-id", h->machine_id, &d) < 0)
            problems |= PROB_MACHINE_ID;
        if (stat("/var/lib/dbus", &st) == 0 && S_ISDIR(st.st_mode) &&
            write_id_file("/var/lib/dbus/machine-id", h->machine_id, &d) < 0)
            problems |= PROB_MACHINE_ID;
    }
    return problems;
}
