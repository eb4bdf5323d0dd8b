/* burrow-agent: PID 1 of every Burrow microVM, and the guest end of the agent protocol.
 * One thread, one poll() loop: the channel, a signalfd, child pipes and TCP sockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "builtins.h"
#include "cpustat.h"

struct agent A;

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- sending ---- */

void send_frame(uint8_t type, uint32_t stream, const void *payload, uint32_t len)
{
    static uint64_t dropped;
    if (outq_push(&A.out, type, stream, payload, len) < 0) {
        /* Only reachable when the host stops reading for long: we never block on it. */
        if (dropped++ % 1000 == 0)
            log_msg("outbound queue full: dropped frame type 0x%02x on stream %u (%llu so far)",
                    type, stream, (unsigned long long)dropped);
    }
}

void send_error(uint32_t stream, const char *fmt, ...)
{
    char msg[1024];
    uint8_t pl[sizeof msg + 4];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    long len = enc_str(pl, sizeof pl, msg, (size_t)n);
    if (len >= 0)
        send_frame(T_ERROR, stream, pl, (uint32_t)len);
}

void send_window(struct stream *s)
{
    uint8_t pl[4];
    if (s->window_owed == 0)
        return;
    long n = enc_u32(pl, sizeof pl, s->window_owed);
    send_frame(T_WINDOW, s->id, pl, (uint32_t)n);
    s->in_credit += s->window_owed;
    s->window_owed = 0;
}

/* ---- control ---- */

static void drop_connection_state(const char *why)
{
    log_msg("protocol: %s: dropping connection state, waiting for HELLO", why);
    streams_abort_all();
    fr_reset(&A.reader);
    A.greeted = 0;
}

static void handle_hello(const struct frame *f)
{
    struct msg_hello h;
    const char *why;
    char detail[1024];
    uint8_t pl[1200];

    if (dec_hello(f->payload, f->len, &h, &why) < 0) {
        send_error(0, "bad HELLO: %s", why);
        return;
    }
    uint32_t problems = uniqueness_apply(&h, detail, sizeof detail);
    /* A new host session: what the previous one never read is moot, and so are its streams. */
    outq_drop_unstarted(&A.out);
    streams_abort_all();
    A.greeted = 1;

    struct msg_hello_ack ack = {
        .nonce = h.nonce,
        .protocol_version = PROTO_VERSION,
        .agent_version = AGENT_VERSION,
        .agent_version_len = (uint32_t)strlen(AGENT_VERSION),
        .problems = problems,
        .detail = detail,
        .detail_len = (uint32_t)strlen(detail),
        .entrypoint_state = A.ep_state,
        .entrypoint_exit_code = A.ep_code,
        .entrypoint_signal = A.ep_signal,
    };
    long n = enc_hello_ack(pl, sizeof pl, &ack);
    if (n >= 0)
        send_frame(T_HELLO_ACK, 0, pl, (uint32_t)n);
    if (problems)
        log_msg("HELLO: problems 0x%x: %s", problems, detail);
}

/* Answers at once from one read of each counter file; nothing is allocated but the queued frame.
 * A sample that cannot be taken gets no answer (the host counts it as unknown) and one LOG. */
static void handle_stats(const struct frame *f)
{
    static int failure_logged;
    struct cpu_sample s;
    uint64_t nonce;
    const char *why;
    uint8_t pl[STATS_REPLY_LEN];

    if (dec_u64_only(f->payload, f->len, &nonce, &why) < 0) {
        log_host("bad STATS: %s", why);
        return;
    }
    if (cpustat_read(&s, &why) < 0) {
        if (!failure_logged) {
            failure_logged = 1;
            log_host("STATS: %s (no answer; logged once)", why);
        }
        return;
    }
    struct msg_stats_reply r = {
        .nonce = nonce,
        .total_ticks = s.total_ticks,
        .idle_ticks = s.idle_ticks,
        .agent_ticks = s.agent_ticks,
        .ticks_per_second = s.ticks_per_second,
        .cpus = s.cpus,
    };
    long n = enc_stats_reply(pl, sizeof pl, &r);
    if (n >= 0)
        send_frame(T_STATS_REPLY, 0, pl, (uint32_t)n);
}

