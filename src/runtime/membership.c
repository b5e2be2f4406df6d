/*
 * membership.c — the peer table: one entry per configured node, holding the
 * connection that stands for it, what it serves and when to dial it again.
 *
 * Lock: M.lock (read for routing, write for changes). Never held while calling
 * nb__conn_close, which calls back into nb__members_on_close (the connection
 * layer's on_closed hook).
 *
 * Identity rules (docs/identity.md): a connection claiming the name of a peer
 * that is connected and alive is refused, never the other way round, so knowing
 * the cookie is not enough to evict a node and stand in for it; and the
 * registration times a peer claims are kept only as far as they agree with what
 * this node observed: a peer never moves ahead of nodes already serving a
 * method when it arrives (nb__members_establish).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "membership.h"
#include "nodeinfo.h"
#include "pending.h"
#include "transport.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
/* How long after nb_start peers' registration claims are believed as made. */
#define STARTUP_GRACE_MS 2000

typedef struct nb__served_at {
    uint64_t wire_id;
    int64_t registered_at_ms;
    const char *name;         /* the API's name, in the peer's `names` block */
} nb__served_at;

typedef struct nb__peer {
    nb__conn *conn;           /* referenced; NULL when none */
    bool up, leaving;
    nb__served_at *methods;   /* sorted by wire_id */
    size_t n_methods;
    char *names;              /* the methods' names, one block (owned) */
    int backoff_ms;
    int64_t next_dial_ms;
    int64_t last_seen_ms;     /* Unix ms, kept when it disconnects */
    /* Where to dial it: resolved by the timer thread, outside the lock. */
    bool resolved;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int64_t next_resolve_ms;
    /* Why it is not up, for failures that say why (nb__members_explain): the
     * last connection's end, already escaped where it quotes the peer. */
    char why[256];
    bool why_is_refusal;      /* why is the peer's own refusal (kept over a bare close) */
    bool was_up;              /* it has been up since nb_start */
    int64_t down_since_ms;    /* monotonic, when it was last lost; 0 = never up */
} nb__peer;

static struct {
    pthread_rwlock_t lock;
    nb__peer *peers;          /* def->n_nodes entries */
    size_t n;
    bool dialing;
    bool leaving;             /* this node said GOODBYE (nb_stop): so is every
                                 connection that comes up from now on */
    int64_t last_ping_ms, last_info_ms;
    pthread_mutex_t change_mu;
    pthread_cond_t change_cv;
    uint64_t changes;
} M = {.lock = PTHREAD_RWLOCK_INITIALIZER,
       .change_mu = PTHREAD_MUTEX_INITIALIZER};

static void announce_change(void)
{
    pthread_mutex_lock(&M.change_mu);
    M.changes++;
    pthread_cond_broadcast(&M.change_cv);
    pthread_mutex_unlock(&M.change_mu);
}

int nb__members_start(void)
{
    nb__cond_init_monotonic(&M.change_cv);
    M.n = nb__cfg.def->n_nodes;
    M.peers = calloc(M.n ? M.n : 1, sizeof *M.peers);
    if (!M.peers)
        return -1;
    M.dialing = true;
    M.last_ping_ms = M.last_info_ms = nb__mono_ms();
    return 0;
}

void nb__members_stop_dialing(void)
{
    pthread_rwlock_wrlock(&M.lock);
    M.dialing = false;
    pthread_rwlock_unlock(&M.lock);
}

void nb__members_stop(void)
{
    pthread_rwlock_wrlock(&M.lock);
    for (size_t i = 0; i < M.n; i++) {
        if (M.peers[i].conn)
            nb__conn_unref(M.peers[i].conn);
        free(M.peers[i].methods);
        free(M.peers[i].names);
    }
    free(M.peers);
    M.peers = NULL;
    M.n = 0;
    pthread_rwlock_unlock(&M.lock);
    pthread_cond_destroy(&M.change_cv);
}

/* Index of the peer entry c stands in, or -1. Called with M.lock held. */
static int entry_of(const nb__conn *c)
{
    for (size_t i = 0; i < M.n; i++)
        if (M.peers[i].conn == c)
            return (int)i;
    return -1;
}

/* A connection that stands for its peer and still hears from it: up, not
 * closing, and not silent for as long as the silence detection allows (four
 * heartbeat intervals, see tick_one): a connection is alive until it is
 * declared down. Called with M.lock held. */
