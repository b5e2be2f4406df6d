/*
 * metrics.c — per-thread counters of calls, served requests and refusals, summed
 * on demand into the Prometheus text format or a STATS_REPLY (metrics.h,
 * docs/metrics.md).
 *
 * Lock order: R.mu is a leaf (nothing is called under it but malloc). It
 * guards the list of shards and their `owned` flags; a shard's counters are
 * written only by the thread that owns it, without any lock.
 */
#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "metrics.h"

const double nb__metrics_bounds[NB__METRICS_BOUNDS] = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,     0.1,     0.25,   0.5,     1,      2.5,   5,      10,    30};

#define BUCKETS (NB__METRICS_BOUNDS + 1)

/* The same bounds in nanoseconds, for the hooks. */
static const int64_t bounds_ns[NB__METRICS_BOUNDS] = {
    10000,     25000,     50000,     100000,    250000,     500000,     1000000,
    2500000,   5000000,   10000000,  25000000,  50000000,   100000000,  250000000,
    500000000, 1000000000, 2500000000, 5000000000, 10000000000, 30000000000};

/* The counters of one method in a shard, as offsets into its cells. */
enum {
    C_CALLS = 0,                                      /* [target][code] */
    C_CALL_HIST = C_CALLS + NB__MT_COUNT * NB__CODE_COUNT, /* [target][bucket] */
    C_CALL_SUM = C_CALL_HIST + NB__MT_COUNT * BUCKETS, /* [target], ns */
    C_SERVED = C_CALL_SUM + NB__MT_COUNT,             /* [code] */
    C_SERVE_HIST = C_SERVED + NB__CODE_COUNT,         /* [bucket] */
    C_SERVE_SUM = C_SERVE_HIST + BUCKETS,             /* ns */
    C_PER_METHOD
};

/* Reasons a refusal is counted under (label `reason`): a closed set, so a
 * peer's text never becomes a label. */
static const char *const reasons[] = {"cookie",   "fingerprint", "version", "certificate",
                                      "transport", "malformed",  "name",    "other"};
#define N_REASONS (sizeof reasons / sizeof reasons[0])

typedef struct shard {
    struct shard *next; /* R.all; set before the shard is published, then constant */
    bool owned;         /* under R.mu: a live thread adds to it */
    _Atomic uint64_t cells[];
} shard;

typedef struct mslot {
    const nb__method *m;
    size_t idx;
} mslot;

static struct {
    pthread_once_t once;
    pthread_mutex_t mu;  /* all, every shard's owned flag */
    const nb__cluster_def *def;
    mslot *slots;        /* def->methods sorted by address, for the hooks' lookup */
    size_t n_methods;
    shard *all;
    pthread_key_t key;   /* its destructor hands a dying thread's shard back */
    /* Refusals per peer row (configured nodes, then "unconfigured", then
     * "unknown") and reason; rare, so shared atomics. */
    _Atomic uint64_t *refusals;
    atomic_bool on;
} R = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .on = true};

/* Initial-exec, as nb__tls: one instruction to reach from libnebula.so. */
static _Thread_local shard *mine NB__TLS_IE;

static int cmp_slot(const void *a, const void *b)
{
    const nb__method *x = ((const mslot *)a)->m, *y = ((const mslot *)b)->m;
    return x < y ? -1 : x > y;
}

static void release_shard(void *p)
{
    shard *s = p;
    pthread_mutex_lock(&R.mu);
    s->owned = false;
    pthread_mutex_unlock(&R.mu);
    mine = NULL;
}

/* Once per process: the registered cluster's methods, by address. Without a
 * registered cluster (or out of memory) nothing is ever counted. */
static void init_once(void)
{
    for (size_t k = 0; k < NB__METRICS_BOUNDS; k++)
        assert(bounds_ns[k] == (int64_t)(nb__metrics_bounds[k] * 1e9 + 0.5));
    const nb__cluster_def *def = nb__cluster();
    if (!def || pthread_key_create(&R.key, release_shard) != 0)
        return;
    mslot *slots = calloc(def->n_methods ? def->n_methods : 1, sizeof *slots);
    _Atomic uint64_t *refusals = calloc((def->n_nodes + 2) * N_REASONS, sizeof *refusals);
    if (!slots || !refusals) {
        free(slots);
        free(refusals);
        return;
    }
    for (size_t i = 0; i < def->n_methods; i++)
        slots[i] = (mslot){def->methods[i], i};
    qsort(slots, def->n_methods, sizeof *slots, cmp_slot);
    R.slots = slots;
    R.refusals = refusals;
    R.n_methods = def->n_methods;
    R.def = def;
}

