/*
 * stream_tls.h — the TLS 1.3 implementation of the byte stream (stream.h), for
 * `transport: psk` and `transport: mtls`. See docs/security.md for the trust
 * model of each.
 *
 * psk: the key is derived from the cluster cookie (scrypt, then HKDF-SHA-256
 * with the label "nebula psk v1") and used as a TLS 1.3 external PSK with an ephemeral
 * (EC)DHE exchange (psk_dhe_ke: forward secrecy). No certificates, no session
 * tickets. Both sides prove the cookie inside the handshake; a wrong cookie is
 * a failed handshake ("the peer does not know the cluster cookie"), never an
 * oracle for offline guessing.
 *
 * mtls: each side presents a certificate chaining to the configured CA. The
 * certificate names one node: the SAN URI `nebula://short@host` when it has
 * one (precedence), else its subject CN `short@host`.
 *
 * Layout contract with stream.c: the factory handed out here is an internal
 * struct whose FIRST member is `nb__transport_kind kind`; stream.c's
 * nb__stream_factory_new/_kind/_open/_free look at that member to pick the
 * implementation. Every factory struct of every implementation begins with its
 * kind, so a factory pointer can always be read as `*(nb__transport_kind *)f`.
 *
 * This file includes nothing of the runtime but stream.h: it logs nothing
 * itself. The sentences it writes into `why` are meant for a log line or a
 * caller's message; any text taken from the peer (a certificate's name) is
 * escaped in them (bytes outside printable ASCII as \xNN).
 */
#ifndef NB_RUNTIME_STREAM_TLS_H
#define NB_RUNTIME_STREAM_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "stream.h"

/* The head of every factory: stream.c reads the kind through it, and makes a
 * plain factory of this head alone. stream_tls.c's factory struct has the kind
 * as its first member, so it can be read through this head too. */
typedef struct nb__stream_factory_head {
    nb__transport_kind kind;
} nb__stream_factory_head;

/*
 * Makes the factory for sec->kind (NB__TRANSPORT_PSK or NB__TRANSPORT_MTLS):
 * one SSL_CTX with the derived key or the CA, certificate and key loaded and
 * checked once (the key must match the certificate). sec and its strings are
 * borrowed for the call; the cookie is not kept (only the derived key is).
 * Returns 0 and *out (the caller's, freed with nb__stream_tls_factory_free), or
 * -1 with a sentence in why ("cannot read the certificate certs/db.pem: No such
 * file or directory", "the cluster cookie is empty").
 */
int nb__stream_tls_factory_new(const nb__security *sec, nb__stream_factory **out, char *why,
                               size_t whylen);

/* Frees a factory made by nb__stream_tls_factory_new (NULL-safe) and wipes its
 * key. Every stream opened from it must be freed before. */
void nb__stream_tls_factory_free(nb__stream_factory *f);

/*
 * Opens a TLS stream over the connected (or connecting) non-blocking socket fd;
 * the caller drives nb__stream_handshake until it returns 1 before reading or
 * writing. outbound: this side dialled (TLS client). expected_peer (borrowed
 * for the call, copied): for an outbound mtls stream, the node name the server's
 * certificate must prove; a certificate for another name fails the handshake
 * ("certificate names X, expected Y"). NULL: any name the CA vouches for.
 *
 * Contract for inbound mtls streams: the handshake only proves that the peer
 * holds a certificate of the CA for the name peer_identity() returns. The
 * connection layer above MUST compare that name with the node name the peer
 * claims in its HELLO and refuse the connection when they differ; this module
 * cannot, because the claim arrives after the handshake.
 *
 * In TLS 1.3 the client finishes its handshake before the server has checked
 * the client's certificate: a client whose certificate the server refuses sees
 * handshake() return 1 and its first read() fail with EPROTO and the reason
 * ("the peer refused our certificate ...").
 *
 * Returns the stream (the caller's, freed with nb__stream_free; fd stays the
 * caller's) or NULL when out of memory.
 */
nb__stream *nb__stream_tls_open(nb__stream_factory *f, int fd, bool outbound,
                                const char *expected_peer);

#endif /* NB_RUNTIME_STREAM_TLS_H */
