/* Unit and fuzz tests for the agent's frame codec and payload decoders.
 * Run with `make test` (gcc + ASan/UBSan when available). Deterministic: fixed seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../agent/cpustat.h"
#include "../agent/payload.h"
#include "../agent/proto.h"

static int failures;
#include "check.h"

/* xorshift64* */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint32_t rndn(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

/* A growable byte string. */
struct bs {
    uint8_t *p;
    size_t len, cap;
};
static void bs_put(struct bs *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static size_t put_frame(struct bs *b, uint8_t type, uint32_t stream, const void *pl, uint32_t len)
{
    uint8_t hdr[FRAME_HDR];
    frame_header(hdr, type, stream, pl, len);
    size_t at = b->len;
    bs_put(b, hdr, sizeof hdr);
    bs_put(b, pl, len);
    return at;
}

/* Feeds `data` to a reader in random chunks; collects frames (type, stream, payload copy). */
struct got {
    uint8_t type;
    uint32_t stream, len;
    uint8_t *payload;
};
struct feed_result {
    struct got *frames;
    size_t n, cap;
    int fatal;
};

static void collect(struct frame_reader *r, struct feed_result *res)
{
    for (;;) {
        struct frame f;
        int rc = fr_next(r, &f);
        CHECK(r->start <= r->end && r->end <= FRAME_MAX);
        if (rc == FR_NEED)
            return;
        if (rc < 0) {
            res->fatal = rc;
            fr_reset(r);
            return;
        }
        CHECK(rc == FR_FRAME);
        CHECK(f.len <= FRAME_MAX_PAYLOAD);
        CHECK(f.payload >= r->buf + FRAME_HDR && f.payload + f.len <= r->buf + FRAME_MAX);
        const uint8_t *h = f.payload - FRAME_HDR;
        CHECK(memcmp(h, "BRW1", 4) == 0 && h[4] == 1);
        uint32_t crc = crc32_ieee(crc32_ieee(0, h, 16), f.payload, f.len);
        CHECK(crc == get_le32(h + 16));
        if (res->n == res->cap) {
            res->cap = res->cap * 2 + 8;
            res->frames = realloc(res->frames, res->cap * sizeof *res->frames);
        }
        struct got *g = &res->frames[res->n++];
        g->type = f.type;
        g->stream = f.stream;
        g->len = f.len;
        g->payload = malloc(f.len + 1);
        memcpy(g->payload, f.payload, f.len);
    }
}

static void feed(struct frame_reader *r, const uint8_t *data, size_t n, size_t maxchunk,
                 struct feed_result *res)
{
    size_t off = 0;
    while (off < n) {
        size_t room;
        uint8_t *dst = fr_space(r, &room);
        CHECK(room >= 1);
        if (room == 0)
            return;
        size_t c = 1 + rndn((uint32_t)maxchunk);
        if (c > room)
            c = room;
        if (c > n - off)
            c = n - off;
        memcpy(dst, data + off, c);
        fr_commit(r, c);
        off += c;
        collect(r, res);
        if (res->fatal)
            return;
    }
}

static void free_result(struct feed_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        free(res->frames[i].payload);
    free(res->frames);
    memset(res, 0, sizeof *res);
}

static struct frame_reader reader; /* 64 KiB: keep off the stack */

/* ---- (a) round trip of every frame type ---- */

static void roundtrip(uint8_t type, uint32_t stream, const uint8_t *pl, long len, struct feed_result *out)
{
    struct bs b = { 0 };
    CHECK(len >= 0);
    put_frame(&b, type, stream, pl, (uint32_t)len);
    fr_init(&reader);
    memset(out, 0, sizeof *out);
    feed(&reader, b.p, b.len, 7, out);
    CHECK(out->n == 1 && !out->fatal);
    if (out->n == 1) {
        CHECK(out->frames[0].type == type && out->frames[0].stream == stream);
        CHECK(out->frames[0].len == (uint32_t)len && memcmp(out->frames[0].payload, pl, (size_t)len) == 0);
    }
    free(b.p);
}

static void test_roundtrip(void)
{
    uint8_t buf[70000];
    struct feed_result r;
    const char *why;
    long n;

    /* HELLO */
    uint8_t ent[512];
    for (int i = 0; i < 512; i++)
        ent[i] = (uint8_t)rnd();
    struct msg_hello h = { 0x0102030405060708ull, 1700000000123456789ull, 512, ent, "vm-1.example", 12,
                           "0123456789abcdef0123456789abcdef", 32 };
    n = enc_hello(buf, sizeof buf, &h);
    roundtrip(T_HELLO, 0, buf, n, &r);
    struct msg_hello h2;
    CHECK(dec_hello(r.frames[0].payload, r.frames[0].len, &h2, &why) == 0);
    CHECK(h2.nonce == h.nonce && h2.unix_time_nanos == h.unix_time_nanos && h2.entropy_len == 512);
    CHECK(memcmp(h2.entropy, ent, 512) == 0);
    CHECK(h2.hostname_len == 12 && memcmp(h2.hostname, "vm-1.example", 12) == 0);
    CHECK(h2.machine_id_len == 32 && memcmp(h2.machine_id, h.machine_id, 32) == 0);
    free_result(&r);

    /* HELLO_ACK */
    struct msg_hello_ack a = { 42, 1, "0.1.0", 5, 0x5, "rng: x; hostname: y", 19, 2, 137, 9 };
    n = enc_hello_ack(buf, sizeof buf, &a);
    roundtrip(T_HELLO_ACK, 0, buf, n, &r);
    struct msg_hello_ack a2;
    CHECK(dec_hello_ack(r.frames[0].payload, r.frames[0].len, &a2, &why) == 0);
    CHECK(a2.nonce == 42 && a2.protocol_version == 1 && a2.agent_version_len == 5 &&
          memcmp(a2.agent_version, "0.1.0", 5) == 0 && a2.problems == 5 && a2.detail_len == 19 &&
          a2.entrypoint_state == 2 && a2.entrypoint_exit_code == 137 && a2.entrypoint_signal == 9);
    free_result(&r);

    /* PING / PONG (raw bytes) */
    roundtrip(T_PING, 0, (const uint8_t *)"0123456789", 10, &r);
    free_result(&r);
    roundtrip(T_PONG, 0, (const uint8_t *)"0123456789", 10, &r);
    free_result(&r);

    /* ANNOUNCE */
    n = enc_announce(buf, sizeof buf, 1, "0.1.0");
    roundtrip(T_ANNOUNCE, 0, buf, n, &r);
    uint32_t ver;
    const char *s;
    uint32_t slen;
    CHECK(dec_announce(r.frames[0].payload, r.frames[0].len, &ver, &s, &slen, &why) == 0);
    CHECK(ver == 1 && slen == 5 && memcmp(s, "0.1.0", 5) == 0);
    free_result(&r);

    /* ENTRYPOINT_EXIT, EXIT */
    int32_t x, y;
    n = enc_i32_pair(buf, sizeof buf, 143, 15);
    roundtrip(T_ENTRYPOINT_EXIT, 0, buf, n, &r);
    CHECK(dec_i32_pair(r.frames[0].payload, r.frames[0].len, &x, &y, &why) == 0 && x == 143 && y == 15);
    free_result(&r);
    n = enc_i32_pair(buf, sizeof buf, -1, 0);
    roundtrip(T_EXIT, 7, buf, n, &r);
    CHECK(dec_i32_pair(r.frames[0].payload, r.frames[0].len, &x, &y, &why) == 0 && x == -1 && y == 0);
    free_result(&r);

    /* LOG, ERROR */
    n = enc_str(buf, sizeof buf, "hello log", 9);
    roundtrip(T_LOG, 0, buf, n, &r);
    CHECK(dec_str_only(r.frames[0].payload, r.frames[0].len, &s, &slen, &why) == 0 && slen == 9);
    free_result(&r);
    n = enc_str(buf, sizeof buf, "connect 127.0.0.1:1: Connection refused", 39);
    roundtrip(T_ERROR, 3, buf, n, &r);
    CHECK(dec_str_only(r.frames[0].payload, r.frames[0].len, &s, &slen, &why) == 0 && slen == 39);
    free_result(&r);

    /* EXEC */
    const char *argv[] = { "sh", "-c", "echo hi" };
    const char *env[] = { "A=1", "B=", "PATH=/bin" };
    n = enc_exec(buf, sizeof buf, EXEC_F_STDIN, "1000:1000", "/tmp", argv, 3, env, 3, 0, 0);
    roundtrip(T_EXEC, 0xFFFFFFFFu, buf, n, &r);
    struct msg_exec m;
    CHECK(dec_exec(r.frames[0].payload, r.frames[0].len, &m, &why) == 0);
    CHECK(m.flags == EXEC_F_STDIN && strcmp(m.user, "1000:1000") == 0 && strcmp(m.cwd, "/tmp") == 0);
    CHECK(m.argc == 3 && strcmp(m.argv[2], "echo hi") == 0 && m.argv[3] == NULL);
    CHECK(m.envc == 3 && strcmp(m.env[1], "B=") == 0 && m.env[3] == NULL);
    msg_exec_free(&m);
    free_result(&r);

    /* STARTED, WINDOW (u32); SIGNAL (i32); TCP_CONNECT (u16) */
    uint32_t u;
    n = enc_u32(buf, sizeof buf, 12345);
    roundtrip(T_STARTED, 2, buf, n, &r);
    CHECK(dec_u32_only(r.frames[0].payload, r.frames[0].len, &u, &why) == 0 && u == 12345);
    free_result(&r);
    n = enc_u32(buf, sizeof buf, 0x80000000u);
    roundtrip(T_WINDOW, 2, buf, n, &r);
    CHECK(dec_u32_only(r.frames[0].payload, r.frames[0].len, &u, &why) == 0 && u == 0x80000000u);
    free_result(&r);
    n = enc_i32(buf, sizeof buf, 15);
    roundtrip(T_SIGNAL, 2, buf, n, &r);
    CHECK(dec_i32_only(r.frames[0].payload, r.frames[0].len, &x, &why) == 0 && x == 15);
    free_result(&r);
    uint16_t port;
    n = enc_u16(buf, sizeof buf, 8080);
    roundtrip(T_TCP_CONNECT, 9, buf, n, &r);
    CHECK(dec_u16_only(r.frames[0].payload, r.frames[0].len, &port, &why) == 0 && port == 8080);
    free_result(&r);

    /* Raw data frames, including empty (EOF) and maximum size. */
    for (int i = 0; i < 65536; i++)
        buf[i] = (uint8_t)rnd();
    roundtrip(T_STDIN, 2, buf, 0, &r);
    free_result(&r);
    roundtrip(T_STDIN, 2, buf, 100, &r);
    free_result(&r);
    roundtrip(T_STDOUT, 2, buf, 65536, &r);
    free_result(&r);
    roundtrip(T_STDERR, 2, buf, 1, &r);
    free_result(&r);
    roundtrip(T_DATA, 4, buf, 65536, &r);
    free_result(&r);
    roundtrip(T_DATA, 4, buf, 0, &r);
    free_result(&r);

    /* Empty control/stream frames. */
    roundtrip(T_CONNECTED, 4, buf, 0, &r);
    CHECK(dec_empty(r.frames[0].len, &why) == 0);
    free_result(&r);
    roundtrip(T_CLOSE, 4, buf, 0, &r);
    CHECK(dec_empty(r.frames[0].len, &why) == 0);
    free_result(&r);

    /* Known CRC-32 check value. */
    CHECK(crc32_ieee(0, "123456789", 9) == 0xCBF43926u);
    /* Running CRC equals one-shot CRC. */
    CHECK(crc32_ieee(crc32_ieee(0, "12345", 5), "6789", 4) == 0xCBF43926u);
}

/* ---- (b) reader: fatal errors, truncation, specific resync cases ---- */

static void test_reader_cases(void)
{
    uint8_t pl[16] = "abcdefghijklmnop";
    struct feed_result r;
    struct bs b = { 0 };

    /* Wrong version: fatal as soon as the header is complete (payload not needed). */
    for (int v = 0; v < 256; v++) {
        if (v == 1)
            continue;
        b.len = 0;
        size_t at = put_frame(&b, T_PING, 0, pl, 16);
        b.p[at + 4] = (uint8_t)v;
        fr_init(&reader);
        memset(&r, 0, sizeof r);
        feed(&reader, b.p, FRAME_HDR, 3, &r);
        CHECK(r.fatal == FR_FATAL_VERSION && r.n == 0);
        free_result(&r);
    }
    /* Length over 65536: fatal; exactly 65536 is fine. */
    uint32_t lens[] = { 65537, 70000, 0x7FFFFFFF, 0xFFFFFFFF };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t hdr[FRAME_HDR];
        frame_header(hdr, T_DATA, 1, pl, 0);
        put_le32(hdr + 12, lens[i]);
        fr_init(&reader);
        memset(&r, 0, sizeof r);
        feed(&reader, hdr, sizeof hdr, 20, &r);
        CHECK(r.fatal == FR_FATAL_LENGTH && r.n == 0);
        free_result(&r);
    }

    /* Every strict prefix of a frame yields nothing; the last byte completes it. */
    b.len = 0;
    put_frame(&b, T_STDOUT, 5, pl, 16);
    fr_init(&reader);
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < b.len; i++) {
        size_t room;
        uint8_t *dst = fr_space(&reader, &room);
        *dst = b.p[i];
        fr_commit(&reader, 1);
        collect(&reader, &r);
        CHECK(r.n == (i + 1 == b.len ? 1u : 0u));
    }
    free_result(&r);

    /* Garbage before a frame is skipped and counted; partial magics at chunk ends survive. */
    b.len = 0;
    bs_put(&b, "xxBRBRWBRW", 10);
    put_frame(&b, T_STDOUT, 5, pl, 16);
    bs_put(&b, "BRW", 3);
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        fr_init(&reader);
        memset(&r, 0, sizeof r);
        size_t off = 0;
        while (off < b.len) {
            size_t room;
            uint8_t *dst = fr_space(&reader, &room);
            size_t c = chunk < b.len - off ? chunk : b.len - off;
            memcpy(dst, b.p + off, c);
            fr_commit(&reader, c);
            off += c;
            collect(&reader, &r);
        }
        CHECK(r.n == 1 && reader.skipped == 10 && reader.corrupt == 0);
        CHECK(reader.end - reader.start == 3); /* the trailing "BRW" is kept */
        free_result(&r);
    }

    /* A truncated frame followed by good frames: the good frames are recovered after the
     * truncated one's declared length is consumed and its CRC fails. */
    b.len = 0;
    size_t at = put_frame(&b, T_STDOUT, 1, pl, 16);
    b.len = at + 25; /* cut inside the payload */
    for (int i = 0; i < 5; i++)
        put_frame(&b, T_STDOUT, 10 + (uint32_t)i, pl, 16);
    fr_init(&reader);
    memset(&r, 0, sizeof r);
    feed(&reader, b.p, b.len, 9, &r);
    CHECK(!r.fatal && r.n == 5 && reader.corrupt == 1);
    for (size_t i = 0; i < r.n; i++)
        CHECK(r.frames[i].stream == 10 + i);
    free_result(&r);

    /* Oversized buffer pressure: reader never needs more than one max frame of room. */
    fr_init(&reader);
    memset(&r, 0, sizeof r);
    uint8_t *big = malloc(FRAME_MAX_PAYLOAD);
    memset(big, 'x', FRAME_MAX_PAYLOAD);
    b.len = 0;
    for (int i = 0; i < 4; i++)
        put_frame(&b, T_DATA, 1, big, FRAME_MAX_PAYLOAD);
    feed(&reader, b.p, b.len, 100000, &r);
    CHECK(r.n == 4 && !r.fatal);
    free_result(&r);
    free(big);
    free(b.p);
}

