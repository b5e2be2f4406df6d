/*
 * lifecycle.c — nb_start, nb_stop, nb_await and the boot policy (SPEC.md section 7).
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
 * configured node listens on every interface at its topology port; a generic
 * node listens only when told to.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "membership.h"
#include "nodeinfo.h"
#include "router.h"
#include "runtime.h"
#include "status.h"
#include "transport.h"
#include "workers.h"

nb__config nb__cfg;

static const nb__cluster_def *registered;

enum { STOPPED = 0, STARTING, RUNNING, STOPPING };

static struct {
    pthread_mutex_t mu;       /* serializes nb_start / nb_stop */
    atomic_int state;
    atomic_int leases;
    atomic_bool generic;
    char self_name[256];      /* what nb_self_node returns */
} LC = {.mu = PTHREAD_MUTEX_INITIALIZER, .self_name = "nonode@nohost"};

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

int64_t nb__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nb__unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool nb__is_running(void)
{
    return atomic_load(&LC.state) == RUNNING;
}

bool nb__is_generic(void)
{
    return atomic_load_explicit(&LC.generic, memory_order_relaxed);
}

bool nb__lease_enter(void)
{
    atomic_fetch_add(&LC.leases, 1);
    if (atomic_load(&LC.state) == RUNNING)
        return true;
    atomic_fetch_sub(&LC.leases, 1);
    return false;
}

void nb__lease_leave(void)
{
    atomic_fetch_sub(&LC.leases, 1);
}

const char *nb_self_node(void)
{
    return LC.self_name;
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

/* The listening address as the policy in the header comment says. */
static char *listen_address(const nb__cluster_def *def, const nb_options *opts)
{
    const char *l = opts && opts->listen ? opts->listen : getenv("NEBULA_LISTEN");
    if (l && *l)
        return strdup(l);
    char *a = address_override(nb__cfg.self_name);
    if (a || nb__cfg.self_index < 0)
        return a;
    const nb__node_def *n = &def->nodes[nb__cfg.self_index];
    int port = n->port > 0 ? n->port : def->port;
    const char *colon = n->address ? strrchr(n->address, ':') : NULL;
    if (colon)
        port = atoi(colon + 1);
    char buf[32];
    snprintf(buf, sizeof buf, "0.0.0.0:%d", port);
    return strdup(buf);
}

static void config_free(void)
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
    memset(&nb__cfg, 0, sizeof nb__cfg);
}

static int configure(const nb__cluster_def *def, const nb_options *opts)
{
    memset(&nb__cfg, 0, sizeof nb__cfg);
    nb__cfg.def = def;
    if (choose_identity(def, opts) < 0)
        return -1;
    if (nb__cookie_load(opts ? opts->cookie : NULL, &nb__cfg.cookie, &nb__cfg.cookie_len) < 0)
        return -1;
    nb__cfg.dial_addr = calloc(def->n_nodes + 1, sizeof *nb__cfg.dial_addr);
    if (!nb__cfg.dial_addr)
        return -1;
    for (size_t i = 0; i < def->n_nodes; i++)
        nb__cfg.dial_addr[i] = node_address(def, i);
    nb__cfg.listen_addr = listen_address(def, opts);
    nb__cfg.heartbeat_ms = def->heartbeat_interval_ms > 0 ? def->heartbeat_interval_ms : 500;
    nb__cfg.refresh_ms =
        def->nodes_info_refresh_interval_ms > 0 ? def->nodes_info_refresh_interval_ms : 5000;
    nb__cfg.max_frame = NB__FRAME_DEFAULT_MAX;
    nb__random_bytes(&nb__cfg.boot_id, sizeof nb__cfg.boot_id);
    nb__cfg.registered_at_ms = nb__unix_ms();
    nb__cfg.started_mono_ms = nb__mono_ms();
    return 0;
}

/* Stops the threads and frees what nb_start set up; leaves the state STOPPED. */
static void tear_down(void)
{
    nb__loop_stop();
    nb__members_stop();
    nb__info_stop();
    nb__workers_stop();
    config_free();
    atomic_store(&LC.generic, false);
    atomic_store(&LC.state, STOPPED);
}

/* Undoes what a failed nb_start set up, keeping the failure's code and message. */
static void start_failed(void)
{
    nb_code saved = nb_last_code();
    char msg[512];
    snprintf(msg, sizeof msg, "%s", nb_last_message());
    tear_down();
    snprintf(LC.self_name, sizeof LC.self_name, "nonode@nohost");
    nb__fail(saved, "%s", msg);
}

