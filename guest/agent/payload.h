/* Payload encoding (u8 u16 u32 i32 u64 LE, str, strs) and the typed messages of protocol v2. */
#ifndef BURROW_PAYLOAD_H
#define BURROW_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Bounds-checked reader over one payload. Any failure sets err; later reads return zeros. */
struct rd {
    const uint8_t *p;
    size_t n;
    int err;
};

void rd_init(struct rd *r, const void *p, size_t n);
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u32(struct rd *r);
int32_t rd_i32(struct rd *r);
uint64_t rd_u64(struct rd *r);
/* Raw bytes: *out points into the payload. */
void rd_bytes(struct rd *r, size_t n, const uint8_t **out);
/* str: length-prefixed UTF-8 without NUL bytes; *out points into the payload (not terminated). */
void rd_str(struct rd *r, const char **out, uint32_t *len);
/* 0 when everything was read and nothing is left over, else -1. */
int rd_done(const struct rd *r);

/* Writer into a caller-supplied buffer. Overflow sets err. */
struct wr {
    uint8_t *p;
    size_t cap, len;
    int err;
};

void wr_init(struct wr *w, void *buf, size_t cap);
void wr_u8(struct wr *w, uint8_t v);
void wr_u16(struct wr *w, uint16_t v);
void wr_u32(struct wr *w, uint32_t v);
void wr_i32(struct wr *w, int32_t v);
void wr_u64(struct wr *w, uint64_t v);
void wr_bytes(struct wr *w, const void *p, size_t n);
void wr_str(struct wr *w, const char *s, size_t n);
void wr_cstr(struct wr *w, const char *s);

/* ---- typed messages ---- */

#define HELLO_MAX_ENTROPY 512u
#define HELLO_MAX_HOSTNAME 64u
#define PING_MAX 64u
#define LOG_MAX 4096u
/* STATS is `u64 nonce`; STATS_REPLY has a fixed size: u64 nonce, total, idle, agent ticks,
 * u32 ticksPerSecond, cpus. */
#define STATS_LEN 8u
#define STATS_REPLY_LEN 40u

struct msg_hello {
    uint64_t nonce;
    uint64_t unix_time_nanos;
    uint32_t entropy_len;        /* as sent; may exceed HELLO_MAX_ENTROPY (a problem, not malformed) */
    const uint8_t *entropy;
    const char *hostname;
    uint32_t hostname_len;
    const char *machine_id;
    uint32_t machine_id_len;
};

struct msg_hello_ack {
    uint64_t nonce;
    uint32_t protocol_version;
    const char *agent_version;
    uint32_t agent_version_len;
    uint32_t problems;
    const char *detail;
    uint32_t detail_len;
    uint8_t entrypoint_state;
    int32_t entrypoint_exit_code;
    int32_t entrypoint_signal;
};

struct msg_stats_reply {
    uint64_t nonce;
    uint64_t total_ticks;  /* /proc/stat "cpu": every state but guest/guest_nice (inside user/nice) */
    uint64_t idle_ticks;   /* idle + iowait */
    uint64_t agent_ticks;  /* the agent's own utime + stime, children excluded */
    uint32_t ticks_per_second;
    uint32_t cpus;
};

#define EXEC_F_STDIN 0x1u
/* The child runs on a new pseudo-terminal; the payload ends with `u16 cols, u16 rows`. */
#define EXEC_F_PTY 0x2u
#define EXEC_F_ENTRYPOINT 0x4u
/* argv[0] names a builtin (builtins.h) the forked agent runs instead of exec'ing a program. */
#define EXEC_F_BUILTIN 0x8u
#define EXEC_F_KNOWN (EXEC_F_STDIN | EXEC_F_PTY | EXEC_F_ENTRYPOINT | EXEC_F_BUILTIN)
/* Terminal size bounds, for EXEC with EXEC_F_PTY and for RESIZE (`u16 cols, u16 rows`). */
#define PTY_MIN_SIZE 1u
#define PTY_MAX_SIZE 1000u
#define RESIZE_LEN 4u

/* A decoded EXEC owns one allocation: all strings are NUL-terminated copies. */
struct msg_exec {
    uint32_t flags;
    char *user;
    char *cwd;
    char **argv; /* argc entries + NULL */
    uint32_t argc;
    char **env;  /* envc entries + NULL */
    uint32_t envc;
    uint16_t cols, rows; /* EXEC_F_PTY only, else 0 */
    void *mem;
};

/* Each decoder returns 0 or -1 and sets *why to a static message on failure. */
int dec_hello(const uint8_t *p, size_t n, struct msg_hello *m, const char **why);
int dec_hello_ack(const uint8_t *p, size_t n, struct msg_hello_ack *m, const char **why);
int dec_announce(const uint8_t *p, size_t n, uint32_t *version, const char **s, uint32_t *slen,
                 const char **why);
int dec_exec(const uint8_t *p, size_t n, struct msg_exec *m, const char **why);
void msg_exec_free(struct msg_exec *m);
/* RESIZE: `u16 cols, u16 rows`, each within PTY_MIN_SIZE..PTY_MAX_SIZE. */
int dec_resize(const uint8_t *p, size_t n, uint16_t *cols, uint16_t *rows, const char **why);
int dec_u16_only(const uint8_t *p, size_t n, uint16_t *v, const char **why);
int dec_u32_only(const uint8_t *p, size_t n, uint32_t *v, const char **why);
int dec_u64_only(const uint8_t *p, size_t n, uint64_t *v, const char **why);
int dec_stats_reply(const uint8_t *p, size_t n, struct msg_stats_reply *m, const char **why);
int dec_i32_only(const uint8_t *p, size_t n, int32_t *v, const char **why);
int dec_i32_pair(const uint8_t *p, size_t n, int32_t *a, int32_t *b, const char **why);
int dec_str_only(const uint8_t *p, size_t n, const char **s, uint32_t *slen, const char **why);
int dec_empty(size_t n, const char **why);

/* Encoders write into buf (cap bytes) and return the payload length, or -1 if it does not fit. */
long enc_hello(void *buf, size_t cap, const struct msg_hello *m);
long enc_hello_ack(void *buf, size_t cap, const struct msg_hello_ack *m);
long enc_announce(void *buf, size_t cap, uint32_t version, const char *agent_version);
/* cols and rows are written only when flags has EXEC_F_PTY. */
long enc_exec(void *buf, size_t cap, uint32_t flags, const char *user, const char *cwd,
              const char *const *argv, uint32_t argc, const char *const *env, uint32_t envc,
              uint16_t cols, uint16_t rows);
long enc_resize(void *buf, size_t cap, uint16_t cols, uint16_t rows);
long enc_u16(void *buf, size_t cap, uint16_t v);
long enc_u32(void *buf, size_t cap, uint32_t v);
long enc_u64(void *buf, size_t cap, uint64_t v);
long enc_stats_reply(void *buf, size_t cap, const struct msg_stats_reply *m);
long enc_i32(void *buf, size_t cap, int32_t v);
long enc_i32_pair(void *buf, size_t cap, int32_t a, int32_t b);
long enc_str(void *buf, size_t cap, const char *s, size_t n);

#endif
