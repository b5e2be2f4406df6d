/*
 * metrics_http.h — the node's /metrics endpoint: GET /metrics answered with
 * nb__metrics_render() by libmicrohttpd on its own thread (docs/metrics.md).
 *
 * Everything a client can make the endpoint hold is bounded: at most 16
 * connections (4 per client address), each closed after 10 s of silence,
 * requests read into libmicrohttpd's fixed per-connection memory. Only GET and
 * HEAD of /metrics are answered with figures; the rest get 404 or 405.
 */
#ifndef NB_RUNTIME_METRICS_HTTP_H
#define NB_RUNTIME_METRICS_HTTP_H

#include <stddef.h>

#include "metrics.h"

/* Starts serving on addr ("host:port", "[v6]:port"; borrowed), rendering with
 * peer_up. Returns 0, or -1 with why[0..whylen) filled (nothing started). */
int nb__metrics_http_start(const char *addr, nb__metrics_peer_up_fn peer_up, char *why,
                           size_t whylen);

/* Stops serving and joins the server's thread; no render runs after it
 * returns. Does nothing when not started. */
void nb__metrics_http_stop(void);

#endif /* NB_RUNTIME_METRICS_HTTP_H */
