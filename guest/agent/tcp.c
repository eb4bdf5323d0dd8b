/* TCP_CONNECT streams: a byte tunnel to 127.0.0.1:port inside the guest. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define WINDOW_BATCH 65536u

static void send_close(struct stream *s)
{
    send_frame(T_CLOSE, s->id, NULL, 0);
}

/* Both directions finished: the stream is over; tell the host with CLOSE. */
static int check_done(struct stream *s)
{
    if (s->sock_eof_sent && s->shut_done && s->in.len == 0) {
        send_window(s);
        send_close(s);
        stream_free(s);
        return 1;
    }
    return 0;
}

void tcp_start(uint32_t id, const uint8_t *payload, uint32_t len)
{
    uint16_t port;
    const char *why;
    if (dec_u16_only(payload, len, &port, &why) < 0) {
        send_error(id, "bad TCP_CONNECT: %s", why);
        return;
    }
    if (stream_count() >= MAX_STREAMS) {
        send_error(id, "too many streams (max %d)", MAX_STREAMS);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        send_error(id, "connect 127.0.0.1:%u: %s", port, strerror(errno));
        return;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r;
    do
        r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EINPROGRESS) {
        send_error(id, "connect 127.0.0.1:%u: %s", port, strerror(errno));
        close(fd);
        return;
    }
    struct stream *s = stream_new(id, SK_TCP);
    if (!s) {
        send_error(id, "out of memory");
        close(fd);
        return;
    }
    s->sock = fd;
    s->port = port;
    if (r == 0)
        send_frame(T_CONNECTED, id, NULL, 0);
    else
        s->connecting = 1;
}

void tcp_on_connect_ready(struct stream *s)
{
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return;
    if (err) {
        send_error(s->id, "connect 127.0.0.1:%d: %s", (int)s->port, strerror(err));
        stream_free(s);
        return;
    }
    s->connecting = 0;
    send_frame(T_CONNECTED, s->id, NULL, 0);
    tcp_flush(s);
}

void tcp_flush(struct stream *s)
{
    if (s->connecting)
        return;
    while (s->in.len > 0) {
        ssize_t w = send(s->sock, s->in.p + s->in.off, s->in.len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            send_close(s); /* reset / broken: abort the stream */
            stream_abort(s);
            return;
        }
        s->window_owed += (uint32_t)w;
        bytebuf_consume(&s->in, (size_t)w);
    }
    if (s->in.len == 0 && s->host_eof && !s->shut_done) {
        shutdown(s->sock, SHUT_WR);
        s->shut_done = 1;
    }
    if (s->window_owed >= WINDOW_BATCH || (s->window_owed > 0 && s->in.len == 0))
        send_window(s);
    check_done(s);
}

void tcp_on_data(struct stream *s, const uint8_t *p, uint32_t n)
{
    if (s->host_eof) {
        send_error(s->id, "DATA after EOF");
        stream_abort(s);
        return;
    }
    if (stream_take_host_data(s, p, n) < 0) {
        send_error(s->id, "DATA beyond the window (%u bytes, credit %llu)", n,
                   (unsigned long long)s->in_credit);
        stream_abort(s);
        return;
    }
    if (n == 0)
        s->host_eof = 1;
    tcp_flush(s);
}

void tcp_read(struct stream *s)
{
    static uint8_t buf[FRAME_MAX_PAYLOAD];
    size_t want = credit_room(s->out_credit, sizeof buf);
    if (s->connecting || s->sock_eof_sent || want == 0 || A.out.bytes >= OUTQ_HIGH_WATER)
        return;
    ssize_t r = recv(s->sock, buf, want, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r < 0) {
        send_close(s);
        stream_abort(s);
        return;
    }
    if (r == 0) {
        s->sock_eof_sent = 1;
        credit_take(&s->out_credit, 0); /* fits: want > 0 left more than the frame's cost */
        send_frame(T_DATA, s->id, NULL, 0);
        check_done(s);
        return;
    }
    credit_take(&s->out_credit, (uint32_t)r);
    send_frame(T_DATA, s->id, buf, (uint32_t)r);
}
