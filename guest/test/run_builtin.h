/* Running a builtin the way the agent does, for the guest's C tests: fork, builtin_main() in the
 * child with pipes on fds 0-2, stdin fed and stdout/stderr collected in the parent, all within
 * RUN_DEADLINE_MS (which the test file defines). Include after check.h: a builtin that overruns
 * its deadline counts as a failure. Out and err always come back NUL-terminated. */
#ifndef BURROW_TEST_RUN_BUILTIN_H
#define BURROW_TEST_RUN_BUILTIN_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agent/builtins.h"

#ifndef RUN_DEADLINE_MS
#error "define RUN_DEADLINE_MS before including run_builtin.h"
#endif

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

struct result {
    int code;
    struct buf out, err;
};

static void result_free(struct result *r)
{
    free(r->out.p);
    free(r->err.p);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Forks a child running builtin_main(argv) with pipes on 0-2; fds[0..2] are the parent ends. */
static pid_t start(char **argv, int fds[3])
{
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err))
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        dup2(in[0], 0), dup2(out[1], 1), dup2(err[1], 2);
        for (int fd = 3; fd < 64; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        int argc = 0;
        while (argv[argc])
            argc++;
        _exit(builtin_main(argc, argv));
    }
    close(in[0]), close(out[1]), close(err[1]);
    fds[0] = in[1], fds[1] = out[0], fds[2] = err[0];
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return pid;
}

/* Feeds stdin (may be NULL) to the builtin start() forked as pid and collects its output and
 * exit code; closes fds. */
static struct result finish(const char *name, pid_t pid, int fds[3], const void *in, size_t inlen)
{
    struct result r = {0};
    size_t sent = 0;
    if (!in || inlen == 0) {
        close(fds[0]);
        fds[0] = -1;
    }
    long deadline = now_ms() + RUN_DEADLINE_MS;
    while (fds[1] >= 0 || fds[2] >= 0) {
        struct pollfd p[3] = {{fds[0], POLLOUT, 0}, {fds[1], POLLIN, 0}, {fds[2], POLLIN, 0}};
        long left = deadline - now_ms();
        if (left <= 0 || poll(p, 3, (int)left) <= 0) {
            fprintf(stderr, "builtin %s did not finish in time\n", name);
            kill(pid, SIGKILL);
            failures++;
            break;
        }
        if (fds[0] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(fds[0], (const char *)in + sent, inlen - sent);
            if (w > 0)
                sent += (size_t)w;
            if (w < 0 || sent == inlen) {
                close(fds[0]);
                fds[0] = -1;
            }
        }
        for (int i = 1; i < 3; i++) {
            if (fds[i] >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char chunk[65536];
                ssize_t n = read(fds[i], chunk, sizeof chunk);
                if (n <= 0) {
                    close(fds[i]);
                    fds[i] = -1;
                } else {
                    buf_put(i == 1 ? &r.out : &r.err, chunk, (size_t)n);
                }
            }
        }
    }
    if (fds[0] >= 0)
        close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    buf_put(&r.out, "", 0);
    buf_put(&r.err, "", 0);
    return r;
}

/* Runs argv with stdin (may be NULL) and collects its output and exit code. */
static struct result run_in(const void *in, size_t inlen, char **argv)
{
    int fds[3];
    pid_t pid = start(argv, fds);
    return finish(argv[0], pid, fds, in, inlen);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
static struct result run(char **argv) { return run_in(NULL, 0, argv); }

#endif
