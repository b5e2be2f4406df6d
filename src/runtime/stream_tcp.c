/*
 * stream_tcp.c — the plain TCP implementation of stream.h: the bytes go to the
 * socket as they are (transport: plain). Each operation is the system call it
 * stands for, so plain keeps raw TCP's cost; it holds no bytes of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "stream.h"
#include "stream_tcp.h"

static int tcp_handshake(nb__stream *s, int *want, char *why, size_t whylen)
{
    (void)s;
    (void)why;
    (void)whylen;
    *want = 0;
    return 1;
}

static ssize_t tcp_read(nb__stream *s, void *buf, size_t len, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return recv(s->fd, buf, len, MSG_DONTWAIT);
}

static ssize_t tcp_writev(nb__stream *s, const struct iovec *iov, int iovcnt)
{
    if (iovcnt == 0)
        return 0; /* nothing held: nothing to push */
    struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    return sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static size_t tcp_unsent(const nb__stream *s)
{
    (void)s;
    return 0;
}

static bool tcp_pending(nb__stream *s)
{
    (void)s;
    return false;
}

static const char *tcp_peer_identity(const nb__stream *s)
{
    (void)s;
    return NULL;
}

static void tcp_goodbye(nb__stream *s)
{
    (void)s; /* TCP's own FIN says it: the caller shuts the socket down */
}

static void tcp_free(nb__stream *s)
{
    free(s);
}

static const nb__stream_ops tcp_ops = {
    .handshake = tcp_handshake,
    .read = tcp_read,
    .writev = tcp_writev,
    .unsent = tcp_unsent,
    .pending = tcp_pending,
    .peer_identity = tcp_peer_identity,
    .goodbye = tcp_goodbye,
    .free = tcp_free,
};

// Returns a stream the caller frees with nb__stream_free, or NULL.
nb__stream *nb__stream_tcp_open(int fd)
{
    nb__stream *s = malloc(sizeof *s);
    if (s)
        *s = (nb__stream){&tcp_ops, fd};
    return s;
}
