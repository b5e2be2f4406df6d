/*
 * stats.c — the STATS frame: a node's figures for the `nebula stats` command
 * (stats.h answers, tool.h asks; docs/metrics.md). Session layer: the question
 * rides on an authenticated connection, as a call does, and its answer is
 * matched to the asker by the header's call id through pending.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "codec.h"
#include "config.h"
#include "metrics.h"
#include "stats.h"
#include "status.h"
#include "tool.h"

_Static_assert(NB__STATS_BUCKETS == NB__METRICS_BOUNDS + 1, "one histogram layout");

int nb__stats_on_request(nb__conn *c, uint64_t id)
{
    return nb__ask_answer(c, NB__F_STATS_REPLY, id, nb__metrics_pack);
}

/* --- Asking -------------------------------------------------------------- */

static bool get_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *v = o->via.u64;
    return true;
}

static bool get_hist(const msgpack_object *o, uint64_t *hist)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != NB__STATS_BUCKETS)
        return false;
    for (size_t k = 0; k < NB__STATS_BUCKETS; k++)
        if (!get_u64(&o->via.array.ptr[k], &hist[k]))
            return false;
    return true;
}

/* One [api, calls, call_errors, [..], call_sum_ns, served, served_errors, [..],
 * serve_sum_ns]; false when it is anything else. */
static bool get_api(const msgpack_object *o, nb__api_stats *a)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 9)
        return false;
    const msgpack_object *f = o->via.array.ptr;
    a->api = nb__peer_strdup(&f[0]);
    return a->api && get_u64(&f[1], &a->calls) && get_u64(&f[2], &a->call_errors) &&
           get_hist(&f[3], a->call_hist) && get_u64(&f[4], &a->call_sum_ns) &&
           get_u64(&f[5], &a->served) && get_u64(&f[6], &a->served_errors) &&
           get_hist(&f[7], a->serve_hist) && get_u64(&f[8], &a->serve_sum_ns) &&
           a->call_errors <= a->calls && a->served_errors <= a->served;
}

/* Decodes a STATS_REPLY payload (the peer's bytes) into *out. */
static bool decode(const unsigned char *buf, size_t len, nb__node_stats *out)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    const msgpack_object *o = &up.data;
    bool ok = nb__unpack_peer(&up, buf, len) == 0 && o->type == MSGPACK_OBJECT_ARRAY &&
              o->via.array.size == 5;
    const msgpack_object *f = ok ? o->via.array.ptr : NULL;
    ok = ok && (out->node = nb__peer_strdup(&f[0])) && (out->version = nb__peer_strdup(&f[1])) &&
         (out->fingerprint = nb__peer_strdup(&f[2])) && f[3].type == MSGPACK_OBJECT_ARRAY &&
         f[3].via.array.size == NB__STATS_BUCKETS - 1 && f[4].type == MSGPACK_OBJECT_ARRAY;
    for (size_t k = 0; ok && k < NB__STATS_BUCKETS - 1; k++) {
        const msgpack_object *b = &f[3].via.array.ptr[k];
        ok = b->type == MSGPACK_OBJECT_FLOAT64 || b->type == MSGPACK_OBJECT_FLOAT32;
        if (ok)
            out->bounds[k] = b->via.f64;
    }
    size_t n = ok ? f[4].via.array.size : 0;
    if (ok && n > 0)
        ok = (out->apis = calloc(n, sizeof *out->apis)) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        out->n_apis = i + 1; /* so that nb__stats_free frees a half-read one */
        ok = get_api(&f[4].via.array.ptr[i], &out->apis[i]);
    }
    msgpack_unpacked_destroy(&up);
    return ok;
}

static int take_stats(const unsigned char *payload, size_t len, const char *node, void *arg)
{
    nb__node_stats *out = arg;
    if (decode(payload, len, out))
        return 0;
    nb__stats_free(out);
    nb__fail(NB_E_PROTOCOL, "stats: the answer of %s does not decode (another version of "
             "libnebula?)", node);
    return -1;
}

int nb__stats_fetch(int idx, int timeout_ms, nb__node_stats *out)
{
    *out = (nb__node_stats){0};
    return nb__ask_node(idx, NB__F_STATS, "stats", timeout_ms, take_stats, out);
}

void nb__stats_free(nb__node_stats *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_apis; i++)
        free(s->apis[i].api);
    free(s->apis);
    free(s->node);
    free(s->version);
    free(s->fingerprint);
    *s = (nb__node_stats){0};
}
