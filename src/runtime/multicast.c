/*
 * multicast.c — one API call on several nodes at once: NB_ON_NODES (a selector),
 * NB_ON_NODES_FN (a filter over node info) and NB_ON_ALL_NODES (every connected
 * node serving the method, this one included). docs/design.md §7.
 *
 * The caller registers every call, encodes the arguments once (the requests
 * differ only in their header's call id) and writes the requests back to back
 * before it waits on any; it runs the local body when this node is a target,
 * then reads the replies itself from the connections nobody else is reading,
 * decoding each straight into its item of the caller's nb_results. For the
 * connections others read it sleeps, woken once per call for NB_ALL (by the
 * last outcome) and once per outcome for the strategies an outcome may finish.
 * Calls still outstanding when the strategy is satisfied (or the deadline
 * passes) are cancelled: their late replies are discarded.
 *
 * This thread never holds a reader role while user code runs (a local body, a
 * .success or .failure predicate): that code may call APIs whose replies would
 * otherwise wait for this thread to read them.
 *
 * Ownership: every pointer passed between the functions below is borrowed from
 * nb__route_multi's frame (the mc_call, its targets and waiter) or from the
 * caller (the nb_call, its results, the arguments).
 */
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "membership.h"
#include "metrics.h"
#include "nodeinfo.h"
#include "pending.h"
#include "router.h"
#include "config.h"
#include "status.h"
#include "values.h"

struct mc_call;

typedef struct mc_target {
    int idx;        /* configured node index */
    nb__conn *conn; /* referenced; NULL for this node */
    nb__pcall p;
    struct mc_call *mc;     /* the call this is a target of (for on_done) */
    msgpack_sbuffer frame;  /* its request until written (data NULL: none) */
    bool sent, settled; /* call registered; outcome folded into the result */
    bool queued;        /* its request is queued on conn, to be flushed */
    bool reading;       /* this thread holds conn's reader role */
} mc_target;

/* Up to this many nodes, the targets live in nb__route_multi's frame. */
#define MC_STACK_TARGETS 16

typedef struct mc_call {
    const nb__method *m;
    const nb_call *r;
    mc_target *t;
    size_t n;
    struct pollfd *pfd; /* n entries, for reading the targets' connections */
    nb_results *res;
    size_t successes, settled;
    /* Under the waiter's mutex: outcomes written so far, and how many calls
     * were registered (set once they all are). */
    size_t resolved, registered;
    pthread_cond_t wake; /* CLOCK_MONOTONIC; with the waiter's mutex: see on_done */
    msgpack_zone zone;   /* the replies' unpacked trees, one at a time */
    bool zone_ok;        /* zone is initialised */
} mc_call;

/* Whether node i is selected: by the selector and the filter when both are set
 * (an f__with call may give both), by either alone, or by .all. info is NULL
 * only when no filter is set. */
static bool selected(const nb_call *r, const nb__selector *sel, const nb_node_info *info, size_t i)
{
    if (r->nodes && !nb__sel_match(sel, &nb__cfg.def->nodes[i]))
        return false;
    return !r->filter || r->filter(&info[i], r->arg);
}

/* The configured quorum set: configured nodes serving m that the call selects,
 * connected or not. */
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

/* Collects the targets: selected nodes that are connected and serve m (each
 * configured node is offered to the filter, in topology order). */
