/* Guest CPU counters: parsers for /proc/stat and /proc/self/stat and the sampler over them. */
#include "cpustat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define FAIL(msg)          \
    do {                   \
        *why = (msg);      \
        return -1;         \
    } while (0)

/* Parses one unsigned decimal at *pos (which must hold a digit) up to a space or newline. The
 * terminator must be inside the buffer: a number cut off by the end of a read is not trusted. */
static int parse_u64(const char *buf, size_t n, size_t *pos, uint64_t *out)
{
    size_t i = *pos;
    uint64_t v = 0;
    if (i >= n || buf[i] < '0' || buf[i] > '9')
        return -1;
    for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(buf[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (i >= n || (buf[i] != ' ' && buf[i] != '\n'))
        return -1;
    *pos = i;
    *out = v;
    return 0;
}

int cpustat_parse_total(const char *buf, size_t n, uint64_t *total, uint64_t *idle, const char **why)
{
    /* user nice system idle iowait irq softirq steal guest guest_nice */
    enum { USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL, GUEST, GUEST_NICE, FIELDS };
    uint64_t v[FIELDS] = { 0 };
    size_t pos = 4, got = 0;

    if (n < 4 || memcmp(buf, "cpu ", 4) != 0)
        FAIL("/proc/stat does not start with the \"cpu\" line");
    while (got < FIELDS) {
        while (pos < n && buf[pos] == ' ')
            pos++;
        if (pos >= n || buf[pos] == '\n')
            break;
        if (parse_u64(buf, n, &pos, &v[got]) < 0)
            FAIL("/proc/stat: a \"cpu\" counter is not a number or is cut off");
        got++;
    }
    if (got <= IDLE)
        FAIL("/proc/stat: fewer than four \"cpu\" counters");
    uint64_t sum = 0;
    for (size_t i = 0; i < GUEST; i++)
        sum += v[i];
    *total = sum;
    *idle = v[IDLE] + v[IOWAIT];
    return 0;
}

int cpustat_parse_self(const char *buf, size_t n, uint64_t *ticks, const char **why)
{
    /* Fields after comm, counted from 0: state is field 3, utime 14, stime 15. */
    enum { UTIME = 14 - 3, STIME = 15 - 3 };
    const char *close = memrchr(buf, ')', n);
    if (!close)
        FAIL("/proc/self/stat has no \")\" after comm");
    size_t pos = (size_t)(close - buf) + 1;
    uint64_t utime = 0, stime = 0;
    for (int field = 0; field <= STIME; field++) {
        if (pos >= n || buf[pos] != ' ')
            FAIL("/proc/self/stat ends before stime");
        pos++;
        if (field == UTIME || field == STIME) {
            if (parse_u64(buf, n, &pos, field == UTIME ? &utime : &stime) < 0)
                FAIL("/proc/self/stat: utime or stime is not a number or is cut off");
            continue;
        }
        while (pos < n && buf[pos] != ' ' && buf[pos] != '\n')
            pos++;
    }
    *ticks = utime + stime;
    return 0;
}

static int stat_fd = -1, self_fd = -1;
static uint32_t ticks_per_second, cpus;

static void close_files(void)
{
    if (stat_fd >= 0)
        close(stat_fd);
    if (self_fd >= 0)
        close(self_fd);
    stat_fd = self_fd = -1;
}

/* One pread from offset 0: proc regenerates the file, so a kept fd gives fresh counters. */
static long read_at_start(int fd, char *buf, size_t cap)
{
    ssize_t r;
    do {
        r = pread(fd, buf, cap, 0);
    } while (r < 0 && errno == EINTR);
    return (long)r;
}

int cpustat_read(struct cpu_sample *out, const char **why)
{
    char total_buf[CPUSTAT_READ_MAX], self_buf[CPUSTAT_READ_MAX];

    if (!ticks_per_second) {
        long hz = sysconf(_SC_CLK_TCK);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (hz <= 0 || n <= 0)
            FAIL("sysconf: no clock tick rate or no online CPU count");
        ticks_per_second = (uint32_t)hz;
        cpus = (uint32_t)n;
    }
    if (stat_fd < 0) {
        stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
        self_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        if (stat_fd < 0 || self_fd < 0) {
            close_files();
            FAIL("cannot open /proc/stat or /proc/self/stat");
        }
    }
    long nt = read_at_start(stat_fd, total_buf, sizeof total_buf);
    long ns = read_at_start(self_fd, self_buf, sizeof self_buf);
    if (nt <= 0 || ns <= 0) {
        close_files();
        FAIL("cannot read /proc/stat or /proc/self/stat");
    }
    if (cpustat_parse_total(total_buf, (size_t)nt, &out->total_ticks, &out->idle_ticks, why) < 0 ||
        cpustat_parse_self(self_buf, (size_t)ns, &out->agent_ticks, why) < 0)
        return -1;
    out->ticks_per_second = ticks_per_second;
    out->cpus = cpus;
    return 0;
}