static bool alive(const nb__conn *c)
{
    int64_t silent = nb__mono_ms() - atomic_load(&c->last_rx_ms);
    return atomic_load(&c->up) && !atomic_load(&c->broken) &&
           silent <= 4 * (int64_t)nb__cfg.heartbeat_ms;
}

int nb__members_claim(nb__conn *c, char *why, size_t n, bool *benign)
{
    *benign = false;
    if (c->peer_index < 0)
        return 0; /* not configured: a generic node, which no entry stands for */
    nb__conn *drop = NULL;
    int rc = 0;
    pthread_rwlock_wrlock(&M.lock);
    nb__peer *p = &M.peers[c->peer_index];
    nb__conn *old = p->conn;
    if (old && alive(old)) {
        /* Whoever this is, the node of that name is here and answering: a
         * restarted peer's old connection is closed (end of stream, or silence)
         * within a few heartbeats, and its next dial then succeeds. */
        snprintf(why, n, "%s is already connected (%s %s) and alive", c->peer_name,
                 old->outbound ? "dialled at" : "from", old->addr);
        /* Both nodes dialling at once is normal; the tie-break keeps ours. */
        *benign = old->outbound && strcmp(nb__cfg.self_name, c->peer_name) < 0;
        rc = -1;
    } else if (old && !atomic_load(&old->up) && old->outbound &&
               strcmp(nb__cfg.self_name, c->peer_name) < 0) {
        snprintf(why, n, "simultaneous connect: keeping the connection dialled by %s",
                 nb__cfg.self_name);
        *benign = true;
        rc = -1;
    } else {
        drop = old;   /* ours lost the tie-break, or the old one is dead */
        p->conn = c;
        nb__conn_ref(c);
        p->up = false;
    }
    pthread_rwlock_unlock(&M.lock);
    if (drop) {
        nb__conn_close(drop, "replaced by a newer connection from %s", c->peer_name);
        nb__conn_unref(drop);
    }
    return rc;
}

/* Copies the peer's served list, keeping what it may serve, sorted. */
static int compare_served(const void *a, const void *b)
{
    uint64_t x = ((const nb__served_at *)a)->wire_id, y = ((const nb__served_at *)b)->wire_id;
    return x < y ? -1 : x > y;
}

/* A served method's name: a C identifier, as nebulac names APIs. */
static bool plain_identifier(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
        o->via.str.size > NB__METHOD_NAME_MAX)
        return false;
    for (uint32_t i = 0; i < o->via.str.size; i++) {
        char ch = o->via.str.ptr[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (!alpha && !(i > 0 && ch >= '0' && ch <= '9'))
            return false;
    }
    return true;
}

/* Reads [[wire_id, name, registered_at_ms], ...] into *out (sorted by wire id)
 * and *names (the names' block, which out's entries point into); both owned by
 * the caller. -1 when malformed: the handshake then refuses the peer. */
static int parse_served(const msgpack_object *o, nb__served_at **out, size_t *n, char **names)
{
    *out = NULL;
    *n = 0;
    *names = NULL;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    if (o->via.array.size == 0)
        return 0;
    size_t total = 0;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3 ||
            e->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            !plain_identifier(&e->via.array.ptr[1]) ||
            e->via.array.ptr[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return -1;
        total += e->via.array.ptr[1].via.str.size + 1;
    }
    nb__served_at *s = calloc(o->via.array.size, sizeof *s);
    char *block = malloc(total);
    if (!s || !block) {
        free(s);
        free(block);
        return -1;
    }
    char *at = block;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *f = o->via.array.ptr[i].via.array.ptr;
        s[i].wire_id = f[0].via.u64;
        if (f[1].via.str.size > 0) /* an empty string's pointer may be NULL */
            memcpy(at, f[1].via.str.ptr, f[1].via.str.size);
        at[f[1].via.str.size] = '\0';
        s[i].name = at;
        at += f[1].via.str.size + 1;
        s[i].registered_at_ms = (int64_t)f[2].via.u64;
    }
    qsort(s, o->via.array.size, sizeof *s, compare_served);
    *out = s;
    *n = o->via.array.size;
    *names = block;
    return 0;
}

static int64_t served_since(const nb__peer *p, uint64_t wire_id);
static bool routable(const nb__peer *p);

