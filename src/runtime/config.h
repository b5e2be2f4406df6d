/*
 * config.h — the ground floor of the runtime: what every layer of a started node
 * shares. The registered topology, the identity this process runs as, the
 * tunables and addresses, the cookie material, the clocks, and the run state
 * (started, stopping, leases). config.c includes nothing of the runtime above
 * it (only status.h, log.h and cookie.h, themselves ground floor), so every
 * layer may include this header without making a circle. See
 * docs/runtime-layers.md.
 *
 * nb__cfg is written by nb_start (nb__config_load) before any thread of the
 * runtime exists and cleared (nb__config_free) by nb_stop after every such
 * thread has been joined, so the runtime's own threads read it without locks.
 * Application threads reach it only inside a lease (nb__lease_enter), which
 * nb_stop waits out before clearing it.
 */
#ifndef NB_RUNTIME_CONFIG_H
#define NB_RUNTIME_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "nebula.h"
#include "stream.h"

/* Shortest cluster cookie nb_start accepts, in bytes (docs/identity.md). */
#define NB__COOKIE_MIN 16

typedef struct nb__config {
    const nb__cluster_def *def;
    char *self_name;          /* the name this process runs as */
    int self_index;           /* its index in def->nodes, -1 when not configured */
    bool generic;             /* serves nothing, calls everything remotely */
    uint64_t boot_id;         /* random per nb_start: tells a restarted peer apart */
    int64_t registered_at_ms; /* Unix ms at nb_start: registration time of our methods */
    int64_t started_mono_ms;
    nb__transport_kind transport; /* the topology's `transport:` */
    unsigned char *cookie;    /* the cluster secret, >= NB__COOKIE_MIN bytes; NULL under
                                 mtls, where certificates prove who is who */
    size_t cookie_len;
    char *tls_ca, *tls_cert, *tls_key; /* mtls: this node's expanded paths, else NULL */
    int heartbeat_ms;
    int refresh_ms;
    size_t max_frame;
    /* Limits on what peers can make this node hold (docs/security.md,
     * "Limits"), from the environment at nb_start, else the defaults below. */
    size_t max_pending_conns;   /* $NEBULA_MAX_PENDING_CONNS: accepted, not yet authenticated */
    size_t max_pending_per_addr;/* $NEBULA_MAX_PENDING_PER_ADDR: the same, per source address */
    size_t max_queued_bytes;    /* $NEBULA_MAX_QUEUED_BYTES: unsent bytes per connection
                                   beyond which its requests are not read */
    int frame_timeout_ms;       /* $NEBULA_FRAME_TIMEOUT_MS: longest a frame may take to arrive */
    /* $NEBULA_SPIN_US: how long a thread waiting for a connection's next bytes
     * (a caller for its reply, a serving thread for the next request) polls
     * without sleeping first (0, the default: it sleeps at once). */
    int spin_us;
    char **dial_addr;         /* per configured node: "host:port" to reach it, or NULL */
    char *listen_addr;        /* "host:port" to listen on, or NULL: do not listen */
} nb__config;

extern nb__config nb__cfg;

#define NB__DEFAULT_MAX_PENDING_CONNS 64
#define NB__DEFAULT_MAX_PENDING_PER_ADDR 16
#define NB__DEFAULT_MAX_QUEUED_BYTES ((size_t)16 << 20)
#define NB__DEFAULT_FRAME_TIMEOUT_MS 30000
#define NB__MAX_SPIN_US 1000

/* Fills nb__cfg for def as nb_start's boot policy says (identity, cookie,
 * addresses, tunables; see config.c). Returns 0, or -1 after nb__fail (the
 * caller then calls nb__config_free). */
int nb__config_load(const nb__cluster_def *def, const nb_options *opts);
/* Frees what nb__config_load set up and wipes the cookie. */
void nb__config_free(void);

/* The monotonic clock in nanoseconds and in milliseconds, and Unix milliseconds. */
int64_t nb__mono_ns(void);
int64_t nb__mono_ms(void);
int64_t nb__unix_ms(void);
/* Initialises *cv to time its waits on the monotonic clock (the deadlines
 * above), as pthread_cond_timedwait does not by default. */
void nb__cond_init_monotonic(pthread_cond_t *cv);

/* --- Run state (written by lifecycle.c, read everywhere) ------------------ */

typedef enum nb__run_state { NB__STOPPED = 0, NB__STARTING, NB__RUNNING, NB__STOPPING } nb__run_state;

nb__run_state nb__run_state_get(void);
void nb__run_state_set(nb__run_state s);

/* True between a successful nb_start and nb_stop. */
bool nb__is_running(void);

/* A lease keeps the started runtime alive around one remote call made by an
 * application thread. enter returns false when the node is not started (or is
 * stopping); only a true enter is paired with leave. */
bool nb__lease_enter(void);
void nb__lease_leave(void);
/* Leases currently held (nb_stop waits for 0). */
int nb__leases_held(void);

/* True while the node runs as a generic node (set by nb_start). */
bool nb__is_generic(void);
void nb__set_generic(bool generic);

/* Sets what nb_self_node() returns (NULL: "nonode@nohost"). Only while no
 * runtime thread runs (nb_start before its threads, nb_stop after joining). */
void nb__set_self_node(const char *name);

/* Whether this node runs method bodies of `m` itself: compiled here, and not
 * running as a generic node. */
static inline bool nb__serves_locally(const nb__method *m)
{
    return m->local != NULL && !nb__is_generic();
}

#endif /* NB_RUNTIME_CONFIG_H */