/* ---- (b) fuzz ---- */

static void rand_payload(uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (uint8_t)rnd();
        if (p[i] == 'B')
            p[i] = 'C'; /* no magic inside payloads of frames that will be corrupted */
    }
}

static uint32_t rand_len(void)
{
    uint32_t k = rndn(100);
    if (k < 70)
        return rndn(64);
    if (k < 99)
        return rndn(2048);
    return rndn(FRAME_MAX_PAYLOAD + 1);
}

/* Exact resync: valid frames, garbage without 'B', and frames corrupted in payload or CRC. */
static void fuzz_exact(int iters)
{
    static uint8_t pl[FRAME_MAX_PAYLOAD];
    struct bs b = { 0 };
    struct feed_result r;
    struct exp { uint8_t type; uint32_t stream, len; size_t at; } exp[16];

    for (int it = 0; it < iters; it++) {
        int nexp = 0;
        uint64_t skipped = 0, corrupt = 0;
        b.len = 0;
        int segs = 1 + (int)rndn(6);
        for (int sgi = 0; sgi < segs; sgi++) {
            int kind = (int)rndn(3);
            if (kind == 0 && nexp < 16) {
                uint32_t len = rand_len();
                rand_payload(pl, len);
                uint8_t type = (uint8_t)rnd();
                uint32_t stream = (uint32_t)rnd();
                size_t at = put_frame(&b, type, stream, pl, len);
                exp[nexp].type = type;
                exp[nexp].stream = stream;
                exp[nexp].len = len;
                exp[nexp].at = at;
                nexp++;
            } else if (kind == 1) {
                uint32_t len = 1 + rndn(100);
                uint8_t g[100];
                rand_payload(g, len);
                bs_put(&b, g, len);
                skipped += len;
            } else {
                uint32_t len = rand_len();
                rand_payload(pl, len);
                uint8_t hdr[FRAME_HDR];
                frame_header(hdr, (uint8_t)rnd(), (uint32_t)rnd(), pl, len);
                /* Avoid a stray magic in the header bytes that get rescanned. */
                if (memmem(hdr + 1, FRAME_HDR - 1, "BRW1", 4))
                    continue;
                size_t at = b.len;
                bs_put(&b, hdr, FRAME_HDR);
                bs_put(&b, pl, len);
                /* Flip one bit in the payload or the CRC field. */
                size_t span = 4 + len;
                size_t pos = rndn((uint32_t)span);
                size_t byte = pos < 4 ? at + 16 + pos : at + FRAME_HDR + (pos - 4);
                uint8_t bit = (uint8_t)(1u << rndn(8));
                b.p[byte] ^= bit;
                if (b.p[byte] == 'B') /* keep the rescan free of magics: flip another bit */
                    b.p[byte] ^= (uint8_t)(bit | (bit == 1 ? 2 : 1));
                corrupt++;
                skipped += FRAME_HDR + len - 1;
            }
        }
        fr_init(&reader);
        memset(&r, 0, sizeof r);
        feed(&reader, b.p, b.len, 1 + rndn(3) * 4000 + rndn(70000), &r);
        CHECK(!r.fatal);
        CHECK(r.n == (size_t)nexp);
        for (int i = 0; i < nexp && (size_t)i < r.n; i++) {
            CHECK(r.frames[i].type == exp[i].type && r.frames[i].stream == exp[i].stream &&
                  r.frames[i].len == exp[i].len &&
                  memcmp(r.frames[i].payload, b.p + exp[i].at + FRAME_HDR, exp[i].len) == 0);
        }
        CHECK(reader.corrupt == corrupt);
        /* Up to 3 trailing bytes that could start a magic are held back, not yet skipped. */
        CHECK(reader.end - reader.start <= 3);
        CHECK(reader.skipped + (reader.end - reader.start) == skipped);
        free_result(&r);
    }
    free(b.p);
}