/* The registration times a peer claims order it among the nodes serving each
 * method (the earliest gets default calls), but a claim is kept only where it
 * agrees with what this node observed: the peer arrives now, so it may not
 * move ahead of a node already serving the method here (this one included,
 * when it serves it). Such a claim is moved to just after the latest of them.
 * Within STARTUP_GRACE_MS of nb_start, claims stand (see below).
 * Called with M.lock held for writing; idx is the arriving peer. */
static void order_after_serving(int idx, nb__served_at *served, size_t n)
{
    const nb__cluster_def *def = nb__cfg.def;
    /* While this node's own mesh forms, peers arrive in whatever order their
     * connections complete: their claims are taken as they are, so every caller
     * that starts with the cluster agrees on the first-registered node. */
    if (nb__mono_ms() - nb__cfg.started_mono_ms < STARTUP_GRACE_MS)
        return;
    for (size_t k = 0; k < n; k++) {
        int64_t latest = -1;
        for (size_t i = 0; i < def->n_methods; i++)
            if (def->methods[i]->wire_id == served[k].wire_id && nb__serves_locally(def->methods[i]))
                latest = nb__cfg.registered_at_ms;
        for (size_t i = 0; i < M.n; i++) {
            if ((int)i == idx || !routable(&M.peers[i]))
                continue;
            int64_t since = served_since(&M.peers[i], served[k].wire_id);
            if (since > latest)
                latest = since;
        }
        if (latest >= 0 && served[k].registered_at_ms <= latest) {
            nb__log(NB__LOG_DEBUG, "%s claims a registration time before nodes already serving "
                    "method %llx: ordered after them", def->nodes[idx].name,
                    (unsigned long long)served[k].wire_id);
            served[k].registered_at_ms = latest + 1;
        }
    }
}

static void say_goodbye_on(nb__conn *c);

bool nb__members_served_ok(const msgpack_object *methods)
{
    nb__served_at *served;
    size_t n_served;
    char *names;
    if (parse_served(methods, &served, &n_served, &names) < 0)
        return false;
    free(served);
    free(names);
    return true;
}

int nb__members_establish(nb__conn *c, const msgpack_object *methods, char *why, size_t n)
{
    bool leaving;
    nb__served_at *served;
    size_t n_served;
    char *names;
    if (parse_served(methods, &served, &n_served, &names) < 0) {
        snprintf(why, n, "malformed list of served methods from %s", c->peer_name);
        return -1;
    }
    if (c->peer_index < 0 && n_served > 0) {
        snprintf(why, n, "%s is not in the topology, so it may join only as a generic node, "
                 "but it claims to serve %zu method(s)", c->peer_name, n_served);
        free(served);
        free(names);
        return -1;
    }
    c->max_frame = nb__cfg.max_frame;
    if (c->peer_index >= 0) {
        pthread_rwlock_wrlock(&M.lock);
        nb__peer *p = &M.peers[c->peer_index];
        if (p->conn != c) {
            pthread_rwlock_unlock(&M.lock);
            free(served);
            free(names);
            snprintf(why, n, "superseded by another connection to %s", c->peer_name);
            return -1;
        }
        order_after_serving(c->peer_index, served, n_served);
        free(p->methods);
        free(p->names);
        p->methods = served;
        p->n_methods = n_served;
        p->names = names;
        p->up = true;
        p->leaving = false;
        p->backoff_ms = BACKOFF_MIN_MS;
        atomic_store(&c->up, true);
        leaving = M.leaving;
        pthread_rwlock_unlock(&M.lock);
        nb__info_forget(c->peer_index);
    } else {
        free(served);
        free(names);
        /* Under the lock, as above: nb__members_say_goodbye either sees this
         * connection up or is seen to have started. */
        pthread_rwlock_rdlock(&M.lock);
        atomic_store(&c->up, true);
        leaving = M.leaving;
        pthread_rwlock_unlock(&M.lock);
    }
    nb__log(NB__LOG_INFO, "connected to %s at %s (%zu served method(s))", c->peer_name, c->addr,
            n_served);
    announce_change();
    /* Came up while this node stops: the peer must not route to it either. */
    if (leaving)
        say_goodbye_on(c);
    nb__info_send(c);
    return 0;
}