static bool ready(void)
{
    pthread_once(&R.once, init_once);
    return R.def != NULL;
}

void nb__metrics_enable(bool on)
{
    atomic_store_explicit(&R.on, on, memory_order_relaxed);
}

bool nb__metrics_enabled(void)
{
    return atomic_load_explicit(&R.on, memory_order_relaxed);
}

int64_t nb__metrics_start(void)
{
    if (!nb__metrics_enabled())
        return 0;
    return nb__mono_ns();
}

/* Index of m in def->methods, or -1 for a method the cluster did not register. */
static long method_index(const nb__method *m)
{
    size_t lo = 0, hi = R.n_methods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (R.slots[mid].m < m)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < R.n_methods && R.slots[lo].m == m ? (long)R.slots[lo].idx : -1;
}

/* This thread's shard: a free one if any (its counts are kept and added to),
 * else a new one. NULL when out of memory. */
static shard *my_shard(void)
{
    if (NB__LIKELY(mine != NULL))
        return mine;
    if (!ready())
        return NULL;
    pthread_mutex_lock(&R.mu);
    shard *s = R.all;
    while (s && s->owned)
        s = s->next;
    if (!s) {
        size_t cells = R.n_methods * C_PER_METHOD;
        s = calloc(1, sizeof *s + (cells ? cells : 1) * sizeof s->cells[0]);
        if (s) {
            s->next = R.all;
            R.all = s;
        }
    }
    if (s)
        s->owned = true;
    pthread_mutex_unlock(&R.mu);
    if (s) {
        pthread_setspecific(R.key, s);
        mine = s;
    }
    return s;
}

