/*
 * handshake.h — from a secured stream to an authenticated peer (handshake.c).
 * A session module: conn.c reaches it only through its on_secured hook, and
 * dispatch.c hands it the frames of connections that are not up yet.
 */
#ifndef NB_RUNTIME_HANDSHAKE_H
#define NB_RUNTIME_HANDSHAKE_H

#include "conn.h"

/* The on_secured hook: the dialer sends HELLO, the acceptor waits for it.
 * Returns 0, or -1 with ctx->why set. */
int nb__hs_on_secured(nb__conn *c, nb__reader_ctx *ctx);

/* Handles a frame received before the connection is up. Returns 0, or -1 with
 * ctx->why set (the connection then closes). */
int nb__hs_on_frame(nb__conn *c, const nb__frame_header *h, const unsigned char *payload,
                    nb__reader_ctx *ctx);

#endif /* NB_RUNTIME_HANDSHAKE_H */
