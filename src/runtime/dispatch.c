/*
 * dispatch.c — where each frame read from a connection goes: the handshake until
 * the connection is up, then requests and their cancels to the workers, replies
 * and extensions to the calls waiting for them, and membership's own frames.
 * The connection layer's on_frame hook (set by lifecycle.c): conn.c never calls
 * it by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "conn.h"
#include "describe.h"
#include "dispatch.h"
#include "handshake.h"
#include "membership.h"
#include "nodeinfo.h"
#include "pending.h"
#include "stats.h"
#include "workers.h"

/* Gives the payload to a new owner: the heap buffer itself when there is one,
 * else a copy (NULL when out of memory). */
static unsigned char *take_payload(const unsigned char *payload, size_t len,
                                   unsigned char **owned)
{
    if (*owned) {
        unsigned char *p = *owned;
        *owned = NULL;
        return p;
    }
    unsigned char *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, payload, len);
    return p;
}

int nb__on_frame(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                 unsigned char **owned, nb__reader_ctx *ctx)
{
    if (!atomic_load_explicit(&c->up, memory_order_relaxed))
        return nb__hs_on_frame(c, h, payload, ctx);
    switch (h->type) {
    case NB__F_REQUEST:
        return nb__workers_on_request(c, h, payload, owned, ctx);
    case NB__F_STATS:
        return nb__stats_on_request(c, h->call_id);
    case NB__F_DESCRIBE:
        return nb__describe_on_request(c, h->call_id);
    case NB__F_DESCRIPTION: /* answers a DESCRIBE as REPLY answers a REQUEST */
    case NB__F_STATS_REPLY: /* answers a STATS as REPLY answers a REQUEST */
    case NB__F_REPLY: {
        /* Checked here, before the caller's thread unpacks it (codec.h). */
        if (nb__wire_check(payload, h->length) < 0) {
            snprintf(ctx->why, sizeof ctx->why, "malformed reply from %s", c->peer_name);
            return -1;
        }
        unsigned char *p = take_payload(payload, h->length, owned);
        if (!p) {
            snprintf(ctx->why, sizeof ctx->why, "out of memory for a reply");
            return -1;
        }
        nb__pcall_on_reply(c, h->call_id, p, h->length);
        return 0;
    }
    case NB__F_CANCEL: /* the caller of a request we serve stopped waiting */
    case NB__F_EXTEND: /* the body of a call we wait on asks for more time */
        if (h->length != 0 || h->call_id == 0) {
            snprintf(ctx->why, sizeof ctx->why, "malformed %s frame from %s",
                     h->type == NB__F_CANCEL ? "cancel" : "extend", c->peer_name);
            return -1;
        }
        if (h->type == NB__F_CANCEL)
            nb__workers_on_cancel(c, h->call_id);
        else
            nb__pcall_on_extend(c, h->call_id);
        return 0;
    case NB__F_PING:
        return 0;
    case NB__F_INFO:
        if (nb__wire_check(payload, h->length) < 0) {
            snprintf(ctx->why, sizeof ctx->why, "malformed node info from %s", c->peer_name);
            return -1;
        }
        nb__info_on_frame(c, payload, h->length);
        return 0;
    case NB__F_GOODBYE:
        /* Empty: the peer is leaving. The one byte of MessagePack 1: the answer
         * to ours (frame.h). Anything else is not a peer of this protocol. */
        if (h->length == 0) {
            nb__members_on_goodbye(c);
            return 0;
        }
        if (h->length == 1 && payload[0] == NB__GOODBYE_ANSWER) {
            nb__members_on_goodbye_answer(c);
            return 0;
        }
        snprintf(ctx->why, sizeof ctx->why, "malformed GOODBYE from %s", c->peer_name);
        return -1;
    case NB__F_REFUSE:
        snprintf(ctx->why, sizeof ctx->why, "%s closed the connection", c->peer_name);
        return -1;
    default:
        snprintf(ctx->why, sizeof ctx->why, "unexpected frame type %u from %s", h->type,
                 c->peer_name);
        return -1;
    }
}
