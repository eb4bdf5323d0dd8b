/* burrow-jailer: starts one VMM (QEMU) for burrowd, detached from the daemon's session,
 * writes "<pid> <starttime>" so burrowd can adopt the VMM after a restart, and stays alive as
 * the VMM's parent so it is reaped (this machine's PID 1 does not reap orphans).
 *
 * usage: burrow-jailer --name <instance/vmid> --pid-file <path> --stdout <file> --stderr <file>
 *                      -- <program> [args...]
 */
#include <errno.h>
#include <fcntl.h>
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

static void usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "burrow-jailer: %s\n", msg);
    fprintf(stderr, "usage: burrow-jailer --name <instance/vmid> --pid-file <path> "
                    "--stdout <file> --stderr <file> -- <program> [args...]\n");
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
    const char *name = NULL, *pidfile = NULL, *out = NULL, *err = NULL;
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
        if (!own_session)
            setsid(); /* we led a process group already: detach the VMM itself */
        close_from(3);
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