void nb__members_on_close(nb__conn *c, const char *why)
{
    bool was_up = atomic_load(&c->up), left = atomic_load(&c->said_goodbye);
    pthread_rwlock_wrlock(&M.lock);
    int i = entry_of(c);
    if (i >= 0) {
        nb__peer *p = &M.peers[i];
        left = left || p->leaving;
        if (p->up)
            p->last_seen_ms = nb__unix_ms() - (nb__mono_ms() - atomic_load(&c->last_rx_ms));
        if (p->up) {
            p->was_up = true;
            p->down_since_ms = nb__mono_ms();
        }
        /* A peer's refusal says more than the bare close that may follow it on
         * the next attempt (its REFUSE frame can be cut off by the close): it
         * stays the reason until the peer is up again. */
        bool refusal = strncmp(why, "refused", 7) == 0;
        if (refusal || !p->why_is_refusal || p->up) {
            snprintf(p->why, sizeof p->why, "%s", why);
            p->why_is_refusal = refusal;
        }
        p->conn = NULL;
        p->up = false;
        free(p->methods);
        free(p->names);
        p->methods = NULL;
        p->names = NULL;
        p->n_methods = 0;
        if (p->backoff_ms < BACKOFF_MIN_MS)
            p->backoff_ms = BACKOFF_MIN_MS;
        p->next_dial_ms = nb__mono_ms() + p->backoff_ms;
        p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
    }
    pthread_rwlock_unlock(&M.lock);
    if (i >= 0) {
        nb__info_forget(i);
        nb__conn_unref(c);
    }
    if (was_up) {
        pthread_rwlock_rdlock(&M.lock);
        bool stopping = !M.dialing;
        pthread_rwlock_unlock(&M.lock);
        if (left || stopping)
            nb__log(NB__LOG_INFO, "node %s %s", c->peer_name,
                    left ? "left the cluster" : "disconnected: this node is stopping");
        else
            nb__log(NB__LOG_WARN, "node %s down: %s", c->peer_name, why);
        announce_change();
    } else {
        nb__log(NB__LOG_DEBUG, "connection %s (%s) closed: %s", c->addr,
                c->outbound ? "outgoing" : "incoming", why);
    }
}

/* Answers a leaving peer's GOODBYE once no call of ours waits on c: every
 * request we wrote on it has been answered, and routing (routable) sends it no
 * other, so the peer may close without cutting a call of ours off. Called when
 * the GOODBYE comes and on every tick after. A call that routed to c before
 * the GOODBYE and registers after the answer sees said_goodbye and goes
 * elsewhere without writing (router.c). */
static void maybe_answer_goodbye(nb__conn *c)
{
    if (!atomic_load(&c->said_goodbye) || atomic_load(&c->goodbye_answered) ||
        !atomic_load(&c->up) || !nb__pcall_none(c))
        return;
    if (atomic_exchange(&c->goodbye_answered, true))
        return;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_uint8(&pk, NB__GOODBYE_ANSWER);
    nb__frame_end(&sb, NB__F_GOODBYE, 0);
    nb__conn_send(c, &sb);
}

void nb__members_on_goodbye(nb__conn *c)
{
    atomic_store(&c->said_goodbye, true); /* generic peers have no peer entry */
    pthread_rwlock_wrlock(&M.lock);
    int i = entry_of(c);
    if (i >= 0)
        M.peers[i].leaving = true;
    pthread_rwlock_unlock(&M.lock);
    nb__log(NB__LOG_INFO, "%s is leaving the cluster", c->peer_name);
    announce_change();
    maybe_answer_goodbye(c);
}

void nb__members_on_goodbye_answer(nb__conn *c)
{
    atomic_store(&c->goodbye_seen, true);
    announce_change();
}

/* Sends GOODBYE on c once. */
static void say_goodbye_on(nb__conn *c)
{
    if (!atomic_exchange(&c->goodbye_sent, true))
        nb__conn_send_empty(c, NB__F_GOODBYE);
}

static void goodbye_one(nb__conn *c, void *arg)
{
    (void)arg;
    if (atomic_load(&c->up))
        say_goodbye_on(c);
}

void nb__members_say_goodbye(void)
{
    pthread_rwlock_wrlock(&M.lock);
    M.leaving = true;
    pthread_rwlock_unlock(&M.lock);
    nb__conn_foreach(goodbye_one, NULL);
}