static int collect(mc_call *mc, const nb__selector *sel, const nb_node_info *info)
{
    size_t n_nodes = nb__cfg.def->n_nodes;
    if (n_nodes > MC_STACK_TARGETS) { /* else mc->t and mc->pfd are the caller's */
        mc->t = calloc(n_nodes, sizeof *mc->t);
        mc->pfd = calloc(n_nodes, sizeof *mc->pfd);
        if (!mc->t || !mc->pfd)
            return -1;
    }
    for (size_t i = 0; i < n_nodes; i++) {
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

/* A predicate judges replies: a node that failed (timed out, went down, was
 * abandoned) never counts as a success and is never shown to it, so a
 * predicate may read the value without checking the code. */
static bool is_success(const mc_call *mc, const nb_result *item)
{
    if (item->code != NB_OK)
        return false;
    if (mc->r->success)
        return mc->r->success(item, mc->r->arg);
    if (mc->r->failure)
        return !mc->r->failure(item, mc->r->arg);
    return true;
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

/* Decodes a finished remote call straight into its item and settles it. */
static void settle_remote(mc_call *mc, size_t k)
{
    mc_target *t = &mc->t[k];
    nb_code code = t->p.code;
    if (code == NB_OK) {
        char msg[256];
        if (!mc->zone_ok)
            mc->zone_ok = msgpack_zone_init(&mc->zone, NB__REPLY_ZONE_CHUNK);
        nb__decode_reply(mc->m, mc->zone_ok ? &mc->zone : NULL, t->p.reply, t->p.reply_len,
                         mc->res->items[k].value, &code, msg, sizeof msg);
    }
    settle(mc, k, code);
}

/* The targets' on_done, under the waiter's mutex: wakes the caller sleeping in
 * sleep_for_outcome when this outcome may matter. NB_ALL needs every outcome,
 * so only the last one wakes it; NB_FIRST and NB_QUORUM may be finished by any. */
static void on_done(nb__pcall *p)
{
    mc_target *t = (mc_target *)((char *)p - offsetof(mc_target, p));
    mc_call *mc = t->mc;
    mc->resolved++;
    if (mc->r->strategy != NB_ALL || mc->resolved >= mc->registered)
        pthread_cond_signal(&mc->wake);
}

/* Registers every remote call, then makes each request: the arguments are
 * encoded once, and every other request is a copy with its own call id in the
 * header. A target that cannot be reached settles (or is resolved) at once.
 * Returns how many requests there are to write (in the targets' frames). */
static size_t prepare_requests(mc_call *mc, nb__waiter *w, const void *args, int64_t deadline)
{
    size_t n = 0, last = 0;
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->conn)
            continue;
        if (nb__pcall_register_notify(t->conn, &t->p, w, on_done) < 0) {
            settle(mc, k, NB_E_NODE_DOWN);
            continue;
        }
        t->sent = true;
        /* As for a unicast call (router.c): a peer that said GOODBYE is sent
         * nothing; checked after registering, which its answer waits for. */
        if (atomic_load(&t->conn->said_goodbye)) {
            nb__pcall_cancel(&t->p, NB_E_NODE_DOWN, "the node is leaving the cluster");
            continue;
        }
        n++;
        last = k;
    }
    pthread_mutex_lock(&w->mu);
    for (size_t k = 0; k < mc->n; k++)
        mc->registered += mc->t[k].sent;
    pthread_mutex_unlock(&w->mu);
    if (n == 0)
        return 0;
    msgpack_sbuffer sb;
    char why[160]; /* the members' items say NB_E_PROTOCOL */
    if (nb__encode_request(mc->m, args, deadline, nb__call_max_extensions(mc->m, mc->r),
                           mc->t[last].p.id, &sb, why, sizeof why) < 0) {
        for (size_t k = 0; k < mc->n; k++)
            if (mc->t[k].sent)
                nb__pcall_cancel(&mc->t[k].p, NB_E_PROTOCOL, why);
        return 0;
    }
    size_t made = 0;
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->sent || (atomic_load(&t->p.wake) & NB__PC_DONE))
            continue; /* its connection closed meanwhile */
        if (k == last) {
            t->frame = sb; /* the original, whose header has this call's id already */
            sb.data = NULL;
        } else {
            t->frame = (msgpack_sbuffer){.data = malloc(sb.size), .size = sb.size, .alloc = sb.size};
            if (!t->frame.data) {
                nb__pcall_cancel(&t->p, NB_E_SYSTEM, "out of memory for the request");
                continue;
            }
            memcpy(t->frame.data, sb.data, sb.size);
            nb__frame_end(&t->frame, NB__F_REQUEST, t->p.id);
        }
        made++;
    }
    msgpack_sbuffer_destroy(&sb); /* when the last target could not take it */
    return made;
}

/* Writes every request, back to back once they are all made and queued: no
 * encoding, allocation or reply between two writes. */
