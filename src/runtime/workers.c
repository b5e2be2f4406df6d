/*
 * workers.c — admission, queueing and execution of served requests; see
 * workers.h for the contract.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "runtime.h"
#include "workers.h"

#define DEFAULT_MAX_CONCURRENT 64

/* One module (source file) on the serving side. */
typedef struct nb__modstate {
    const nb__module *module;
    pthread_mutex_t mu;
    int max;
    int running;
    int queued;
    struct nb__job *qhead, *qtail;
} nb__modstate;

typedef struct nb__served {
    uint64_t wire_id;
    const nb__method *m;
    nb__modstate *ms;
} nb__served;

typedef struct nb__job {
    struct nb__job *next;
    nb__conn *c;                 /* referenced */
    uint64_t id;
    const nb__served *sv;
    unsigned char *buf;          /* the REQUEST payload, which `up` points into */
    msgpack_unpacked up;
    const msgpack_object *args;
    int64_t deadline_ms;
} nb__job;

static struct {
    nb__served *served;
    size_t n_served;
    nb__modstate *mods;
    size_t n_mods;
    pthread_mutex_t mu;          /* jobs queue, inflight, stopping */
    pthread_cond_t idle;
    nb__job *head, *tail;
    size_t inflight;             /* admitted or queued, not yet answered */
    bool stopping;
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

int nb__workers_start(void)
{
    const nb__cluster_def *def = nb__cfg.def;
    W.stopping = false;
    W.inflight = 0;
    W.served = calloc(def->n_methods + 1, sizeof *W.served);
    W.mods = calloc(def->n_methods + 1, sizeof *W.mods);
    if (!W.served || !W.mods)
        return -1;
    for (size_t i = 0; i < def->n_methods; i++) {
        const nb__method *m = def->methods[i];
        if (!nb__serves_locally(m))
            continue;
        W.served[W.n_served++] = (nb__served){m->wire_id, m, modstate_for(m)};
    }
    qsort(W.served, W.n_served, sizeof *W.served, compare_served);
    return 0;
}

void nb__workers_stop(void)
{
    for (size_t i = 0; i < W.n_mods; i++)
        pthread_mutex_destroy(&W.mods[i].mu);
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

static const nb__served *find_served(uint64_t wire_id)
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

/* Sends REPLY [code, value or nil, message or nil] for call `id` on c. The value
 * is packed only for NB_OK (m and ret describe it). */
static void reply(nb__conn *c, uint64_t id, nb_code code, const nb__method *m, const void *ret,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void reply(nb__conn *c, uint64_t id, nb_code code, const nb__method *m, const void *ret,
                  const char *fmt, ...)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_int(&pk, (int)code);
    if (code == NB_OK && m->ret.kind != NB__K_VOID) {
        if (nb__encode_value(&pk, &m->ret, ret) < 0) {
            msgpack_sbuffer_destroy(&sb);
            reply(c, id, NB_E_PROTOCOL, m, NULL, "%s: out of memory encoding the result", m->name);
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
        reply(c, id, NB_E_PROTOCOL, m, NULL, "%s: the result exceeds the frame limit of %zu bytes",
              m->name, nb__cfg.max_frame);
        return;
    }
    nb__conn_send(c, &sb);
}

static void job_free(nb__job *job)
{
    msgpack_unpacked_destroy(&job->up);
    free(job->buf);
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

/* Parses [wire_id, timeout_ms, args] into a job; NULL with ctx->why when
 * malformed (the connection then closes). */
static nb__job *job_parse(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                          unsigned char **owned, nb__reader_ctx *ctx)
{
    nb__job *job = calloc(1, sizeof *job);
    unsigned char *buf = *owned ? *owned : malloc(h->length ? h->length : 1);
    if (!job || !buf) {
        free(job);
        if (buf != *owned)
            free(buf);
        snprintf(ctx->why, sizeof ctx->why, "out of memory for a request");
        return NULL;
    }
    if (*owned)
        *owned = NULL;
    else
        memcpy(buf, payload, h->length);
    job->buf = buf;
    job->c = c;
    nb__conn_ref(c);
    job->id = h->call_id;
    msgpack_unpacked_init(&job->up);
    size_t off = 0;
    const msgpack_object *o = &job->up.data;
    if (msgpack_unpack_next(&job->up, (const char *)buf, h->length, &off) !=
            MSGPACK_UNPACK_SUCCESS || off != h->length || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size != 3 || o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf(ctx->why, sizeof ctx->why, "malformed request from %s", c->peer_name);
        job_free(job);
        return NULL;
    }
    uint64_t timeout = o->via.array.ptr[1].via.u64;
    job->deadline_ms = nb__mono_ms() + (timeout > INT32_MAX ? INT32_MAX : (int64_t)timeout);
    job->args = &o->via.array.ptr[2];
    job->sv = find_served(o->via.array.ptr[0].via.u64);
    return job;
}

/* Queues an admitted job for a woken loop thread. */
static void push_job(nb__job *job)
{
    pthread_mutex_lock(&W.mu);
    bool was_empty = !W.head;
    job->next = NULL;
    if (W.tail)
        W.tail->next = job;
    else
        W.head = job;
    W.tail = job;
    if (was_empty)
        nb__loop_kick_jobs();
    pthread_mutex_unlock(&W.mu);
}

// Returns a job owned by the caller (run it with nb__workers_run), or NULL.
nb__job *nb__workers_take(void)
{
    pthread_mutex_lock(&W.mu);
    nb__job *job = W.head;
    if (job) {
        W.head = job->next;
        if (!W.head) {
            W.tail = NULL;
            nb__loop_jobs_drained();
        }
    }
    pthread_mutex_unlock(&W.mu);
    return job;
}

/* Admission: true when the job may run now; otherwise it was queued or answered. */
static bool admit(nb__job *job)
{
    nb__modstate *ms = job->sv->ms;
    pthread_mutex_lock(&ms->mu);
    if (ms->running < ms->max) {
        ms->running++;
        pthread_mutex_unlock(&ms->mu);
        return true;
    }
    if (ms->queued < ms->max) {
        ms->queued++;
        job->next = NULL;
        if (ms->qtail)
            ms->qtail->next = job;
        else
            ms->qhead = job;
        ms->qtail = job;
        pthread_mutex_unlock(&ms->mu);
        return false;
    }
    pthread_mutex_unlock(&ms->mu);
    const nb__method *m = job->sv->m;
    reply(job->c, job->id, NB_E_OVERLOADED, m, NULL,
          "%s: %s is at max_concurrent_calls (%d running, %d queued)", m->name,
          nb__cfg.self_name, ms->max, ms->max);
    job_free(job);
    inflight_done();
    return false;
}

int nb__workers_on_request(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                           unsigned char **owned, nb__reader_ctx *ctx)
{
    nb__job *job = job_parse(c, h, payload, owned, ctx);
    if (!job)
        return -1;
    pthread_mutex_lock(&W.mu);
    bool stopping = W.stopping;
    if (!stopping)
        W.inflight++;
    pthread_mutex_unlock(&W.mu);
    if (stopping || !job->sv) {
        if (stopping)
            reply(c, job->id, NB_E_NODE_DOWN, NULL, NULL, "%s is leaving the cluster",
                  nb__cfg.self_name);
        else
            reply(c, job->id, NB_E_PROTOCOL, NULL, NULL,
                  "signature mismatch or not served: method %016" PRIx64 " is not served by %s",
                  job->up.data.via.array.ptr[0].via.u64, nb__cfg.self_name);
        job_free(job);
        if (!stopping)
            inflight_done();
        return 0;
    }
    if (!admit(job))
        return 0;
    if (ctx->can_run && !ctx->run_here)
        ctx->run_here = job;
    else
        push_job(job);
    return 0;
}

/* Runs one admitted job's body and answers it. */
static void run_one(nb__job *job)
{
    const nb__method *m = job->sv->m;
    if (nb__mono_ms() > job->deadline_ms) {
        reply(job->c, job->id, NB_E_TIMEOUT, m, NULL,
              "%s: the request expired on %s before it could run", m->name, nb__cfg.self_name);
        return;
    }
    void *args = calloc(1, m->args->size ? m->args->size : 1);
    void *ret = calloc(1, m->ret.size ? m->ret.size : 1);
    if (!args || !ret || nb__decode_struct(job->args, m->args, args) < 0) {
        reply(job->c, job->id, NB_E_PROTOCOL, m, NULL,
              "%s: the arguments do not decode as %s (signature mismatch?)", m->name,
              m->signature);
        free(args);
        free(ret);
        return;
    }
    nb__loop_before_body();
    /* A body does not inherit anyone's routing block. */
    const nb_call *saved = nb__tls.route;
    nb__tls.route = NULL;
    m->local(args, ret);
    nb__tls.route = saved;
    reply(job->c, job->id, NB_OK, m, ret, NULL);
    nb__value_clear(&m->ret, ret);
    nb__struct_clear(m->args, args);
    free(args);
    free(ret);
}

/* Runs one admitted job and then the module's queued ones, in turn. */
static void run_module(nb__job *job)
{
    nb__modstate *ms = job->sv->ms;
    while (job) {
        run_one(job);
        job_free(job);
        inflight_done();
        pthread_mutex_lock(&ms->mu);
        job = ms->qhead;
        if (job) {
            ms->qhead = job->next;
            if (!ms->qhead)
                ms->qtail = NULL;
            ms->queued--;
        } else {
            ms->running--;
        }
        pthread_mutex_unlock(&ms->mu);
    }
}

void nb__workers_run(nb__job *job)
{
    /* A reader that found several requests in one read queued all but the first;
     * it takes its share of them too, so short bodies rarely cost a hand-off
     * while long ones are spread over the threads the queue woke. */
    while (job) {
        run_module(job);
        job = nb__workers_take();
    }
}

void nb__workers_drain(void)
{
    pthread_mutex_lock(&W.mu);
    W.stopping = true;
    while (W.inflight > 0)
        pthread_cond_wait(&W.idle, &W.mu);
    pthread_mutex_unlock(&W.mu);
}
