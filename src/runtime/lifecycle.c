/*
 * lifecycle.c — the top of the runtime: nb_start, nb_stop and nb_await (docs/design.md
 * §7). It is the only file that knows every layer: it fills the ground
 * floor (config.c), makes the stream factory, and wires the layers together by
 * handing each one the callbacks of the layers above it (docs/runtime-layers.md).
 * No other file of the runtime calls into this one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "future.h"
#include "handshake.h"
#include "log.h"
#include "membership.h"
#include "metrics.h"
#include "metrics_http.h"
#include "nodeinfo.h"
#include "router.h"
#include "status.h"
#include "stream.h"
#include "transport.h"
#include "workers.h"

/* Serialises nb_start / nb_stop; the outermost lock of the runtime. */
static pthread_mutex_t lifecycle_mu = PTHREAD_MUTEX_INITIALIZER;

/* The factory of this node's streams: made by nb_start, freed by tear_down
 * (under lifecycle_mu; the connection layer borrows it in between). */
static nb__stream_factory *streams;

/* Fills the transport's settings from the configuration (config.c loaded the
 * topology's transport, and the cookie or the certificate paths it needs). */
static void security_from_config(nb__security *sec)
{
    *sec = (nb__security){
        .kind = nb__cfg.transport,
        .cookie = nb__cfg.cookie,
        .cookie_len = nb__cfg.cookie_len,
        .ca_path = nb__cfg.tls_ca,
        .cert_path = nb__cfg.tls_cert,
        .key_path = nb__cfg.tls_key,
    };
}

/* True when host (of "host:port") is a loopback address or name. */
static bool loopback_host(const char *hostport)
{
    if (!hostport)
        return true;
    return strncmp(hostport, "127.", 4) == 0 || strncmp(hostport, "localhost:", 10) == 0 ||
           strncmp(hostport, "[::1]:", 6) == 0;
}

/* Makes the stream factory; returns 0 or -1 after nb__fail. */
static int streams_start(void)
{
    nb__security sec;
    security_from_config(&sec);
    char why[512];
    if (nb__stream_factory_new(&sec, &streams, why, sizeof why) < 0) {
        nb__fail(NB_E_CONFIG, "nb_start: %s", why);
        return -1;
    }
    if (sec.kind == NB__TRANSPORT_PLAIN) {
        bool all_loopback = loopback_host(nb__cfg.listen_addr);
        for (size_t i = 0; nb__cfg.def && i < nb__cfg.def->n_nodes; i++)
            all_loopback = all_loopback && loopback_host(nb__cfg.dial_addr[i]);
        if (!all_loopback)
            nb__log(NB__LOG_WARN, "transport: plain: frames cross the network without "
                    "encryption or integrity; anyone on the path can read and change calls");
    }
    return 0;
}

/* The connection layer's callbacks: what the session above does with its events. */
static const nb__conn_hooks conn_hooks = {
    .on_frame = nb__on_frame,
    .on_secured = nb__hs_on_secured,
    .on_closed = nb__members_on_close,
    .run_job = nb__workers_run,
    .run_job_holding = nb__workers_run_holding,
};

/*
 * The membership's tick (heartbeats, silence detection, dialling, node info)
 * runs on a thread of its own, every NB__TICK_MS. On the loop's timer it waited
 * for a free loop thread: a node whose loop threads were all busy reading
 * thousands of replies sent no heartbeat for 2 s, and its peers declared it
 * down although it was working (seen under TSan with 4,096 calls in flight).
 */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    pthread_t thread;
    bool started, stop;
} ticker = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *ticker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ticker.mu);
    while (!ticker.stop) {
        pthread_mutex_unlock(&ticker.mu);
        nb__members_tick(nb__mono_ms());
        struct timespec at;
        clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_nsec += NB__TICK_MS * 1000000L;
        if (at.tv_nsec >= 1000000000L) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&ticker.mu);
        while (!ticker.stop && pthread_cond_timedwait(&ticker.cv, &ticker.mu, &at) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&ticker.mu);
    return NULL;
}

/* Returns 0, or -1 after nb__fail. */
static int ticker_start(void)
{
    nb__cond_init_monotonic(&ticker.cv);
    ticker.stop = false;
    int err = pthread_create(&ticker.thread, NULL, ticker_main, NULL);
    if (err != 0) {
        pthread_cond_destroy(&ticker.cv);
        nb__fail(NB_E_SYSTEM, "nb_start: cannot start the heartbeat thread: %s", strerror(err));
        return -1;
    }
    ticker.started = true;
    return 0;
}