/* Counts the connections up whose peer has not answered our GOODBYE. */
static void count_unanswered(nb__conn *c, void *arg)
{
    if (atomic_load(&c->up) && !atomic_load(&c->broken) && !atomic_load(&c->goodbye_seen))
        (*(size_t *)arg)++;
}

size_t nb__members_await_answers(int64_t deadline_ms)
{
    for (;;) {
        uint64_t seen = nb__members_generation();
        size_t left = 0;
        nb__conn_foreach(count_unanswered, &left);
        if (left == 0 || nb__mono_ms() >= deadline_ms)
            return left;
        nb__members_wait_change(seen, deadline_ms);
    }
}

void nb__members_pack_served(msgpack_packer *pk)
{
    const nb__cluster_def *def = nb__cfg.def;
    size_t n = 0;
    for (size_t i = 0; i < def->n_methods; i++)
        n += nb__serves_locally(def->methods[i]);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < def->n_methods; i++) {
        if (!nb__serves_locally(def->methods[i]))
            continue;
        const char *name = def->methods[i]->name;
        msgpack_pack_array(pk, 3);
        msgpack_pack_uint64(pk, def->methods[i]->wire_id);
        msgpack_pack_str_with_body(pk, name, strlen(name));
        msgpack_pack_uint64(pk, (uint64_t)nb__cfg.registered_at_ms);
    }
}

/* Resolves the addresses of configured nodes not resolved yet. Name lookups may
 * block, so this runs on the timer thread without holding the lock; only that
 * thread touches `resolved`, `addr` and `next_resolve_ms`. */
static void resolve_due(int64_t now)
{
    for (size_t i = 0; i < M.n; i++) {
        nb__peer *p = &M.peers[i];
        if (p->resolved || !nb__cfg.dial_addr[i] || (int)i == nb__cfg.self_index ||
            now < p->next_resolve_ms)
            continue;
        p->resolved = nb__resolve(nb__cfg.dial_addr[i], &p->addr, &p->addr_len) == 0;
        if (!p->resolved) {
            nb__log(NB__LOG_WARN, "cannot resolve %s (%s); retrying",
                    nb__cfg.dial_addr[i], nb__cfg.def->nodes[i].name);
            p->next_resolve_ms = now + BACKOFF_MAX_MS * 5;
        }
    }
}

/* Dials every configured node that has no connection and whose backoff is over.
 * The connection is created under the lock (connect() does not block) so that
 * it stands for its node before its handshake can complete. */
static void dial_due(int64_t now)
{
    resolve_due(now);
    pthread_rwlock_wrlock(&M.lock);
    for (size_t i = 0; M.dialing && i < M.n; i++) {
        nb__peer *p = &M.peers[i];
        if ((int)i == nb__cfg.self_index || p->conn || !p->resolved || now < p->next_dial_ms ||
            strcmp(nb__cfg.def->nodes[i].name, nb__cfg.self_name) == 0)
            continue;
        p->conn = nb__conn_dial(&p->addr, p->addr_len, nb__cfg.dial_addr[i], (int)i,
                                nb__cfg.def->nodes[i].name);
        if (!p->conn) {
            snprintf(p->why, sizeof p->why, "cannot open a connection to %s",
                     nb__cfg.dial_addr[i]);
            if (p->backoff_ms < BACKOFF_MIN_MS)
                p->backoff_ms = BACKOFF_MIN_MS;
            p->next_dial_ms = now + p->backoff_ms;
            p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
        }
    }
    pthread_rwlock_unlock(&M.lock);
}

typedef struct tick_ctx {
    int64_t now;
    bool ping, info;
} tick_ctx;

