/* Stream table: lookup, creation, teardown, and the host→guest byte buffer with credit. */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

struct stream *stream_find(uint32_t id)
{
    if (id == 0)
        return NULL;
    for (int i = 0; i < MAX_STREAMS; i++)
        if (A.streams[i] && A.streams[i]->id == id)
            return A.streams[i];
    return NULL;
}

int stream_count(void)
{
    int n = 0;
    for (int i = 0; i < MAX_STREAMS; i++)
        n += A.streams[i] != NULL;
    return n;
}

struct stream *stream_new(uint32_t id, enum stream_kind kind)
{
    for (int i = 0; i < MAX_STREAMS; i++) {
        if (A.streams[i])
            continue;
        struct stream *s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        s->id = id;
        s->serial = ++A.next_serial;
        s->kind = kind;
        s->out_credit = INITIAL_WINDOW;
        s->in_credit = INITIAL_WINDOW;
        s->in_fd = s->out_fd = s->err_fd = s->sock = -1;
        A.streams[i] = s;
        return s;
    }
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

void bytebuf_free(struct bytebuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
    if (n > b->len)
        n = b->len;
    b->off += n;
    b->len -= n;
    if (b->len == 0) {
        /* Give memory back once drained: buffers are only as big as what is pending. */
        bytebuf_free(b);
    }
}

static int bytebuf_append(struct bytebuf *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    if (b->off + b->len + n > b->cap) {
        if (b->off) {
            memmove(b->p, b->p + b->off, b->len);
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->len + n;
            uint8_t *np = realloc(b->p, cap);
            if (!np)
                return -1;
            b->p = np;
            b->cap = cap;
        }
    }
    memcpy(b->p + b->off + b->len, p, n);
    b->len += n;
    return 0;
}

int stream_take_host_data(struct stream *s, const uint8_t *p, uint32_t n)
{
    if (credit_take(&s->in_credit, n) < 0)
        return -1;
    s->window_owed += DATA_FRAME_COST; /* the frame itself is consumed on arrival */
    /* Bounded by the window we granted (<= INITIAL_WINDOW pending at any time). */
    if (bytebuf_append(&s->in, p, n) < 0)
        return -1;
    return 0;
}

void stream_free(struct stream *s)
{
    for (int i = 0; i < MAX_STREAMS; i++)
        if (A.streams[i] == s)
            A.streams[i] = NULL;
    close_fd(&s->in_fd);
    close_fd(&s->out_fd);
    close_fd(&s->err_fd);
    close_fd(&s->sock);
    bytebuf_free(&s->in);
    free(s);
}

void stream_abort(struct stream *s)
{
    if (s->kind == SK_EXEC && s->pid > 0)
        kill(-s->pid, SIGKILL); /* the child is reaped by the SIGCHLD loop */
    if (s->kind == SK_TCP && s->sock >= 0) {
        /* Reset rather than a graceful close: CLOSE means abort. */
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(s->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    stream_free(s);
}

void streams_abort_all(void)
{
    for (int i = 0; i < MAX_STREAMS; i++)
        if (A.streams[i])
            stream_abort(A.streams[i]);
}
