/*
 * router.c — nb__invoke: where one API call runs (docs/design.md §7, "Routing").
 *
 * Precedence: the call's own options (f__with), else the innermost routing block,
 * else the default route: local when this node serves the method, otherwise the
 * connected node that registered it first (the same for every caller).
 *
 * Contract: every call ends with exactly one outcome in nb_last_code(); on any
 * failure *ret stays zero. A request is written at most once, never resent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callopts.h"
#include "codec.h"
#include "log.h"
#include "membership.h"
#include "nodeinfo.h"
#include "pending.h"
#include "router.h"
#include "config.h"
#include "selector.h"
#include "status.h"

#define FALLBACK_TIMEOUT_MS 5000

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

void nb__run_local(const nb__method *m, const void *args, void *ret)
{
    const nb_call *saved = nb__tls.route;
    nb__tls.route = NULL;
    m->local((void *)args, ret);
    nb__tls.route = saved;
    nb__set_code(NB_OK);
}

// Returns a frame buffer in *sb owned by the caller (sent with nb__conn_send).
int nb__encode_request(const nb__method *m, const void *args, int timeout_ms, uint64_t id,
                       msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    nb__frame_begin(sb, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, m->wire_id);
    msgpack_pack_uint32(&pk, (uint32_t)(timeout_ms > 0 ? timeout_ms : 0));
    if (nb__encode_struct(&pk, m->args, args) < 0 || !sb->data) {
        msgpack_sbuffer_destroy(sb);
        return -1;
    }
    nb__frame_end(sb, NB__F_REQUEST, id);
    return 0;
}

int nb__decode_reply(const nb__method *m, const unsigned char *buf, size_t len, void *ret,
                     nb_code *code, char *msg, size_t msg_size)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    const msgpack_object *o = &up.data;
    int rc = -1;
    msg[0] = '\0';
    if (nb__unpack_peer(&up, buf, len) != 0 ||
        o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o->via.array.ptr[0].via.u64 >= NB__CODE_COUNT) {
        snprintf(msg, msg_size, "%s: malformed reply", m->name);
        *code = NB_E_PROTOCOL;
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
    msgpack_unpacked_destroy(&up);
    return rc;
}

void nb__pcall_outcome(const nb__method *m, const nb__pcall *p, const char *node, void *ret)
{
    char msg[512];
    nb_code code = p->code;
    if (code == NB_OK)
        nb__decode_reply(m, p->reply, p->reply_len, ret, &code, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "%s", p->msg ? p->msg : "");
    if (code == NB_OK)
        nb__set_code(NB_OK);
    else if (code == NB_E_NODE_DOWN && p->code == NB_E_NODE_DOWN)
        nb__fail(code, "%s: %s went down during the call (%s)", m->name, node, msg);
    else
        nb__fail(code, "%s", msg[0] ? msg : nb_code_name(code));
}

/* Sends one request on c and waits for its outcome; sets the thread's code. */
static void call_remote(const nb__method *m, nb__conn *c, const char *node, const void *args,
                        void *ret, int timeout_ms)
{
    int64_t deadline = nb__mono_ms() + timeout_ms;
    nb__waiter w;
    nb__pcall p;
    nb__waiter_init(&w);
    if (nb__pcall_register(c, &p, &w) < 0) {
        nb__waiter_destroy(&w);
        nb__fail(NB_E_NODE_DOWN, "%s: %s went down before the call was sent", m->name, node);
        return;
    }
    msgpack_sbuffer sb;
    if (nb__encode_request(m, args, timeout_ms, p.id, &sb) < 0) {
        nb__pcall_cancel(&p, NB_E_PROTOCOL, NULL);
        nb__fail(NB_E_PROTOCOL, "%s: out of memory encoding the arguments", m->name);
    } else if (sb.size - NB__FRAME_HEADER_SIZE > nb__cfg.max_frame) {
        size_t size = sb.size;
        msgpack_sbuffer_destroy(&sb);
        nb__pcall_cancel(&p, NB_E_PROTOCOL, NULL);
        nb__fail(NB_E_PROTOCOL, "%s: the request (%zu bytes) exceeds the frame limit of %zu bytes",
                 m->name, size, nb__cfg.max_frame);
    } else {
        nb__conn_send(c, &sb); /* a failed send closes c, which resolves p */
        nb__pcall_wait(&p, deadline, m->name, node);
        nb__pcall_outcome(m, &p, node, ret);
    }
    nb__pcall_release(&p);
    nb__waiter_destroy(&w);
}

/* How an asynchronous call starts its remote request (NULL: call and wait). */
typedef struct starter {
    nb__remote_start fn;
    void *ctx;
} starter;

/* Runs m on target t (local or remote), for a started node; st: an
 * asynchronous call, whose remote request is handed to st instead. */
static void run_on(const nb__method *m, nb__target *t, const void *args, void *ret, int timeout,
                   const starter *st)
{
    if (t->local) {
        nb__run_local(m, args, ret);
        return;
    }
    if (st)
        st->fn(st->ctx, t->conn, t->node, args, timeout);
    else
        call_remote(m, t->conn, t->node, args, ret, timeout);
    nb__conn_unref(t->conn);
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
        char states[768];
        nb__members_explain(m, NULL, states, sizeof states);
        nb__fail(NB_E_NO_WORKER, "%s: no connected node serves it (selector \"%s\")%s%s",
                 m->name, m->selector, states[0] ? ": " : "", states);
    } else
        run_on(m, &t, args, ret, nb__call_timeout(m, r), st);
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
        char states[768];
        nb__members_explain(m, NULL, states, sizeof states);
        nb__fail(NB_E_NO_WORKER, "%s: no connected node matching \"%s\" serves it%s%s",
                 m->name, r->node, states[0] ? ": " : "", states);
    } else
        run_on(m, &t, args, ret, nb__call_timeout(m, r), st);
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
            run_on(m, &t, args, ret, nb__call_timeout(m, r), st);
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
    *merged = *block;
    if (call->timeout_ms > 0)
        merged->timeout_ms = call->timeout_ms;
    if (call->results)
        merged->results = call->results;
    if (call->strategy != NB_ALL)
        merged->strategy = call->strategy;
    if (call->at_least > 0)
        merged->at_least = call->at_least;
    if (call->quorum != NB_QUORUM_CONFIGURED)
        merged->quorum = call->quorum;
    if (call->success || call->failure) {
        merged->success = call->success;
        merged->failure = call->failure;
        merged->arg = call->arg;
    }
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
