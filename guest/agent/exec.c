/* EXEC streams: fork/exec a command (or run a builtin in the forked agent) in its own session,
 * with piped stdio or on a new pseudo-terminal, relay its output within the host's credit,
 * report its exit. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"
#include "builtins.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_TERM "xterm-256color"
#define N_DEFAULT_ENV 5
#define WINDOW_BATCH 65536u

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* ---- environment ---- */

static size_t key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Sets kv (a "K=V" string that outlives envp) in envp, replacing an entry with the same key. */
static void env_set(char **envp, size_t *n, char *kv)
{
    size_t k = key_len(kv);
    for (size_t i = 0; i < *n; i++) {
        if (key_len(envp[i]) == k && strncmp(envp[i], kv, k) == 0) {
            envp[i] = kv;
            return;
        }
    }
    envp[(*n)++] = kv;
}

static char *kv_dup(const char *k, const char *v)
{
    size_t kl = strlen(k), vl = strlen(v);
    char *s = malloc(kl + vl + 2);
    if (!s)
        return NULL;
    memcpy(s, k, kl);
    s[kl] = '=';
    memcpy(s + kl + 1, v, vl + 1);
    return s;
}

/* ---- child side (runs between fork and exec: only plain syscalls and stack buffers) ---- */

static void child_fail(int errfd, const char *what, const char *arg, int err)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s%s%s: %s", what, arg ? " " : "", arg ? arg : "",
                     strerror(err));
    if (n > 0) {
        ssize_t r = write(errfd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)r;
    }
    _exit(126);
}

static void close_from(int lowfd)
{
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
        return;
    for (int fd = lowfd; fd < 65536; fd++)
        close(fd);
}

static const char *env_get(char **envp, const char *key)
{
    size_t k = strlen(key);
    for (; *envp; envp++)
        if (strncmp(*envp, key, k) == 0 && (*envp)[k] == '=')
            return *envp + k + 1;
    return NULL;
}

static void exec_search(char **argv, char **envp)
{
    const char *file = argv[0];
    int err = ENOENT;
    if (file[0] == 0) {
        err = ENOENT;
    } else if (strchr(file, '/')) {
        execve(file, argv, envp);
        err = errno;
    } else {
        const char *path = env_get(envp, "PATH");
        int eacces = 0;
        if (!path)
            path = DEFAULT_PATH;
        size_t flen = strlen(file);
        for (const char *p = path;; ) {
            const char *end = strchr(p, ':');
            size_t dlen = end ? (size_t)(end - p) : strlen(p);
            char buf[4096];
            if (dlen + 1 + flen + 1 <= sizeof buf) {
                size_t o = 0;
                if (dlen == 0) {
                    buf[o++] = '.';
                } else {
                    memcpy(buf, p, dlen);
                    o = dlen;
                }
                buf[o++] = '/';
                memcpy(buf + o, file, flen + 1);
                execve(buf, argv, envp);
                if (errno == EACCES) {
                    eacces = 1;
                } else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) {
                    err = errno;
                    break;
                }
            }
            if (!end) {
                err = eacces ? EACCES : ENOENT;
                break;
            }
            p = end + 1;
        }
    }
    char msg[512];
    int n = snprintf(msg, sizeof msg, "burrow: %s: %s\n", file, strerror(err));
    if (n > 0) {
        ssize_t r = write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)r;
    }
    _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

static void child_run(const struct msg_exec *m, const struct user_info *u, char **envp,
                      int fd0, int fd1, int fd2, int errfd)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);

    if (setsid() < 0)
        child_fail(errfd, "setsid", NULL, errno);
    /* A PTY exec passes the slave as fd0 = fd1 = fd2: it becomes the controlling terminal of
     * the new session. */
    if ((m->flags & EXEC_F_PTY) && ioctl(fd0, TIOCSCTTY, 0) < 0)
        child_fail(errfd, "TIOCSCTTY", NULL, errno);

    /* fds 0-2 are always open in the agent, so every fd here is >= 3. */
    if (fd0 >= 0 && dup2(fd0, 0) < 0)
        child_fail(errfd, "dup2", NULL, errno);
    if (fd1 >= 0 && dup2(fd1, 1) < 0)
        child_fail(errfd, "dup2", NULL, errno);
    if (fd2 >= 0 && dup2(fd2, 2) < 0)
        child_fail(errfd, "dup2", NULL, errno);
    if (errfd != 3) {
        if (dup3(errfd, 3, O_CLOEXEC) < 0)
            _exit(126);
        errfd = 3;
    }
    close_from(4);

    int root = geteuid() == 0;
    if (root || u->uid != geteuid() || u->gid != getegid()) {
        if (setgroups((size_t)u->ngroups, u->groups) < 0 && !(errno == EPERM && u->uid == geteuid()))
            child_fail(errfd, "setgroups for user", u->name, errno);
        if (setgid(u->gid) < 0)
            child_fail(errfd, "setgid for user", u->name, errno);
        if (setuid(u->uid) < 0)
            child_fail(errfd, "setuid for user", u->name, errno);
    }

    if (m->cwd[0]) {
        if (chdir(m->cwd) < 0)
            child_fail(errfd, "chdir", m->cwd, errno);
    } else if (chdir(u->home) < 0 && chdir("/") < 0) {
        child_fail(errfd, "chdir", "/", errno);
    }
    if (m->flags & EXEC_F_BUILTIN) {
        /* Setup is over: EOF on the error pipe tells the parent the builtin has started. */
        close(errfd);
        environ = envp;
        _exit(builtin_main((int)m->argc, m->argv));
    }
    exec_search(m->argv, envp);
}

