/* Outbound frame queue with a hard cap. Frames are kept whole so a new connection can drop
 * what the previous one never saw without cutting a frame in half. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent.h"

int outq_push(struct outq *q, uint8_t type, uint32_t stream, const void *payload, uint32_t len)
{
    if (len > FRAME_MAX_PAYLOAD)
        return -1;
    size_t total = FRAME_HDR + (size_t)len;
    if (q->bytes + total > OUTQ_HARD_CAP)
        return -1;
    struct oframe *f = malloc(sizeof *f + total);
    if (!f)
        return -1;
    frame_header(f->data, type, stream, payload, len);
    if (len)
        memcpy(f->data + FRAME_HDR, payload, len);
    f->len = total;
    f->off = 0;
    f->next = NULL;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->bytes += total;
    return 0;
}

static void pop_head(struct outq *q)
{
    struct oframe *f = q->head;
    q->head = f->next;
    if (!q->head)
        q->tail = NULL;
    q->bytes -= f->len - f->off;
    free(f);
}

int outq_flush(struct outq *q, int fd)
{
    while (q->head) {
        struct iovec iov[64];
        int n = 0;
        for (struct oframe *f = q->head; f && n < 64; f = f->next, n++) {
            iov[n].iov_base = f->data + f->off;
            iov[n].iov_len = f->len - f->off;
        }
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        if (w == 0)
            return 0;
        size_t left = (size_t)w;
        while (left && q->head) {
            struct oframe *f = q->head;
            size_t rem = f->len - f->off;
            if (left >= rem) {
                left -= rem;
                pop_head(q);
            } else {
                f->off += left;
                q->bytes -= left;
                left = 0;
            }
        }
    }
    return 0;
}

void outq_drop_unstarted(struct outq *q)
{
    struct oframe *keep = (q->head && q->head->off > 0) ? q->head : NULL;
    struct oframe *f = keep ? keep->next : q->head;
    while (f) {
        struct oframe *next = f->next;
        q->bytes -= f->len - f->off;
        free(f);
        f = next;
    }
    if (keep) {
        keep->next = NULL;
        q->head = q->tail = keep;
    } else {
        q->head = q->tail = NULL;
    }
}