/* One bit flipped anywhere in a frame, followed by good frames and padding: the flipped frame
 * is never delivered; everything after it is recovered unless the flip made it fatal. */
static void fuzz_bitflip(int iters)
{
    static uint8_t pl[2048];
    struct bs b = { 0 };
    struct feed_result r;
    static uint8_t pad[FRAME_MAX + 16];
    memset(pad, 'z', sizeof pad);

    for (int it = 0; it < iters; it++) {
        b.len = 0;
        uint32_t len = rndn(200);
        rand_payload(pl, len);
        uint8_t hdr[FRAME_HDR];
        frame_header(hdr, T_STDOUT, 1, pl, len);
        if (memmem(hdr + 1, FRAME_HDR - 1, "BRW1", 4))
            continue;
        bs_put(&b, hdr, FRAME_HDR);
        bs_put(&b, pl, len);
        size_t pos = rndn(FRAME_HDR + len);
        uint8_t bit = (uint8_t)(1u << rndn(8));
        b.p[pos] ^= bit;
        if (pos >= 5 && b.p[pos] == 'B') /* a new 'B' could only form a magic with luck; keep it simple */
            continue;
        int nfollow = 1 + (int)rndn(4);
        for (int i = 0; i < nfollow; i++) {
            uint32_t l2 = rndn(300);
            rand_payload(pl, l2);
            put_frame(&b, T_STDERR, 100 + (uint32_t)i, pl, l2);
        }
        int inflated = 0;
        if (pos >= 12 && pos < 16)
            inflated = 1;
        bs_put(&b, pad, inflated ? sizeof pad : 1);

        int expect_fatal = 0;
        if (pos == 4)
            expect_fatal = FR_FATAL_VERSION;
        if (pos >= 12 && pos < 16 && get_le32(b.p + 12) > FRAME_MAX_PAYLOAD)
            expect_fatal = FR_FATAL_LENGTH;

        fr_init(&reader);
        memset(&r, 0, sizeof r);
        feed(&reader, b.p, b.len, 1 + rndn(5000), &r);
        if (expect_fatal) {
            CHECK(r.fatal == expect_fatal && r.n == 0);
        } else {
            CHECK(!r.fatal);
            CHECK(r.n == (size_t)nfollow);
            for (size_t i = 0; i < r.n; i++)
                CHECK(r.frames[i].stream == 100 + i && r.frames[i].type == T_STDERR);
            CHECK(reader.corrupt == (pos < 4 ? 0u : 1u));
        }
        free_result(&r);
    }
    free(b.p);
}