static void send_all(mc_call *mc, nb__waiter *w, const void *args, int timeout, int64_t deadline)
{
    if (prepare_requests(mc, w, args, deadline) == 0)
        return;
    int max_ext = nb__call_max_extensions(mc->m, mc->r);
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->frame.data)
            continue;
        /* Each member has its own deadline: its body may extend it. */
        nb__pcall_arm(&t->p, deadline, timeout, max_ext);
        /* Takes the frame in every case; a failure closes the connection,
         * which resolves the call. */
        t->queued = nb__conn_queue(t->conn, &t->frame) == 0;
        t->frame.data = NULL;
    }
    for (size_t k = 0; k < mc->n; k++)
        if (mc->t[k].queued)
            nb__conn_flush(mc->t[k].conn);
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

/* Takes the reader role of each outstanding target's connection that nobody
 * reads; returns how many outstanding targets this thread reads. */
static size_t take_roles(mc_call *mc)
{
    size_t held = 0;
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->conn || t->settled)
            continue;
        if (!t->reading)
            t->reading = nb__conn_reader_try(t->conn);
        held += t->reading;
    }
    return held;
}

/* Gives back the reader roles of settled targets (all of them with `all`): to
 * a unicast caller waiting on that connection, else to the event loop. */
static void leave_roles(mc_call *mc, bool all)
{
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (t->reading && (all || t->settled)) {
            if (!nb__pcall_promote(t->conn, NULL))
                nb__conn_reader_leave(t->conn);
            t->reading = false;
        }
    }
}

/* Settles every remote target whose outcome has been written. A user predicate
 * may call APIs itself: it never runs while this thread holds reader roles, or
 * such a call could wait for a reply only this thread would read. */
static void settle_done(mc_call *mc, nb__waiter *w)
{
    bool user_code = mc->r->success || mc->r->failure;
    pthread_mutex_lock(&w->mu);
    for (size_t k = 0; k < mc->n; k++)
        if (mc->t[k].sent && !mc->t[k].settled && mc->t[k].p.done) {
            pthread_mutex_unlock(&w->mu);
            if (user_code)
                leave_roles(mc, true);
            settle_remote(mc, k);
            pthread_mutex_lock(&w->mu);
        }
    pthread_mutex_unlock(&w->mu);
}

/* Polls the connections this thread reads, up to wait_ms, and reads what came:
 * replies resolve their calls here (whoever made them), requests go to the
 * workers. */
static void read_held(mc_call *mc, int64_t wait_ms)
{
    size_t n = 0;
    bool buffered = false;
    for (size_t k = 0; k < mc->n; k++)
        if (mc->t[k].reading && !mc->t[k].settled) {
            mc->pfd[n++] = (struct pollfd){.fd = mc->t[k].conn->fd, .events = POLLIN};
            /* Bytes a stream already holds would not make its socket readable. */
            buffered = buffered || nb__conn_buffered(mc->t[k].conn);
        }
    if (buffered)
        wait_ms = 0;
    if (nb__conn_poll(mc->pfd, n, wait_ms > 1000000 ? 1000000 : (int)wait_ms) < 0 ||
        (n == 0 && !buffered))
        return;
    for (size_t k = 0, i = 0; k < mc->n && i < n; k++) {
        if (!mc->t[k].reading || mc->t[k].settled)
            continue;
        if (!mc->pfd[i++].revents && !nb__conn_buffered(mc->t[k].conn))
            continue;
        nb__conn *c = mc->t[k].conn;
        nb__reader_ctx ctx = {.can_run = false};
        if (nb__conn_pump(c, &ctx) < 0)
            nb__conn_close(c, "%s", ctx.why); /* fails its calls, ours included */
    }
}

/* Sleeps until on_done wakes it (for NB_ALL: every outcome is in) or until
 * `until` (monotonic ms); not at all when an outcome is waiting to be settled. */
