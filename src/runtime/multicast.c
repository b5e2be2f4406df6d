/*
 * multicast.c — one API call on several nodes at once: NB_ON_NODES (a selector),
 * NB_ON_NODES_FN (a filter over node info) and NB_ON_ALL_NODES (every connected
 * node serving the method, this one included). SPEC.md section 7.
 *
 * The caller writes every request itself, runs the local body when this node is
 * a target, then sleeps on one waiter shared by all the calls; whoever reads a
 * reply wakes it. Calls still outstanding when the strategy is satisfied (or the
 * deadline passes) are cancelled: their late replies are discarded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "membership.h"
#include "nodeinfo.h"
#include "pending.h"
#include "router.h"
#include "runtime.h"
#include "status.h"
#include "values.h"

typedef struct mc_target {
    int idx;             /* configured node index */
    nb__conn *conn;      /* referenced; NULL for this node */
    nb__pcall p;
    bool sent, settled;  /* request written; outcome folded into the result */
} mc_target;

typedef struct mc_call {
    const nb__method *m;
    const nb_call *r;
    mc_target *t;
    size_t n;
    nb_results *res;
    size_t successes, settled;
} mc_call;

/* Whether node i is selected by the call's selector or filter. */
static bool selected(const nb_call *r, const nb__selector *sel, const nb_node_info *info, size_t i)
{
    if (r->all)
        return true;
    if (r->nodes)
        return nb__sel_match(sel, &nb__cfg.def->nodes[i]);
    return r->filter(&info[i], r->arg);
}

/* The quorum set size: configured nodes serving m that the call selects. */
static size_t configured_set(const mc_call *mc, const nb__selector *sel, const nb_node_info *info)
{
    size_t n = 0;
    for (size_t k = 0; k < mc->m->n_serving; k++) {
        size_t i = mc->m->serving[k];
        if (i < nb__cfg.def->n_nodes && selected(mc->r, sel, info, i))
            n++;
    }
    return n;
}

/* Collects the targets: selected nodes that are connected and serve m. */
static int collect(mc_call *mc, const nb__selector *sel, const nb_node_info *info, size_t n_info)
{
    mc->t = calloc(n_info ? n_info : 1, sizeof *mc->t);
    if (!mc->t)
        return -1;
    for (size_t i = 0; i < n_info; i++) {
        if (!selected(mc->r, sel, info, i))
            continue;
        if ((int)i == nb__cfg.self_index) {
            if (nb__serves_locally(mc->m))
                mc->t[mc->n++] = (mc_target){.idx = (int)i};
            continue;
        }
        nb__conn *c = nb__members_conn_serving((int)i, mc->m);
        if (c)
            mc->t[mc->n++] = (mc_target){.idx = (int)i, .conn = c};
    }
    return 0;
}

static bool is_success(const mc_call *mc, const nb_result *item)
{
    if (mc->r->success)
        return mc->r->success(item, mc->r->arg);
    if (mc->r->failure)
        return !mc->r->failure(item, mc->r->arg);
    return item->code == NB_OK;
}

/* Folds target k's outcome (code, and the value already in the item) in. */
static void settle(mc_call *mc, size_t k, nb_code code)
{
    nb_result *item = &mc->res->items[k];
    item->code = code;
    if (code != NB_OK)
        nb__results_drop_value(mc->res, k);
    mc->t[k].settled = true;
    mc->settled++;
    if (is_success(mc, item))
        mc->successes++;
}

/* Decodes a finished remote call into its item and settles it. */
static void settle_remote(mc_call *mc, size_t k)
{
    mc_target *t = &mc->t[k];
    nb_code code = t->p.code;
    if (code == NB_OK) {
        char msg[256];
        nb__decode_reply(mc->m, t->p.reply, t->p.reply_len, mc->res->items[k].value, &code, msg,
                         sizeof msg);
    }
    settle(mc, k, code);
}

/* Writes every remote request; a target that cannot be reached settles at once. */
static void send_all(mc_call *mc, nb__waiter *w, const void *args, int timeout)
{
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->conn)
            continue;
        msgpack_sbuffer sb;
        if (nb__pcall_register(t->conn, &t->p, w) < 0) {
            settle(mc, k, NB_E_NODE_DOWN);
            continue;
        }
        t->sent = true;
        if (nb__encode_request(mc->m, args, timeout, t->p.id, &sb) < 0 ||
            sb.size - NB__FRAME_HEADER_SIZE > nb__cfg.max_frame) {
            if (sb.data)
                msgpack_sbuffer_destroy(&sb);
            nb__pcall_cancel(&t->p, NB_E_PROTOCOL, NULL);
            continue;
        }
        nb__conn_send(t->conn, &sb);
    }
}

/* True once the strategy has its answer (or can no longer get one). */
static bool finished(const mc_call *mc, size_t required)
{
    if (mc->settled == mc->n)
        return true;
    switch (mc->r->strategy) {
    case NB_FIRST:
        return mc->successes > 0;
    case NB_QUORUM:
        return mc->successes >= required || mc->successes + (mc->n - mc->settled) < required;
    default:
        return false;
    }
}

