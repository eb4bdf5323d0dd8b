/* Diagnostics: "burrow-agent: " lines to the console (or stderr in test mode). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static int log_fd = 2;

void log_set_fd(int fd)
{
    log_fd = fd;
}

static size_t vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

static void emit(const char *line, size_t n)
{
    char buf[LOG_MAX + 32];
    size_t pre = strlen("burrow-agent: ");
    memcpy(buf, "burrow-agent: ", pre);
    memcpy(buf + pre, line, n);
    buf[pre + n] = '\n';
    if (log_fd >= 0) {
        ssize_t r = write(log_fd, buf, pre + n + 1);
        (void)r;
    }
}

void log_msg(const char *fmt, ...)
{
    char line[LOG_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    emit(line, n);
}

void log_host(const char *fmt, ...)
{
    char line[LOG_MAX];
    uint8_t payload[LOG_MAX + 4];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    emit(line, n);
    if (A.greeted && !A.hung && A.out.bytes < OUTQ_HIGH_WATER) {
        long len = enc_str(payload, sizeof payload, line, n);
        if (len >= 0)
            send_frame(T_LOG, 0, payload, (uint32_t)len);
    }
}
