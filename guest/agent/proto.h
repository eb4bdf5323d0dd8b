/* Burrow agent protocol: frame codec and the wire constants shared with the host (see
 * docs/PROTOCOL.md). The host's Java constants are compared with these by a test
 * (burrow-vmm AgentWireConstantsTest), so change both together. */
#ifndef BURROW_PROTO_H
#define BURROW_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Protocol version in ANNOUNCE and HELLO_ACK. 2: data frames cost DATA_FRAME_COST credit. */
#define PROTO_VERSION 2u
/* Version byte of every frame header (the framing itself is unchanged since protocol 1). */
#define FRAME_VERSION 1u
#define FRAME_HDR 20u
#define FRAME_MAX_PAYLOAD 65536u
#define FRAME_MAX (FRAME_HDR + FRAME_MAX_PAYLOAD)

/* Flow control: each direction of each stream starts with INITIAL_WINDOW of credit; a data
 * frame (STDIN, STDOUT, STDERR, DATA; empty ones too) takes its length plus DATA_FRAME_COST. */
#define INITIAL_WINDOW 262144u
#define DATA_FRAME_COST 128u

/* Control frames (stream 0). */
#define T_HELLO 0x01
#define T_HELLO_ACK 0x02
#define T_PING 0x03
#define T_PONG 0x04
#define T_ANNOUNCE 0x05
#define T_ENTRYPOINT_EXIT 0x06
#define T_LOG 0x07
/* Guest CPU counters for the idle policy (additive in protocol 2: an older agent ignores STATS). */
#define T_STATS 0x08
#define T_STATS_REPLY 0x09
/* Stream frames. */
#define T_EXEC 0x10
#define T_STARTED 0x11
#define T_STDIN 0x12
#define T_STDOUT 0x13
#define T_STDERR 0x14
#define T_EXIT 0x15
#define T_SIGNAL 0x16
#define T_WINDOW 0x17
#define T_TCP_CONNECT 0x18
#define T_CONNECTED 0x19
#define T_DATA 0x1A
#define T_CLOSE 0x1B
/* Agent 0.4.0: `u16 cols, u16 rows` for a PTY exec (additive: only sent on PTY streams). */
#define T_RESIZE 0x1C
#define T_ERROR 0x1F

uint32_t crc32_ieee(uint32_t crc, const void *data, size_t n);

/* Writes the 20-byte header for a frame carrying `payload` (len <= FRAME_MAX_PAYLOAD). */
void frame_header(uint8_t hdr[FRAME_HDR], uint8_t type, uint32_t stream,
                  const void *payload, uint32_t len);

struct frame {
    uint8_t type;
    uint16_t flags;
    uint32_t stream;
    uint32_t len;
    const uint8_t *payload; /* points into the reader; valid until the next fr_* call */
};

enum fr_result {
    FR_NEED = 0,        /* no complete frame buffered: read more */
    FR_FRAME = 1,       /* *out holds a frame */
    FR_FATAL_VERSION = -1,
    FR_FATAL_LENGTH = -2,
};

/* Bounded frame reader with resynchronisation. Never buffers more than one max frame. */
struct frame_reader {
    size_t start, end;
    uint64_t skipped;  /* bytes skipped while looking for a magic */
    uint64_t corrupt;  /* frames with a bad CRC */
    uint64_t frames;   /* good frames */
    uint8_t buf[FRAME_MAX];
};

void fr_init(struct frame_reader *r);
/* Discards buffered bytes (counters are kept). */
void fr_reset(struct frame_reader *r);
/* Returns where to put new bytes and how many fit (always >= 1 after FR_NEED). */
uint8_t *fr_space(struct frame_reader *r, size_t *room);
void fr_commit(struct frame_reader *r, size_t n);
/* Extracts the next frame. After a fatal result the caller must fr_reset(). */
int fr_next(struct frame_reader *r, struct frame *out);

/* Credit a data frame of `len` payload bytes takes. */
static inline uint64_t frame_cost(uint32_t len) { return (uint64_t)len + DATA_FRAME_COST; }

/* Payload bytes a sender with `credit` may put in its next data frame, at most `max`; 0 when
 * not even a one-byte frame fits. */
static inline size_t credit_room(uint64_t credit, size_t max)
{
    if (credit <= DATA_FRAME_COST)
        return 0;
    uint64_t room = credit - DATA_FRAME_COST;
    return room < max ? (size_t)room : max;
}

/* Takes the credit of a received or sent data frame; -1 (nothing taken) when it does not fit. */
static inline int credit_take(uint64_t *credit, uint32_t len)
{
    if (frame_cost(len) > *credit)
        return -1;
    *credit -= frame_cost(len);
    return 0;
}

static inline void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif
