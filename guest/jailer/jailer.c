/* burrow-jailer: starts one VMM (QEMU) for burrowd, detached from the daemon's session,
 * writes "<pid> <starttime>" so burrowd can adopt the VMM after a restart, and stays alive as
 * the VMM's parent so it is reaped (this machine's PID 1 does not reap orphans).
 *
 * With --console PATH the program gets the write end of a pipe as fd 3 (QEMU: -serial
 * file:/dev/fd/3) and the jailer keeps what arrives in a bounded ring of two files: PATH, and
 * PATH.1 with the half before. When PATH reaches half of --console-bytes (default 1 MiB) it
 * becomes PATH.1 and a new PATH starts, so the console never takes more than that, however
 * much the guest prints. The jailer outlives burrowd (it is the VMM's parent), so the ring keeps
 * working across daemon restarts.
 *
 * With --netns PATH (a bind-mounted network namespace, e.g. /run/netns/NAME) the program runs
 * in that network namespace; the jailer itself stays in the host's. Only the benchmark network
 * path uses it today (docs/adr/0014-bench-network-path.md).
 *
 * usage: burrow-jailer --name <instance/vmid> --pid-file <path> --stdout <file> --stderr <file>
 *                      [--console <file> [--console-bytes N]] [--netns <path>] -- <program> [args...]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define CONSOLE_FD 3
#define CONSOLE_BYTES_DEFAULT (1ull << 20)
#define CONSOLE_BYTES_MIN 8192ull
#define CONSOLE_READ 16384

/* The console ring: `path` holds at most `half` bytes, `path`.1 the previous half. */
struct ring {
    const char *path;
    char old[4096];
    unsigned long long half;
    unsigned long long size; /* bytes in the current half */
    int fd;
};

static int ring_open(struct ring *r, int truncate)
{
    r->fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0640);
    if (r->fd < 0)
        return -1;
    struct stat st;
    r->size = fstat(r->fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
    return 0;
}

/* The current half is full: it becomes the old half, and a new one starts. */
static void ring_rotate(struct ring *r)
{
    close(r->fd);
    if (rename(r->path, r->old) < 0)
        fprintf(stderr, "burrow-jailer: rotate %s: %s\n", r->path, strerror(errno));
    if (ring_open(r, 1) < 0)
        fprintf(stderr, "burrow-jailer: open %s: %s\n", r->path, strerror(errno));
}

static void ring_write(struct ring *r, const char *p, size_t n)
{
    while (n > 0 && r->fd >= 0) {
        if (r->size >= r->half) {
            ring_rotate(r);
            continue;
        }
        size_t room = (size_t)(r->half - r->size);
        size_t k = n < room ? n : room;
        ssize_t w = write(r->fd, p, k);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* disk full or gone: drop the console rather than stall the VMM */
        r->size += (unsigned long long)w;
        p += w;
        n -= (size_t)w;
    }
}

/* Copies the console pipe into the ring until every writer has closed it (the VMM exited). */
static void ring_pump(struct ring *r, int rfd)
{
    char buf[CONSOLE_READ];
    for (;;) {
        struct pollfd p = { .fd = rfd, .events = POLLIN };
        int rc = poll(&p, 1, -1);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        ssize_t n = read(rfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        ring_write(r, buf, (size_t)n);
    }
}

static void usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "burrow-jailer: %s\n", msg);
    fprintf(stderr, "usage: burrow-jailer --name <instance/vmid> --pid-file <path> "
                    "--stdout <file> --stderr <file> [--console <file> [--console-bytes N]] "
                    "[--netns <path>] -- <program> [args...]\n");
    exit(2);
}

static void close_from(int lowfd)
{
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = lowfd; fd < max; fd++)
        close(fd);
}

/* Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat. The command name (field 2)
 * may contain spaces and ')' so parsing starts after the last ')'. */
static int read_starttime(pid_t pid, unsigned long long *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* After ")" come fields 3, 4, ...; field 22 is the 20th of them. */
    for (int field = 3; field < 22; field++) {
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p)
        return -1;
    *out = v;
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, unsigned long long start)
{
    char tmp[4096], line[64];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    int len = snprintf(line, sizeof line, "%d %llu\n", (int)pid, start);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, line, (size_t)len) != len || fsync(fd) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

