/*
 * stream_tls.h — the TLS 1.3 implementation of stream.h (stream_tls.c): the
 * factory for transport psk (external PSK from the cluster cookie) and mtls
 * (mutual certificates). stream.c calls these for the TLS kinds; nothing else
 * does. Same contracts as the nb__stream_factory_* / nb__stream_open functions
 * of stream.h.
 */
#ifndef NB_RUNTIME_STREAM_TLS_H
#define NB_RUNTIME_STREAM_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "stream.h"

/* The head of every factory: stream.c reads the kind through it, and makes a
 * plain factory of this head alone. stream_tls.c's struct nb__stream_factory
 * must have it as its first member (C allows the cast to the first member). */
typedef struct nb__stream_factory_head {
    nb__transport_kind kind;
} nb__stream_factory_head;

/* Makes a TLS factory for sec->kind (NB__TRANSPORT_PSK or NB__TRANSPORT_MTLS).
 * Returns 0 and *out (free with nb__stream_tls_factory_free), or -1 with why. */
int nb__stream_tls_factory_new(const nb__security *sec, nb__stream_factory **out, char *why,
                               size_t whylen);
void nb__stream_tls_factory_free(nb__stream_factory *f);
/* Opens a TLS stream over fd (see nb__stream_open). NULL when out of memory. */
nb__stream *nb__stream_tls_open(nb__stream_factory *f, int fd, bool outbound,
                                const char *expected_peer);

#endif /* NB_RUNTIME_STREAM_TLS_H */
