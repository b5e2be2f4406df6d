/*
 * router.c — nb__invoke: where one API call runs (docs/design.md §7, "Routing").
 *
 * Precedence: the call's own options (f__with), else the innermost routing block,
 * else the default route: local when this node serves the method, otherwise the
 * connected node that registered it first (the same for every caller).
 *
 * Contract: every call ends with exactly one outcome in nb_last_code(); on any
 * failure *ret stays zero. A request is written at most once, never resent,
 * with one exception that keeps "at most once run": a node that is leaving
 * (nb_stop) turns a request away before any body saw it (NB__REPLY_LEAVING),
 * and a default or selector call then goes to the next node serving it, within
 * its original deadline (docs/upgrades.md). A request is never sent on a
 * connection whose peer said GOODBYE: such a call, routed just before, goes
 * elsewhere unwritten.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callopts.h"
#include "codec.h"
#include "log.h"
#include "membership.h"
#include "metrics.h"
#include "nodeinfo.h"
#include "pending.h"
#include "router.h"
#include "config.h"
#include "selector.h"
#include "status.h"

#define FALLBACK_TIMEOUT_MS 5000
#define DEFAULT_MAX_EXTENSIONS 10

int nb__call_timeout(const nb__method *m, const nb_call *r)
{
    if (r && r->timeout_ms > 0)
        return r->timeout_ms;
    if (m->module && m->module->default_timeout_ms > 0)
        return m->module->default_timeout_ms;
    const nb__cluster_def *def = nb__cluster();
    if (def && def->default_timeout_ms > 0)
        return def->default_timeout_ms;
    return FALLBACK_TIMEOUT_MS;
}

int nb__call_max_extensions(const nb__method *m, const nb_call *r)
{
    if (r && r->max_time_extensions != 0)
        return r->max_time_extensions > 0 ? r->max_time_extensions : 0;
    if (m->module && m->module->max_time_extensions != 0)
        return m->module->max_time_extensions > 0 ? m->module->max_time_extensions : 0;
    const nb__cluster_def *def = nb__cluster();
    if (def)
        return def->max_time_extensions > 0 ? def->max_time_extensions : 0;
    return DEFAULT_MAX_EXTENSIONS;
}

void nb__run_local(const nb__method *m, const void *args, void *ret)
{
    const nb_call *saved = nb__tls.route;
    nb__tls.route = NULL;
    m->local((void *)args, ret);
    nb__tls.route = saved;
    nb__set_code(NB_OK);
}

// Returns a frame buffer in *sb owned by the caller (sent with nb__conn_send).
int nb__encode_request(const nb__method *m, const void *args, int64_t deadline_ms,
                       int max_extensions, uint64_t id, msgpack_sbuffer *sb, char *why,
                       size_t size)
{
    int64_t now_ns = nb__mono_ns(), left_ns = deadline_ms * 1000000 - now_ns;
    msgpack_packer pk;
    nb__frame_begin(sb, &pk);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_uint64(&pk, m->wire_id);
    msgpack_pack_uint32(&pk, (uint32_t)(left_ns > 0 ? left_ns / 1000000 : 0));
    if (nb__encode_struct(&pk, m->args, args) < 0 || !sb->data) {
        msgpack_sbuffer_destroy(sb);
        snprintf(why, size, "out of memory encoding the arguments");
        return -1;
    }
    msgpack_pack_uint32(&pk, (uint32_t)(max_extensions > 0 ? max_extensions : 0));
    msgpack_pack_uint64(&pk, (uint64_t)now_ns / 1000);
    nb__frame_end(sb, NB__F_REQUEST, id);
    if (sb->size - NB__FRAME_HEADER_SIZE > nb__cfg.max_frame) {
        snprintf(why, size, "the request (%zu bytes) exceeds the frame limit of %zu bytes",
                 sb->size, nb__cfg.max_frame);
        msgpack_sbuffer_destroy(sb);
        return -1;
    }
    return 0;
}

// zone: borrowed scratch (cleared before returning), or NULL.
int nb__decode_reply(const nb__method *m, msgpack_zone *zone, const unsigned char *buf,
                     size_t len, void *ret, nb_code *code, char *msg, size_t msg_size)
{
    msgpack_zone own;
    msg[0] = '\0';
    if (!zone) {
        if (!msgpack_zone_init(&own, NB__REPLY_ZONE_CHUNK)) {
            snprintf(msg, msg_size, "%s: out of memory decoding the reply", m->name);
            *code = NB_E_SYSTEM;
            return -1;
        }
        zone = &own;
    }
    msgpack_object obj;
    const msgpack_object *o = &obj;
    int rc = -1;
    /* In a small zone: msgpack_unpacked would allocate 8 KiB per reply. */
    if (nb__unpack_peer_in(zone, buf, len, &obj) != 0 ||
        o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        (o->via.array.ptr[0].via.u64 >= NB__CODE_COUNT &&
         o->via.array.ptr[0].via.u64 != NB__REPLY_LEAVING)) {
        snprintf(msg, msg_size, "%s: malformed reply", m->name);
        *code = NB_E_PROTOCOL;
    } else if (o->via.array.ptr[0].via.u64 == NB__REPLY_LEAVING) {
        const msgpack_object *t = &o->via.array.ptr[2];
        char text[256] = "the node is leaving the cluster";
        if (t->type == MSGPACK_OBJECT_STR)
            nb__escape(t->via.str.ptr, t->via.str.size, text, sizeof text);
        snprintf(msg, msg_size, "%s: %s", m->name, text);
        *code = NB_E_NODE_DOWN;
        rc = 1;
    } else if ((*code = (nb_code)o->via.array.ptr[0].via.u64) != NB_OK) {
        const msgpack_object *t = &o->via.array.ptr[2];
        if (t->type == MSGPACK_OBJECT_STR) /* the peer's text: escaped for the caller's log */
            nb__escape(t->via.str.ptr, t->via.str.size, msg, msg_size);
        rc = 0;
    } else if (m->ret.kind != NB__K_VOID &&
               nb__decode_value(&o->via.array.ptr[1], &m->ret, ret) < 0) {
        snprintf(msg, msg_size, "%s: the reply does not decode as %s (signature mismatch?)",
                 m->name, m->signature);
        *code = NB_E_PROTOCOL;
    } else {
        rc = 0;
    }
    if (zone == &own)
        msgpack_zone_destroy(zone);
    else
        msgpack_zone_clear(zone);
    return rc;
}

