/*
 * config.c — the ground floor (config.h): the registered topology, nb__cfg and
 * the boot policy that fills it, the clocks, and the run state. Includes nothing
 * of the runtime above it.
 *
 * Identity: nb_options.node, else $NEBULA_NODE, else the node the executable was
 * built as. Another name than the built one stops nb_start (NB_E_CONFIG, naming
 * both) unless NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1, which runs it as a generic
 * node: it serves nothing and calls everything remotely. A generic build always
 * runs generic.
 *
 * Addresses: a node is reached at its topology `address`, else host:port.
 * $NEBULA_ADDRESSES="name=host:port,name=host:port" overrides where named nodes
 * are reached and, for this node's own name, where it listens; $NEBULA_LISTEN (or
 * nb_options.listen) overrides only the listening address. Without an override a
 * configured node listens on its own configured address (host and port), not
 * on every interface; a generic node listens only when told to.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "cookie.h"
#include "frame.h"
#include "log.h"
#include "status.h"
#include "tls_paths.h"

nb__config nb__cfg;

static const nb__cluster_def *registered;

static struct {
    atomic_int state;         /* nb__run_state */
    atomic_int leases;
    atomic_bool generic;
    char self_name[256];      /* what nb_self_node returns */
} RS = {.self_name = "nonode@nohost"};

void nb__register_cluster(const nb__cluster_def *def)
{
    if (def->abi_version != NB__ABI_VERSION) {
        fprintf(stderr, "nebula: generated code of ABI %d, libnebula of ABI %d: rebuild\n",
                def->abi_version, NB__ABI_VERSION);
        abort();
    }
    registered = def;
}

const nb__cluster_def *nb__cluster(void)
{
    return registered;
}

int64_t nb__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t nb__mono_ms(void)
{
    return nb__mono_ns() / 1000000;
}

void nb__cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

int64_t nb__unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

nb__run_state nb__run_state_get(void)
{
    return (nb__run_state)atomic_load(&RS.state);
}

void nb__run_state_set(nb__run_state s)
{
    atomic_store(&RS.state, (int)s);
}

bool nb__is_running(void)
{
    return atomic_load(&RS.state) == NB__RUNNING;
}

bool nb__is_generic(void)
{
    return atomic_load_explicit(&RS.generic, memory_order_relaxed);
}

void nb__set_generic(bool generic)
{
    atomic_store(&RS.generic, generic);
}

bool nb__lease_enter(void)
{
    atomic_fetch_add(&RS.leases, 1);
    if (atomic_load(&RS.state) == NB__RUNNING)
        return true;
    atomic_fetch_sub(&RS.leases, 1);
    return false;
}

void nb__lease_leave(void)
{
    atomic_fetch_sub(&RS.leases, 1);
}

int nb__leases_held(void)
{
    return atomic_load(&RS.leases);
}

const char *nb_self_node(void)
{
    return RS.self_name;
}

void nb__set_self_node(const char *name)
{
    snprintf(RS.self_name, sizeof RS.self_name, "%s", name ? name : "nonode@nohost");
}

/* Chooses the running identity; returns 0 or -1 after nb__fail. */
static int choose_identity(const nb__cluster_def *def, const nb_options *opts)
{
    const char *name = opts && opts->node ? opts->node : getenv("NEBULA_NODE");
    if (!name || !*name)
        name = def->self_name;
    bool generic = def->self < 0;
    nb__log_set_node(name);
    if (!generic && strcmp(name, def->self_name) != 0) {
        const char *allow = getenv("NEBULA_ALLOW_RUNTIME_NODE_MISMATCH");
        if (!allow || strcmp(allow, "1") != 0) {
            nb__fail(NB_E_CONFIG, "this executable was built as %s but is asked to run as %s "
                     "(set NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1 to run it as a generic node)",
                     def->self_name, name);
            return -1;
        }
        nb__log(NB__LOG_WARN, "built as %s, running as %s: a generic node (serves nothing)",
                def->self_name, name);
        generic = true;
    }
    nb__cfg.self_name = strdup(name);
    nb__cfg.generic = generic;
    nb__cfg.self_index = -1;
    for (size_t i = 0; i < def->n_nodes; i++)
        if (strcmp(def->nodes[i].name, name) == 0)
            nb__cfg.self_index = (int)i;
    return nb__cfg.self_name ? 0 : -1;
}