/* Anything goes: random bytes, injected magics, random headers, random versions/lengths.
 * Only invariants are checked (and ASan/UBSan watch every access). */
static void fuzz_chaos(int iters)
{
    static uint8_t pl[4096];
    struct bs b = { 0 };
    struct feed_result r;
    int fatals = 0;
    uint64_t frames = 0;
    fr_init(&reader);
    for (int it = 0; it < iters; it++) {
        b.len = 0;
        int segs = 1 + (int)rndn(5);
        for (int s = 0; s < segs; s++) {
            int k = (int)rndn(6);
            uint32_t len = rndn(8) == 0 ? rndn(sizeof pl) : rndn(256);
            for (uint32_t i = 0; i < len; i++)
                pl[i] = (uint8_t)rnd();
            if (k == 0) {
                bs_put(&b, pl, len % 64);
            } else if (k == 1) {
                bs_put(&b, "BRW1", 4);
                bs_put(&b, pl, len % 40);
            } else if (k == 2 || k == 3) {
                size_t at = put_frame(&b, (uint8_t)rnd(), (uint32_t)rnd(), pl, len);
                if (k == 3) {
                    int flips = 1 + (int)rndn(3);
                    for (int f = 0; f < flips; f++)
                        b.p[at + rndn(FRAME_HDR + len)] ^= (uint8_t)(1u << rndn(8));
                }
            } else if (k == 4) {
                size_t at = put_frame(&b, (uint8_t)rnd(), (uint32_t)rnd(), pl, len);
                b.len = at + rndn(FRAME_HDR + len); /* truncated */
            } else {
                uint8_t hdr[FRAME_HDR];
                frame_header(hdr, (uint8_t)rnd(), 0, pl, 0);
                if (rndn(2))
                    hdr[4] = (uint8_t)rnd();
                else
                    put_le32(hdr + 12, (uint32_t)rnd());
                bs_put(&b, hdr, FRAME_HDR);
            }
        }
        memset(&r, 0, sizeof r);
        feed(&reader, b.p, b.len, 1 + rndn(9000), &r);
        if (r.fatal) {
            fatals++;
            CHECK(reader.start == 0 && reader.end == 0);
        }
        frames += r.n;
        free_result(&r);
    }
    CHECK(fatals > 0 && frames > 0);
    free(b.p);
}