/* What became of one attempt at a remote call. */
typedef enum attempt {
    ATTEMPT_DONE,   /* the outcome is the call's */
    ATTEMPT_UNRUN   /* failed, but no body ran it: another node may take it */
} attempt;

/* After the remote call p (to node) is resolved: decodes its value into ret and
 * sets this thread's code and message. */
static attempt pcall_outcome(const nb__method *m, const nb__pcall *p, const char *node, void *ret)
{
    attempt a = ATTEMPT_DONE;
    char msg[512];
    nb_code code = p->code;
    if (code != NB_OK)
        snprintf(msg, sizeof msg, "%s", p->msg ? p->msg : "");
    else if (nb__decode_reply(m, NULL, p->reply, p->reply_len, ret, &code, msg, sizeof msg) == 1)
        a = ATTEMPT_UNRUN;
    if (code == NB_OK)
        nb__set_code(NB_OK);
    else if (code == NB_E_NODE_DOWN && p->code == NB_E_NODE_DOWN)
        nb__fail(code, "%s: %s went down during the call (%s)", m->name, node, msg);
    else
        nb__fail(code, "%s", msg[0] ? msg : nb_code_name(code));
    return a;
}

void nb__pcall_outcome(const nb__method *m, const nb__pcall *p, const char *node, void *ret)
{
    (void)pcall_outcome(m, p, node, ret);
}

/* Sends one request on c and waits for its outcome until the monotonic
 * deadline (which the body's nb_request_more_time may move, at most max_ext
 * times); sets the thread's code. */