static void sleep_for_outcome(mc_call *mc, nb__waiter *w, int64_t until)
{
    pthread_mutex_lock(&w->mu);
    bool any = false;
    for (size_t k = 0; k < mc->n && !any; k++)
        any = mc->t[k].sent && !mc->t[k].settled && mc->t[k].p.done;
    struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (until % 1000) * 1000000L};
    if (!any)
        pthread_cond_timedwait(&mc->wake, &w->mu, &ts);
    pthread_mutex_unlock(&w->mu);
}

/* Gives up on target k (sent, not settled): either the cancel resolves it (and
 * tells its node), or a reply or failure got there first and is about to be
 * written: waits for whichever it was, then settles it. */
static void give_up(mc_call *mc, nb__waiter *w, size_t k)
{
    mc_target *t = &mc->t[k];
    if (mc->r->success || mc->r->failure)
        leave_roles(mc, true); /* a reply that got there first meets a predicate */
    nb__pcall_cancel(&t->p, NB_E_TIMEOUT, NULL);
    pthread_mutex_lock(&w->mu);
    while (!t->p.done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    settle_remote(mc, k);
}

/* Gives up on every outstanding target whose own deadline has passed; returns
 * the earliest deadline still outstanding (INT64_MAX when none). */
static int64_t expire_due(mc_call *mc, nb__waiter *w)
{
    int64_t now = nb__mono_ms(), next = INT64_MAX;
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (!t->sent || t->settled)
            continue;
        int64_t due = t->p.armed ? nb__pcall_deadline(&t->p) : now;
        if (due <= now)
            give_up(mc, w, k);
        else if (due < next)
            next = due;
    }
    return next;
}

/* Cancels the calls still outstanding: their late replies will be discarded. */
static void cancel_rest(mc_call *mc, nb__waiter *w)
{
    for (size_t k = 0; k < mc->n; k++) {
        mc_target *t = &mc->t[k];
        if (t->settled)
            continue;
        if (!t->sent) { /* this node's own body, not run: the outcome was known */
            settle(mc, k, NB_E_TIMEOUT);
            continue;
        }
        give_up(mc, w, k);
    }
}

/*
 * Waits for replies until the strategy is finished or every outstanding call's
 * deadline has passed (each its own: EXTENDs move them one by one). Like
 * a unicast caller, this thread reads its targets' connections itself when
 * nobody else reads them: no loop thread has to wake up and hand each reply
 * over. When another thread reads one of them, it gives its roles back (loop
 * threads then read every connection) and sleeps until an outcome is written.
 */
static void wait_all(mc_call *mc, nb__waiter *w, size_t required)
{
    for (;;) {
        settle_done(mc, w);
        leave_roles(mc, false);
        if (finished(mc, required))
            break;
        int64_t deadline = expire_due(mc, w);
        leave_roles(mc, false); /* the roles of those that expired */
        int64_t left = deadline - nb__mono_ms();
        if (finished(mc, required) || left <= 0)
            break;
        if (take_roles(mc) == mc->n - mc->settled) {
            read_held(mc, left);
        } else {
            leave_roles(mc, true);
            sleep_for_outcome(mc, w, deadline);
        }
    }
    leave_roles(mc, true);
    cancel_rest(mc, w);
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
    nb__cond_init_monotonic(&mc->wake);
    for (size_t k = 0; k < mc->n; k++)
        mc->t[k].mc = mc;
    /* The reader roles are taken before sending, so no loop thread wakes up for
     * a reply meanwhile; but never around a local body, which may call APIs. */
    bool local = false;
    for (size_t k = 0; k < mc->n; k++)
        local = local || !mc->t[k].conn;
    if (!local)
        take_roles(mc);
    send_all(mc, &w, args, timeout, deadline);
    for (size_t k = 0; k < mc->n; k++) {
        if (mc->t[k].conn || (mc->r->strategy != NB_ALL && finished(mc, required)))
            continue;
        char none[16]; /* a void body's (unused) return storage */
        nb__run_local(mc->m, args, mc->res->items[k].value ? mc->res->items[k].value : none);
        settle(mc, k, NB_OK);
    }
    wait_all(mc, &w, required);
    for (size_t k = 0; k < mc->n; k++) {
        if (mc->t[k].sent)
            nb__pcall_release(&mc->t[k].p);
        if (mc->t[k].conn)
            nb__conn_unref(mc->t[k].conn);
    }
    nb__waiter_destroy(&w);
    pthread_cond_destroy(&mc->wake);
    if (mc->zone_ok)
        msgpack_zone_destroy(&mc->zone);
    mc->res->code = overall(mc, required);
}

/* Drops the targets' connection references when the call is not executed. */
static void drop_targets(mc_call *mc)
{
    for (size_t k = 0; k < mc->n; k++)
        if (mc->t[k].conn)
            nb__conn_unref(mc->t[k].conn);
}

/* How many successes NB_QUORUM needs: .at_least, else a strict majority of the
 * quorum set. (NB_FIRST needs one; NB_ALL does not count.) */
static size_t required_successes(const mc_call *mc, const nb__selector *sel,
                                 const nb_node_info *info)
{
    if (mc->r->strategy != NB_QUORUM)
        return 1;
    if (mc->r->at_least > 0)
        return (size_t)mc->r->at_least;
    size_t set = mc->r->quorum == NB_QUORUM_AVAILABLE ? mc->n : configured_set(mc, sel, info);
    return set / 2 + 1;
}

/* The live targets can never reach the quorum: fail before sending anything. */
static void fail_unreachable(mc_call *mc, size_t required)
{
    drop_targets(mc);
    for (size_t k = 0; k < mc->n; k++) {
        mc->res->items[k].code = NB_E_QUORUM_UNREACHABLE;
        nb__results_drop_value(mc->res, k);
    }
    mc->res->code = NB_E_QUORUM_UNREACHABLE;
    nb__fail(mc->res->code, "%s: %zu live node(s) serve it, the quorum needs %zu", mc->m->name,
             mc->n, required);
}

/* Runs a call whose targets and results are ready; sets the thread's code. */
static void run(mc_call *mc, const nb__selector *sel, const nb_node_info *info, const void *args)
{
    size_t required = required_successes(mc, sel, info);
    if (mc->r->strategy == NB_QUORUM && mc->n < required) {
        fail_unreachable(mc, required);
        return;
    }
    execute(mc, args, required);
    if (mc->res->code == NB_OK)
        nb__set_code(NB_OK);
    else
        nb__fail(mc->res->code, "%s: %s (%zu of %zu node(s) succeeded)", mc->m->name,
                 nb_code_name(mc->res->code), mc->successes, mc->n);
}

void nb__route_multi(const nb__method *m, const nb_call *r, const void *args, void *ret)
{
    (void)ret; /* stays zero: the values are in the results */
    int64_t t0 = nb__metrics_start();
    nb_results scratch = {0}, *res = r->results ? r->results : &scratch;
    nb_results_free(res); /* the previous call's, in a block: the last call wins */
    nb__selector sel = {0};
    if (r->nodes && nb__parse_selector(r->nodes, &sel) < 0) {
        res->code = NB_E_BAD_SELECTOR;
        return;
    }
    /* Node info only for a filter: a plain multicast needs no snapshot. */
    size_t n_info = 0;
    nb_node_info *info = r->filter ? nb__info_snapshot(&n_info) : NULL;
    /* Zeroed: calloc's job for more nodes (collect). */
    mc_target stack_t[MC_STACK_TARGETS] = {0};
    struct pollfd stack_pfd[MC_STACK_TARGETS];
    mc_call mc = {.m = m, .r = r, .res = res, .t = stack_t, .pfd = stack_pfd};
    if ((r->filter && !info) || collect(&mc, &sel, info) < 0 || prepare_results(&mc) < 0) {
        drop_targets(&mc);
        nb__fail(NB_E_SYSTEM, "%s: out of memory", m->name);
        res->code = NB_E_SYSTEM;
    } else {
        run(&mc, &sel, info, args);
    }
    if (mc.t != stack_t) {
        free(mc.t);
        free(mc.pfd);
    }
    nb_nodes_info_free(info, n_info);
    nb__sel_free(&sel);
    nb__metrics_call(m, NB__MT_MULTICAST, res->code, t0);
    if (res == &scratch)
        nb_results_free(&scratch);
}
