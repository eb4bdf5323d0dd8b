/* Payload encoding and the typed messages of protocol v2. Every read is bounds-checked. */
#include "payload.h"

#include <stdlib.h>
#include <string.h>

void rd_init(struct rd *r, const void *p, size_t n)
{
    r->p = p;
    r->n = n;
    r->err = 0;
}

static const uint8_t *rd_take(struct rd *r, size_t n)
{
    if (r->err || r->n < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->n -= n;
    return p;
}

uint8_t rd_u8(struct rd *r)
{
    const uint8_t *p = rd_take(r, 1);
    return p ? p[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
    const uint8_t *p = rd_take(r, 2);
    return p ? get_le16(p) : 0;
}

uint32_t rd_u32(struct rd *r)
{
    const uint8_t *p = rd_take(r, 4);
    return p ? get_le32(p) : 0;
}

int32_t rd_i32(struct rd *r)
{
    return (int32_t)rd_u32(r);
}

uint64_t rd_u64(struct rd *r)
{
    const uint8_t *p = rd_take(r, 8);
    if (!p)
        return 0;
    return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

void rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
    *out = rd_take(r, n);
}

void rd_str(struct rd *r, const char **out, uint32_t *len)
{
    uint32_t n = rd_u32(r);
    const uint8_t *p = rd_take(r, n);
    if (p && n && memchr(p, 0, n))
        r->err = 1;
    if (r->err) {
        *out = "";
        *len = 0;
        return;
    }
    *out = (const char *)p;
    *len = n;
}

int rd_done(const struct rd *r)
{
    return (r->err || r->n != 0) ? -1 : 0;
}

void wr_init(struct wr *w, void *buf, size_t cap)
{
    w->p = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

void wr_bytes(struct wr *w, const void *p, size_t n)
{
    if (w->err || w->cap - w->len < n) {
        w->err = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void wr_u8(struct wr *w, uint8_t v)
{
    wr_bytes(w, &v, 1);
}

void wr_u16(struct wr *w, uint16_t v)
{
    uint8_t b[2];
    put_le16(b, v);
    wr_bytes(w, b, 2);
}

void wr_u32(struct wr *w, uint32_t v)
{
    uint8_t b[4];
    put_le32(b, v);
    wr_bytes(w, b, 4);
}

void wr_i32(struct wr *w, int32_t v)
{
    wr_u32(w, (uint32_t)v);
}

void wr_u64(struct wr *w, uint64_t v)
{
    uint8_t b[8];
    put_le32(b, (uint32_t)v);
    put_le32(b + 4, (uint32_t)(v >> 32));
    wr_bytes(w, b, 8);
}

void wr_str(struct wr *w, const char *s, size_t n)
{
    if (n > UINT32_MAX) {
        w->err = 1;
        return;
    }
    wr_u32(w, (uint32_t)n);
    wr_bytes(w, s, n);
}

void wr_cstr(struct wr *w, const char *s)
{
    wr_str(w, s, strlen(s));
}

static long wr_result(const struct wr *w)
{
    return w->err ? -1 : (long)w->len;
}

/* ---- decoders ---- */

#define FAIL(msg)          \
    do {                   \
        *why = (msg);      \
        return -1;         \
    } while (0)

static int finish(const struct rd *r, const char **why)
{
    if (r->err)
        FAIL("payload truncated or bad string");
    if (r->n)
        FAIL("trailing bytes in payload");
    return 0;
}

int dec_hello(const uint8_t *p, size_t n, struct msg_hello *m, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    m->nonce = rd_u64(&r);
    m->unix_time_nanos = rd_u64(&r);
    m->entropy_len = rd_u32(&r);
    rd_bytes(&r, m->entropy_len, &m->entropy);
    rd_str(&r, &m->hostname, &m->hostname_len);
    rd_str(&r, &m->machine_id, &m->machine_id_len);
    return finish(&r, why);
}

int dec_hello_ack(const uint8_t *p, size_t n, struct msg_hello_ack *m, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    m->nonce = rd_u64(&r);
    m->protocol_version = rd_u32(&r);
    rd_str(&r, &m->agent_version, &m->agent_version_len);
    m->problems = rd_u32(&r);
    rd_str(&r, &m->detail, &m->detail_len);
    m->entrypoint_state = rd_u8(&r);
    m->entrypoint_exit_code = rd_i32(&r);
    m->entrypoint_signal = rd_i32(&r);
    return finish(&r, why);
}

int dec_announce(const uint8_t *p, size_t n, uint32_t *version, const char **s, uint32_t *slen,
                 const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *version = rd_u32(&r);
    rd_str(&r, s, slen);
    return finish(&r, why);
}

/* Walks `strs`, validating; returns total bytes needed for NUL-terminated copies. */
static uint32_t walk_strs(struct rd *r, uint32_t *count, size_t *bytes, int need_eq)
{
    uint32_t c = rd_u32(r);
    *count = 0;
    if (r->err)
        return 0;
    if (c > r->n / 4) { /* every str needs at least its 4-byte length */
        r->err = 1;
        return 0;
    }
    for (uint32_t i = 0; i < c; i++) {
        const char *s;
        uint32_t len;
        rd_str(r, &s, &len);
        if (r->err)
            return 0;
        if (need_eq) {
            const char *eq = memchr(s, '=', len);
            if (!eq || eq == s) {
                r->err = 2;
                return 0;
            }
        }
        *bytes += (size_t)len + 1;
    }
    *count = c;
    return c;
}

static int pty_size_ok(uint16_t cols, uint16_t rows)
{
    return cols >= PTY_MIN_SIZE && cols <= PTY_MAX_SIZE && rows >= PTY_MIN_SIZE && rows <= PTY_MAX_SIZE;
}

static char *copy_str(struct rd *r, char **dst)
{
    const char *s;
    uint32_t len;
    rd_str(r, &s, &len);
    memcpy(*dst, s, len);
    (*dst)[len] = 0;
    char *out = *dst;
    *dst += (size_t)len + 1;
    return out;
}

int dec_exec(const uint8_t *p, size_t n, struct msg_exec *m, const char **why)
{
    struct rd r;
    const char *s;
    uint32_t len;
    size_t bytes = 0;
    uint32_t argc, envc;

    memset(m, 0, sizeof *m);
    /* Pass 1: validate and size. */
    rd_init(&r, p, n);
    uint32_t flags = rd_u32(&r);
    rd_str(&r, &s, &len);
    bytes += (size_t)len + 1;
    rd_str(&r, &s, &len);
    bytes += (size_t)len + 1;
    walk_strs(&r, &argc, &bytes, 0);
    if (r.err)
        FAIL("malformed EXEC argv");
    walk_strs(&r, &envc, &bytes, 1);
    if (r.err == 2)
        FAIL("malformed EXEC env entry (want K=V)");
    uint16_t cols = 0, rows = 0;
    if (!r.err && (flags & EXEC_F_PTY)) {
        cols = rd_u16(&r);
        rows = rd_u16(&r);
    }
    if (finish(&r, why) < 0)
        return -1;
    if (argc < 1)
        FAIL("EXEC argv is empty");
    if (flags & ~EXEC_F_KNOWN)
        FAIL("unknown EXEC flags");
    if ((flags & EXEC_F_PTY) && !pty_size_ok(cols, rows))
        FAIL("EXEC terminal size out of range (1..1000 columns and rows)");
    if ((flags & EXEC_F_PTY) && (flags & (EXEC_F_BUILTIN | EXEC_F_ENTRYPOINT)))
        FAIL("a PTY exec cannot be a builtin or the entrypoint");
    if ((flags & EXEC_F_BUILTIN) && (flags & EXEC_F_ENTRYPOINT))
        FAIL("a builtin cannot be the entrypoint");

    /* Pass 2: copy. Sizes are bounded by the payload length (<= 64 KiB). */
    size_t ptrs = ((size_t)argc + 1 + (size_t)envc + 1) * sizeof(char *);
    char *mem = malloc(ptrs + bytes);
    if (!mem)
        FAIL("out of memory");
    m->mem = mem;
    m->argv = (char **)(void *)mem;
    m->env = m->argv + argc + 1;
    char *dst = mem + ptrs;

    rd_init(&r, p, n);
    m->flags = rd_u32(&r);
    m->user = copy_str(&r, &dst);
    m->cwd = copy_str(&r, &dst);
    rd_u32(&r);
    for (uint32_t i = 0; i < argc; i++)
        m->argv[i] = copy_str(&r, &dst);
    m->argv[argc] = NULL;
    rd_u32(&r);
    for (uint32_t i = 0; i < envc; i++)
        m->env[i] = copy_str(&r, &dst);
    m->env[envc] = NULL;
    m->argc = argc;
    m->envc = envc;
    m->cols = cols;
    m->rows = rows;
    return 0;
}

void msg_exec_free(struct msg_exec *m)
{
    free(m->mem);
    memset(m, 0, sizeof *m);
}

int dec_resize(const uint8_t *p, size_t n, uint16_t *cols, uint16_t *rows, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *cols = rd_u16(&r);
    *rows = rd_u16(&r);
    if (finish(&r, why) < 0)
        return -1;
    if (!pty_size_ok(*cols, *rows))
        FAIL("terminal size out of range (1..1000 columns and rows)");
    return 0;
}

int dec_u16_only(const uint8_t *p, size_t n, uint16_t *v, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *v = rd_u16(&r);
    return finish(&r, why);
}

int dec_u32_only(const uint8_t *p, size_t n, uint32_t *v, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *v = rd_u32(&r);
    return finish(&r, why);
}

int dec_u64_only(const uint8_t *p, size_t n, uint64_t *v, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *v = rd_u64(&r);
    return finish(&r, why);
}

int dec_stats_reply(const uint8_t *p, size_t n, struct msg_stats_reply *m, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    m->nonce = rd_u64(&r);
    m->total_ticks = rd_u64(&r);
    m->idle_ticks = rd_u64(&r);
    m->agent_ticks = rd_u64(&r);
    m->ticks_per_second = rd_u32(&r);
    m->cpus = rd_u32(&r);
    return finish(&r, why);
}

int dec_i32_only(const uint8_t *p, size_t n, int32_t *v, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *v = rd_i32(&r);
    return finish(&r, why);
}

int dec_i32_pair(const uint8_t *p, size_t n, int32_t *a, int32_t *b, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    *a = rd_i32(&r);
    *b = rd_i32(&r);
    return finish(&r, why);
}

int dec_str_only(const uint8_t *p, size_t n, const char **s, uint32_t *slen, const char **why)
{
    struct rd r;
    rd_init(&r, p, n);
    rd_str(&r, s, slen);
    return finish(&r, why);
}

int dec_empty(size_t n, const char **why)
{
    if (n)
        FAIL("payload must be empty");
    return 0;
}

/* ---- encoders ---- */

long enc_hello(void *buf, size_t cap, const struct msg_hello *m)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u64(&w, m->nonce);
    wr_u64(&w, m->unix_time_nanos);
    wr_u32(&w, m->entropy_len);
    wr_bytes(&w, m->entropy, m->entropy_len);
    wr_str(&w, m->hostname, m->hostname_len);
    wr_str(&w, m->machine_id, m->machine_id_len);
    return wr_result(&w);
}

long enc_hello_ack(void *buf, size_t cap, const struct msg_hello_ack *m)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u64(&w, m->nonce);
    wr_u32(&w, m->protocol_version);
    wr_str(&w, m->agent_version, m->agent_version_len);
    wr_u32(&w, m->problems);
    wr_str(&w, m->detail, m->detail_len);
    wr_u8(&w, m->entrypoint_state);
    wr_i32(&w, m->entrypoint_exit_code);
    wr_i32(&w, m->entrypoint_signal);
    return wr_result(&w);
}

long enc_announce(void *buf, size_t cap, uint32_t version, const char *agent_version)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u32(&w, version);
    wr_cstr(&w, agent_version);
    return wr_result(&w);
}

long enc_exec(void *buf, size_t cap, uint32_t flags, const char *user, const char *cwd,
              const char *const *argv, uint32_t argc, const char *const *env, uint32_t envc,
              uint16_t cols, uint16_t rows)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u32(&w, flags);
    wr_cstr(&w, user);
    wr_cstr(&w, cwd);
    wr_u32(&w, argc);
    for (uint32_t i = 0; i < argc; i++)
        wr_cstr(&w, argv[i]);
    wr_u32(&w, envc);
    for (uint32_t i = 0; i < envc; i++)
        wr_cstr(&w, env[i]);
    if (flags & EXEC_F_PTY) {
        wr_u16(&w, cols);
        wr_u16(&w, rows);
    }
    return wr_result(&w);
}

long enc_resize(void *buf, size_t cap, uint16_t cols, uint16_t rows)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u16(&w, cols);
    wr_u16(&w, rows);
    return wr_result(&w);
}

long enc_u16(void *buf, size_t cap, uint16_t v)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u16(&w, v);
    return wr_result(&w);
}

long enc_u32(void *buf, size_t cap, uint32_t v)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u32(&w, v);
    return wr_result(&w);
}

long enc_u64(void *buf, size_t cap, uint64_t v)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u64(&w, v);
    return wr_result(&w);
}

long enc_stats_reply(void *buf, size_t cap, const struct msg_stats_reply *m)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_u64(&w, m->nonce);
    wr_u64(&w, m->total_ticks);
    wr_u64(&w, m->idle_ticks);
    wr_u64(&w, m->agent_ticks);
    wr_u32(&w, m->ticks_per_second);
    wr_u32(&w, m->cpus);
    return wr_result(&w);
}

long enc_i32(void *buf, size_t cap, int32_t v)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_i32(&w, v);
    return wr_result(&w);
}

long enc_i32_pair(void *buf, size_t cap, int32_t a, int32_t b)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_i32(&w, a);
    wr_i32(&w, b);
    return wr_result(&w);
}

long enc_str(void *buf, size_t cap, const char *s, size_t n)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_str(&w, s, n);
    return wr_result(&w);
}