int nb_start(const nb_options *opts)
{
    const nb__cluster_def *def = registered;
    pthread_mutex_lock(&LC.mu);
    if (atomic_load(&LC.state) != STOPPED || !def) {
        pthread_mutex_unlock(&LC.mu);
        nb__fail(NB_E_CONFIG, def ? "nb_start: already started" :
                 "nb_start: no cluster registered (was this executable built by nebulac?)");
        return -1;
    }
    atomic_store(&LC.state, STARTING);
    nb__log_init(opts ? opts->log_level : 0);
    if (configure(def, opts) < 0) {
        if (nb_last_code() == NB_OK)
            nb__fail(NB_E_SYSTEM, "nb_start: out of memory");
        start_failed();
        pthread_mutex_unlock(&LC.mu);
        return -1;
    }
    atomic_store(&LC.generic, nb__cfg.generic);
    nb__log_set_node(nb__cfg.self_name);
    /* Before any thread starts: bodies on loop threads read it (nb_self_node). */
    snprintf(LC.self_name, sizeof LC.self_name, "%s", nb__cfg.self_name);
    if (nb__workers_start() < 0 || nb__members_start() < 0 || nb__info_start() < 0) {
        nb__fail(NB_E_SYSTEM, "nb_start: out of memory");
        start_failed();
        pthread_mutex_unlock(&LC.mu);
        return -1;
    }
    if (nb__loop_start() < 0) {
        start_failed();
        pthread_mutex_unlock(&LC.mu);
        return -1;
    }
    atomic_store(&LC.state, RUNNING);
    nb__log(NB__LOG_INFO, "started as %s%s, listening on %s", nb__cfg.self_name,
            nb__cfg.generic ? " (generic)" : "", nb__cfg.listen_addr ? nb__cfg.listen_addr : "-");
    pthread_mutex_unlock(&LC.mu);
    nb__set_code(NB_OK);
    return 0;
}

/* Must not be called from a method body: it waits for every body to finish. */
void nb_stop(void)
{
    if (nb__in_served_body) {
        nb__log(NB__LOG_ERROR, "nb_stop() called from an API body: ignored (it would wait for "
                               "that very body to finish); call it from the program's own thread");
        return;
    }
    pthread_mutex_lock(&LC.mu);
    if (atomic_load(&LC.state) != RUNNING) {
        pthread_mutex_unlock(&LC.mu);
        return;
    }
    atomic_store(&LC.state, STOPPING);
    /* Peers stop routing to us first; then what we serve finishes; then the calls
     * we still wait on fail, and nothing is left to use the connections. */
    nb__members_wake_waiters();
    nb__members_say_goodbye();
    nb__loop_stop_listening();
    nb__members_stop_dialing();
    nb__workers_drain();
    nb__conn_close_all("this node is stopping (nb_stop)");
    while (atomic_load(&LC.leases) > 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    tear_down();
    snprintf(LC.self_name, sizeof LC.self_name, "nonode@nohost"); /* threads are joined */
    pthread_mutex_unlock(&LC.mu);
}

int nb_await(const char *selector, int timeout_ms)
{
    if (!nb__lease_enter()) {
        nb__fail(NB_E_NOT_STARTED, "nb_await before nb_start()");
        return -1;
    }
    nb__selector sel;
    int rc = -1;
    if (nb__parse_selector(selector ? selector : "", &sel) == 0) {
        int64_t deadline = timeout_ms < 0 ? -1 : nb__mono_ms() + timeout_ms;
        for (;;) {
            uint64_t seen = nb__members_generation();
            if (atomic_load(&LC.state) != RUNNING) {
                nb__fail(NB_E_NOT_STARTED, "nb_await: the node is stopping");
                break;
            }
            if (nb__members_any_up(&sel)) {
                rc = 0;
                nb__set_code(NB_OK);
                break;
            }
            if (deadline >= 0 && nb__mono_ms() >= deadline) {
                nb__fail(NB_E_TIMEOUT, "nb_await: no node matching \"%s\" connected within %d ms",
                         selector ? selector : "", timeout_ms);
                break;
            }
            nb__members_wait_change(seen, deadline);
        }
        nb__sel_free(&sel);
    }
    nb__lease_leave();
    return rc;
}