/* Heartbeats, silence detection and node info pushes for one connection. */
static void tick_one(nb__conn *c, void *arg)
{
    const tick_ctx *t = arg;
    int64_t limit = 4 * (int64_t)nb__cfg.heartbeat_ms;
    int64_t silent = t->now - atomic_load(&c->last_rx_ms);
    if (nb__conn_frame_overdue(c, t->now)) {
        /* Bytes keep coming, so the silence detection does not fire, but a
         * frame trickled byte by byte would hold the connection for ever. */
        nb__conn_close(c, "a frame from %s took longer than %d ms to arrive",
                       c->peer_name ? c->peer_name : c->addr, nb__cfg.frame_timeout_ms);
        return;
    }
    if (!atomic_load(&c->up)) {
        int64_t age = t->now - c->created_ms;
        if (age > (limit > 2000 ? limit : 2000))
            nb__conn_close(c, "handshake with %s not finished after %lld ms", c->addr,
                           (long long)age);
        return;
    }
    /* Checked every tick: closing one tick early keeps detection within the 4
     * intervals (2 s by default) instead of up to a tick past them. */
    if (silent > limit - NB__TICK_MS) {
        if (!nb__conn_unread_input(c)) {
            nb__conn_close(c, "silent for %lld ms (heartbeat every %d ms)", (long long)silent,
                           nb__cfg.heartbeat_ms);
            return;
        }
        /* Not silent: its heartbeats are here, and it is this node that has not
         * read them yet (busy with a large frame from it, under a sanitizer
         * for over a second with 16 MiB). */
        atomic_store(&c->last_rx_ms, t->now);
    }
    maybe_answer_goodbye(c);
    if (t->ping)
        nb__conn_send_empty(c, NB__F_PING);
    if (t->info)
        nb__info_send(c);
}

void nb__members_tick(int64_t now)
{
    /* One thread ticks (lifecycle.c's ticker); the mutex states that ticks
     * never overlap, for readers of this code and for TSan. It is never
     * contended. */
    static pthread_mutex_t tick_mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&tick_mu);
    dial_due(now);
    tick_ctx t = {now, false, false};
    if (now - M.last_ping_ms >= nb__cfg.heartbeat_ms) {
        t.ping = true;
        M.last_ping_ms = now;
    }
    if (now - M.last_info_ms >= nb__cfg.refresh_ms) {
        t.info = true;
        M.last_info_ms = now;
        nb__info_refresh_self();
    }
    nb__conn_foreach(tick_one, &t);
    pthread_mutex_unlock(&tick_mu);
}

/* The registration time of m on peer p, or -1 when p does not serve it. */
static int64_t served_since(const nb__peer *p, uint64_t wire_id)
{
    size_t lo = 0, hi = p->n_methods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->methods[mid].wire_id < wire_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n_methods && p->methods[lo].wire_id == wire_id ? p->methods[lo].registered_at_ms
                                                                   : -1;
}

/* A peer a call may go to. A connection being closed is skipped from the moment
 * it refuses new calls (broken), not only once nb__members_on_close has run:
 * otherwise a caller retrying in between picks the dying connection every time.
 * Likewise a peer that said GOODBYE, from the moment its connection knows it
 * (said_goodbye is set before the entry's `leaving`): a call that finds
 * said_goodbye is not sent (router.c), and its retry must not pick it again. */
static bool routable(const nb__peer *p)
{
    return p->conn && p->up && !p->leaving && !atomic_load(&p->conn->broken) &&
           !atomic_load(&p->conn->said_goodbye);
}

/* Whether candidate (t, name) registered before the best so far. */
static bool earlier(int64_t t, const char *name, int64_t best_t, const char *best_name)
{
    return !best_name || t < best_t || (t == best_t && strcmp(name, best_name) < 0);
}

int nb__members_route(const nb__method *m, const nb__selector *sel, nb__target *t)
{
    const nb__cluster_def *def = nb__cfg.def;
    const char *best_name = NULL;
    int64_t best_t = 0;
    int best = -1;
    if (nb__serves_locally(m) && nb__cfg.self_index >= 0 &&
        (!sel || nb__sel_match(sel, &def->nodes[nb__cfg.self_index]))) {
        best_name = nb__cfg.self_name;
        best_t = nb__cfg.registered_at_ms;
    }
    pthread_rwlock_rdlock(&M.lock);
    /* A peer that let a call time out and has been silent since may be frozen:
     * it is taken only when no other node serves m (docs/cancellation.md). */
    for (int pass = 0; pass == 0 || (pass == 1 && !best_name); pass++) {
        for (size_t i = 0; i < M.n; i++) {
            const nb__peer *p = &M.peers[i];
            if (!routable(p) || (sel && !nb__sel_match(sel, &def->nodes[i])) ||
                nb__conn_silent(p->conn) != (pass == 1))
                continue;
            int64_t since = served_since(p, m->wire_id);
            if (since >= 0 && earlier(since, def->nodes[i].name, best_t, best_name)) {
                best = (int)i;
                best_t = since;
                best_name = def->nodes[i].name;
            }
        }
    }
    *t = (nb__target){.local = best_name && best < 0, .node = best_name};
    if (best >= 0) {
        t->conn = M.peers[best].conn;
        nb__conn_ref(t->conn);
    }
    pthread_rwlock_unlock(&M.lock);
    return best_name ? 0 : -1;
}