/* ---- (c) payload decoders ---- */

typedef int (*decfn)(const uint8_t *p, size_t n);

static int d_hello(const uint8_t *p, size_t n) { struct msg_hello m; const char *w; return dec_hello(p, n, &m, &w); }
static int d_ack(const uint8_t *p, size_t n) { struct msg_hello_ack m; const char *w; return dec_hello_ack(p, n, &m, &w); }
static int d_ann(const uint8_t *p, size_t n) { uint32_t v, l; const char *s, *w; return dec_announce(p, n, &v, &s, &l, &w); }
static int d_exec(const uint8_t *p, size_t n)
{
    struct msg_exec m;
    const char *w;
    int rc = dec_exec(p, n, &m, &w);
    if (rc == 0) {
        /* Everything decoded is properly terminated and within bounds. */
        volatile size_t t = strlen(m.user) + strlen(m.cwd);
        for (uint32_t i = 0; i < m.argc; i++)
            t += strlen(m.argv[i]);
        for (uint32_t i = 0; i < m.envc; i++)
            t += strlen(m.env[i]);
        (void)t;
        CHECK(m.argc >= 1 && m.argv[m.argc] == NULL && m.env[m.envc] == NULL);
        msg_exec_free(&m);
    }
    return rc;
}
static int d_u16(const uint8_t *p, size_t n) { uint16_t v; const char *w; return dec_u16_only(p, n, &v, &w); }
static int d_u32(const uint8_t *p, size_t n) { uint32_t v; const char *w; return dec_u32_only(p, n, &v, &w); }
static int d_i32(const uint8_t *p, size_t n) { int32_t v; const char *w; return dec_i32_only(p, n, &v, &w); }
static int d_pair(const uint8_t *p, size_t n) { int32_t a, b; const char *w; return dec_i32_pair(p, n, &a, &b, &w); }
static int d_str(const uint8_t *p, size_t n) { uint32_t l; const char *s, *w; return dec_str_only(p, n, &s, &l, &w); }
static int d_resize(const uint8_t *p, size_t n) { uint16_t c, r; const char *w; return dec_resize(p, n, &c, &r, &w); }
static int d_u64(const uint8_t *p, size_t n) { uint64_t v; const char *w; return dec_u64_only(p, n, &v, &w); }
static int d_stats(const uint8_t *p, size_t n) { struct msg_stats_reply m; const char *w; return dec_stats_reply(p, n, &m, &w); }

/* Decodes from an exactly-sized heap copy so ASan catches any over-read. */
static int dec_exact(decfn fn, const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, p, n);
    int rc = fn(c, n);
    free(c);
    return rc;
}

static void check_strict(const char *name, decfn fn, const uint8_t *p, size_t n)
{
    if (dec_exact(fn, p, n) != 0) {
        fprintf(stderr, "%s: valid payload rejected\n", name);
        failures++;
    }
    for (size_t i = 0; i < n; i++) {
        if (dec_exact(fn, p, i) == 0) {
            fprintf(stderr, "%s: truncated payload (%zu of %zu) accepted\n", name, i, n);
            failures++;
        }
    }
    uint8_t *t = malloc(n + 1);
    memcpy(t, p, n);
    t[n] = 0;
    if (dec_exact(fn, t, n + 1) == 0) {
        fprintf(stderr, "%s: trailing byte accepted\n", name);
        failures++;
    }
    free(t);
}