/* Waits for replies until finished or the deadline; cancels what is left. */
static void wait_all(mc_call *mc, nb__waiter *w, int64_t deadline, size_t required)
{
    for (;;) {
        pthread_mutex_lock(&w->mu);
        for (size_t k = 0; k < mc->n; k++)
            if (mc->t[k].sent && !mc->t[k].settled && mc->t[k].p.done) {
                pthread_mutex_unlock(&w->mu);
                settle_remote(mc, k);
                pthread_mutex_lock(&w->mu);
            }
        bool done = finished(mc, required);
        if (!done && nb__mono_ms() < deadline) {
            struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000L};
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
            done = false;
        }
        bool expired = nb__mono_ms() >= deadline;
        pthread_mutex_unlock(&w->mu);
        if (done || expired)
            break;
    }
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (t->settled)
            continue;
        /* Either the cancel resolves it, or a reply or failure got there first and
         * is about to be written: wait for whichever it was. */
        nb__pcall_cancel(&t->p, NB_E_TIMEOUT, NULL);
        pthread_mutex_lock(&w->mu);
        while (!t->p.done)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
        settle_remote(mc, k);
    }
}

static nb_code overall(const mc_call *mc, size_t required)
{
    switch (mc->r->strategy) {
    case NB_FIRST:
        return mc->successes > 0 ? NB_OK : NB_E_NO_SUCCESS;
    case NB_QUORUM:
        return mc->successes >= required ? NB_OK : NB_E_QUORUM_NOT_REACHED;
    default:
        return mc->n ? NB_OK : NB_E_NO_WORKER;
    }
}

/* Allocates the result items (values zeroed, for decoding into). */
static int prepare_results(mc_call *mc)
{
    if (nb__results_init(mc->res, mc->m, mc->n) < 0)
        return -1;
    for (size_t k = 0; k < mc->n; k++)
        mc->res->items[k].node = nb__cfg.def->nodes[mc->t[k].idx].name;
    return 0;
}

/* Runs the call on the targets with the strategy and fills mc->res. */
static void execute(mc_call *mc, const void *args, size_t required)
{
    int timeout = nb__call_timeout(mc->m, mc->r);
    int64_t deadline = nb__mono_ms() + timeout;
    nb__waiter w;
    nb__waiter_init(&w);
    send_all(mc, &w, args, timeout);
    for (size_t k = 0; k < mc->n; k++) {
        if (mc->t[k].conn || (mc->r->strategy != NB_ALL && finished(mc, required)))
            continue;
        char none[16]; /* a void body's (unused) return storage */
        nb__run_local(mc->m, args, mc->res->items[k].value ? mc->res->items[k].value : none);
        settle(mc, k, NB_OK);
    }
    wait_all(mc, &w, deadline, required);
    for (size_t k = 0; k < mc->n; k++) {
        if (mc->t[k].sent)
            nb__pcall_release(&mc->t[k].p);
        if (mc->t[k].conn)
            nb__conn_unref(mc->t[k].conn);
    }
    nb__waiter_destroy(&w);
    mc->res->code = overall(mc, required);
}

void nb__route_multi(const nb__method *m, const nb_call *r, const void *args, void *ret)
{
    (void)ret; /* stays zero: the values are in the results */
    nb_results scratch = {0}, *res = r->results ? r->results : &scratch;
    nb_results_free(res);
    nb__selector sel = {0};
    if (r->nodes && nb__parse_selector(r->nodes, &sel) < 0) {
        res->code = NB_E_BAD_SELECTOR;
        return;
    }
    size_t n_info;
    nb_node_info *info = nb__info_snapshot(&n_info);
    mc_call mc = {.m = m, .r = r, .res = res};
    size_t set = r->quorum == NB_QUORUM_AVAILABLE ? 0 : configured_set(&mc, &sel, info);
    if (collect(&mc, &sel, info, n_info) < 0 || prepare_results(&mc) < 0) {
        nb__fail(NB_E_SYSTEM, "%s: out of memory", m->name);
        res->code = NB_E_SYSTEM;
    } else {
        if (r->quorum == NB_QUORUM_AVAILABLE)
            set = mc.n;
        size_t required = r->at_least > 0 ? (size_t)r->at_least : set / 2 + 1;
        if (r->strategy == NB_QUORUM && mc.n < required) {
            res->code = NB_E_QUORUM_UNREACHABLE;
            for (size_t k = 0; k < mc.n; k++) {
                if (mc.t[k].conn)
                    nb__conn_unref(mc.t[k].conn);
                res->items[k].code = NB_E_QUORUM_UNREACHABLE;
                nb__results_drop_value(res, k);
            }
            nb__fail(res->code, "%s: %zu live node(s) serve it, the quorum needs %zu", m->name,
                     mc.n, required);
        } else {
            execute(&mc, args, required);
            if (res->code == NB_OK)
                nb__set_code(NB_OK);
            else
                nb__fail(res->code, "%s: %s (%zu of %zu node(s) succeeded)", m->name,
                         nb_code_name(res->code), mc.successes, mc.n);
        }
    }
    free(mc.t);
    nb_nodes_info_free(info, n_info);
    nb__sel_free(&sel);
    if (res == &scratch)
        nb_results_free(&scratch);
}