// Returns a referenced connection (caller unrefs) or NULL.
nb__conn *nb__members_conn_serving(int idx, const nb__method *m)
{
    nb__conn *c = NULL;
    pthread_rwlock_rdlock(&M.lock);
    if (idx >= 0 && (size_t)idx < M.n && routable(&M.peers[idx]) &&
        served_since(&M.peers[idx], m->wire_id) >= 0) {
        c = M.peers[idx].conn;
        nb__conn_ref(c);
    }
    pthread_rwlock_unlock(&M.lock);
    return c;
}

nb__conn *nb__members_conn_up(int idx)
{
    nb__conn *c = NULL;
    pthread_rwlock_rdlock(&M.lock);
    if (idx >= 0 && (size_t)idx < M.n && routable(&M.peers[idx])) {
        c = M.peers[idx].conn;
        nb__conn_ref(c);
    }
    pthread_rwlock_unlock(&M.lock);
    return c;
}

// Returns an array the caller frees, of connections the caller unrefs.
nb__conn **nb__members_serving(const nb__method *m, size_t *n)
{
    *n = 0;
    pthread_rwlock_rdlock(&M.lock);
    nb__conn **all = malloc((M.n ? M.n : 1) * sizeof *all);
    for (size_t i = 0; all && i < M.n; i++) {
        if (routable(&M.peers[i]) && served_since(&M.peers[i], m->wire_id) >= 0) {
            all[*n] = M.peers[i].conn;
            nb__conn_ref(all[(*n)++]);
        }
    }
    pthread_rwlock_unlock(&M.lock);
    return all;
}

bool nb__members_any_up(const nb__selector *sel)
{
    const nb__cluster_def *def = nb__cfg.def;
    if (!nb__cfg.generic && nb__cfg.self_index >= 0 &&
        nb__sel_match(sel, &def->nodes[nb__cfg.self_index]))
        return true;
    bool found = false;
    pthread_rwlock_rdlock(&M.lock);
    for (size_t i = 0; i < M.n && !found; i++)
        found = routable(&M.peers[i]) && nb__sel_match(sel, &def->nodes[i]);
    pthread_rwlock_unlock(&M.lock);
    return found;
}

uint64_t nb__members_generation(void)
{
    pthread_mutex_lock(&M.change_mu);
    uint64_t g = M.changes;
    pthread_mutex_unlock(&M.change_mu);
    return g;
}

void nb__members_wake_waiters(void)
{
    announce_change();
}

void nb__members_wait_change(uint64_t seen, int64_t deadline_ms)
{
    pthread_mutex_lock(&M.change_mu);
    while (M.changes == seen) {
        if (deadline_ms < 0) {
            pthread_cond_wait(&M.change_cv, &M.change_mu);
            continue;
        }
        struct timespec ts = {.tv_sec = deadline_ms / 1000,
                              .tv_nsec = (deadline_ms % 1000) * 1000000L};
        if (pthread_cond_timedwait(&M.change_cv, &M.change_mu, &ts) != 0)
            break;
    }
    pthread_mutex_unlock(&M.change_mu);
}

void nb__members_status(int idx, bool *connected, int64_t *last_seen_ms)
{
    *connected = false;
    *last_seen_ms = 0;
    pthread_rwlock_rdlock(&M.lock);
    if (idx >= 0 && (size_t)idx < M.n) {
        const nb__peer *p = &M.peers[idx];
        *connected = p->conn && p->up;
        *last_seen_ms = p->last_seen_ms;
        if (*connected)
            *last_seen_ms = nb__unix_ms() - (nb__mono_ms() - atomic_load(&p->conn->last_rx_ms));
    }
    pthread_rwlock_unlock(&M.lock);
}

bool nb__members_settled(int idx)
{
    bool settled = false;
    pthread_rwlock_rdlock(&M.lock);
    if (idx >= 0 && (size_t)idx < M.n) {
        const nb__peer *p = &M.peers[idx];
        settled = (p->conn && p->up) || p->why[0] != '\0';
    }
    pthread_rwlock_unlock(&M.lock);
    return settled;
}