/* Only the owner writes a cell: a load and a store, no locked instruction. */
static inline void add(_Atomic uint64_t *cell, uint64_t v)
{
    atomic_store_explicit(cell, atomic_load_explicit(cell, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t get(const _Atomic uint64_t *cell)
{
    return atomic_load_explicit(cell, memory_order_relaxed);
}

static size_t bucket_of(int64_t ns)
{
    size_t b = 0;
    while (b < NB__METRICS_BOUNDS && ns > bounds_ns[b])
        b++;
    return b;
}

/* The counters of m in this thread's shard, or NULL when m is not counted. */
static _Atomic uint64_t *cells_of(const nb__method *m)
{
    shard *s = my_shard();
    long i = s ? method_index(m) : -1;
    return i < 0 ? NULL : &s->cells[(size_t)i * C_PER_METHOD];
}

void nb__metrics_call(const nb__method *m, nb__mtarget target, nb_code code, int64_t t0)
{
    if (t0 == 0 || (unsigned)code >= NB__CODE_COUNT)
        return;
    int64_t ns = nb__metrics_start() - t0;
    _Atomic uint64_t *c = cells_of(m);
    if (!c)
        return;
    add(&c[C_CALLS + target * NB__CODE_COUNT + code], 1);
    add(&c[C_CALL_HIST + target * BUCKETS + bucket_of(ns)], 1);
    add(&c[C_CALL_SUM + target], ns > 0 ? (uint64_t)ns : 0);
}

void nb__metrics_call_end(const nb__method *m, nb__mtarget target, int64_t t0)
{
    nb__metrics_call(m, target, nb_last_code(), t0);
}

void nb__metrics_served(const nb__method *m, nb_code code)
{
    if (!m || !nb__metrics_enabled() || (unsigned)code >= NB__CODE_COUNT)
        return;
    _Atomic uint64_t *c = cells_of(m);
    if (c)
        add(&c[C_SERVED + code], 1);
}

void nb__metrics_serve_time(const nb__method *m, int64_t t0)
{
    if (t0 == 0 || !nb__metrics_enabled())
        return;
    int64_t ns = nb__metrics_start() - t0;
    _Atomic uint64_t *c = cells_of(m);
    if (!c)
        return;
    add(&c[C_SERVE_HIST + bucket_of(ns)], 1);
    add(&c[C_SERVE_SUM], ns > 0 ? (uint64_t)ns : 0);
}

/* The reason label for a refusal's text (ours, or the peer's escaped). The
 * order matters: a wrong cookie's sentence may also mention the transport. */
static size_t classify(const char *why)
{
    static const struct {
        const char *needle;
        size_t reason;
    } rules[] = {
        {"cookie", 0},        {"fingerprint", 1},  {"protocol version", 2}, {"TLS 1.3", 2},
        {"certificate", 3},   {"transport", 4},    {"TLS", 4},              {"malformed", 5},
        {"name", 6},          {"expected ", 6},    {"not in the topology", 6},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strstr(why, rules[i].needle))
            return rules[i].reason;
    return N_REASONS - 1;
}

void nb__metrics_refusal(const char *peer, const char *why)
{
    if (!nb__metrics_enabled() || !ready() || !why)
        return;
    /* A connection that merely broke is no refusal (the peer died, a reset):
     * only a peer that answered something we or it could not accept is. */
    if ((strstr(why, "connection failed") || strstr(why, "closed the connection")) &&
        !strstr(why, "without answering"))
        return;
    size_t row = R.def->n_nodes + 1; /* unknown: it never said who it is */
    if (peer) {
        row = R.def->n_nodes;        /* a name the topology does not configure */
        for (size_t i = 0; i < R.def->n_nodes; i++)
            if (strcmp(R.def->nodes[i].name, peer) == 0)
                row = i;
    }
    atomic_fetch_add_explicit(&R.refusals[row * N_REASONS + classify(why)], 1,
                              memory_order_relaxed);
}

/* --- Reading ------------------------------------------------------------- */

/* The sum over every shard of one method's counters. */
static void sum_method(size_t i, uint64_t out[C_PER_METHOD])
{
    memset(out, 0, C_PER_METHOD * sizeof out[0]);
    pthread_mutex_lock(&R.mu);
    for (const shard *s = R.all; s; s = s->next)
        for (size_t k = 0; k < C_PER_METHOD; k++)
            out[k] += get(&s->cells[i * C_PER_METHOD + k]);
    pthread_mutex_unlock(&R.mu);
}

/* A growing text buffer; on failure `data` is freed and set to NULL and every
 * later append does nothing. */
typedef struct obuf {
    char *data;
    size_t len, cap;
} obuf;

static void put(obuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(obuf *b, const char *fmt, ...)
{
    if (!b->data)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            free(b->data);
            b->data = NULL;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        char *d = realloc(b->data, b->cap * 2 + (size_t)n);
        if (!d) {
            free(b->data);
            b->data = NULL;
            return;
        }
        b->data = d;
        b->cap = b->cap * 2 + (size_t)n;
    }
}

/* A label value, escaped as the text format wants (\\, \" and \n). */
static void put_label(obuf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            put(b, "\\%c", *s);
        else if (*s == '\n')
            put(b, "\\n");
        else
            put(b, "%c", *s);
    }
}

static void put_header(obuf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram series: cumulative buckets, _sum and _count. labels is the
 * text inside the braces before le ("api=\"x\",target=\"remote\""). */
static void put_histogram(obuf *b, const char *name, const char *labels, const uint64_t *hist,
                          uint64_t sum_ns)
{
    uint64_t cum = 0;
    for (size_t k = 0; k < BUCKETS; k++) {
        cum += hist[k];
        if (k < NB__METRICS_BOUNDS)
            put(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, nb__metrics_bounds[k],
                (unsigned long long)cum);
        else
            put(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)cum);
    }
    put(b, "%s_sum{%s} %.9f\n", name, labels, (double)sum_ns / 1e9);
    put(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
}

static uint64_t total(const uint64_t *v, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += v[i];
    return t;
}

static const char *const target_names[NB__MT_COUNT] = {"remote", "multicast"};

/* Whether an API's series are shown: every API this node serves or may call
 * shows its NB_OK series from the start (at zero), the rest once counted. */
static bool shows_calls(const uint64_t *c, nb__mtarget t)
{
    return t == NB__MT_REMOTE || total(&c[C_CALLS + t * NB__CODE_COUNT], NB__CODE_COUNT) > 0;
}

static void render_calls(obuf *b, uint64_t (*sums)[C_PER_METHOD])
{
    put_header(b, "nebula_calls_total", "counter",
               "Calls this node made to other nodes (resolved-local calls are not counted).");
    for (size_t i = 0; i < R.n_methods; i++)
        for (int t = 0; t < NB__MT_COUNT; t++) {
            const uint64_t *c = sums[i];
            if (!shows_calls(c, t))
                continue;
            for (int code = 0; code < NB__CODE_COUNT; code++) {
                uint64_t n = c[C_CALLS + t * NB__CODE_COUNT + code];
                if (n == 0 && code != NB_OK)
                    continue;
                put(b, "nebula_calls_total{api=\"");
                put_label(b, R.def->methods[i]->name);
                put(b, "\",code=\"%s\",target=\"%s\"} %llu\n", nb_code_name(code),
                    target_names[t], (unsigned long long)n);
            }
        }
    put_header(b, "nebula_call_duration_seconds", "histogram",
               "Duration of the calls counted by nebula_calls_total, as the caller saw it.");
    for (size_t i = 0; i < R.n_methods; i++)
        for (int t = 0; t < NB__MT_COUNT; t++) {
            const uint64_t *c = sums[i];
            if (!shows_calls(c, t))
                continue;
            obuf l = {malloc(128), 0, 128};
            put(&l, "api=\"");
            put_label(&l, R.def->methods[i]->name);
            put(&l, "\",target=\"%s\"", target_names[t]);
            if (!l.data) {
                free(b->data);
                b->data = NULL;
                return;
            }
            put_histogram(b, "nebula_call_duration_seconds", l.data,
                          &c[C_CALL_HIST + t * BUCKETS], c[C_CALL_SUM + t]);
            free(l.data);
        }
}

static void render_served(obuf *b, uint64_t (*sums)[C_PER_METHOD])
{
    put_header(b, "nebula_served_total", "counter",
               "Requests from other nodes this node answered, by outcome.");
    for (size_t i = 0; i < R.n_methods; i++) {
        const uint64_t *c = sums[i];
        bool serves = nb__serves_locally(R.def->methods[i]);
        for (int code = 0; code < NB__CODE_COUNT; code++) {
            uint64_t n = c[C_SERVED + code];
            if (n == 0 && !(serves && code == NB_OK))
                continue;
            put(b, "nebula_served_total{api=\"");
            put_label(b, R.def->methods[i]->name);
            put(b, "\",code=\"%s\"} %llu\n", nb_code_name(code), (unsigned long long)n);
        }
    }
    put_header(b, "nebula_serve_duration_seconds", "histogram",
               "Time from the start of a served body to its reply being queued.");
    for (size_t i = 0; i < R.n_methods; i++) {
        const uint64_t *c = sums[i];
        if (!nb__serves_locally(R.def->methods[i]) && total(&c[C_SERVE_HIST], BUCKETS) == 0)
            continue;
        obuf l = {malloc(128), 0, 128};
        put(&l, "api=\"");
        put_label(&l, R.def->methods[i]->name);
        put(&l, "\"");
        if (!l.data) {
            free(b->data);
            b->data = NULL;
            return;
        }
        put_histogram(b, "nebula_serve_duration_seconds", l.data, &c[C_SERVE_HIST],
                      c[C_SERVE_SUM]);
        free(l.data);
    }
}

static const char *peer_row_name(size_t row)
{
    if (row < R.def->n_nodes)
        return R.def->nodes[row].name;
    return row == R.def->n_nodes ? "unconfigured" : "unknown";
}

static void render_peers(obuf *b, nb__metrics_peer_up_fn peer_up)
{
    const char *self = nb__cfg.self_name;
    put_header(b, "nebula_peer_up", "gauge",
               "1 while a connection to the configured node is up, else 0.");
    for (size_t i = 0; i < R.def->n_nodes; i++) {
        if (self && strcmp(R.def->nodes[i].name, self) == 0)
            continue;
        put(b, "nebula_peer_up{peer=\"");
        put_label(b, R.def->nodes[i].name);
        put(b, "\"} %d\n", peer_up && peer_up((int)i) ? 1 : 0);
    }
    put_header(b, "nebula_peer_refusals_total", "counter",
               "Connections that ended in a refusal, ours or the peer's, by peer and reason.");
    for (size_t row = 0; row < R.def->n_nodes + 2; row++)
        for (size_t r = 0; r < N_REASONS; r++) {
            uint64_t n = atomic_load_explicit(&R.refusals[row * N_REASONS + r],
                                              memory_order_relaxed);
            if (n == 0)
                continue;
            put(b, "nebula_peer_refusals_total{peer=\"");
            put_label(b, peer_row_name(row));
            put(b, "\",reason=\"%s\"} %llu\n", reasons[r], (unsigned long long)n);
        }
}

char *nb__metrics_render(nb__metrics_peer_up_fn peer_up, size_t *len)
{
    *len = 0;
    obuf b = {malloc(16384), 0, 16384};
    if (!b.data || !ready()) {
        free(b.data);
        return NULL;
    }
    uint64_t(*sums)[C_PER_METHOD] = calloc(R.n_methods ? R.n_methods : 1, sizeof *sums);
    if (!sums) {
        free(b.data);
        return NULL;
    }
    for (size_t i = 0; i < R.n_methods; i++)
        sum_method(i, sums[i]);
    put_header(&b, "nebula_build_info", "gauge", "Always 1: the node, its libnebula and its "
               "topology fingerprint.");
    put(&b, "nebula_build_info{node=\"");
    put_label(&b, nb__cfg.self_name ? nb__cfg.self_name : R.def->self_name);
    put(&b, "\",version=\"%s\",fingerprint=\"", NB_VERSION);
    put_label(&b, R.def->fingerprint);
    put(&b, "\"} 1\n");
    render_calls(&b, sums);
    render_served(&b, sums);
    render_peers(&b, peer_up);
    free(sums);
    if (b.data)
        *len = b.len;
    return b.data;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void pack_hist(msgpack_packer *pk, const uint64_t *hist)
{
    msgpack_pack_array(pk, BUCKETS);
    for (size_t k = 0; k < BUCKETS; k++)
        msgpack_pack_uint64(pk, hist[k]);
}

void nb__metrics_pack(msgpack_packer *pk)
{
    bool ok = ready();
    size_t n = ok ? R.n_methods : 0, shown = 0;
    uint64_t(*sums)[C_PER_METHOD] = calloc(n ? n : 1, sizeof *sums);
    if (!sums)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        sum_method(i, sums[i]);
        uint64_t *c = sums[i];
        /* Both targets fold into one row: the CLI shows calls per API. */
        for (size_t k = 0; k < NB__CODE_COUNT; k++)
            c[C_CALLS + k] += c[C_CALLS + NB__CODE_COUNT + k];
        for (size_t k = 0; k < BUCKETS; k++)
            c[C_CALL_HIST + k] += c[C_CALL_HIST + BUCKETS + k];
        c[C_CALL_SUM] += c[C_CALL_SUM + 1];
        if (total(&c[C_CALLS], NB__CODE_COUNT) + total(&c[C_SERVED], NB__CODE_COUNT) > 0)
            shown++;
    }
    msgpack_pack_array(pk, 5);
    pack_str(pk, nb__cfg.self_name ? nb__cfg.self_name : "");
    pack_str(pk, NB_VERSION);
    pack_str(pk, ok ? R.def->fingerprint : "");
    msgpack_pack_array(pk, NB__METRICS_BOUNDS);
    for (size_t k = 0; k < NB__METRICS_BOUNDS; k++)
        msgpack_pack_double(pk, nb__metrics_bounds[k]);
    msgpack_pack_array(pk, (uint32_t)shown);
    for (size_t i = 0; i < n; i++) {
        const uint64_t *c = sums[i];
        uint64_t calls = total(&c[C_CALLS], NB__CODE_COUNT);
        uint64_t served = total(&c[C_SERVED], NB__CODE_COUNT);
        if (calls + served == 0)
            continue;
        msgpack_pack_array(pk, 9);
        pack_str(pk, R.def->methods[i]->name);
        msgpack_pack_uint64(pk, calls);
        msgpack_pack_uint64(pk, calls - c[C_CALLS + NB_OK]);
        pack_hist(pk, &c[C_CALL_HIST]);
        msgpack_pack_uint64(pk, c[C_CALL_SUM]);
        msgpack_pack_uint64(pk, served);
        msgpack_pack_uint64(pk, served - c[C_SERVED + NB_OK]);
        pack_hist(pk, &c[C_SERVE_HIST]);
        msgpack_pack_uint64(pk, c[C_SERVE_SUM]);
    }
    free(sums);
}