static void handle_entrypoint_frame(const struct frame *f)
{
    const char *why;
    int32_t sig;
    switch (f->type) {
    case T_SIGNAL:
        if (dec_i32_only(f->payload, f->len, &sig, &why) < 0) {
            log_host("bad SIGNAL for the entrypoint: %s", why);
            return;
        }
        if (kill(-A.ep_pid, sig) < 0 && errno != ESRCH)
            log_host("SIGNAL %d to the entrypoint: %s", sig, strerror(errno));
        break;
    case T_CLOSE:
        kill(-A.ep_pid, SIGKILL);
        A.ep_stream = 0; /* its end is still reported with ENTRYPOINT_EXIT */
        break;
    default:
        break; /* the entrypoint has no stdio or credit on the channel */
    }
}

static void handle_frame(const struct frame *f)
{
    const char *why;
    uint32_t id = f->stream;

    if (id == 0) {
        switch (f->type) {
        case T_HELLO:
            handle_hello(f);
            break;
        case T_PING:
            if (f->len <= PING_MAX)
                send_frame(T_PONG, 0, f->payload, f->len);
            break;
        case T_STATS:
            handle_stats(f);
            break;
        default:
            A.unknown_frames++;
            break;
        }
        return;
    }

    if (f->type == T_EXEC || f->type == T_TCP_CONNECT) {
        if (!A.greeted) {
            send_error(id, "no HELLO on this connection yet");
            return;
        }
        if (id == A.ep_stream)
            A.ep_stream = 0; /* a new session reuses the id: the entrypoint lives on, detached */
        struct stream *old = stream_find(id);
        if (old) {
            send_error(id, "stream %u is already open", id);
            stream_abort(old);
            return;
        }
        if (f->type == T_EXEC)
            exec_start(id, f->payload, f->len);
        else
            tcp_start(id, f->payload, f->len);
        return;
    }

    switch (f->type) {
    case T_STDIN:
    case T_SIGNAL:
    case T_WINDOW:
    case T_DATA:
    case T_CLOSE:
    case T_RESIZE:
        break;
    default:
        A.unknown_frames++;
        return;
    }

    if (id == A.ep_stream && A.ep_pid > 0) {
        handle_entrypoint_frame(f);
        return;
    }
    struct stream *s = stream_find(id);
    if (!s)
        return; /* late frame for a stream that already ended */

    switch (f->type) {
    case T_STDIN:
        if (s->kind != SK_EXEC) {
            send_error(id, "STDIN on a TCP stream");
            stream_abort(s);
            return;
        }
        exec_on_stdin(s, f->payload, f->len);
        break;
    case T_DATA:
        if (s->kind != SK_TCP) {
            send_error(id, "DATA on an exec stream");
            stream_abort(s);
            return;
        }
        tcp_on_data(s, f->payload, f->len);
        break;
    case T_SIGNAL: {
        int32_t sig;
        if (dec_i32_only(f->payload, f->len, &sig, &why) < 0 || s->kind != SK_EXEC) {
            send_error(id, "bad SIGNAL: %s", s->kind != SK_EXEC ? "not an exec stream" : why);
            stream_abort(s);
            return;
        }
        exec_signal(s, sig);
        break;
    }
    case T_RESIZE: {
        uint16_t cols, rows;
        if (s->kind != SK_EXEC || !s->pty) {
            send_error(id, "RESIZE on a stream without a terminal");
            stream_abort(s);
            return;
        }
        if (dec_resize(f->payload, f->len, &cols, &rows, &why) < 0) {
            send_error(id, "bad RESIZE: %s", why);
            stream_abort(s);
            return;
        }
        exec_resize(s, cols, rows);
        break;
    }
    case T_WINDOW: {
        uint32_t inc;
        if (dec_u32_only(f->payload, f->len, &inc, &why) < 0) {
            send_error(id, "bad WINDOW: %s", why);
            stream_abort(s);
            return;
        }
        if (s->out_credit + inc > MAX_CREDIT) {
            send_error(id, "WINDOW overflow (credit %llu + %u > 2^31)",
                       (unsigned long long)s->out_credit, inc);
            stream_abort(s);
            return;
        }
        s->out_credit += inc;
        break;
    }
    case T_CLOSE:
        stream_abort(s); /* no EXIT: the host already considers the stream over */
        break;
    }
}

