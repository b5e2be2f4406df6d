/*
 * nodeinfo.c — runtime snapshots of every configured node: this node measures
 * itself from /proc (memory, threads), sysconf and getloadavg; peers' snapshots
 * arrive in INFO frames.
 *
 * memory_used_mb is this process's resident set (VmRSS), memory_total_mb the
 * machine's MemTotal, and memory_percent their ratio: what a "least loaded" pick
 * wants to compare between nodes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "membership.h"
#include "nodeinfo.h"
#include "config.h"

typedef struct nb__snapshot {
    bool have;
    nb_runtime_info rt;
    char version[32];
} nb__snapshot;

/* What nb__info_snapshot hands out per node with a runtime: one allocation. */
typedef struct nb__runtime_copy {
    nb_runtime_info rt;
    char version[32];
} nb__runtime_copy;

static struct {
    pthread_mutex_t mu;
    nb__snapshot *nodes;  /* def->n_nodes entries */
    size_t n;
    nb__snapshot self;
    bool self_initial;    /* self was measured at start, before the threads ran */
} I = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Reads "Key:   value kB" from a /proc file; -1 when absent. */
static int64_t proc_value(const char *path, const char *key)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[256];
    size_t kl = strlen(key);
    int64_t v = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtoll(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

void nb__info_refresh_self(void)
{
    nb__snapshot s = {.have = true};
    int64_t rss_kb = proc_value("/proc/self/status", "VmRSS");
    int64_t total_kb = proc_value("/proc/meminfo", "MemTotal");
    s.rt.memory_used_mb = rss_kb > 0 ? rss_kb / 1024 : 0;
    s.rt.memory_total_mb = total_kb > 0 ? total_kb / 1024 : 0;
    s.rt.memory_percent = total_kb > 0 && rss_kb > 0 ? 100.0 * (double)rss_kb / (double)total_kb : 0;
    int64_t threads = proc_value("/proc/self/status", "Threads");
    s.rt.threads = threads > 0 ? (int)threads : 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    s.rt.cpus = cpus > 0 ? (int)cpus : 1;
    snprintf(s.version, sizeof s.version, "%s", NB_VERSION);
    s.rt.uptime_seconds = (nb__mono_ms() - nb__cfg.started_mono_ms) / 1000;
    double load[1] = {0};
    if (getloadavg(load, 1) == 1)
        s.rt.load1 = load[0];
    pthread_mutex_lock(&I.mu);
    I.self = s;
    I.self_initial = false;
    pthread_mutex_unlock(&I.mu);
}

int nb__info_start(void)
{
    I.n = nb__cfg.def->n_nodes;
    I.nodes = calloc(I.n ? I.n : 1, sizeof *I.nodes);
    if (!I.nodes)
        return -1;
    nb__info_refresh_self();
    pthread_mutex_lock(&I.mu);
    I.self_initial = true;
    pthread_mutex_unlock(&I.mu);
    return 0;
}

void nb__info_stop(void)
{
    pthread_mutex_lock(&I.mu);
    free(I.nodes);
    I.nodes = NULL;
    I.n = 0;
    memset(&I.self, 0, sizeof I.self);
    I.self_initial = false;
    pthread_mutex_unlock(&I.mu);
}

void nb__info_send(nb__conn *c)
{
    /* The first peer to connect gets a measure of the running node, not the one
     * taken inside nb_start before its threads existed. */
    pthread_mutex_lock(&I.mu);
    bool stale = I.self_initial;
    pthread_mutex_unlock(&I.mu);
    if (stale)
        nb__info_refresh_self();
    pthread_mutex_lock(&I.mu);
    nb__snapshot s = I.self;
    pthread_mutex_unlock(&I.mu);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 8);
    msgpack_pack_int64(&pk, s.rt.memory_used_mb);
    msgpack_pack_int64(&pk, s.rt.memory_total_mb);
    msgpack_pack_double(&pk, s.rt.memory_percent);
    msgpack_pack_int(&pk, s.rt.threads);
    msgpack_pack_int(&pk, s.rt.cpus);
    msgpack_pack_str_with_body(&pk, s.version, strlen(s.version));
    msgpack_pack_int64(&pk, s.rt.uptime_seconds);
    msgpack_pack_double(&pk, s.rt.load1);
    nb__frame_end(&sb, NB__F_INFO, 0);
    nb__conn_send(c, &sb);
}

