/*
 * stream_tcp.h — the plain TCP implementation of stream.h (stream_tcp.c).
 * stream.c opens it for NB__TRANSPORT_PLAIN; nothing else does.
 */
#ifndef NB_RUNTIME_STREAM_TCP_H
#define NB_RUNTIME_STREAM_TCP_H

#include "stream.h"

/* A stream over the socket fd (borrowed). NULL when out of memory. Free with
 * nb__stream_free. */
nb__stream *nb__stream_tcp_open(int fd);

#endif /* NB_RUNTIME_STREAM_TCP_H */