static void test_payloads(void)
{
    uint8_t buf[4096];
    long n;
    uint8_t ent[16] = { 0 };

    struct msg_hello h = { 1, 2, 16, ent, "host", 4, "0123456789abcdef0123456789abcdef", 32 };
    n = enc_hello(buf, sizeof buf, &h);
    check_strict("HELLO", d_hello, buf, (size_t)n);
    struct msg_hello_ack a = { 1, 1, "v", 1, 0, "", 0, 1, 0, 0 };
    n = enc_hello_ack(buf, sizeof buf, &a);
    check_strict("HELLO_ACK", d_ack, buf, (size_t)n);
    n = enc_announce(buf, sizeof buf, 1, "0.1.0");
    check_strict("ANNOUNCE", d_ann, buf, (size_t)n);
    const char *argv[] = { "ls", "-l" };
    const char *env[] = { "X=1" };
    n = enc_exec(buf, sizeof buf, 0, "root", "/", argv, 2, env, 1, 0, 0);
    check_strict("EXEC", d_exec, buf, (size_t)n);
    n = enc_u16(buf, sizeof buf, 80);
    check_strict("TCP_CONNECT", d_u16, buf, (size_t)n);
    n = enc_u32(buf, sizeof buf, 80);
    check_strict("WINDOW", d_u32, buf, (size_t)n);
    n = enc_i32(buf, sizeof buf, 9);
    check_strict("SIGNAL", d_i32, buf, (size_t)n);
    n = enc_i32_pair(buf, sizeof buf, 1, 0);
    check_strict("EXIT", d_pair, buf, (size_t)n);
    n = enc_str(buf, sizeof buf, "oops", 4);
    check_strict("ERROR", d_str, buf, (size_t)n);
    n = enc_u64(buf, sizeof buf, 0x0123456789ABCDEFull);
    CHECK(n == STATS_LEN);
    check_strict("STATS", d_u64, buf, (size_t)n);
    struct msg_stats_reply sr = { 0xFEDCBA9876543210ull, 1000, 900, 7, 100, 2 }, sr2;
    n = enc_stats_reply(buf, sizeof buf, &sr);
    CHECK(n == STATS_REPLY_LEN);
    check_strict("STATS_REPLY", d_stats, buf, (size_t)n);
    const char *why;
    CHECK(dec_stats_reply(buf, (size_t)n, &sr2, &why) == 0 && memcmp(&sr, &sr2, sizeof sr) == 0);
    /* The field order on the wire is the documented one (little-endian). */
    CHECK(get_le32(buf) == 0x76543210u && get_le32(buf + 8) == 1000 && get_le32(buf + 16) == 900 &&
          get_le32(buf + 24) == 7 && get_le32(buf + 32) == 100 && get_le32(buf + 36) == 2);
    CHECK(enc_stats_reply(buf, STATS_REPLY_LEN - 1, &sr) == -1);

    /* Overlong lengths and counts. */
    struct wr w;
    wr_init(&w, buf, sizeof buf);
    wr_u32(&w, 100); /* str claims 100 bytes, has 3 */
    wr_bytes(&w, "abc", 3);
    CHECK(dec_exact(d_str, buf, w.len) != 0);
    wr_init(&w, buf, sizeof buf);
    wr_u32(&w, 0xFFFFFFFFu);
    CHECK(dec_exact(d_str, buf, w.len) != 0);
    /* NUL inside a string. */
    wr_init(&w, buf, sizeof buf);
    wr_str(&w, "a\0b", 3);
    CHECK(dec_exact(d_str, buf, w.len) != 0);
    /* HELLO with entropyLen beyond the payload. */
    wr_init(&w, buf, sizeof buf);
    wr_u64(&w, 1);
    wr_u64(&w, 2);
    wr_u32(&w, 0xFFFFFFF0u);
    wr_str(&w, "h", 1);
    wr_str(&w, "m", 1);
    CHECK(dec_exact(d_hello, buf, w.len) != 0);
    /* HELLO with entropyLen > 512 but present: decodes (it is a problem, not malformed). */
    static uint8_t bigent[600];
    struct msg_hello h2 = { 1, 2, 600, bigent, "h", 1, "m", 1 };
    uint8_t hb[1024];
    n = enc_hello(hb, sizeof hb, &h2);
    CHECK(dec_exact(d_hello, hb, (size_t)n) == 0);
    /* EXEC: argv count huge; argv empty; env without '='; env with empty key. */
    wr_init(&w, buf, sizeof buf);
    wr_u32(&w, 0);
    wr_cstr(&w, "");
    wr_cstr(&w, "");
    wr_u32(&w, 0x40000000u);
    wr_cstr(&w, "ls");
    wr_u32(&w, 0);
    CHECK(dec_exact(d_exec, buf, w.len) != 0);
    n = enc_exec(buf, sizeof buf, 0, "", "", argv, 0, env, 0, 0, 0);
    CHECK(dec_exact(d_exec, buf, (size_t)n) != 0);
    const char *badenv1[] = { "NOEQUALS" };
    n = enc_exec(buf, sizeof buf, 0, "", "", argv, 1, badenv1, 1, 0, 0);
    CHECK(dec_exact(d_exec, buf, (size_t)n) != 0);
    const char *badenv2[] = { "=v" };
    n = enc_exec(buf, sizeof buf, 0, "", "", argv, 1, badenv2, 1, 0, 0);
    CHECK(dec_exact(d_exec, buf, (size_t)n) != 0);
    /* EXEC with a count that fits but strings that run past the end. */
    wr_init(&w, buf, sizeof buf);
    wr_u32(&w, 0);
    wr_cstr(&w, "");
    wr_cstr(&w, "");
    wr_u32(&w, 2);
    wr_cstr(&w, "ls");
    wr_u32(&w, 50);
    wr_u32(&w, 0);
    CHECK(dec_exact(d_exec, buf, w.len) != 0);

    /* Random payloads: decoders must never read out of bounds (ASan) or crash. */
    static const decfn fns[] = { d_hello, d_ack, d_ann, d_exec, d_u16, d_u32, d_i32, d_pair, d_str,
                                 d_u64, d_stats, d_resize };
    for (int it = 0; it < 100000; it++) {
        uint32_t len = rndn(200);
        for (uint32_t i = 0; i < len; i++) {
            /* Small numbers make length fields plausible more often. */
            buf[i] = rndn(4) == 0 ? (uint8_t)rndn(8) : (uint8_t)rnd();
        }
        if (len >= 4 && rndn(2))
            put_le32(buf + rndn(len - 3), rndn(len + 8));
        dec_exact(fns[rndn(sizeof fns / sizeof fns[0])], buf, len);
    }
    /* Mutated valid EXECs. */
    n = enc_exec(buf, sizeof buf, 1, "user", "/home/user", argv, 2, env, 1, 0, 0);
    for (int it = 0; it < 50000; it++) {
        uint8_t m[4096];
        size_t len = (size_t)n;
        memcpy(m, buf, len);
        int muts = 1 + (int)rndn(4);
        for (int k = 0; k < muts; k++) {
            switch (rndn(3)) {
            case 0: m[rndn((uint32_t)len)] = (uint8_t)rnd(); break;
            case 1: if (len) len = rndn((uint32_t)len); break;
            default: if (len + 1 < sizeof m) m[len++] = (uint8_t)rnd(); break;
            }
        }
        dec_exact(d_exec, m, len);
    }
    /* Mutated valid PTY EXECs (the size fields at the end). */
    n = enc_exec(buf, sizeof buf, EXEC_F_STDIN | EXEC_F_PTY, "user", "", argv, 2, env, 1, 80, 24);
    for (int it = 0; it < 20000; it++) {
        uint8_t m[4096];
        size_t len = (size_t)n;
        memcpy(m, buf, len);
        if (rndn(2))
            m[len - 1 - rndn(6)] = (uint8_t)rnd();
        else
            len -= rndn(6);
        dec_exact(d_exec, m, len);
    }
}