/* The value $NEBULA_ADDRESSES gives `name`, as a heap string, or NULL. */
static char *address_override(const char *name)
{
    const char *all = getenv("NEBULA_ADDRESSES");
    size_t nl = strlen(name);
    for (const char *p = all; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        if (len > nl + 1 && strncmp(p, name, nl) == 0 && p[nl] == '=')
            return strndup(p + nl + 1, len - nl - 1);
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Where configured node i is reached, as a heap string. */
static char *node_address(const nb__cluster_def *def, size_t i)
{
    const nb__node_def *n = &def->nodes[i];
    char *a = address_override(n->name);
    if (a || n->address)
        return a ? a : strdup(n->address);
    char buf[320];
    snprintf(buf, sizeof buf, "%s:%d", n->host, n->port > 0 ? n->port : def->port);
    return strdup(buf);
}

/* The listening address as the policy in the header comment says: an explicit
 * listen address, else where this node is reached (its own configured address:
 * a node bound to every interface would answer on networks it was never meant
 * to be on). */
static char *listen_address(const nb_options *opts)
{
    const char *l = opts && opts->listen ? opts->listen : getenv("NEBULA_LISTEN");
    if (l && *l)
        return strdup(l);
    if (nb__cfg.self_index < 0)
        return address_override(nb__cfg.self_name);
    const char *own = nb__cfg.dial_addr[nb__cfg.self_index];
    return own ? strdup(own) : NULL;
}

void nb__config_free(void)
{
    if (nb__cfg.dial_addr)
        for (size_t i = 0; nb__cfg.def && i < nb__cfg.def->n_nodes; i++)
            free(nb__cfg.dial_addr[i]);
    free(nb__cfg.dial_addr);
    free(nb__cfg.listen_addr);
    free(nb__cfg.self_name);
    if (nb__cfg.cookie)
        memset(nb__cfg.cookie, 0, nb__cfg.cookie_len);
    free(nb__cfg.cookie);
    free(nb__cfg.tls_ca);
    free(nb__cfg.tls_cert);
    free(nb__cfg.tls_key);
    memset(&nb__cfg, 0, sizeof nb__cfg);
}

/* The transport and what proves a peer under it: the cluster cookie (psk, plain),
 * or this node's certificate files (mtls, where no cookie is needed). Returns 0,
 * or -1 after nb__fail. */
static int load_security(const nb__cluster_def *def, const nb_options *opts)
{
    if (def->transport < NB__TRANSPORT_PSK || def->transport > NB__TRANSPORT_PLAIN) {
        nb__fail(NB_E_CONFIG, "nb_start: unknown transport %d in the compiled topology "
                 "(nebulac and libnebula out of step?)", def->transport);
        return -1;
    }
    nb__cfg.transport = (nb__transport_kind)def->transport;
    if (nb__cfg.transport != NB__TRANSPORT_MTLS)
        return nb__cookie_load(opts ? opts->cookie : NULL, NB__COOKIE_MIN, &nb__cfg.cookie,
                               &nb__cfg.cookie_len);
    nb__cfg.tls_ca = nb__tls_path_expand(def->tls_ca, getenv("NEBULA_TLS_CA"), nb__cfg.self_name);
    nb__cfg.tls_cert =
        nb__tls_path_expand(def->tls_cert, getenv("NEBULA_TLS_CERT"), nb__cfg.self_name);
    nb__cfg.tls_key =
        nb__tls_path_expand(def->tls_key, getenv("NEBULA_TLS_KEY"), nb__cfg.self_name);
    if (!nb__cfg.tls_ca || !nb__cfg.tls_cert || !nb__cfg.tls_key) {
        nb__fail(NB_E_CONFIG, "nb_start: transport mtls needs the ca, cert and key files "
                 "(topology tls:, or $NEBULA_TLS_CA, $NEBULA_TLS_CERT, $NEBULA_TLS_KEY)");
        return -1;
    }
    return 0;
}

/* *out = $name when set (a whole number from min to max), else dflt. Returns
 * 0, or -1 after nb__fail for anything else: a limit silently left at its
 * default would be a limit the operator believes in and does not have. */
static int env_limit(const char *name, size_t dflt, size_t min, size_t max, size_t *out)
{
    const char *v = getenv(name);
    *out = dflt;
    if (!v || !*v)
        return 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || v[0] == '-' || n < min || n > max) {
        nb__fail(NB_E_CONFIG, "$%s=%s: expected a whole number from %zu to %zu", name, v, min,
                 max);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* Buffers of peer-chosen size (a frame, a queue of replies, a decoded value)
 * come and go with the peer. glibc serves blocks from 128 KiB up with mmap, so
 * they return to the system when freed, but it raises that threshold to the
 * largest such block freed (up to 32 MiB): after one large frame, every later
 * one came from the heap and stayed in the process when freed (measured: the
 * RSS a peer caused was kept after it left). A fixed mmap threshold of 1 MiB
 * keeps large blocks returnable, and a heap keeps at most 1 MiB free at its
 * top (trim threshold).
 *
 * The trim threshold is not glibc's 128 KiB: a value of tens of KiB is copied
 * into four new blocks per node per call (the frame buffer, the decoded
 * argument, the body's result, the encoded reply), and a heap trimmed after
 * each call and grown again pays a page fault per 4 KiB on every call, which
 * costs microseconds on a VM. A 64 KiB echo took 14-18 times a raw TCP round
 * trip of the same bytes with 128 KiB, 4.2 times with 1 MiB
 * (bench_routing_client, echo rows), and the hostile suite's RSS after each
 * scenario stayed as close to before. Higher thresholds (4 MiB) make a 1 MiB
 * value 3 times faster but kept up to 14 MiB more after a hostile peer left:
 * an operator who wants that sets them (docs/security.md).
 *
 * An operator's own setting (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_,
 * or a glibc tunable) is left alone. */
static void malloc_policy(void)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") ||
        (tunables && (strstr(tunables, "mmap_threshold") || strstr(tunables, "trim_threshold"))))
        return;
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
}

/* The limits on what peers can make this node hold (config.h). 0 or -1. */
static int load_limits(void)
{
    malloc_policy();
    size_t ms;
    if (env_limit("NEBULA_MAX_PENDING_CONNS", NB__DEFAULT_MAX_PENDING_CONNS, 1, 1000000,
                  &nb__cfg.max_pending_conns) < 0 ||
        env_limit("NEBULA_MAX_PENDING_PER_ADDR", NB__DEFAULT_MAX_PENDING_PER_ADDR, 1, 1000000,
                  &nb__cfg.max_pending_per_addr) < 0 ||
        env_limit("NEBULA_MAX_QUEUED_BYTES", NB__DEFAULT_MAX_QUEUED_BYTES, 1, (size_t)1 << 40,
                  &nb__cfg.max_queued_bytes) < 0 ||
        env_limit("NEBULA_FRAME_TIMEOUT_MS", NB__DEFAULT_FRAME_TIMEOUT_MS, 1, 3600000, &ms) < 0)
        return -1;
    nb__cfg.frame_timeout_ms = (int)ms;
    size_t spin;
    if (env_limit("NEBULA_SPIN_US", 0, 0, NB__MAX_SPIN_US, &spin) < 0)
        return -1;
    nb__cfg.spin_us = (int)spin;
    return 0;
}

int nb__config_load(const nb__cluster_def *def, const nb_options *opts)
{
    memset(&nb__cfg, 0, sizeof nb__cfg);
    nb__cfg.def = def;
    if (choose_identity(def, opts) < 0)
        return -1;
    if (load_security(def, opts) < 0 || load_limits() < 0)
        return -1;
    nb__cfg.dial_addr = calloc(def->n_nodes + 1, sizeof *nb__cfg.dial_addr);
    if (!nb__cfg.dial_addr)
        return -1;
    for (size_t i = 0; i < def->n_nodes; i++)
        nb__cfg.dial_addr[i] = node_address(def, i);
    nb__cfg.listen_addr = listen_address(opts);
    nb__cfg.heartbeat_ms = def->heartbeat_interval_ms > 0 ? def->heartbeat_interval_ms : 500;
    nb__cfg.refresh_ms =
        def->nodes_info_refresh_interval_ms > 0 ? def->nodes_info_refresh_interval_ms : 5000;
    nb__cfg.max_frame = NB__FRAME_DEFAULT_MAX;
    if (nb__random_bytes(&nb__cfg.boot_id, sizeof nb__cfg.boot_id) < 0) {
        nb__fail(NB_E_SYSTEM, "nb_start: no random bytes for the boot id");
        return -1;
    }
    nb__cfg.registered_at_ms = nb__unix_ms();
    nb__cfg.started_mono_ms = nb__mono_ms();
    return 0;
}
