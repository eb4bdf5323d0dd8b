/* burrow-agent: shared state and interfaces between the agent's source files. */
#ifndef BURROW_AGENT_H
#define BURROW_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "payload.h"
#include "proto.h"

#define AGENT_VERSION "0.7.0"

#define MAX_STREAMS 1024
#define MAX_CREDIT 2147483648u          /* 2^31: more credit than this is a violation */
#define OUTQ_HIGH_WATER (1u << 20)      /* stop reading pipes/sockets above this */
#define OUTQ_CHAN_LIMIT (2u << 20)      /* stop reading the channel above this */
#define OUTQ_HARD_CAP (4u << 20)        /* never queue more than this */
#define DRAIN_MS 100
#define HANGUP_RECHECK_MS 100
#define PORT_WAIT_MS 10000

/* ---- log.c ---- */
void log_set_fd(int fd);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Also sends the line to the host as a LOG frame when a host is greeted. */
void log_host(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- outq.c: outbound frame queue ---- */
struct oframe {
    struct oframe *next;
    size_t len, off;
    uint8_t data[];
};

struct outq {
    struct oframe *head, *tail;
    size_t bytes;
};

/* Queues one frame; -1 (frame dropped) if the hard cap would be exceeded. */
int outq_push(struct outq *q, uint8_t type, uint32_t stream, const void *payload, uint32_t len);
/* Writes as much as the fd takes. Returns 0 (all written or EAGAIN) or -1 with errno. */
int outq_flush(struct outq *q, int fd);
/* Drops every frame not yet started (a partially written frame is kept). */
void outq_drop_unstarted(struct outq *q);

/* ---- streams ---- */
enum stream_kind { SK_EXEC = 1, SK_TCP = 2 };

struct bytebuf {
    uint8_t *p;
    size_t off, len; /* pending data is p[off .. off+len) */
    size_t cap;
};

struct stream {
    uint32_t id;
    uint64_t serial;
    enum stream_kind kind;
    uint64_t out_credit;   /* bytes we may still send to the host */
    uint64_t in_credit;    /* bytes the host may still send us */
    uint32_t window_owed;  /* consumed host bytes not yet returned with WINDOW */
    struct bytebuf in;     /* host bytes waiting for the child's stdin / the socket */
    int host_eof;          /* host sent an empty STDIN / DATA */

    /* exec */
    pid_t pid;
    int pty;                /* out_fd is a pseudo-terminal master; err_fd is unused */
    int in_fd, out_fd, err_fd;
    int exited;
    int status;
    int64_t drain_deadline; /* monotonic ms */

    /* tcp */
    int sock;
    int connecting;
    uint16_t port;
    int sock_eof_sent;  /* socket reached EOF, empty DATA sent */
    int shut_done;      /* shutdown(SHUT_WR) done after host EOF */
};

struct agent {
    int boot_mode;
    int chan_fd;
    int chan_is_socket;     /* test mode: EOF ends the agent */
    int hung;               /* no host on the port: do not poll it */
    int64_t hung_recheck;   /* monotonic ms */
    int greeted;            /* a HELLO was answered on this connection */
    int sig_fd;
    const char *port_name;

    struct frame_reader reader;
    struct outq out;

    struct stream *streams[MAX_STREAMS];
    uint64_t next_serial;

    /* The entrypoint is not tied to a connection; it is tracked outside the stream table. */
    pid_t ep_pid;          /* 0 when none is running */
    uint32_t ep_stream;    /* stream id it was started on (0 once detached) */
    uint8_t ep_state;      /* 0 none, 1 running, 2 exited */
    int32_t ep_code, ep_signal;

    uint64_t unknown_frames;
};

extern struct agent A;

int64_t now_ms(void);
int set_nonblock(int fd);

/* main.c: queueing helpers */
void send_frame(uint8_t type, uint32_t stream, const void *payload, uint32_t len);
void send_error(uint32_t stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void send_window(struct stream *s);

/* stream.c */
struct stream *stream_find(uint32_t id);
struct stream *stream_new(uint32_t id, enum stream_kind kind);
/* Kills the process group (exec) / closes the socket and frees the stream; no frame is sent. */
void stream_abort(struct stream *s);
/* Frees the stream's memory and fds (no killing). */
void stream_free(struct stream *s);
/* Closes every stream (entrypoint excepted). */
void streams_abort_all(void);
int stream_count(void);
/* Takes the credit of a host data frame (its bytes plus DATA_FRAME_COST, which is owed back at
 * once) and appends its bytes to s->in. Returns 0, or -1 if beyond credit. */
int stream_take_host_data(struct stream *s, const uint8_t *p, uint32_t n);
void bytebuf_consume(struct bytebuf *b, size_t n);
void bytebuf_free(struct bytebuf *b);

/* exec.c */
void exec_start(uint32_t id, const uint8_t *payload, uint32_t len);
void exec_on_stdin(struct stream *s, const uint8_t *p, uint32_t n);
void exec_flush_stdin(struct stream *s);
void exec_read_pipe(struct stream *s, int which); /* which: 1 stdout, 2 stderr */
void exec_child_exited(struct stream *s, int status);
void exec_check_drain(struct stream *s, int64_t now);
/* PTY execs: TIOCSWINSZ on the master. */
void exec_resize(struct stream *s, uint16_t cols, uint16_t rows);
/* SIGNAL: a PTY exec's foreground process group, else the exec's process group. */
void exec_signal(struct stream *s, int sig);
void entrypoint_exited(int status);

/* users.c */
struct user_info {
    uid_t uid;
    gid_t gid;
    char name[64];
    char home[256];
    gid_t groups[64];
    int ngroups;
};
/* Resolves "" (root), "name" or "uid[:gid]" against root's /etc/passwd and /etc/group.
 * Returns 0 or -1 with msg filled. */
int user_lookup(const char *spec, struct user_info *u, char *msg, size_t msglen);

/* tcp.c */
void tcp_start(uint32_t id, const uint8_t *payload, uint32_t len);
void tcp_on_connect_ready(struct stream *s);
void tcp_on_data(struct stream *s, const uint8_t *p, uint32_t n);
void tcp_flush(struct stream *s);
void tcp_read(struct stream *s);

/* unique.c */
#define PROB_RNG 0x1u
#define PROB_CLOCK 0x2u
#define PROB_HOSTNAME 0x4u
#define PROB_MACHINE_ID 0x8u
/* Applies what HELLO asks; returns the problems bitmask and fills detail. */
uint32_t uniqueness_apply(const struct msg_hello *h, char *detail, size_t detlen);

/* boot.c */
/* PID 1 boot: mounts, modules, root switch. Returns the opened port fd (never fails: on a
 * fatal error it powers off). */
int boot_init(void);
int open_port(const char *name, int wait_ms);

#endif