static attempt call_remote(const nb__method *m, nb__conn *c, const char *node, const void *args,
                           void *ret, int64_t deadline, int max_ext)
{
    int timeout_ms = (int)(deadline - nb__mono_ms());
    if (timeout_ms <= 0) {
        nb__fail(NB_E_TIMEOUT, "%s: no time left to send it to %s", m->name, node);
        return ATTEMPT_DONE;
    }
    nb__waiter w;
    nb__pcall p;
    nb__waiter_init(&w);
    if (nb__pcall_register(c, &p, &w) < 0) {
        nb__waiter_destroy(&w);
        nb__fail(NB_E_NODE_DOWN, "%s: %s went down before the call was sent", m->name, node);
        return ATTEMPT_UNRUN;
    }
    /* Checked after registering: a peer answers our GOODBYE only while no call
     * is registered on c (membership.c), so either it sees this one and waits
     * for its reply, or this sees said_goodbye and writes nothing. */
    if (atomic_load(&c->said_goodbye)) {
        nb__pcall_cancel(&p, NB_E_NODE_DOWN, NULL);
        nb__pcall_release(&p);
        nb__waiter_destroy(&w);
        nb__fail(NB_E_NODE_DOWN, "%s: %s is leaving the cluster: the call was not sent", m->name,
                 node);
        return ATTEMPT_UNRUN;
    }
    attempt a = ATTEMPT_DONE;
    msgpack_sbuffer sb;
    char why[160];
    if (nb__encode_request(m, args, deadline, max_ext, p.id, &sb, why, sizeof why) < 0) {
        nb__pcall_cancel(&p, NB_E_PROTOCOL, NULL);
        nb__fail(NB_E_PROTOCOL, "%s: %s", m->name, why);
    } else {
        nb__pcall_arm(&p, deadline, timeout_ms, max_ext);
        nb__conn_send(c, &sb); /* a failed send closes c, which resolves p */
        nb__pcall_wait(&p, deadline, m->name, node);
        a = pcall_outcome(m, &p, node, ret);
    }
    nb__pcall_release(&p);
    nb__waiter_destroy(&w);
    return a;
}