/* ---- channel ---- */

static void test_mode_exit(void)
{
    log_msg("channel closed: exiting (test mode)");
    streams_abort_all();
    if (A.ep_pid > 0)
        kill(-A.ep_pid, SIGKILL);
    exit(0);
}

static void set_hung(void)
{
    if (A.chan_is_socket)
        test_mode_exit();
    if (!A.hung)
        log_msg("no host on the port: waiting");
    A.hung = 1;
    A.hung_recheck = now_ms() + HANGUP_RECHECK_MS;
}

static void recheck_hung(void)
{
    struct pollfd p = { .fd = A.chan_fd, .events = POLLIN | POLLOUT };
    if (poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
        A.hung = 0;
        log_msg("host connected");
    } else {
        A.hung_recheck = now_ms() + HANGUP_RECHECK_MS;
    }
}

static void chan_read(void)
{
    size_t room;
    uint8_t *dst = fr_space(&A.reader, &room);
    if (room == 0) { /* cannot happen (the reader holds at most one partial frame); be safe */
        fr_reset(&A.reader);
        dst = fr_space(&A.reader, &room);
    }
    ssize_t r = read(A.chan_fd, dst, room);
    if (r < 0 && errno == EINTR)
        return;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!A.chan_is_socket)
            set_hung(); /* virtio-serial: readable but nothing there = no host */
        return;
    }
    if (r <= 0) {
        if (r < 0)
            log_msg("channel read: %s", strerror(errno));
        set_hung();
        return;
    }
    fr_commit(&A.reader, (size_t)r);
    for (;;) {
        struct frame f;
        int rc = fr_next(&A.reader, &f);
        if (rc == FR_NEED)
            break;
        if (rc == FR_FATAL_VERSION || rc == FR_FATAL_LENGTH) {
            drop_connection_state(rc == FR_FATAL_VERSION ? "unknown frame version"
                                                         : "frame length over 65536");
            break;
        }
        handle_frame(&f);
    }
}

static void chan_flush(void)
{
    if (A.hung || !A.out.head)
        return;
    if (outq_flush(&A.out, A.chan_fd) < 0) {
        if (!A.chan_is_socket)
            log_msg("channel write: %s", strerror(errno));
        set_hung();
    }
}

/* ---- children ---- */

static void reap(void)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0)
            break;
        if (p == A.ep_pid) {
            entrypoint_exited(st);
            continue;
        }
        for (int i = 0; i < MAX_STREAMS; i++) {
            struct stream *s = A.streams[i];
            if (s && s->kind == SK_EXEC && s->pid == p && !s->exited) {
                exec_child_exited(s, st);
                break;
            }
        }
    }
}

/* ---- loop ---- */

enum { W_SIG, W_CHAN, W_STDIN, W_STDOUT, W_STDERR, W_SOCK };

struct pmeta {
    int what;
    int slot;
    uint64_t serial;
};

static struct pollfd pfd[2 + 3 * MAX_STREAMS];
static struct pmeta meta[2 + 3 * MAX_STREAMS];

static struct stream *alive(const struct pmeta *m)
{
    struct stream *s = A.streams[m->slot];
    return (s && s->serial == m->serial) ? s : NULL;
}