static void ticker_stop(void)
{
    if (!ticker.started)
        return;
    pthread_mutex_lock(&ticker.mu);
    ticker.stop = true;
    pthread_cond_signal(&ticker.cv);
    pthread_mutex_unlock(&ticker.mu);
    pthread_join(ticker.thread, NULL);
    pthread_cond_destroy(&ticker.cv);
    ticker.started = false;
}

/* The loop's own timer is left with nothing of ours to do. */
static void loop_tick(int64_t now_ms)
{
    (void)now_ms;
}

/* The loop's callbacks. */
static const nb__loop_hooks loop_hooks = {
    .on_event = nb__conn_on_loop_event,
    .on_accept = nb__conn_on_accept,
    .on_tick = loop_tick,
    .on_jobs = nb__workers_help,
    .on_watch = nb__workers_watchdog,
};

/* For /metrics: whether configured node idx is connected. */
static bool metrics_peer_up(int idx)
{
    bool up;
    int64_t last_seen_ms;
    nb__members_status(idx, &up, &last_seen_ms);
    return up;
}

/* Counting ($NEBULA_METRICS=off turns it off) and the /metrics endpoint: at
 * $NEBULA_METRICS_LISTEN when set ("off" or "": none), else at the node's
 * metrics_listen in the topology (docs/metrics.md). Returns 0 or -1 after
 * nb__fail. */
static int metrics_start(void)
{
    const char *on = getenv("NEBULA_METRICS");
    nb__metrics_enable(!on || (strcmp(on, "off") != 0 && strcmp(on, "0") != 0));
    const char *addr = getenv("NEBULA_METRICS_LISTEN");
    const nb__cluster_def *def = nb__cfg.def;
    if (!addr && nb__cfg.self_index >= 0)
        addr = def->nodes[nb__cfg.self_index].metrics_listen;
    if (!addr || !addr[0] || strcmp(addr, "off") == 0)
        return 0;
    char why[300];
    if (nb__metrics_http_start(addr, metrics_peer_up, why, sizeof why) < 0) {
        nb__fail(NB_E_CONFIG, "nb_start: metrics_listen: %s", why);
        return -1;
    }
    nb__log(NB__LOG_INFO, "serving /metrics on %s", addr);
    return 0;
}

/* Stops the threads and frees what nb_start set up; leaves the state STOPPED. */
static void tear_down(void)
{
    nb__metrics_http_stop();
    ticker_stop();
    nb__loop_stop();
    nb__conn_layer_stop();
    nb__stream_factory_free(streams);
    streams = NULL;
    nb__members_stop();
    nb__info_stop();
    nb__workers_stop();
    nb__config_free();
    nb__set_generic(false);
    nb__run_state_set(NB__STOPPED);
}

/* Undoes what a failed nb_start set up, keeping the failure's code and message. */
static void start_failed(void)
{
    nb_code saved = nb_last_code();
    char msg[512];
    snprintf(msg, sizeof msg, "%s", nb_last_message());
    tear_down();
    nb__set_self_node(NULL);
    nb__fail(saved, "%s", msg);
}

/* One line at the default log level, so a node never starts silently: its name,
 * address, transport, and what it serves. */
static void log_started(void)
{
    static const char *const transports[] = {"psk", "mtls", "plain"};
    char served[400] = "";
    size_t off = 0, n = 0;
    const nb__cluster_def *def = nb__cfg.def;
    for (size_t i = 0; i < def->n_methods; i++) {
        if (!nb__serves_locally(def->methods[i]))
            continue;
        n++;
        if (off < sizeof served) {
            int k = snprintf(served + off, sizeof served - off, "%s%s", off ? ", " : "",
                             def->methods[i]->name);
            off += k > 0 ? (size_t)k : 0;
        }
    }
    if (off >= sizeof served)
        memcpy(served + sizeof served - 4, "...", 4);
    nb__log(NB__LOG_NOTE, "started as %s%s, listening on %s, transport %s; serves %zu API(s)%s%s",
            nb__cfg.self_name, nb__cfg.generic ? " (generic)" : "",
            nb__cfg.listen_addr ? nb__cfg.listen_addr : "nothing (does not listen)",
            transports[nb__cfg.transport], n, n ? ": " : "", served);
}