/* True when p serves an API called `name` under another wire id than m's: it
 * was built from another version of the API's declaration. */
static bool serves_other_signature(const nb__peer *p, const nb__method *m)
{
    for (size_t k = 0; k < p->n_methods; k++)
        if (p->methods[k].wire_id != m->wire_id && strcmp(p->methods[k].name, m->name) == 0)
            return true;
    return false;
}

/* Appends one node's state to buf. Called with M.lock held for reading. */
static size_t explain_one(const nb__method *m, size_t i, char *buf, size_t size, size_t off)
{
    const nb__peer *p = &M.peers[i];
    const char *name = nb__cfg.def->nodes[i].name;
    char state[320];
    if (m && routable(p) && served_since(p, m->wire_id) < 0 && serves_other_signature(p, m))
        snprintf(state, sizeof state, "connected, serves another signature of it");
    else if (m && routable(p) && served_since(p, m->wire_id) < 0)
        snprintf(state, sizeof state, "connected, does not serve it (built without it?)");
    else if (routable(p))
        snprintf(state, sizeof state, "connected");
    else if (p->conn && p->up && (p->leaving || atomic_load(&p->conn->said_goodbye)))
        snprintf(state, sizeof state, "leaving the cluster (it said GOODBYE)");
    else if (p->was_up)
        snprintf(state, sizeof state, "down since %lld s ago: %s",
                 (long long)((nb__mono_ms() - p->down_since_ms) / 1000), p->why);
    else
        snprintf(state, sizeof state, "never connected: %s",
                 p->why[0] ? p->why : "no attempt has finished yet");
    int k = snprintf(buf + off, off < size ? size - off : 0, "%s%s: %s", off ? "; " : "", name,
                     state);
    return off + (k > 0 ? (size_t)k : 0);
}

// buf[0..size) is the caller's; m is borrowed.
size_t nb__members_other_signature(const nb__method *m, const nb__selector *sel, char *buf,
                                   size_t size)
{
    const nb__cluster_def *def = nb__cfg.def;
    size_t off = 0, n = 0;
    if (size)
        buf[0] = '\0';
    pthread_rwlock_rdlock(&M.lock);
    for (size_t i = 0; i < M.n && off < size; i++) {
        const nb__peer *p = &M.peers[i];
        if (!routable(p) || (sel && !nb__sel_match(sel, &def->nodes[i])) ||
            served_since(p, m->wire_id) >= 0 || !serves_other_signature(p, m))
            continue;
        int k = snprintf(buf + off, off < size ? size - off : 0, "%s%s", n ? ", " : "",
                         def->nodes[i].name);
        off += k > 0 ? (size_t)k : 0;
        n++;
    }
    pthread_rwlock_unlock(&M.lock);
    if (off >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return n;
}

int nb__members_signature_state(const nb__method *m, int idx)
{
    int state = NB__SIG_DOWN;
    pthread_rwlock_rdlock(&M.lock);
    if (idx >= 0 && (size_t)idx < M.n && routable(&M.peers[idx])) {
        const nb__peer *p = &M.peers[idx];
        state = served_since(p, m->wire_id) >= 0 ? NB__SIG_SAME
                : serves_other_signature(p, m)   ? NB__SIG_OTHER
                                                 : NB__SIG_NONE;
    }
    pthread_rwlock_unlock(&M.lock);
    return state;
}

/* The nodes to explain: those serving m (when m is given), or those sel
 * matches, other than this node. */
static bool explained(const nb__method *m, const nb__selector *sel, size_t i)
{
    if ((int)i == nb__cfg.self_index)
        return false;
    if (sel)
        return nb__sel_match(sel, &nb__cfg.def->nodes[i]);
    for (size_t k = 0; k < m->n_serving; k++)
        if (m->serving[k] == i)
            return true;
    return false;
}

// buf[0..size) is the caller's; m and sel are borrowed (one of them is NULL).
size_t nb__members_explain(const nb__method *m, const nb__selector *sel, char *buf, size_t size)
{
    size_t off = 0;
    if (size)
        buf[0] = '\0';
    pthread_rwlock_rdlock(&M.lock);
    for (size_t i = 0; i < M.n && off < size; i++)
        if (explained(m, sel, i))
            off = explain_one(m, i, buf, size, off);
    pthread_rwlock_unlock(&M.lock);
    if (off >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return off;
}