/* ---- parent side ---- */

static int mkpipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    return 0;
}

/* A new pseudo-terminal of cols x rows: *master (non-blocking) and *slave, both close-on-exec,
 * the slave owned by the exec's user. Returns 0 or -1 with errno. */
static int open_pty(const struct user_info *u, uint16_t cols, uint16_t rows, int *master, int *slave)
{
    char name[64];
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    int mfd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (mfd < 0)
        return -1;
    if (grantpt(mfd) < 0 || unlockpt(mfd) < 0 || ptsname_r(mfd, name, sizeof name) != 0 ||
        ioctl(mfd, TIOCSWINSZ, &ws) < 0)
        goto fail;
    int sfd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (sfd < 0)
        goto fail;
    /* devpts gives the slave to the opener (the agent, root): the user must own its terminal,
     * and nobody else may read or type into it (there is no tty group in a minimal image). */
    if (fchown(sfd, u->uid, u->gid) < 0 || fchmod(sfd, S_IRUSR | S_IWUSR) < 0) {
        int e = errno;
        close(sfd);
        errno = e;
        goto fail;
    }
    *master = mfd;
    *slave = sfd;
    return 0;
fail:;
    int e = errno;
    close(mfd);
    errno = e;
    return -1;
}

static void close2(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    p[0] = p[1] = -1;
}