static bool get_int(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *v = (int64_t)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = o->via.i64;
    else
        return false;
    return true;
}

static bool get_double(const msgpack_object *o, double *v)
{
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32)
        return false;
    *v = o->via.f64;
    return true;
}

/* Decodes an INFO payload; false when malformed (the snapshot is then ignored). */
static bool parse_info(const msgpack_object *o, nb__snapshot *s)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 8)
        return false;
    const msgpack_object *f = o->via.array.ptr;
    int64_t threads, cpus;
    if (!get_int(&f[0], &s->rt.memory_used_mb) || !get_int(&f[1], &s->rt.memory_total_mb) ||
        !get_double(&f[2], &s->rt.memory_percent) || !get_int(&f[3], &threads) ||
        !get_int(&f[4], &cpus) || f[5].type != MSGPACK_OBJECT_STR ||
        !get_int(&f[6], &s->rt.uptime_seconds) || !get_double(&f[7], &s->rt.load1))
        return false;
    s->rt.threads = (int)threads;
    s->rt.cpus = (int)cpus;
    size_t vl = f[5].via.str.size < sizeof s->version - 1 ? f[5].via.str.size : sizeof s->version - 1;
    if (vl > 0) /* an empty string's pointer may be NULL */
        memcpy(s->version, f[5].via.str.ptr, vl);
    s->version[vl] = '\0';
    s->have = true;
    return true;
}

void nb__info_on_frame(nb__conn *c, const unsigned char *payload, size_t len)
{
    if (c->peer_index < 0)
        return;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    nb__snapshot s = {0};
    bool ok = nb__unpack_peer(&up, payload, len) == 0 && parse_info(&up.data, &s);
    msgpack_unpacked_destroy(&up);
    if (!ok)
        return;
    pthread_mutex_lock(&I.mu);
    if ((size_t)c->peer_index < I.n)
        I.nodes[c->peer_index] = s;
    pthread_mutex_unlock(&I.mu);
}

void nb__info_forget(int idx)
{
    pthread_mutex_lock(&I.mu);
    if (idx >= 0 && (size_t)idx < I.n)
        I.nodes[idx].have = false;
    pthread_mutex_unlock(&I.mu);
}

/* A heap copy of a snapshot's runtime, or NULL when there is none. */
static const nb_runtime_info *copy_runtime(const nb__snapshot *s)
{
    if (!s->have)
        return NULL;
    nb__runtime_copy *rc = malloc(sizeof *rc);
    if (!rc)
        return NULL;
    rc->rt = s->rt;
    memcpy(rc->version, s->version, sizeof rc->version);
    rc->rt.version = rc->version;
    return &rc->rt;
}

// Returns an array owned by the caller (nb_nodes_info_free).
nb_node_info *nb__info_snapshot(size_t *n)
{
    const nb__cluster_def *def = nb__cfg.def;
    *n = 0;
    if (!def || !I.nodes)
        return NULL;
    nb_node_info *info = calloc(def->n_nodes ? def->n_nodes : 1, sizeof *info);
    if (!info)
        return NULL;
    for (size_t i = 0; i < def->n_nodes; i++) {
        const nb__node_def *d = &def->nodes[i];
        nb_node_info *e = &info[i];
        e->short_name = d->short_name;
        e->long_name = d->name;
        e->host = d->host;
        e->tags = d->tags;
        e->n_tags = d->n_tags;
        bool self = (int)i == nb__cfg.self_index;
        if (self) {
            e->connected = true;
            e->last_seen_at_ms = nb__unix_ms();
        } else {
            nb__members_status((int)i, &e->connected, &e->last_seen_at_ms);
        }
        pthread_mutex_lock(&I.mu);
        e->runtime = copy_runtime(self ? &I.self : &I.nodes[i]);
        pthread_mutex_unlock(&I.mu);
    }
    *n = def->n_nodes;
    return info;
}

// Returns an array owned by the caller (nb_nodes_info_free).
nb_node_info *nb_nodes_info(size_t *n)
{
    size_t dummy;
    if (!n)
        n = &dummy;
    *n = 0;
    if (!nb__lease_enter())
        return NULL;
    nb_node_info *info = nb__info_snapshot(n);
    nb__lease_leave();
    return info;
}

void nb_nodes_info_free(nb_node_info *info, size_t n)
{
    if (!info)
        return;
    for (size_t i = 0; i < n; i++)
        free((void *)info[i].runtime);
    free(info);
}