int nb_start(const nb_options *opts)
{
    const nb__cluster_def *def = nb__cluster();
    pthread_mutex_lock(&lifecycle_mu);
    if (nb__run_state_get() != NB__STOPPED || !def) {
        pthread_mutex_unlock(&lifecycle_mu);
        nb__fail(NB_E_CONFIG, def ? "nb_start: already started" :
                 "nb_start: no cluster registered (was this executable built by nebulac?)");
        return -1;
    }
    nb__run_state_set(NB__STARTING);
    nb__log_init(opts ? opts->log_level : 0);
    if (nb__config_load(def, opts) < 0) {
        if (nb_last_code() == NB_OK)
            nb__fail(NB_E_SYSTEM, "nb_start: out of memory");
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    nb__set_generic(nb__cfg.generic);
    nb__log_set_node(nb__cfg.self_name);
    /* Before any thread starts: bodies on loop threads read it (nb_self_node). */
    nb__set_self_node(nb__cfg.self_name);
    if (streams_start() < 0) {
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    if (nb__workers_start() < 0 || nb__members_start() < 0 || nb__info_start() < 0) {
        nb__fail(NB_E_SYSTEM, "nb_start: out of memory");
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    if (metrics_start() < 0) {
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    nb__conn_layer_start(&conn_hooks, streams);
    if (nb__loop_start(&loop_hooks, nb__cfg.listen_addr, nb__workers_thread_budget()) < 0) {
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    if (ticker_start() < 0) {
        start_failed();
        pthread_mutex_unlock(&lifecycle_mu);
        return -1;
    }
    nb__run_state_set(NB__RUNNING);
    log_started();
    pthread_mutex_unlock(&lifecycle_mu);
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
    pthread_mutex_lock(&lifecycle_mu);
    if (nb__run_state_get() != NB__RUNNING) {
        pthread_mutex_unlock(&lifecycle_mu);
        return;
    }
    nb__run_state_set(NB__STOPPING);
    /* Peers stop routing to us first (GOODBYE), and each answers once no call
     * of its own is left on its connection to us: meanwhile requests they wrote
     * before they heard it still arrive, and run. Then what we serve finishes;
     * a request that comes later anyway (a peer that never answered) is turned
     * away unrun, which its caller retries elsewhere (docs/upgrades.md). Then
     * the calls we still wait on fail, and nothing is left to use the
     * connections. The wait for answers is bounded: a call left on a
     * connection ends by its deadline, and a silent peer is declared down. */
    nb__members_wake_waiters();
    nb__members_say_goodbye();
    nb__loop_stop_listening();
    nb__members_stop_dialing();
    int64_t bound = 4 * (int64_t)nb__cfg.heartbeat_ms +
                    (nb__cfg.def->default_timeout_ms > 0 ? nb__cfg.def->default_timeout_ms : 5000);
    size_t unanswered = nb__members_await_answers(nb__mono_ms() + bound);
    if (unanswered)
        nb__log(NB__LOG_INFO, "%zu peer(s) did not answer this node's GOODBYE within %lld ms: "
                "requests they send from now on are turned away unrun", unanswered,
                (long long)bound);
    nb__workers_drain();
    /* Futures nobody awaited or freed yet would keep their connections
     * referenced, which nb__conn_close_all waits for: they end (as the
     * synchronous calls below do) and let go first. */
    nb__futures_stop();
    nb__conn_close_all("this node is stopping (nb_stop)");
    while (nb__leases_held() > 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    tear_down();
    nb__set_self_node(NULL); /* threads are joined */
    pthread_mutex_unlock(&lifecycle_mu);
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
            if (nb__run_state_get() != NB__RUNNING) {
                nb__fail(NB_E_NOT_STARTED, "nb_await: the node is stopping");
                break;
            }
            if (nb__members_any_up(&sel)) {
                rc = 0;
                nb__set_code(NB_OK);
                break;
            }
            if (deadline >= 0 && nb__mono_ms() >= deadline) {
                nb__fail_unserved(NB_E_TIMEOUT, NULL, &sel,
                                  "nb_await: no node matching \"%s\" connected within %d ms",
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