// Borrows m and sel (NULL: no selector).
void nb__fail_unserved(nb_code code, const nb__method *m, const nb__selector *sel,
                       const char *fmt, ...)
{
    char msg[NB__MESSAGE_MAX], states[NB__MESSAGE_MAX], others[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t off = k > 0 ? (size_t)k : 0;
    /* The cause a rolling upgrade meets first: say it before the node list. */
    size_t n = m ? nb__members_other_signature(m, sel, others, sizeof others) : 0;
    if (n && off < sizeof msg) {
        k = snprintf(msg + off, sizeof msg - off, "; %s serve%s %s only with another signature "
                     "(rebuilt from another version of its declaration)", others,
                     n == 1 ? "s" : "", m->name);
        off += k > 0 ? (size_t)k : 0;
    }
    nb__members_explain(m, m ? NULL : sel, states, sizeof states);
    if (states[0] && off < sizeof msg &&
        snprintf(msg + off, sizeof msg - off, ": %s", states) >= (int)(sizeof msg - off))
        memcpy(msg + sizeof msg - 4, "...", 4); /* cut: say so */
    nb__fail(code, "%s", msg);
}

/* How an asynchronous call starts its remote request (NULL: call and wait). */
typedef struct starter {
    nb__remote_start fn;
    void *ctx;
} starter;

/* Runs m on target t (local or remote), for a started node, with the timeout
 * and extensions r gives. With retry, a remote node that turns the call away
 * unrun because it is leaving hands it to the next node routing picks (sel:
 * the call's selector, or NULL), until the deadline; each node can do that
 * once, so the tries are bounded. Without (a node the caller chose), the
 * failure stands. st: an asynchronous call, whose remote request is handed to
 * st instead (no retry: docs/async.md). */

static void run_on(const nb__method *m, const nb__selector *sel, bool retry, nb__target *t,
                   const void *args, void *ret, const nb_call *r, const starter *st)
{
    if (t->local) {
        nb__run_local(m, args, ret);
        return;
    }
    if (st) {
        st->fn(st->ctx, t->conn, t->node, args, nb__call_timeout(m, r),
               nb__call_max_extensions(m, r));
        nb__conn_unref(t->conn);
        return;
    }
    /* One remote call in the metrics, however many nodes turned it away unrun. */
    int64_t deadline = nb__mono_ms() + nb__call_timeout(m, r), t0 = nb__metrics_start();
    int max_ext = nb__call_max_extensions(m, r);
    for (size_t tries = 0;; tries++) {
        attempt a = call_remote(m, t->conn, t->node, args, ret, deadline, max_ext);
        nb__conn_unref(t->conn);
        if (a == ATTEMPT_DONE || !retry || tries >= nb__cfg.def->n_nodes ||
            nb__mono_ms() >= deadline)
            break; /* the attempt's failure stands */
        if (nb__members_route(m, sel, t) < 0) {
            nb__fail_unserved(NB_E_NO_WORKER, m, sel,
                              "%s: the node it was sent to is leaving, and no other connected "
                              "node serves it", m->name);
            break;
        }
        if (t->local) { /* the next in line is this node: run it here, uncounted */
            nb__run_local(m, args, ret);
            return;
        }
    }
    nb__metrics_call_end(m, NB__MT_REMOTE, t0);
}

static void route_default(const nb__method *m, const nb_call *r, const void *args, void *ret,
                          const starter *st)
{
    if (nb__serves_locally(m)) {
        if (nb__tls.route == &nb__unarmed && nb__is_running())
            nb__tls.route = NULL; /* arm this thread's fast path (status.h) */
        nb__run_local(m, args, ret);
        return;
    }
    if (!nb__lease_enter()) {
        nb__fail(NB_E_NOT_STARTED, "%s: remote call before nb_start()", m->name);
        return;
    }
    nb__target t;
    if (nb__members_route(m, NULL, &t) < 0) {
        nb__fail_unserved(NB_E_NO_WORKER, m, NULL,
                          "%s: no connected node serves it (selector \"%s\")",
                          m->name, m->selector);
        nb__metrics_call(m, NB__MT_REMOTE, NB_E_NO_WORKER, nb__metrics_start());
    } else
        run_on(m, NULL, true, &t, args, ret, r, st);
    nb__lease_leave();
}

int nb__parse_selector(const char *text, nb__selector *sel)
{
    size_t at;
    const char *why;
    if (nb__sel_parse(text, strlen(text), sel, &at, &why) < 0) {
        nb__fail(NB_E_BAD_SELECTOR, "selector \"%s\": %s at offset %zu", text, why, at);
        return -1;
    }
    const nb__cluster_def *def = nb__cfg.def;
    for (size_t i = 0; i < sel->n_terms; i++) {
        if (!nb__sel_term_known(&sel->terms[i], def->nodes, def->n_nodes)) {
            char term[256];
            nb__sel_term_format(&sel->terms[i], term, sizeof term);
            nb__fail(NB_E_BAD_SELECTOR, "selector \"%s\": %s names no node of the topology", text,
                     term);
            nb__sel_free(sel);
            return -1;
        }
    }
    return 0;
}

static void route_selector(const nb__method *m, const nb_call *r, const void *args, void *ret,
                           const starter *st)
{
    nb__selector sel;
    if (nb__parse_selector(r->node, &sel) < 0)
        return;
    nb__target t;
    if (nb__members_route(m, &sel, &t) < 0) {
        nb__fail_unserved(NB_E_NO_WORKER, m, &sel,
                          "%s: no connected node matching \"%s\" serves it",
                          m->name, r->node);
        nb__metrics_call(m, NB__MT_REMOTE, NB_E_NO_WORKER, nb__metrics_start());
    } else
        run_on(m, &sel, true, &t, args, ret, r, st);
    nb__sel_free(&sel);
}

static void route_pick(const nb__method *m, const nb_call *r, const void *args, void *ret,
                       const starter *st)
{
    size_t n;
    nb_node_info *info = nb__info_snapshot(&n);
    int i = r->pick(info, n, r->arg);
    const nb__cluster_def *def = nb__cfg.def;
    if (i < 0 || (size_t)i >= n) {
        nb__fail(NB_E_NO_WORKER, "%s: the pick function chose no node", m->name);
    } else if (i == nb__cfg.self_index && nb__serves_locally(m)) {
        nb__run_local(m, args, ret);
    } else {
        nb__target t = {.conn = nb__members_conn_serving(i, m), .node = def->nodes[i].name};
        if (!t.conn)
            nb__fail(NB_E_NO_WORKER, "%s: %s (chosen by the pick function) is not connected "
                     "or does not serve it", m->name, def->nodes[i].name);
        else
            run_on(m, NULL, false, &t, args, ret, r, st); /* chosen: no retry */
    }
    nb_nodes_info_free(info, n);
}

static bool has_target(const nb_call *c)
{
    return c->node || c->pick || c->nodes || c->filter || c->all;
}

/*
 * The routing in force for one call (nebula.h, "Routing"): a call's own target
 * wins over any block; .default_route ignores the block; a call that sets only
 * options (a timeout, a strategy, predicates) keeps the block's target with its
 * own options on top, as trailing options without a routing key do in the
 * reference library. *merged is storage for that last case.
 */
static const nb_call *effective_route(const nb_call *call, nb_call *merged)
{
    const nb_call *block = nb__block_route();
    if (call == NULL)
        return block;
    if (call->default_route || has_target(call) || block == NULL)
        return call;
    nb__call_overlay(block, call, merged);
    return merged;
}

void nb__invoke(const nb__method *m, const nb_call *call, const void *args, void *ret)
{
    nb_call merged;
    const nb_call *r = effective_route(call, &merged);
    char why[256];
    if (r && nb__call_check(r, why, sizeof why) < 0) {
        nb__fail(NB_E_BAD_OPTION, "%s: %s", m->name, why);
        if ((r->nodes || r->filter || r->all) && r->results) {
            nb_results_free(r->results);
            r->results->code = NB_E_BAD_OPTION;
        }
        return;
    }
    if (!r || !has_target(r)) {
        route_default(m, r, args, ret, NULL);
        return;
    }
    bool multi = r->nodes || r->filter || r->all;
    if (!nb__lease_enter()) {
        nb__fail(NB_E_NOT_STARTED, "%s: routed call before nb_start()", m->name);
        if (multi && r->results) { /* res.code always says how the call ended */
            nb_results_free(r->results);
            r->results->code = NB_E_NOT_STARTED;
        }
        return;
    }
    if (multi)
        nb__route_multi(m, r, args, ret);
    else if (r->node)
        route_selector(m, r, args, ret, NULL);
    else
        route_pick(m, r, args, ret, NULL);
    nb__lease_leave();
}

void nb__invoke_start(const nb__method *m, const nb_call *call, const void *args, void *ret,
                      nb__remote_start start, void *ctx)
{
    starter st = {start, ctx};
    nb_call merged;
    const nb_call *r = effective_route(call, &merged);
    char why[256];
    bool multi = r && (r->nodes || r->filter || r->all);
    if (r && nb__call_check(r, why, sizeof why) < 0) {
        nb__fail(NB_E_BAD_OPTION, "%s: %s", m->name, why);
    } else if (multi) {
        nb__fail(NB_E_BAD_OPTION, "%s__async: a multicast or broadcast call cannot be "
                 "asynchronous; call %s inside the block, or use a unicast target", m->name,
                 m->name);
    } else if (!r || !has_target(r)) {
        route_default(m, r, args, ret, &st);
    } else if (!nb__lease_enter()) {
        nb__fail(NB_E_NOT_STARTED, "%s: routed call before nb_start()", m->name);
    } else {
        if (r->node)
            route_selector(m, r, args, ret, &st);
        else
            route_pick(m, r, args, ret, &st);
        nb__lease_leave();
    }
    if (multi && r->results) {
        nb_results_free(r->results); /* res.code always says how the call ended */
        r->results->code = nb_last_code();
    }
}