void exec_start(uint32_t id, const uint8_t *payload, uint32_t len)
{
    struct msg_exec m;
    struct user_info u;
    const char *why;
    char msg[512];
    char **envp = NULL;
    char *defs[N_DEFAULT_ENV] = { NULL };
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, pe[2] = { -1, -1 };
    int nullfd = -1, confd = -1, master = -1, slave = -1;

    if (dec_exec(payload, len, &m, &why) < 0) {
        send_error(id, "bad EXEC: %s", why);
        return;
    }
    int entry = (m.flags & EXEC_F_ENTRYPOINT) != 0;
    int tty = (m.flags & EXEC_F_PTY) != 0;
    if ((m.flags & EXEC_F_BUILTIN) && !builtin_known(m.argv[0])) {
        send_error(id, "unknown builtin %.200s", m.argv[0]);
        goto out;
    }
    if (entry && A.ep_pid > 0) {
        send_error(id, "an entrypoint is already running (pid %d)", (int)A.ep_pid);
        goto out;
    }
    if (!entry && stream_count() >= MAX_STREAMS) {
        send_error(id, "too many streams (max %d)", MAX_STREAMS);
        goto out;
    }
    if (user_lookup(m.user, &u, msg, sizeof msg) < 0) {
        send_error(id, "%s", msg);
        goto out;
    }

    /* Environment: defaults, then the request's entries on top. */
    envp = calloc(N_DEFAULT_ENV + (size_t)m.envc + 1, sizeof *envp);
    int ndefs = 0;
    defs[ndefs++] = kv_dup("PATH", DEFAULT_PATH);
    defs[ndefs++] = kv_dup("HOME", u.home);
    defs[ndefs++] = kv_dup("USER", u.name);
    defs[ndefs++] = kv_dup("LOGNAME", u.name);
    if (tty)
        defs[ndefs++] = kv_dup("TERM", DEFAULT_TERM);
    int oom = !envp;
    for (int i = 0; i < ndefs; i++)
        oom |= !defs[i];
    if (oom) {
        send_error(id, "out of memory");
        goto out;
    }
    size_t envn = 0;
    for (int i = 0; i < ndefs; i++)
        env_set(envp, &envn, defs[i]);
    for (uint32_t i = 0; i < m.envc; i++)
        env_set(envp, &envn, m.env[i]);
    envp[envn] = NULL;

    if (mkpipe(pe) < 0)
        goto syserr;
    if (entry) {
        nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nullfd < 0)
            goto syserr;
        if (A.boot_mode)
            confd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    } else if (tty) {
        if (open_pty(&u, m.cols, m.rows, &master, &slave) < 0)
            goto syserr;
    } else if (mkpipe(pin) < 0 || mkpipe(pout) < 0 || mkpipe(perr) < 0) {
        goto syserr;
    }

    pid_t pid = fork();
    if (pid < 0)
        goto syserr;
    if (pid == 0) {
        if (entry) {
            int o = confd >= 0 ? confd : -1; /* test mode: inherit the agent's stdout/stderr */
            child_run(&m, &u, envp, nullfd, o, o, pe[1]);
        }
        if (tty)
            child_run(&m, &u, envp, slave, slave, slave, pe[1]);
        child_run(&m, &u, envp, pin[0], pout[1], perr[1], pe[1]);
    }

    /* Parent. */
    close(pe[1]);
    pe[1] = -1;
    if (tty) {
        /* Only the child holds the slave now: the master reads EIO once it and its
         * descendants have closed it. */
        close(slave);
        slave = -1;
    } else if (!entry) {
        close(pin[0]);
        close(pout[1]);
        close(perr[1]);
        pin[0] = pout[1] = perr[1] = -1;
    }
    /* Setup errors arrive on the CLOEXEC pipe; EOF with no data means exec happened (or the
     * command failed to exec, which the child reports on its stderr with 126/127). */
    char cerr[512];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(pe[0], cerr + got, sizeof cerr - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got >= sizeof cerr - 1)
            break;
    }
    cerr[got] = 0;
    if (got > 0) {
        send_error(id, "%s", cerr); /* the child has exited; the reaper collects it */
        goto out;
    }

    uint8_t pl[4];
    long n = enc_u32(pl, sizeof pl, (uint32_t)pid);
    if (entry) {
        A.ep_pid = pid;
        A.ep_stream = id;
        A.ep_state = 1;
        A.ep_code = A.ep_signal = 0;
        send_frame(T_STARTED, id, pl, (uint32_t)n);
        goto out;
    }

    struct stream *s = stream_new(id, SK_EXEC);
    if (!s) {
        kill(-pid, SIGKILL);
        send_error(id, "out of memory");
        goto out;
    }
    s->pid = pid;
    if (tty) {
        /* One terminal, two roles: host STDIN is written to a duplicate of the master (closing
         * it at the host's EOF does not hang up the terminal), the master's output is STDOUT. */
        s->pty = 1;
        pin[1] = fcntl(master, F_DUPFD_CLOEXEC, 3);
        pout[0] = master;
        master = -1;
        if (pin[1] < 0) {
            kill(-pid, SIGKILL);
            stream_free(s);
            goto syserr;
        }
    }
    if (m.flags & EXEC_F_STDIN) {
        s->in_fd = pin[1];
        set_nonblock(s->in_fd);
    } else {
        close(pin[1]); /* EOF at once */
        s->host_eof = 1;
    }
    pin[1] = -1;
    s->out_fd = pout[0];
    s->err_fd = perr[0];
    pout[0] = perr[0] = -1;
    set_nonblock(s->out_fd);
    if (s->err_fd >= 0)
        set_nonblock(s->err_fd);
    send_frame(T_STARTED, id, pl, (uint32_t)n);
    goto out;

syserr:
    send_error(id, "cannot start %.200s: %s", m.argv[0], strerror(errno));
out:
    close2(pin);
    close2(pout);
    close2(perr);
    close2(pe);
    if (nullfd >= 0)
        close(nullfd);
    if (confd >= 0)
        close(confd);
    if (master >= 0)
        close(master);
    if (slave >= 0)
        close(slave);
    for (int i = 0; i < N_DEFAULT_ENV; i++)
        free(defs[i]);
    free(envp);
    msg_exec_free(&m);
}

static void finish(struct stream *s)
{
    uint8_t pl[8];
    int code, sig = 0;
    if (WIFSIGNALED(s->status)) {
        sig = WTERMSIG(s->status);
        code = 128 + sig;
    } else {
        code = WEXITSTATUS(s->status);
    }
    long n = enc_i32_pair(pl, sizeof pl, code, sig);
    send_frame(T_EXIT, s->id, pl, (uint32_t)n);
    stream_free(s);
}

void exec_check_drain(struct stream *s, int64_t now)
{
    if (!s->exited)
        return;
    if ((s->out_fd < 0 && s->err_fd < 0) || now >= s->drain_deadline)
        finish(s);
}