static void add_fd(int *n, int fd, short ev, int what, int slot, uint64_t serial)
{
    pfd[*n].fd = fd;
    pfd[*n].events = ev;
    pfd[*n].revents = 0;
    meta[*n].what = what;
    meta[*n].slot = slot;
    meta[*n].serial = serial;
    (*n)++;
}

static void loop(void)
{
    for (;;) {
        int n = 0;
        int64_t now = now_ms();
        int64_t deadline = -1;
        int can_produce = A.out.bytes < OUTQ_HIGH_WATER;

        add_fd(&n, A.sig_fd, POLLIN, W_SIG, 0, 0);
        if (!A.hung) {
            short ev = 0;
            if (A.out.bytes < OUTQ_CHAN_LIMIT)
                ev |= POLLIN;
            if (A.out.head)
                ev |= POLLOUT;
            add_fd(&n, A.chan_fd, ev, W_CHAN, 0, 0);
        } else {
            deadline = A.hung_recheck;
        }
        for (int i = 0; i < MAX_STREAMS; i++) {
            struct stream *s = A.streams[i];
            if (!s)
                continue;
            if (s->kind == SK_EXEC) {
                if (s->in_fd >= 0 && s->in.len > 0)
                    add_fd(&n, s->in_fd, POLLOUT, W_STDIN, i, s->serial);
                if (can_produce && credit_room(s->out_credit, 1) > 0) {
                    if (s->out_fd >= 0)
                        add_fd(&n, s->out_fd, POLLIN, W_STDOUT, i, s->serial);
                    if (s->err_fd >= 0)
                        add_fd(&n, s->err_fd, POLLIN, W_STDERR, i, s->serial);
                }
                if (s->exited && (deadline < 0 || s->drain_deadline < deadline))
                    deadline = s->drain_deadline;
            } else {
                short ev = 0;
                if (s->connecting) {
                    ev = POLLOUT;
                } else {
                    if (s->in.len > 0)
                        ev |= POLLOUT;
                    if (can_produce && credit_room(s->out_credit, 1) > 0 && !s->sock_eof_sent)
                        ev |= POLLIN;
                }
                if (ev)
                    add_fd(&n, s->sock, ev, W_SOCK, i, s->serial);
            }
        }

        int timeout = A.sig_fd < 0 ? HANGUP_RECHECK_MS : -1;
        if (deadline >= 0 && (timeout < 0 || deadline - now < timeout))
            timeout = deadline <= now ? 0 : (int)(deadline - now);
        int rc = poll(pfd, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR) {
            log_msg("poll: %s", strerror(errno));
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }

        for (int i = 0; rc > 0 && i < n; i++) {
            short re = pfd[i].revents;
            if (!re)
                continue;
            struct stream *s;
            switch (meta[i].what) {
            case W_SIG: {
                struct signalfd_siginfo si;
                int chld = 0, io = 0;
                while (read(A.sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
                    if (si.ssi_signo == SIGCHLD)
                        chld = 1;
                    else if (si.ssi_signo == SIGIO)
                        io = 1;
                }
                if (chld)
                    reap();
                if (io && A.hung)
                    recheck_hung();
                break;
            }
            case W_CHAN:
                if (re & POLLOUT)
                    chan_flush();
                if (A.hung)
                    break;
                if (re & (POLLIN | POLLERR | POLLNVAL))
                    chan_read();
                else if (re & POLLHUP)
                    set_hung();
                break;
            case W_STDIN:
                if ((s = alive(&meta[i])))
                    exec_flush_stdin(s);
                break;
            case W_STDOUT:
                if ((s = alive(&meta[i])))
                    exec_read_pipe(s, 1);
                break;
            case W_STDERR:
                if ((s = alive(&meta[i])))
                    exec_read_pipe(s, 2);
                break;
            case W_SOCK:
                if (!(s = alive(&meta[i])))
                    break;
                if (s->connecting) {
                    tcp_on_connect_ready(s);
                    break;
                }
                if (re & (POLLOUT | POLLERR | POLLHUP)) {
                    if (s->in.len > 0)
                        tcp_flush(s);
                    if (!(s = alive(&meta[i])))
                        break;
                }
                if (re & (POLLIN | POLLERR | POLLHUP))
                    tcp_read(s);
                break;
            }
        }

        now = now_ms();
        for (int i = 0; i < MAX_STREAMS; i++) {
            struct stream *s = A.streams[i];
            if (s && s->kind == SK_EXEC && s->exited)
                exec_check_drain(s, now);
        }
        if (A.hung && now >= A.hung_recheck)
            recheck_hung();
        if (A.sig_fd < 0)
            reap(); /* no signalfd: reap on every turn (the timeout below bounds the wait) */
        chan_flush();
    }
}

/* ---- startup ---- */

static int connect_unix(const char *path)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "burrow-agent: socket path too long: %s\n", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: burrow-agent                    (as PID 1: boot the microVM)\n"
                    "       burrow-agent --connect SOCKET   (test mode: serve a unix socket)\n"
                    "       burrow-agent --version\n"
                    "       burrow-agent " WARM_UP_ARG "   (only as the " BUILTIN_WARM_UP " builtin's child)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *connect_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("burrow-agent %s (protocol %u)\n", AGENT_VERSION, PROTO_VERSION);
            return 0;
        } else if (strcmp(argv[i], WARM_UP_ARG) == 0 && argc == 2) {
            _exit(warm_up_give_back_pid(NS_LAST_PID));
        } else if (strcmp(argv[i], "--connect") == 0 && i + 1 < argc) {
            connect_path = argv[++i];
        } else {
            usage();
        }
    }
    if (!connect_path && getpid() != 1)
        usage();

    A.chan_fd = A.sig_fd = -1;
    A.port_name = "burrow.agent";
    A.boot_mode = connect_path == NULL;
    fr_init(&A.reader);

    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, NULL);
    A.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (A.sig_fd < 0) {
        log_msg("signalfd: %s", strerror(errno));
        if (!A.boot_mode)
            return 1;
    }

    if (A.boot_mode) {
        boot_init();
        for (;;) {
            A.chan_fd = open_port(A.port_name, PORT_WAIT_MS);
            if (A.chan_fd >= 0)
                break;
            log_msg("virtio port %s not found yet", A.port_name);
        }
        /* SIGIO when the host end connects, so a hung-up port costs no polling. */
        if (fcntl(A.chan_fd, F_SETOWN, getpid()) < 0 ||
            fcntl(A.chan_fd, F_SETFL, fcntl(A.chan_fd, F_GETFL) | O_ASYNC | O_NONBLOCK) < 0)
            log_msg("port O_ASYNC: %s (falling back to %d ms polling)", strerror(errno),
                    HANGUP_RECHECK_MS);
    } else {
        for (int fd = 0; fd < 3; fd++) {
            if (fcntl(fd, F_GETFD) < 0) {
                int nfd = open("/dev/null", O_RDWR);
                if (nfd >= 0 && nfd != fd) {
                    dup2(nfd, fd);
                    close(nfd);
                }
            }
        }
        A.chan_fd = connect_unix(connect_path);
        if (A.chan_fd < 0) {
            fprintf(stderr, "burrow-agent: connect %s: %s\n", connect_path, strerror(errno));
            return 1;
        }
        A.chan_is_socket = 1;
        set_nonblock(A.chan_fd);
    }

    uint8_t pl[64];
    long n = enc_announce(pl, sizeof pl, PROTO_VERSION, AGENT_VERSION);
    send_frame(T_ANNOUNCE, 0, pl, (uint32_t)n);
    chan_flush();
    reap();
    loop();
    return 0;
}
