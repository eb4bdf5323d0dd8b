/* Frame codec: CRC-32, header encoding and the resynchronising frame reader. */
#include "proto.h"

#include <string.h>

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        crc_table[i] = c;
    }
    crc_ready = 1;
}

/* Running CRC-32 (zlib convention: start with 0, feed the previous result back in). */
uint32_t crc32_ieee(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

void frame_header(uint8_t hdr[FRAME_HDR], uint8_t type, uint32_t stream,
                  const void *payload, uint32_t len)
{
    hdr[0] = 'B'; hdr[1] = 'R'; hdr[2] = 'W'; hdr[3] = '1';
    hdr[4] = FRAME_VERSION;
    hdr[5] = type;
    put_le16(hdr + 6, 0);
    put_le32(hdr + 8, stream);
    put_le32(hdr + 12, len);
    uint32_t crc = crc32_ieee(0, hdr, 16);
    if (len)
        crc = crc32_ieee(crc, payload, len);
    put_le32(hdr + 16, crc);
}

void fr_init(struct frame_reader *r)
{
    r->start = r->end = 0;
    r->skipped = r->corrupt = r->frames = 0;
}

void fr_reset(struct frame_reader *r)
{
    r->start = r->end = 0;
}

uint8_t *fr_space(struct frame_reader *r, size_t *room)
{
    if (r->start > 0) {
        size_t n = r->end - r->start;
        if (n)
            memmove(r->buf, r->buf + r->start, n);
        r->start = 0;
        r->end = n;
    }
    *room = sizeof r->buf - r->end;
    return r->buf + r->end;
}

void fr_commit(struct frame_reader *r, size_t n)
{
    size_t room = sizeof r->buf - r->end;
    r->end += n <= room ? n : room;
}

static const uint8_t MAGIC[4] = { 'B', 'R', 'W', '1' };

int fr_next(struct frame_reader *r, struct frame *out)
{
    for (;;) {
        const uint8_t *p = r->buf + r->start;
        size_t avail = r->end - r->start;

        /* Find the magic. */
        size_t i = 0;
        while (i + 4 <= avail) {
            const uint8_t *b = memchr(p + i, 'B', avail - 3 - i);
            if (!b) {
                i = avail - 3;
                break;
            }
            i = (size_t)(b - p);
            if (memcmp(b, MAGIC, 4) == 0)
                break;
            i++;
        }
        if (i + 4 > avail) {
            /* No complete magic: keep the longest tail that could start one. */
            size_t keep = avail < 3 ? avail : 3;
            while (keep > 0 && memcmp(p + avail - keep, MAGIC, keep) != 0)
                keep--;
            r->skipped += avail - keep;
            r->start = r->end - keep;
            return FR_NEED;
        }
        r->skipped += i;
        r->start += i;
        p += i;
        avail -= i;

        if (avail < FRAME_HDR)
            return FR_NEED;
        if (p[4] != FRAME_VERSION)
            return FR_FATAL_VERSION;
        uint32_t len = get_le32(p + 12);
        if (len > FRAME_MAX_PAYLOAD)
            return FR_FATAL_LENGTH;
        if (avail < FRAME_HDR + (size_t)len)
            return FR_NEED;

        uint32_t crc = crc32_ieee(0, p, 16);
        crc = crc32_ieee(crc, p + FRAME_HDR, len);
        if (crc != get_le32(p + 16)) {
            /* Corrupt: search again one byte after this magic. */
            r->corrupt++;
            r->start += 1;
            continue;
        }
        out->type = p[5];
        out->flags = get_le16(p + 6);
        out->stream = get_le32(p + 8);
        out->len = len;
        out->payload = p + FRAME_HDR;
        r->start += FRAME_HDR + (size_t)len;
        r->frames++;
        return FR_FRAME;
    }
}
