/*
 * workers.c — admission, queueing and execution of served requests; see
 * workers.h for the contract.
 *
 * Lock order: a registry bucket's mu, then a module's mu, then W.mu. Nothing
 * takes a bucket's lock while holding a module's.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "log.h"
#include "metrics.h"
#include "transport.h"
#include "config.h"
#include "workers.h"

#define DEFAULT_MAX_CONCURRENT 64
/* A REQUEST's elements: five known (frame.h), and room for a later release's. */
#define REQUEST_FIELDS_MAX 8

/* One peer's share of a module: the jobs it has waiting for a slot, in order,
 * and how many of its bodies run. An entry exists while either is non-zero; its
 * connection is not referenced here (its jobs hold references), so the pointer
 * names one live connection while the entry exists. */
typedef struct nb__peerq {
    nb__conn *c;
    struct nb__job *head, *tail;
    int queued;
    int running;
    size_t bytes;                /* request bytes of its queued jobs */
    bool held;                   /* its connection's input is held (hold_update) */
} nb__peerq;

/* One module (source file) on the serving side. mu guards everything below it. */
typedef struct nb__modstate {
    const nb__module *module;
    pthread_mutex_t mu;
    int max;
    int running;
    int queued;
    nb__peerq *peers;            /* the peers with jobs here, in no order */
    size_t n_peers, cap_peers;
    size_t turn;                 /* round-robin cursor over peers */
    int n_held;                  /* peers whose input this module holds */
} nb__modstate;

typedef struct nb__served {
    uint64_t wire_id;
    const nb__method *m;
    nb__modstate *ms;
    _Atomic int64_t body_ns;     /* recent body time (moving average); -1: never ran */
} nb__served;

typedef struct nb__job {
    struct nb__job *next;        /* the jobs queue, or its peer's module queue */
    struct nb__job *hnext;       /* its registry bucket, while registered */
    nb__conn *c;                 /* referenced */
    uint64_t id;
    bool registered;             /* in the registry (CANCEL finds it) */
    bool waiting;                /* in its peer's module queue (under the module's mu) */
    atomic_bool cancelled;       /* its caller stopped waiting (CANCEL) */
    int ext_left;                /* EXTENDs its caller still accepts (body thread) */
    nb__served *sv;              /* NULL: not served here */
    uint64_t wire_id;
    void *args;                  /* the decoded argument struct (owned); NULL when
                                    the arguments did not decode */
    int64_t deadline_ns;         /* monotonic: after it the caller has given up */
    int64_t queued_ms;           /* when it joined the jobs queue */
    size_t bytes;                /* its request's payload bytes */
    struct nb__job *batch_tail;  /* the first job of a reader's batch: its last */
} nb__job;

/* Replies a thread has queued on their connections but not yet written: it
 * writes them together (nb__conn_flush) when its batch is done, or before a
 * body that may take long. `answered` counts the requests behind them, which
 * leave W.inflight only once written, so nb_stop never closes a connection
 * under a reply that is still corked. */
#define OUTBOX_MAX 8
typedef struct nb__outbox {
    nb__conn *conns[OUTBOX_MAX]; /* referenced */
    size_t n;
    size_t answered;
    int64_t since_ns;            /* when the first corked reply was queued */
    nb__conn *held;              /* whose reader role this thread holds, or NULL */
} nb__outbox;

/* Corked replies are written before a body that takes longer than this on
 * average, and before any body once they have waited this long. */
#define CORK_BODY_NS 20000
#define CORK_MAX_NS 100000