/* Agent 0.4.0: EXEC flags PTY (with `u16 cols, u16 rows` at the end) and BUILTIN; RESIZE. */
static void test_pty_and_builtin_payloads(void)
{
    uint8_t buf[1024];
    const char *argv[] = { "sh" };
    const char *env[] = { "TERM=dumb" };
    const char *why;
    struct msg_exec m;
    struct wr w;
    long n;

    n = enc_exec(buf, sizeof buf, EXEC_F_STDIN | EXEC_F_PTY, "burrow", "/tmp", argv, 1, env, 1, 132, 43);
    check_strict("EXEC with a PTY", d_exec, buf, (size_t)n);
    CHECK(dec_exec(buf, (size_t)n, &m, &why) == 0);
    CHECK(m.flags == (EXEC_F_STDIN | EXEC_F_PTY) && m.cols == 132 && m.rows == 43);
    CHECK(m.argc == 1 && strcmp(m.argv[0], "sh") == 0 && m.envc == 1 && strcmp(m.env[0], "TERM=dumb") == 0);
    msg_exec_free(&m);
    /* The size is the payload's last four bytes, little-endian. */
    CHECK(get_le16(buf + n - 4) == 132 && get_le16(buf + n - 2) == 43);

    /* Without the flag there is no size: the same bytes are trailing bytes. */
    n = enc_exec(buf, sizeof buf, EXEC_F_STDIN, "", "", argv, 1, env, 0, 80, 24);
    CHECK(dec_exact(d_exec, buf, (size_t)n) == 0);
    CHECK(dec_exec(buf, (size_t)n, &m, &why) == 0 && m.cols == 0 && m.rows == 0);
    msg_exec_free(&m);
    wr_init(&w, buf, sizeof buf);
    wr_bytes(&w, buf, (size_t)n);
    wr_u16(&w, 80);
    wr_u16(&w, 24);
    CHECK(dec_exact(d_exec, buf, w.len) != 0);

    /* Sizes: 1 and 1000 are the bounds. */
    static const uint16_t sizes[][3] = { /* cols, rows, ok */
        { 1, 1, 1 }, { 1000, 1000, 1 }, { 0, 24, 0 }, { 80, 0, 0 }, { 1001, 24, 0 }, { 80, 1001, 0 },
        { 65535, 65535, 0 },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        n = enc_exec(buf, sizeof buf, EXEC_F_PTY, "", "", argv, 1, env, 0, sizes[i][0], sizes[i][1]);
        CHECK((dec_exact(d_exec, buf, (size_t)n) == 0) == sizes[i][2]);
        n = enc_resize(buf, sizeof buf, sizes[i][0], sizes[i][1]);
        CHECK(n == RESIZE_LEN);
        CHECK((dec_exact(d_resize, buf, (size_t)n) == 0) == sizes[i][2]);
    }
    uint16_t cols, rows;
    n = enc_resize(buf, sizeof buf, 200, 50);
    check_strict("RESIZE", d_resize, buf, (size_t)n);
    CHECK(dec_resize(buf, (size_t)n, &cols, &rows, &why) == 0 && cols == 200 && rows == 50);
    CHECK(get_le16(buf) == 200 && get_le16(buf + 2) == 50);

    /* Flags: a builtin decodes; unknown bits and nonsensical combinations do not. */
    const char *bargv[] = { "stat", "/etc" };
    n = enc_exec(buf, sizeof buf, EXEC_F_BUILTIN | EXEC_F_STDIN, "", "", bargv, 2, env, 0, 0, 0);
    check_strict("EXEC of a builtin", d_exec, buf, (size_t)n);
    static const uint32_t refused[] = {
        EXEC_F_PTY | EXEC_F_BUILTIN, EXEC_F_PTY | EXEC_F_ENTRYPOINT, EXEC_F_BUILTIN | EXEC_F_ENTRYPOINT,
        0x10u, 0x80000000u,
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        n = enc_exec(buf, sizeof buf, refused[i], "", "", bargv, 2, env, 0, 80, 24);
        CHECK(dec_exact(d_exec, buf, (size_t)n) != 0);
    }
    n = enc_exec(buf, sizeof buf, EXEC_F_PTY | EXEC_F_BUILTIN, "", "", bargv, 2, env, 0, 80, 24);
    CHECK(dec_exec(buf, (size_t)n, &m, &why) != 0 && strstr(why, "builtin") != NULL);
}

/* Flow control (protocol 2): every data frame costs its length plus DATA_FRAME_COST, so one
 * window bounds the frames in flight as well as the bytes, empty frames included. */
static void test_credit(void)
{
    CHECK(frame_cost(0) == DATA_FRAME_COST);
    CHECK(frame_cost(FRAME_MAX_PAYLOAD) == (uint64_t)FRAME_MAX_PAYLOAD + DATA_FRAME_COST);
    CHECK(credit_room(INITIAL_WINDOW, FRAME_MAX_PAYLOAD) == FRAME_MAX_PAYLOAD);
    CHECK(credit_room(DATA_FRAME_COST, FRAME_MAX_PAYLOAD) == 0);
    CHECK(credit_room(DATA_FRAME_COST + 1, FRAME_MAX_PAYLOAD) == 1);
    CHECK(credit_room(0, FRAME_MAX_PAYLOAD) == 0);

    /* A receiver's window refuses the frame that would overdraw it, and takes nothing then. */
    uint64_t c = DATA_FRAME_COST + 10;
    CHECK(credit_take(&c, 11) == -1 && c == DATA_FRAME_COST + 10);
    CHECK(credit_take(&c, 10) == 0 && c == 0);
    CHECK(credit_take(&c, 0) == -1 && c == 0);

    /* Empty frames: one window pays for exactly INITIAL_WINDOW / DATA_FRAME_COST of them. */
    c = INITIAL_WINDOW;
    uint32_t empties = 0;
    while (credit_take(&c, 0) == 0)
        empties++;
    CHECK(empties == INITIAL_WINDOW / DATA_FRAME_COST);

    /* A sender that sizes frames with credit_room never overdraws, whatever it reads. */
    for (int round = 0; round < 2000; round++) {
        uint64_t send = INITIAL_WINDOW, recv = INITIAL_WINDOW;
        uint64_t frames = 0, bytes = 0;
        for (;;) {
            size_t room = credit_room(send, FRAME_MAX_PAYLOAD);
            if (room == 0)
                break;
            uint32_t n = 1 + rndn((uint32_t)room); /* a pipe read returns 1..room bytes */
            CHECK(credit_take(&send, n) == 0);
            CHECK(credit_take(&recv, n) == 0); /* the receiver agrees frame by frame */
            frames++;
            bytes += n;
        }
        CHECK(send == recv);
        CHECK(send <= DATA_FRAME_COST);
        CHECK(frames <= INITIAL_WINDOW / (DATA_FRAME_COST + 1));
        CHECK(bytes + frames * DATA_FRAME_COST <= INITIAL_WINDOW);
    }
}

/* ---- (e) guest CPU counters ---- */

