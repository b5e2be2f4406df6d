/*
 * stream.h — the byte stream under one connection: plain TCP or TLS 1.3.
 *
 * A connection (conn.c) never touches its socket's bytes directly once the
 * stream exists: it reads, writes, and runs the security handshake through the
 * stream's operations, so TLS is a second implementation of this interface
 * (stream_tls.c) beside plain TCP (stream_tcp.c), never an `if (tls)` in the
 * layers above. This is the shape of Redis's connection.h.
 *
 * The stream knows nothing of frames, nodes or calls. It includes nothing from
 * the runtime but this header.
 *
 * Threads. The connection layer guarantees that at most one thread reads a
 * stream at a time (the reader role) and at most one writes it at a time (the
 * writer), but a reader and a writer may run at once. An implementation whose
 * state is shared between both directions (an OpenSSL SSL object) serialises
 * them itself, briefly: no operation ever blocks on the network.
 *
 * Ownership. nb__stream_open returns a stream owned by the caller, released with
 * nb__stream_free. The socket descriptor stays the caller's: the stream never
 * closes it. A factory is owned by whoever made it and must outlive every
 * stream opened from it.
 */
#ifndef NB_RUNTIME_STREAM_H
#define NB_RUNTIME_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct nb__stream nb__stream;

/* How the bytes of every connection of a node are protected (topology `transport:`). */
typedef enum nb__transport_kind {
    NB__TRANSPORT_PSK = 0, /* TLS 1.3, external PSK derived from the cluster cookie (default) */
    NB__TRANSPORT_MTLS,    /* TLS 1.3, mutual certificates chained to one CA */
    NB__TRANSPORT_PLAIN    /* bare TCP: trusted networks and measurements only */
} nb__transport_kind;

/* What a factory needs; every pointer is borrowed for nb__stream_factory_new only. */
typedef struct nb__security {
    nb__transport_kind kind;
    const unsigned char *cookie; /* psk: the cluster secret (>= 16 bytes) */
    size_t cookie_len;
    const char *ca_path;         /* mtls: PEM files, placeholders already expanded */
    const char *cert_path;
    const char *key_path;
} nb__security;

typedef struct nb__stream_ops {
    /*
     * Advances the security handshake on the non-blocking socket. Returns 1 when
     * the stream is ready for read/writev, 0 when it needs the socket readable
     * (*want = POLLIN) or writable (*want = POLLOUT) before it is called again,
     * -1 on failure with a sentence in why[0..whylen) that names the cause the
     * way an operator reads it ("the peer does not know the cluster cookie",
     * "certificate for db@h2 is not signed by the configured CA"). Plain TCP
     * returns 1 at once.
     */
    int (*handshake)(nb__stream *s, int *want, char *why, size_t whylen);

    /* Like recv(fd, buf, len, MSG_DONTWAIT): bytes read (> 0), 0 at the orderly
     * end of the stream, or -1 with errno (EAGAIN: nothing to read now; EPROTO:
     * the peer's bytes failed integrity or the protocol, the connection must
     * close; why is then filled as for handshake). */
    ssize_t (*read)(nb__stream *s, void *buf, size_t len, char *why, size_t whylen);

    /* Like sendmsg(fd, iov, MSG_DONTWAIT | MSG_NOSIGNAL): returns how many bytes
     * of iov[0..iovcnt) the stream took, from the front, or -1 with errno (EAGAIN:
     * the socket is full and nothing was taken). A stream may take bytes it has
     * not put on the socket yet (a TLS record waiting for the socket to drain):
     * it holds them, reports them through unsent(), and writes them first on the
     * next writev call, which may have iovcnt == 0 just to push them. */
    ssize_t (*writev)(nb__stream *s, const struct iovec *iov, int iovcnt);

    /* Bytes taken by writev but not yet written to the socket. */
    size_t (*unsent)(const nb__stream *s);

    /* True when read() can return bytes without the socket becoming readable
     * (a decrypted record buffered inside the stream): a reader must not poll()
     * the socket before it has drained these. */
    bool (*pending)(nb__stream *s);

    /* The node name the peer's credentials prove, or NULL when the transport
     * proves no name (plain, psk). Valid until the stream is freed. */
    const char *(*peer_identity)(const nb__stream *s);

    /* Best effort, never blocking: tells the peer the stream ends (TLS
     * close_notify). The caller then shuts the socket down itself. */
    void (*goodbye)(nb__stream *s);

    void (*free)(nb__stream *s);
} nb__stream_ops;

/* The common head of every implementation's stream. */
struct nb__stream {
    const nb__stream_ops *ops;
    int fd; /* borrowed */
};

typedef struct nb__stream_factory nb__stream_factory;

/* Makes the factory for one node's connections: for TLS, the SSL_CTX with its
 * keys, certificates and verification loaded and checked once. Returns 0 and
 * *out (free with nb__stream_factory_free), or -1 with why filled ("cannot read
 * certificate certs/db.pem: No such file or directory"). */
int nb__stream_factory_new(const nb__security *sec, nb__stream_factory **out, char *why,
                           size_t whylen);
void nb__stream_factory_free(nb__stream_factory *f);
nb__transport_kind nb__stream_factory_kind(const nb__stream_factory *f);

/* Opens a stream over the connected (or connecting) non-blocking socket fd.
 * outbound: this side dialled (TLS client). expected_peer: for an outbound mtls
 * stream, the node name the peer's certificate must prove (borrowed for the
 * call); NULL otherwise. Returns NULL when out of memory. */
nb__stream *nb__stream_open(nb__stream_factory *f, int fd, bool outbound,
                            const char *expected_peer);

/* Calls through the ops table: the connection layer uses these. */
static inline int nb__stream_handshake(nb__stream *s, int *want, char *why, size_t whylen)
{
    return s->ops->handshake(s, want, why, whylen);
}
static inline ssize_t nb__stream_read(nb__stream *s, void *buf, size_t len, char *why,
                                      size_t whylen)
{
    return s->ops->read(s, buf, len, why, whylen);
}
static inline ssize_t nb__stream_writev(nb__stream *s, const struct iovec *iov, int iovcnt)
{
    return s->ops->writev(s, iov, iovcnt);
}
static inline size_t nb__stream_unsent(const nb__stream *s) { return s->ops->unsent(s); }
static inline bool nb__stream_pending(nb__stream *s) { return s->ops->pending(s); }
static inline const char *nb__stream_peer_identity(const nb__stream *s)
{
    return s->ops->peer_identity(s);
}
static inline void nb__stream_goodbye(nb__stream *s) { s->ops->goodbye(s); }
static inline void nb__stream_free(nb__stream *s)
{
    if (s)
        s->ops->free(s);
}

#endif /* NB_RUNTIME_STREAM_H */
