/*
 * runtime.h — what every layer of a started node shares: the registered topology,
 * the identity this process runs as, the tunables, and the clocks.
 *
 * nb__cfg is written by nb_start before any thread of the runtime exists and
 * cleared by nb_stop after every such thread has been joined, so the runtime's
 * own threads read it without locks. Application threads reach it only inside a
 * lease (nb__lease_enter), which nb_stop waits out before clearing it.
 */
#ifndef NB_RUNTIME_RUNTIME_H
#define NB_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nebula.h"

typedef struct nb__config {
    const nb__cluster_def *def;
    char *self_name;          /* the name this process runs as */
    int self_index;           /* its index in def->nodes, -1 when not configured */
    bool generic;             /* serves nothing, calls everything remotely */
    uint64_t boot_id;         /* random per nb_start: tells a restarted peer apart */
    int64_t registered_at_ms; /* Unix ms at nb_start: registration time of our methods */
    int64_t started_mono_ms;
    unsigned char *cookie;
    size_t cookie_len;
    int heartbeat_ms;
    int refresh_ms;
    size_t max_frame;
    char **dial_addr;         /* per configured node: "host:port" to reach it, or NULL */
    char *listen_addr;        /* "host:port" to listen on, or NULL: do not listen */
} nb__config;

extern nb__config nb__cfg;

/* The cluster registered by generated code (NULL before registration). */
const nb__cluster_def *nb__cluster(void);

/* Milliseconds on the monotonic clock, and Unix milliseconds. */
int64_t nb__mono_ms(void);
int64_t nb__unix_ms(void);

/* A lease keeps the started runtime alive around one remote call made by an
 * application thread. enter returns false when the node is not started (or is
 * stopping); only a true enter is paired with leave. */
bool nb__lease_enter(void);
void nb__lease_leave(void);

/* True while the node runs as a generic node (set by nb_start). */
bool nb__is_generic(void);

/* True on a thread while it runs a body for a remote caller (workers.c): nb_stop
 * from there would wait for that very body, so it refuses. */
extern _Thread_local bool nb__in_served_body;

/* True between a successful nb_start and nb_stop. */
bool nb__is_running(void);

/* Whether this node runs method bodies of `m` itself: compiled here, and not
 * running as a generic node. */
static inline bool nb__serves_locally(const nb__method *m)
{
    return m->local != NULL && !nb__is_generic();
}

/* Cookie (cookie.c). Loads the cluster secret as nb_start's policy says: opts value,
 * $NEBULA_COOKIE, $NEBULA_COOKIE_FILE, else ~/.nebula.cookie created 0600 on first
 * use. Returns 0 and a heap copy in *out (caller frees), or -1 after nb__fail. */
int nb__cookie_load(const char *given, unsigned char **out, size_t *len);

/* HMAC-SHA256(cookie, label || a || b) into mac[32]. */
void nb__cookie_mac(const char *label, const unsigned char *a, const unsigned char *b,
                    size_t n, unsigned char *mac);

/* Fills buf with n cryptographically random bytes; returns 0 or -1. */
int nb__random_bytes(void *buf, size_t n);

#endif /* NB_RUNTIME_RUNTIME_H */