static int total_of(const char *text, uint64_t *total, uint64_t *idle)
{
    const char *why;
    size_t n = strlen(text);
    char *c = malloc(n ? n : 1); /* exactly sized, not terminated: ASan sees any over-read */
    memcpy(c, text, n);
    int rc = cpustat_parse_total(c, n, total, idle, &why);
    free(c);
    return rc;
}

static int self_of(const char *text, uint64_t *ticks)
{
    const char *why;
    size_t n = strlen(text);
    char *c = malloc(n ? n : 1);
    memcpy(c, text, n);
    int rc = cpustat_parse_self(c, n, ticks, &why);
    free(c);
    return rc;
}

static void test_cpustat(void)
{
    uint64_t t = 0, i = 0, a = 0;

    /* Every state counts in the total except guest and guest_nice, which user and nice already
     * hold; idle is idle + iowait. */
    CHECK(total_of("cpu  10 20 30 400 5 6 7 8 90 100\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n", &t, &i) == 0);
    CHECK(t == 10 + 20 + 30 + 400 + 5 + 6 + 7 + 8 && i == 405);
    /* An old kernel with four counters; the line as the only content. */
    CHECK(total_of("cpu 1 2 3 4\n", &t, &i) == 0 && t == 10 && i == 4);
    CHECK(total_of("cpu  18446744073709551615 0 0 0\n", &t, &i) == 0 && t == UINT64_MAX);
    /* Not the cpu line, too few counters, garbage, overflow, a counter cut off by the read. */
    CHECK(total_of("cpu0 1 2 3 4\n", &t, &i) == -1);
    CHECK(total_of("intr 1 2 3 4\n", &t, &i) == -1);
    CHECK(total_of("cpu  1 2 3\n", &t, &i) == -1);
    CHECK(total_of("cpu  1 2 x 4\n", &t, &i) == -1);
    CHECK(total_of("cpu  1 2 -3 4\n", &t, &i) == -1);
    CHECK(total_of("cpu  18446744073709551616 0 0 0\n", &t, &i) == -1);
    CHECK(total_of("cpu  1 2 3 4", &t, &i) == -1);
    CHECK(total_of("cpu  1 2 3 45", &t, &i) == -1);
    CHECK(total_of("", &t, &i) == -1);
    CHECK(total_of("cpu", &t, &i) == -1);

    /* utime (14) + stime (15); cutime and cstime (children: user activity) are left out. */
    CHECK(self_of("1 (burrow-agent) S 0 1 1 0 -1 4194560 900 0 0 0 12 34 5000 6000 20 0 1 0 3 "
                  "2000000 100 18446744073709551615\n", &a) == 0 && a == 46);
    /* comm with spaces and parentheses: fields are counted after the last ')'. */
    CHECK(self_of("7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0\n", &a) == 0 && a == 7);
    /* Ends right after stime's terminator: enough. */
    CHECK(self_of("7 (x) R 1 7 7 0 -1 0 0 0 0 0 3 4 ", &a) == 0 && a == 7);
    CHECK(self_of("7 (x) R 1 7 7 0 -1 0 0 0 0 0 3 4", &a) == -1);   /* stime cut off */
    CHECK(self_of("7 (x) R 1 7 7 0 -1 0 0 0 0 0 3", &a) == -1);     /* no stime */
    CHECK(self_of("7 x R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0\n", &a) == -1); /* no comm */
    CHECK(self_of("7 (x) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0 0\n", &a) == -1);
    CHECK(self_of("7 (x)R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0\n", &a) == -1);
    CHECK(self_of("", &a) == -1);

    /* Random and mutated input: the parsers never read past the buffer (ASan) or crash. */
    const char *seeds[] = { "cpu  10 20 30 400 5 6 7 8 90 100\n",
                            "1 (burrow-agent) S 0 1 1 0 -1 4194560 900 0 0 0 12 34 5000 6000 20\n" };
    static const char alphabet[] = "0123456789 \n()cpuS-x";
    for (int it = 0; it < 100000; it++) {
        char m[160];
        size_t len;
        if (rndn(2)) {
            const char *seed = seeds[rndn(2)];
            len = strlen(seed);
            memcpy(m, seed, len);
            for (int k = 0, muts = 1 + (int)rndn(4); k < muts && len; k++) {
                if (rndn(2))
                    m[rndn((uint32_t)len)] = alphabet[rndn(sizeof alphabet - 1)];
                else
                    len = rndn((uint32_t)len + 1);
            }
        } else {
            len = rndn(sizeof m);
            for (size_t k = 0; k < len; k++)
                m[k] = alphabet[rndn(sizeof alphabet - 1)];
        }
        char *c = malloc(len ? len : 1);
        memcpy(c, m, len);
        const char *why;
        cpustat_parse_total(c, len, &t, &i, &why);
        cpustat_parse_self(c, len, &a, &why);
        free(c);
    }

    /* This machine's own counters, twice: sane and not going backwards. */
    struct cpu_sample s1, s2;
    const char *why;
    CHECK(cpustat_read(&s1, &why) == 0);
    CHECK(cpustat_read(&s2, &why) == 0);
    CHECK(s1.cpus >= 1 && s1.ticks_per_second >= 1 && s1.idle_ticks <= s1.total_ticks);
    CHECK(s2.total_ticks >= s1.total_ticks && s2.idle_ticks >= s1.idle_ticks &&
          s2.agent_ticks >= s1.agent_ticks);
}

int main(void)
{
    clock_t t0 = clock();
    test_roundtrip();
    test_reader_cases();
    fuzz_exact(120000);
    fprintf(stderr, "  exact resync fuzz done (%.1f s)\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    fuzz_bitflip(120000);
    fprintf(stderr, "  bit-flip fuzz done (%.1f s)\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    fuzz_chaos(60000);
    fprintf(stderr, "  chaos fuzz done (%.1f s)\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    test_payloads();
    test_pty_and_builtin_payloads();
    test_credit();
    test_cpustat();
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (failures) {
        printf("test_proto: %d FAILED checks (%.1f s)\n", failures, secs);
        return 1;
    }
    printf("test_proto: all checks passed (300000 reader fuzz iterations, 150000 decoder fuzz "
           "iterations, 100000 CPU counter parser fuzz iterations, %.1f s)\n", secs);
    return 0;
}
