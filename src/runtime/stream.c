/*
 * stream.c — the stream factory (stream.h): which implementation a node's
 * connections get. Plain TCP is stream_tcp.c; psk and mtls are stream_tls.c,
 * reached only through stream_tls.h.
 *
 * The factory of a plain node is an nb__stream_factory_head alone; a TLS
 * factory is stream_tls.c's struct, which starts with that head, so the kind is
 * read the same way from both and this file never needs the TLS layout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "stream.h"
#include "stream_tcp.h"
#include "stream_tls.h"

static nb__transport_kind kind_of(const nb__stream_factory *f)
{
    return ((const nb__stream_factory_head *)(const void *)f)->kind;
}

static bool is_tls(nb__transport_kind k)
{
    return k == NB__TRANSPORT_PSK || k == NB__TRANSPORT_MTLS;
}

// Returns a factory the caller frees with nb__stream_factory_free.
int nb__stream_factory_new(const nb__security *sec, nb__stream_factory **out, char *why,
                           size_t whylen)
{
    *out = NULL;
    if (is_tls(sec->kind))
        return nb__stream_tls_factory_new(sec, out, why, whylen);
    if (sec->kind != NB__TRANSPORT_PLAIN) {
        snprintf(why, whylen, "unknown transport kind %d", (int)sec->kind);
        return -1;
    }
    nb__stream_factory_head *f = malloc(sizeof *f);
    if (!f) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    f->kind = NB__TRANSPORT_PLAIN;
    *out = (nb__stream_factory *)(void *)f;
    return 0;
}

void nb__stream_factory_free(nb__stream_factory *f)
{
    if (!f)
        return;
    if (is_tls(kind_of(f)))
        nb__stream_tls_factory_free(f);
    else
        free(f);
}

nb__transport_kind nb__stream_factory_kind(const nb__stream_factory *f)
{
    return kind_of(f);
}

// Returns a stream the caller frees with nb__stream_free, or NULL.
nb__stream *nb__stream_open(nb__stream_factory *f, int fd, bool outbound,
                            const char *expected_peer)
{
    if (is_tls(kind_of(f)))
        return nb__stream_tls_open(f, fd, outbound, expected_peer);
    return nb__stream_tcp_open(fd);
}