void exec_child_exited(struct stream *s, int status)
{
    s->exited = 1;
    s->status = status;
    s->drain_deadline = now_ms() + DRAIN_MS;
    /* Stdin is of no use any more; pending host bytes are dropped (credit is moot). */
    if (s->in_fd >= 0) {
        close(s->in_fd);
        s->in_fd = -1;
    }
    bytebuf_free(&s->in);
    exec_check_drain(s, now_ms());
}

void exec_read_pipe(struct stream *s, int which)
{
    int *fd = which == 1 ? &s->out_fd : &s->err_fd;
    static uint8_t buf[FRAME_MAX_PAYLOAD];
    size_t want = credit_room(s->out_credit, sizeof buf);
    if (*fd < 0 || want == 0 || A.out.bytes >= OUTQ_HIGH_WATER)
        return;
    ssize_t r = read(*fd, buf, want);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        close(*fd);
        *fd = -1;
        exec_check_drain(s, now_ms());
        return;
    }
    credit_take(&s->out_credit, (uint32_t)r);
    send_frame(which == 1 ? T_STDOUT : T_STDERR, s->id, buf, (uint32_t)r);
}

void exec_flush_stdin(struct stream *s)
{
    while (s->in.len > 0 && s->in_fd >= 0) {
        ssize_t w = write(s->in_fd, s->in.p + s->in.off, s->in.len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            break;
        if (w <= 0) { /* EPIPE: the reader is gone; drop what is pending */
            close(s->in_fd);
            s->in_fd = -1;
            break;
        }
        s->window_owed += (uint32_t)w;
        bytebuf_consume(&s->in, (size_t)w);
    }
    if (s->in_fd < 0 && s->in.len > 0) {
        s->window_owed += (uint32_t)s->in.len;
        bytebuf_free(&s->in);
    }
    if (s->in.len == 0 && s->host_eof && s->in_fd >= 0) {
        close(s->in_fd);
        s->in_fd = -1;
    }
    if (s->window_owed >= WINDOW_BATCH || (s->window_owed > 0 && s->in.len == 0))
        send_window(s);
}

void exec_on_stdin(struct stream *s, const uint8_t *p, uint32_t n)
{
    if (stream_take_host_data(s, p, n) < 0) {
        send_error(s->id, "STDIN beyond the window (%u bytes, credit %llu)", n,
                   (unsigned long long)s->in_credit);
        stream_abort(s);
        return;
    }
    if (s->host_eof || s->in_fd < 0) {
        /* Nobody to deliver to (stdin closed or EOF already sent): drop, return the credit. */
        s->window_owed += (uint32_t)s->in.len;
        bytebuf_free(&s->in);
    }
    if (n == 0)
        s->host_eof = 1;
    exec_flush_stdin(s);
}

void exec_resize(struct stream *s, uint16_t cols, uint16_t rows)
{
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    /* The kernel sends SIGWINCH to the terminal's foreground process group. After the master
     * was closed (the exec is ending) there is no terminal left to resize. */
    if (s->out_fd >= 0 && ioctl(s->out_fd, TIOCSWINSZ, &ws) < 0)
        log_host("RESIZE on stream %u: %s", s->id, strerror(errno));
}

void exec_signal(struct stream *s, int sig)
{
    /* On a terminal the signal goes where a typed ^C would: its foreground process group
     * (a job the shell started), else the exec's session. */
    pid_t target = s->pid;
    if (s->pty && s->out_fd >= 0) {
        pid_t fg = tcgetpgrp(s->out_fd);
        if (fg > 0)
            target = fg;
    }
    if (kill(-target, sig) < 0 && errno != ESRCH)
        log_host("SIGNAL %d on stream %u: %s", sig, s->id, strerror(errno));
}

void entrypoint_exited(int status)
{
    int code, sig = 0;
    if (WIFSIGNALED(status)) {
        sig = WTERMSIG(status);
        code = 128 + sig;
    } else {
        code = WEXITSTATUS(status);
    }
    log_msg("entrypoint (pid %d) ended: exit code %d, signal %d", (int)A.ep_pid, code, sig);
    A.ep_pid = 0;
    A.ep_stream = 0;
    A.ep_state = 2;
    A.ep_code = code;
    A.ep_signal = sig;
    if (A.greeted && !A.hung) {
        uint8_t pl[8];
        long n = enc_i32_pair(pl, sizeof pl, code, sig);
        send_frame(T_ENTRYPOINT_EXIT, 0, pl, (uint32_t)n);
    }
}