int main(int argc, char **argv)
{
    const char *name = NULL, *pidfile = NULL, *out = NULL, *err = NULL, *console = NULL;
    const char *netns = NULL;
    unsigned long long console_bytes = CONSOLE_BYTES_DEFAULT;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            usage("missing value or unknown option");
        if (strcmp(a, "--name") == 0)
            name = argv[++i];
        else if (strcmp(a, "--pid-file") == 0)
            pidfile = argv[++i];
        else if (strcmp(a, "--stdout") == 0)
            out = argv[++i];
        else if (strcmp(a, "--stderr") == 0)
            err = argv[++i];
        else if (strcmp(a, "--console") == 0)
            console = argv[++i];
        else if (strcmp(a, "--netns") == 0)
            netns = argv[++i];
        else if (strcmp(a, "--console-bytes") == 0) {
            char *end;
            errno = 0;
            console_bytes = strtoull(argv[++i], &end, 10);
            if (errno || *end || console_bytes < CONSOLE_BYTES_MIN)
                usage("--console-bytes must be a number >= 8192");
        }
        else
            usage("unknown option");
    }
    if (!name || !*name)
        usage("--name is required");
    if (!pidfile || !*pidfile)
        usage("--pid-file is required");
    if (!out || !*out)
        usage("--stdout is required");
    if (!err || !*err)
        usage("--stderr is required");
    if (i >= argc || !argv[i][0])
        usage("no program after --");
    char **prog = argv + i;

    struct ring ring = { .path = console, .half = console_bytes / 2, .fd = -1 };
    int cpipe[2] = { -1, -1 };
    if (console) {
        if (snprintf(ring.old, sizeof ring.old, "%s.1", console) >= (int)sizeof ring.old)
            usage("--console path too long");
        if (ring_open(&ring, 0) < 0) {
            fprintf(stderr, "burrow-jailer: %s: open %s: %s\n", name, console, strerror(errno));
            return 1;
        }
        if (pipe2(cpipe, O_CLOEXEC) < 0) {
            perror("burrow-jailer: pipe");
            return 1;
        }
    }

    /* A new session: a Ctrl-C on a foreground burrowd never reaches the VMM. This fails only
     * if we already lead a process group; then the child starts the new session instead. */
    int own_session = setsid() >= 0;
    if (!own_session && errno != EPERM) {
        perror("burrow-jailer: setsid");
        return 1;
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    /* Block SIGTERM until the child pid is known, so it is always forwarded. */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);

    /* Later: unshare mount/pid/ipc/uts/net namespaces, pivot into a private minimal root with
     * only this microVM's files, join the microVM's cgroup (cpu, memory, pids), and drop to the
     * microVM's uid/gid here, before the fork (DESIGN.md §5). QEMU itself adds seccomp with
     * -sandbox on. The pid file keeps holding the host pid and start time. */

    pid_t pid = fork();
    if (pid < 0) {
        perror("burrow-jailer: fork");
        return 1;
    }
    if (pid == 0) {
        int fin = open("/dev/null", O_RDONLY);
        int fo = open(out, O_WRONLY | O_CREAT | O_APPEND, 0640);
        int fe = open(err, O_WRONLY | O_CREAT | O_APPEND, 0640);
        if (fin < 0 || fo < 0 || fe < 0) {
            /* Report where we can: the stderr file if it opened, else the jailer's stderr. */
            int e = errno;
            dprintf(fe >= 0 ? fe : 2, "burrow-jailer: %s: cannot open stdio: %s\n", name,
                    strerror(e));
            _exit(127);
        }
        if (dup2(fin, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        if (netns) {
            int nfd = open(netns, O_RDONLY | O_CLOEXEC);
            if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) {
                dprintf(2, "burrow-jailer: %s: enter network namespace %s: %s\n", name, netns,
                        strerror(errno));
                _exit(127);
            }
            close(nfd);
        }
        /* fd 3 is the console pipe's write end (dup2 clears close-on-exec) */
        if (console && (cpipe[1] == CONSOLE_FD ? fcntl(CONSOLE_FD, F_SETFD, 0)
                                               : dup2(cpipe[1], CONSOLE_FD)) < 0)
            _exit(127);
        if (!own_session)
            setsid(); /* we led a process group already: detach the VMM itself */
        close_from(console ? CONSOLE_FD + 1 : 3);
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < 65; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(prog[0], prog);
        dprintf(2, "burrow-jailer: %s: exec %s: %s\n", name, prog[0], strerror(errno));
        _exit(127);
    }

    child_pid = pid;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);

    unsigned long long start = 0;
    if (read_starttime(pid, &start) < 0 || write_pid_file(pidfile, pid, start) < 0) {
        fprintf(stderr, "burrow-jailer: %s: cannot write pid file %s: %s\n", name, pidfile,
                strerror(errno));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }

    if (console) {
        close(cpipe[1]); /* only the VMM writes: EOF when it exits */
        ring_pump(&ring, cpipe[0]);
        close(cpipe[0]);
        if (ring.fd >= 0)
            close(ring.fd);
    }

    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            perror("burrow-jailer: waitpid");
            return 1;
        }
    }
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}
