/*
 * dispatch.h — where each frame read from a connection goes (dispatch.c): the
 * on_frame hook of the connection layer (conn.h), installed by nb_start.
 */
#ifndef NB_RUNTIME_DISPATCH_H
#define NB_RUNTIME_DISPATCH_H

#include "conn.h"

/* The on_frame hook (see nb__conn_hooks): the handshake until c is up, then
 * requests, replies, heartbeats, node info and goodbyes. */
int nb__on_frame(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                 unsigned char **owned, nb__reader_ctx *ctx);

#endif /* NB_RUNTIME_DISPATCH_H */