/* Admitted jobs by (connection, call id), so a CANCEL finds its request. */
#define REG_BUCKETS 256
typedef struct nb__bucket {
    pthread_mutex_t mu;
    nb__job *head;
} nb__bucket;
static nb__bucket reg[REG_BUCKETS];
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static struct {
    nb__served *served;
    size_t n_served;
    nb__modstate *mods;
    size_t n_mods;
    pthread_mutex_t mu;          /* jobs queue, inflight, stopping */
    pthread_cond_t idle;
    nb__job *head, *tail;
    size_t drainers;             /* threads that will take from the queue */
    uint64_t taken, taken_seen;  /* jobs taken, and as the watchdog last saw it */
    size_t inflight;             /* admitted or queued, not yet answered */
    bool stopping;
    _Atomic uint64_t dropped;    /* requests dropped unrun: their caller had gone */
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static int compare_served(const void *a, const void *b)
{
    uint64_t x = ((const nb__served *)a)->wire_id, y = ((const nb__served *)b)->wire_id;
    return x < y ? -1 : x > y;
}

/* The module state of m, created on first sight. */
static nb__modstate *modstate_for(const nb__method *m)
{
    for (size_t i = 0; i < W.n_mods; i++)
        if (W.mods[i].module == m->module && m->module)
            return &W.mods[i];
    nb__modstate *ms = &W.mods[W.n_mods++];
    ms->module = m->module;
    pthread_mutex_init(&ms->mu, NULL);
    ms->max = m->module && m->module->max_concurrent_calls > 0 ? m->module->max_concurrent_calls
              : nb__cfg.def->max_concurrent_calls > 0 ? nb__cfg.def->max_concurrent_calls
                                                       : DEFAULT_MAX_CONCURRENT;
    return ms;
}

static void reg_init(void)
{
    for (size_t i = 0; i < REG_BUCKETS; i++)
        pthread_mutex_init(&reg[i].mu, NULL);
}

static nb__bucket *bucket_of(const nb__conn *c, uint64_t id)
{
    uint64_t h = ((uint64_t)(uintptr_t)c >> 4 ^ id) * 0x9E3779B97F4A7C15ull;
    return &reg[h >> 56];
}

static void reg_add(nb__job *job)
{
    nb__bucket *b = bucket_of(job->c, job->id);
    pthread_mutex_lock(&b->mu);
    job->hnext = b->head;
    b->head = job;
    job->registered = true;
    pthread_mutex_unlock(&b->mu);
}

/* Unlinks job from bucket b, whose lock is held. */
static void reg_unlink_locked(nb__bucket *b, nb__job *job)
{
    for (nb__job **pp = &b->head; *pp; pp = &(*pp)->hnext) {
        if (*pp == job) {
            *pp = job->hnext;
            break;
        }
    }
    job->registered = false;
}

static void reg_remove(nb__job *job)
{
    if (!job->registered)
        return;
    nb__bucket *b = bucket_of(job->c, job->id);
    pthread_mutex_lock(&b->mu);
    reg_unlink_locked(b, job);
    pthread_mutex_unlock(&b->mu);
}

int nb__workers_start(void)
{
    pthread_once(&reg_once, reg_init);
    const nb__cluster_def *def = nb__cfg.def;
    W.stopping = false;
    W.inflight = 0;
    W.drainers = 0;
    W.taken = W.taken_seen = 0;
    W.served = calloc(def->n_methods + 1, sizeof *W.served);
    W.mods = calloc(def->n_methods + 1, sizeof *W.mods);
    if (!W.served || !W.mods)
        return -1;
    for (size_t i = 0; i < def->n_methods; i++) {
        const nb__method *m = def->methods[i];
        if (!nb__serves_locally(m))
            continue;
        nb__served *sv = &W.served[W.n_served++];
        sv->wire_id = m->wire_id;
        sv->m = m;
        sv->ms = modstate_for(m);
        atomic_init(&sv->body_ns, -1);
    }
    qsort(W.served, W.n_served, sizeof *W.served, compare_served);
    return 0;
}

void nb__workers_stop(void)
{
    for (size_t i = 0; i < W.n_mods; i++) {
        pthread_mutex_destroy(&W.mods[i].mu);
        free(W.mods[i].peers);
    }
    free(W.served);
    free(W.mods);
    W.served = NULL;
    W.mods = NULL;
    W.n_served = W.n_mods = 0;
}

size_t nb__workers_thread_budget(void)
{
    size_t n = 0;
    for (size_t i = 0; i < W.n_mods; i++)
        n += (size_t)W.mods[i].max;
    return n > 1024 ? 1024 : n;
}

static nb__served *find_served(uint64_t wire_id)
{
    size_t lo = 0, hi = W.n_served;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (W.served[mid].wire_id < wire_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < W.n_served && W.served[lo].wire_id == wire_id ? &W.served[lo] : NULL;
}

/* Whether a body of sv may be long: slow on average, or never timed yet. */
static bool may_run_long(const nb__served *sv)
{
    int64_t avg = atomic_load_explicit(&sv->body_ns, memory_order_relaxed);
    return avg < 0 || avg > CORK_BODY_NS;
}

/* Writes every corked reply and lets their requests leave W.inflight. */
static void outbox_flush(nb__outbox *ob)
{
    for (size_t i = 0; i < ob->n; i++) {
        nb__conn_flush(ob->conns[i]);
        nb__conn_unref(ob->conns[i]);
    }
    ob->n = 0;
    if (ob->answered) {
        pthread_mutex_lock(&W.mu);
        W.inflight -= ob->answered;
        if (W.inflight == 0)
            pthread_cond_broadcast(&W.idle);
        pthread_mutex_unlock(&W.mu);
        ob->answered = 0;
    }
}

/* Queues sb on c (corked in ob when there is one, else written now). */
static void send_reply(nb__outbox *ob, nb__conn *c, msgpack_sbuffer *sb)
{
    if (!ob) {
        nb__conn_send(c, sb);
        return;
    }
    if (nb__conn_queue(c, sb) < 0)
        return;
    for (size_t i = 0; i < ob->n; i++)
        if (ob->conns[i] == c)
            return;
    if (ob->n == OUTBOX_MAX)
        outbox_flush(ob);
    if (ob->n == 0)
        ob->since_ns = nb__mono_ns();
    nb__conn_ref(c);
    ob->conns[ob->n++] = c;
}

/* Sends REPLY [code, value or nil, message or nil] for call `id` on c, corked in
 * ob when ob is not NULL. The value is packed only for NB_OK (m and ret
 * describe it). */
static void reply(nb__outbox *ob, nb__conn *c, uint64_t id, nb_code code, const nb__method *m,
                  const void *ret, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void reply(nb__outbox *ob, nb__conn *c, uint64_t id, nb_code code, const nb__method *m,
                  const void *ret, const char *fmt, ...)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_int(&pk, (int)code);
    if (code == NB_OK && m->ret.kind != NB__K_VOID) {
        if (nb__encode_value(&pk, &m->ret, ret) < 0) {
            msgpack_sbuffer_destroy(&sb);
            reply(ob, c, id, NB_E_PROTOCOL, m, NULL, "%s: out of memory encoding the result",
                  m->name);
            return;
        }
    } else {
        msgpack_pack_nil(&pk);
    }
    if (fmt) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        msgpack_pack_str_with_body(&pk, msg, strlen(msg));
    } else {
        msgpack_pack_nil(&pk);
    }
    nb__frame_end(&sb, NB__F_REPLY, id);
    if (sb.size - NB__FRAME_HEADER_SIZE > nb__cfg.max_frame) {
        msgpack_sbuffer_destroy(&sb);
        reply(ob, c, id, NB_E_PROTOCOL, m, NULL,
              "%s: the result exceeds the frame limit of %zu bytes", m->name, nb__cfg.max_frame);
        return;
    }
    nb__metrics_served(m, code);
    send_reply(ob, c, &sb);
}

static void job_free(nb__job *job)
{
    reg_remove(job);
    if (job->args) {
        nb__struct_clear(job->sv->m->args, job->args);
        free(job->args);
    }
    nb__conn_unref(job->c);
    free(job);
}

/* One request has been answered (or its connection is gone). */
static void inflight_done(void)
{
    pthread_mutex_lock(&W.mu);
    if (--W.inflight == 0)
        pthread_cond_broadcast(&W.idle);
    pthread_mutex_unlock(&W.mu);
}

/* Decodes the arguments of a request for sv into a new argument struct (owned
 * by the caller), or NULL when they do not decode. */
static void *decode_args(const nb__served *sv, const msgpack_object *o)
{
    const nb__type *t = sv->m->args;
    void *args = calloc(1, t->size ? t->size : 1);
    if (args && nb__decode_struct(o, t, args) < 0) {
        free(args);
        args = NULL;
    }
    return args;
}

/*
 * How long a request waited before this node read it: in the caller's queue,
 * on the network, and in our socket while this process was paused (SIGSTOP, a
 * debugger, swap). The caller stamps each request with its own monotonic clock
 * (sent_us); the two clocks are never compared. d = now - sent_us is the
 * clocks' offset plus the request's delay, and the lowest d seen recently on
 * the connection (its base) is the offset plus the fastest delay: d - base is
 * how much longer than the fastest this request took. The base is the lowest
 * of two windows of DELAY_WINDOW_US (the current one and the one before),
 * started when a request finds the current one older than that, however long
 * ago: after a pause, the base seen before it still counts. So the clocks'
 * drift can only shift the figure by what it drifts in two windows (2 ms at an
 * extreme 100 ppm); a caller's odd stamps move only its own requests' deadlines,
 * within the timeout it set anyway (docs/cancellation.md, "Deadlines that hold
 * across a pause"). Called by the reader-role holder only.
 */
#define DELAY_WINDOW_US ((int64_t)10 * 1000 * 1000)
/* Stamps are clamped to this: differences of clamped values cannot overflow. */
#define DELAY_STAMP_MAX ((int64_t)1 << 61)

static int64_t waited_us(nb__conn *c, int64_t now_us, uint64_t sent_us)
{
    int64_t sent = sent_us > (uint64_t)DELAY_STAMP_MAX ? DELAY_STAMP_MAX : (int64_t)sent_us;
    int64_t now = now_us > DELAY_STAMP_MAX ? DELAY_STAMP_MAX : now_us;
    int64_t d = now - sent; /* both within [0, 2^61]: no overflow */
    if (c->delay_windows == 0 || now - c->delay_since_us >= DELAY_WINDOW_US) {
        c->delay_base_us[1] = c->delay_base_us[0];
        c->delay_base_us[0] = d;
        c->delay_since_us = now;
        c->delay_windows += c->delay_windows < 2;
    } else if (d < c->delay_base_us[0]) {
        c->delay_base_us[0] = d;
    }
    int64_t base = c->delay_base_us[0];
    if (c->delay_windows == 2 && c->delay_base_us[1] < base)
        base = c->delay_base_us[1];
    return d - base; /* >= 0; both within [-2^61, 2^61] */
}

/* Parses [wire_id, timeout_ms, args, max_extensions, sent_us] into a job,
 * arguments decoded (unpacked in the connection's scratch zone, which only the
 * reader uses); NULL with ctx->why when malformed (the connection then closes).
 * Elements after sent_us, which a later release may add, are ignored. */
static nb__job *job_parse(nb__conn *c, const nb__frame_header *h, const unsigned char *payload,
                          nb__reader_ctx *ctx)
{
    if (!c->zone && !(c->zone = msgpack_zone_new(2048))) {
        snprintf(ctx->why, sizeof ctx->why, "out of memory for a request");
        return NULL;
    }
    msgpack_object o;
    if (nb__unpack_peer_in(c->zone, payload, h->length, &o) != 0 ||
        o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size < 3 ||
        o.via.array.size > REQUEST_FIELDS_MAX ||
        o.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o.via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        (o.via.array.size >= 4 && o.via.array.ptr[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER) ||
        (o.via.array.size >= 5 && o.via.array.ptr[4].type != MSGPACK_OBJECT_POSITIVE_INTEGER)) {
        msgpack_zone_clear(c->zone);
        snprintf(ctx->why, sizeof ctx->why, "malformed request from %s", c->peer_name);
        return NULL;
    }
    nb__job *job = calloc(1, sizeof *job);
    if (!job) {
        msgpack_zone_clear(c->zone);
        snprintf(ctx->why, sizeof ctx->why, "out of memory for a request");
        return NULL;
    }
    job->c = c;
    nb__conn_ref(c);
    job->id = h->call_id;
    job->bytes = h->length;
    uint64_t timeout = o.via.array.ptr[1].via.u64;
    int64_t now = nb__mono_ns(), waited = 0;
    if (o.via.array.size >= 5) /* without a stamp (an older caller): counted from now */
        waited = waited_us(c, now / 1000, o.via.array.ptr[4].via.u64);
    /* Both terms are capped at the longest timeout (INT32_MAX ms): no overflow,
     * and a request that waited longer has expired whatever its timeout. */
    int64_t cap_us = (int64_t)INT32_MAX * 1000;
    job->deadline_ns = now + (timeout > INT32_MAX ? INT32_MAX : (int64_t)timeout) * 1000000 -
                       (waited < cap_us ? waited : cap_us) * 1000;
    job->wire_id = o.via.array.ptr[0].via.u64;
    atomic_init(&job->cancelled, false);
    if (o.via.array.size >= 4) { /* a REQUEST without it (an older caller) allows none */
        uint64_t ext = o.via.array.ptr[3].via.u64;
        job->ext_left = ext > INT32_MAX ? INT32_MAX : (int)ext;
    }
    job->sv = find_served(job->wire_id);
    if (job->sv)
        job->args = decode_args(job->sv, &o.via.array.ptr[2]);
    msgpack_zone_clear(c->zone);
    return job;
}

/* Queues admitted jobs (a chain linked by next) for whichever thread drains the
 * queue: the reader that kept a job of the same batch, else a loop thread woken
 * for them. The watchdog looks after jobs that wait because every drainer is in
 * a long body. */
static void push_jobs(nb__job *first)
{
    int64_t now = nb__mono_ms();
    nb__job *last = first;
    for (nb__job *j = first; j; j = j->next) {
        j->queued_ms = now;
        last = j;
    }
    pthread_mutex_lock(&W.mu);
    if (W.tail)
        W.tail->next = first;
    else
        W.head = first;
    W.tail = last;
    if (W.drainers == 0) {
        W.drainers++; /* the thread the kick wakes */
        nb__loop_kick_jobs(1);
    }
    nb__loop_watch_jobs();
    pthread_mutex_unlock(&W.mu);
}

static void push_job(nb__job *job)
{
    job->next = NULL;
    push_jobs(job);
}

/* The next queued job for a drainer, or NULL; a drainer that finds none stops
 * being one (in the same critical section, so a job queued just after it looked
 * wakes someone). */
static nb__job *take_job(void)
{
    pthread_mutex_lock(&W.mu);
    nb__job *job = W.head;
    if (job) {
        W.head = job->next;
        if (!W.head)
            W.tail = NULL;
        W.taken++;
    } else {
        W.drainers--;
    }
    pthread_mutex_unlock(&W.mu);
    return job;
}

bool nb__workers_watchdog(void)
{
    int64_t now = nb__mono_ms();
    pthread_mutex_lock(&W.mu);
    unsigned old = 0;
    for (nb__job *j = W.head; j && now - j->queued_ms >= NB__JOBS_WATCH_MS; j = j->next)
        old++;
    /* Nothing taken for a whole period: every drainer is in a long (likely
     * blocking) body, so every job that has waited gets a thread. Otherwise
     * the drainers are moving but not keeping up: one more thread (another
     * core) per period while that lasts. */
    unsigned kick = W.taken == W.taken_seen ? old : old > 0;
    W.taken_seen = W.taken;
    W.drainers += kick;
    nb__loop_kick_jobs(kick);
    bool waiting = W.head != NULL;
    pthread_mutex_unlock(&W.mu);
    return waiting;
}

/* The entry of peer c in ms, created when absent (NULL when out of memory).
 * Called with ms->mu held. */
static nb__peerq *peerq_for(nb__modstate *ms, nb__conn *c)
{
    for (size_t i = 0; i < ms->n_peers; i++)
        if (ms->peers[i].c == c)
            return &ms->peers[i];
    if (ms->n_peers == ms->cap_peers) {
        size_t cap = ms->cap_peers ? 2 * ms->cap_peers : 4;
        nb__peerq *p = realloc(ms->peers, cap * sizeof *p);
        if (!p)
            return NULL;
        ms->peers = p;
        ms->cap_peers = cap;
    }
    nb__peerq *q = &ms->peers[ms->n_peers++];
    *q = (nb__peerq){.c = c};
    return q;
}

/* Forgets q when it holds nothing more (pointers into ms->peers then move).
 * Called with ms->mu held. */
static void peerq_tidy(nb__modstate *ms, nb__peerq *q)
{
    if (q->queued || q->running)
        return;
    if (q->held) { /* not reached: hold_update releases a peer with nothing queued */
        q->held = false;
        ms->n_held--;
        nb__conn_hold_input(q->c, false);
    }
    *q = ms->peers[--ms->n_peers];
}

/*
 * Back-pressure on pipelined requests (docs/async.md). A request that finds
 * every slot taken waits in the queue, never refused for want of a place;
 * instead, a peer holding at least its share of the queue (max_concurrent_calls
 * divided among the peers with requests waiting, and never less than
 * HOLD_FLOOR) is no longer read: its next requests wait in its connection, and
 * in the end in the caller, until its queue has drained below the share. A
 * peer that sends a call now and then is below any share, so it is still read,
 * queued and served at the next free slot (next_waiting). Called with ms->mu
 * held whenever a queue changes.
 *
 * Holding a connection holds all of it: the peer's calls to other modules and
 * its CANCELs wait behind too. The floor keeps that for a peer that pipelines
 * deep: a few calls queued on a busy module (say a hog and an NB_FIRST
 * straggler on a one-slot module) leave the connection read, so a CANCEL still
 * drops the straggler before it runs.
 */
#define HOLD_FLOOR 64

static void hold_update(nb__modstate *ms)
{
    if (ms->queued == 0 && ms->n_held == 0)
        return;
    int waiting = 0;
    for (size_t i = 0; i < ms->n_peers; i++)
        waiting += ms->peers[i].queued > 0;
    int share = ms->max / (waiting > 0 ? waiting : 1);
    if (share < HOLD_FLOOR)
        share = HOLD_FLOOR;
    for (size_t i = 0; i < ms->n_peers; i++) {
        nb__peerq *q = &ms->peers[i];
        bool hold = q->queued >= share;
        if (hold != q->held) {
            q->held = hold;
            ms->n_held += hold ? 1 : -1;
            nb__conn_hold_input(q->c, hold); /* c->mu after ms->mu, never the reverse */
        }
    }
}

/* What one peer may have queued in a module beyond its share before a request
 * is refused after all: the requests of one read that were already in the
 * buffer when the hold came, and those read by a caller of this node waiting
 * for its own reply on the held connection (which reads regardless). Both
 * bounds are per peer and module: jobs, and request bytes (the cap on bytes
 * queued for one peer, NEBULA_MAX_QUEUED_BYTES, docs/security.md). */
#define HOLD_SLACK_JOBS 4096

/* Appends job to q's queue. Called with ms->mu held. */
static void peerq_push(nb__modstate *ms, nb__peerq *q, nb__job *job)
{
    job->next = NULL;
    job->waiting = true;
    if (q->tail)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
    q->queued++;
    q->bytes += job->bytes;
    ms->queued++;
}

/* Takes job out of q's queue (wherever it is). Called with ms->mu held. */
static void peerq_unlink(nb__modstate *ms, nb__peerq *q, nb__job *job)
{
    nb__job *prev = NULL;
    for (nb__job *j = q->head; j && j != job; j = j->next)
        prev = j;
    if (prev)
        prev->next = job->next;
    else
        q->head = job->next;
    if (q->tail == job)
        q->tail = prev;
    job->next = NULL;
    job->waiting = false;
    q->queued--;
    q->bytes -= job->bytes;
    ms->queued--;
}

/* The next job to get a free slot of ms: the peer with the fewest bodies running
 * goes first, ties taken in turn, so a peer with a long queue cannot starve one
 * that sends a call now and then. NULL when nothing waits. Called with ms->mu
 * held; the job is out of its queue and counted as running for its peer. */
static nb__job *next_waiting(nb__modstate *ms)
{
    if (ms->queued == 0)
        return NULL;
    nb__peerq *best = NULL;
    size_t n = ms->n_peers;
    for (size_t k = 0; k < n; k++) {
        nb__peerq *q = &ms->peers[(ms->turn + k) % n];
        if (q->queued && (!best || q->running < best->running))
            best = q;
    }
    ms->turn = (size_t)(best - ms->peers) + 1;
    nb__job *job = best->head;
    peerq_unlink(ms, best, job);
    best->running++;
    hold_update(ms);
    return job;
}

/* Answers a job that found no place, and forgets it. */
static void overloaded(nb__job *job, const nb__modstate *ms, int queued)
{
    const nb__method *m = job->sv->m;
    reply(NULL, job->c, job->id, NB_E_OVERLOADED, m, NULL,
          "%s: %s is at max_concurrent_calls (%d running) and holds %d requests of this "
          "caller already", m->name, nb__cfg.self_name, ms->max, queued);
    job_free(job);
    inflight_done();
}

/*
 * Admission: true when the job may run now; otherwise it was queued or answered.
 * Per module, max bodies run; the others wait in their peer's queue, and a peer
 * holding its share of the waiting places is not read until its queue drains
 * (hold_update: back-pressure, not refusal). Freed slots go to the peer with
 * fewest bodies running (next_waiting), so one peer cannot keep another waiting
 * (docs/cancellation.md, "Fair serving"). Only a peer that is far beyond its
 * share anyway (HOLD_SLACK_JOBS) is answered NB_E_OVERLOADED.
 */
static bool admit(nb__job *job)
{
    nb__modstate *ms = job->sv->ms;
    pthread_mutex_lock(&ms->mu);
    nb__peerq *q = peerq_for(ms, job->c);
    if (q && ms->running < ms->max) {
        ms->running++;
        q->running++;
        pthread_mutex_unlock(&ms->mu);
        return true;
    }
    size_t cap = nb__cfg.max_queued_bytes;
    int queued = q ? q->queued : 0;
    bool room = q && q->queued < ms->max + HOLD_SLACK_JOBS &&
                (cap == 0 || q->queued == 0 || q->bytes + job->bytes <= cap);
    if (room) {
        peerq_push(ms, q, job);
        hold_update(ms);
    } else if (q) {
        peerq_tidy(ms, q);
    }
    pthread_mutex_unlock(&ms->mu);
    if (!room)
        overloaded(job, ms, queued);
    return false;
}

int nb__workers_on_request(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                           unsigned char **owned, nb__reader_ctx *ctx)
{
    (void)owned; /* the arguments are decoded at once: the payload is not kept */
    nb__job *job = job_parse(c, h, payload, ctx);
    if (!job)
        return -1;
    pthread_mutex_lock(&W.mu);
    bool stopping = W.stopping;
    if (!stopping)
        W.inflight++;
    pthread_mutex_unlock(&W.mu);
    if (stopping || !job->sv || !job->args) {
        if (stopping) /* not run: the caller may send it elsewhere (frame.h) */
            reply(NULL, c, job->id, (nb_code)NB__REPLY_LEAVING, NULL, NULL,
                  "%s is leaving the cluster: the call was not run", nb__cfg.self_name);
        else if (!job->sv)
            reply(NULL, c, job->id, NB_E_PROTOCOL, NULL, NULL,
                  "signature mismatch or not served: method %016" PRIx64 " is not served by %s",
                  job->wire_id, nb__cfg.self_name);
        else
            reply(NULL, c, job->id, NB_E_PROTOCOL, job->sv->m, NULL,
                  "%s: the arguments do not decode as %s (signature mismatch?)",
                  job->sv->m->name, job->sv->m->signature);
        job_free(job);
        if (!stopping)
            inflight_done();
        return 0;
    }
    if (may_run_long(job->sv))
        ctx->quick = false;
    reg_add(job);
    if (!admit(job))
        return 0;
    if (ctx->can_run && !ctx->run_here) {
        /* This reader runs the batch: it is a drainer from now on, so the jobs
         * it queues next wake nobody. */
        pthread_mutex_lock(&W.mu);
        W.drainers++;
        pthread_mutex_unlock(&W.mu);
        job->next = NULL;
        job->batch_tail = job;
        ctx->run_here = job;
    } else if (ctx->can_run) {
        /* The batch's later jobs wait behind its first, where no other thread
         * takes them, until the reader has read its socket empty (nb__conn_pump):
         * a CANCEL that came behind them is seen before any of them starts. */
        job->next = NULL;
        ctx->run_here->batch_tail->next = job;
        ctx->run_here->batch_tail = job;
    } else {
        push_job(job);
    }
    return 0;
}

/* Before a body: corked replies go out first when the body may be long (its
 * method is slow on average, or has never run) or when they have waited long
 * enough already. */
/* Before a body that may run long, the reader role this thread still holds
 * (ob->held) goes back, so its connection is read meanwhile. */
static void outbox_before_body(nb__outbox *ob, const nb__served *sv, int64_t now)
{
    bool long_body = may_run_long(sv);
    if (ob->held && long_body) {
        nb__conn_reader_hand_on(ob->held);
        ob->held = NULL;
    }
    if (ob->n > 0 && (long_body || now - ob->since_ns > CORK_MAX_NS))
        outbox_flush(ob);
}

_Thread_local bool nb__in_served_body;

/* The job whose body this thread runs (nb_cancelled, nb_request_more_time). */
static _Thread_local nb__job *current_job;

/* Whether job's caller has stopped waiting: it said so (CANCEL), or its
 * connection is gone (the caller's node was lost, or it closed the link). */
static bool job_abandoned(nb__job *job)
{
    return atomic_load_explicit(&job->cancelled, memory_order_relaxed) ||
           atomic_load_explicit(&job->c->broken, memory_order_relaxed);
}

bool nb_cancelled(void)
{
    nb__job *job = current_job;
    return job != NULL && job_abandoned(job);
}

bool nb_request_more_time(void)
{
    nb__job *job = current_job;
    if (!job || job->ext_left <= 0 || job_abandoned(job))
        return false;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    nb__frame_end(&sb, NB__F_EXTEND, job->id);
    if (!sb.data || nb__conn_send(job->c, &sb) < 0)
        return false;
    job->ext_left--;
    return true;
}

uint64_t nb__workers_dropped(void)
{
    return atomic_load_explicit(&W.dropped, memory_order_relaxed);
}

void nb__workers_on_cancel(nb__conn *c, uint64_t id)
{
    nb__bucket *b = bucket_of(c, id);
    nb__job *gone = NULL;
    pthread_mutex_lock(&b->mu);
    nb__job *job = b->head;
    while (job && (job->c != c || job->id != id))
        job = job->hnext;
    if (job) {
        atomic_store_explicit(&job->cancelled, true, memory_order_relaxed);
        /* Waiting for a slot: it leaves its queue now, so its place goes to a
         * caller that still waits. (Elsewhere it is dropped when its turn
         * comes, or its running body sees nb_cancelled().) */
        nb__modstate *ms = job->sv->ms;
        pthread_mutex_lock(&ms->mu);
        if (job->waiting) {
            nb__peerq *q = peerq_for(ms, c); /* exists: it holds job */
            peerq_unlink(ms, q, job);
            hold_update(ms); /* moves no entry: q stays valid */
            peerq_tidy(ms, q);
            reg_unlink_locked(b, job);
            gone = job;
        }
        pthread_mutex_unlock(&ms->mu);
    }
    pthread_mutex_unlock(&b->mu);
    if (gone) {
        atomic_fetch_add_explicit(&W.dropped, 1, memory_order_relaxed);
        nb__metrics_served(gone->sv->m, NB_E_CANCELLED);
        nb__log(NB__LOG_DEBUG, "%s: dropped a queued request of %s: its caller stopped waiting",
                gone->sv->m->name, c->peer_name);
        job_free(gone);
        inflight_done();
    }
}

/* Runs the body, keeping the method's average body time. */
static void run_body(nb__job *job, void *ret, int64_t t0)
{
    nb__served *sv = job->sv;
    nb__loop_before_body();
    /* A body does not inherit anyone's routing block. */
    const nb_call *saved = nb__tls.route;
    nb__tls.route = NULL;
    nb__in_served_body = true;
    current_job = job;
    sv->m->local(job->args, ret);
    current_job = NULL;
    nb__in_served_body = false;
    nb__tls.route = saved;
    int64_t took = nb__mono_ns() - t0;
    int64_t avg = atomic_load_explicit(&sv->body_ns, memory_order_relaxed);
    avg = avg < 0 ? took : avg + (took - avg) / 8;
    atomic_store_explicit(&sv->body_ns, avg, memory_order_relaxed);
}

/* Runs one admitted job's body and answers it (corked in ob). */
static void run_one(nb__outbox *ob, nb__job *job)
{
    const nb__method *m = job->sv->m;
    if (job_abandoned(job)) {
        /* Its caller has an outcome already and wants no reply. */
        atomic_fetch_add_explicit(&W.dropped, 1, memory_order_relaxed);
        nb__metrics_served(m, NB_E_CANCELLED);
        nb__log(NB__LOG_DEBUG, "%s: dropped a request of %s before it ran: its caller stopped "
                "waiting", m->name, job->c->peer_name);
        return;
    }
    if (nb__mono_ns() > job->deadline_ns) {
        reply(ob, job->c, job->id, NB_E_TIMEOUT, m, NULL,
              "%s: the request expired on %s before it could run", m->name, nb__cfg.self_name);
        return;
    }
    /* Small results live on the stack; storage is zeroed as nb__invoke's is. */
    _Alignas(max_align_t) unsigned char small[64] = {0};
    void *ret = m->ret.size <= sizeof small ? small : calloc(1, m->ret.size);
    if (!ret) {
        reply(ob, job->c, job->id, NB_E_PROTOCOL, m, NULL, "%s: out of memory on %s", m->name,
              nb__cfg.self_name);
        return;
    }
    int64_t t0 = nb__mono_ns();
    outbox_before_body(ob, job->sv, t0);
    run_body(job, ret, t0);
    if (!job_abandoned(job)) /* else the reply would be discarded on arrival */
        reply(ob, job->c, job->id, NB_OK, m, ret, NULL);
    else /* served, but its caller had gone: counted as cancelled (docs/metrics.md) */
        nb__metrics_served(m, NB_E_CANCELLED);
    nb__metrics_serve_time(m, t0);
    nb__value_clear(&m->ret, ret);
    if (ret != small)
        free(ret);
}

/* Runs one admitted job and then the module's queued ones, in turn. */
static void run_module(nb__outbox *ob, nb__job *job)
{
    nb__modstate *ms = job->sv->ms;
    while (job) {
        run_one(ob, job);
        /* The slot is passed on while job still holds its connection: the
         * peer's entry is found by that address. */
        pthread_mutex_lock(&ms->mu);
        nb__peerq *q = peerq_for(ms, job->c);
        assert(q && q->running > 0); /* it counts this body */
        q->running--;
        peerq_tidy(ms, q);
        nb__job *next = next_waiting(ms);
        if (!next)
            ms->running--;
        pthread_mutex_unlock(&ms->mu);
        job_free(job);
        ob->answered++;
        job = next;
    }
}

bool nb__workers_run_holding(nb__job *job, nb__conn *held)
{
    /* The rest of the batch goes to the jobs queue now that it has been read
     * in full: woken helpers may take some of it. */
    if (job->next) {
        push_jobs(job->next);
        job->next = NULL;
    }
    /* The reader runs its whole batch (queued behind its first job) unless
     * woken helpers take some of it; the replies leave together. */
    nb__outbox ob = {.n = 0, .held = held};
    while (job) {
        run_module(&ob, job);
        job = take_job();
    }
    outbox_flush(&ob);
    return ob.held != NULL;
}

void nb__workers_run(nb__job *job)
{
    nb__workers_run_holding(job, NULL);
}

void nb__workers_help(void)
{
    nb__outbox ob = {.n = 0};
    for (nb__job *job; (job = take_job()) != NULL;)
        run_module(&ob, job);
    outbox_flush(&ob);
}

void nb__workers_drain(void)
{
    pthread_mutex_lock(&W.mu);
    W.stopping = true;
    while (W.inflight > 0)
        pthread_cond_wait(&W.idle, &W.mu);
    pthread_mutex_unlock(&W.mu);
}
