/*
 * tool.h — what the `nebula` command asks of a node over its own authenticated
 * connection, beside calls: the node's figures (a STATS frame, answered with
 * STATS_REPLY; docs/metrics.md) and the node's method table (a DESCRIBE frame,
 * answered with DESCRIPTION; docs/cli.md). With cluster.h, the only runtime
 * header src/cli includes; libnebula.map exports these entry points for it.
 */
#ifndef NB_RUNTIME_TOOL_H
#define NB_RUNTIME_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nebula.h"

/* Latency buckets of a node's histograms: NB__STATS_BUCKETS - 1 upper bounds
 * (seconds), then +Inf. */
#define NB__STATS_BUCKETS 21

/* One API's figures on one node, counted since that node's process started.
 * Histogram buckets are per bucket, not cumulative. */
typedef struct nb__api_stats {
    char *api;
    uint64_t calls, call_errors;          /* calls this node made (remote, multicast) */
    uint64_t call_hist[NB__STATS_BUCKETS];
    uint64_t call_sum_ns;
    uint64_t served, served_errors;       /* requests this node answered */
    uint64_t serve_hist[NB__STATS_BUCKETS];
    uint64_t serve_sum_ns;
} nb__api_stats;

typedef struct nb__node_stats {
    char *node, *version, *fingerprint;   /* as the node reports them */
    double bounds[NB__STATS_BUCKETS - 1];
    nb__api_stats *apis;                  /* only APIs with something counted */
    size_t n_apis;
} nb__node_stats;

/*
 * Asks configured node idx for its figures on the connection to it and waits
 * at most timeout_ms. Returns 0 and fills *out (release with nb__stats_free),
 * or -1 after nb__fail: not started, not connected (NB_E_NO_WORKER), no answer
 * in time (NB_E_TIMEOUT), an answer that does not decode (NB_E_PROTOCOL).
 */
int nb__stats_fetch(int idx, int timeout_ms, nb__node_stats *out);

/* Frees what *s owns and zeroes it; NULL-safe. */
void nb__stats_free(nb__node_stats *s);

/* --- Descriptions ------------------------------------------------------- */

/*
 * What a DESCRIPTION may hold, at most: the decoder refuses anything larger
 * (the answer is a peer's bytes). Names are C identifiers ("struct x" for a
 * type); signatures and selectors printable ASCII.
 */
#define NB__DESC_MAX_BYTES ((size_t)16 << 20)
#define NB__DESC_MAX_TYPES 4096
#define NB__DESC_MAX_FIELDS 1024
#define NB__DESC_MAX_METHODS 4096
#define NB__DESC_MAX_NAME 128
#define NB__DESC_MAX_SIGNATURE 4096
#define NB__DESC_MAX_SELECTOR 1024
#define NB__DESC_MAX_ARRAY_DEPTH 8        /* arrays of arrays of ... */
#define NB__DESC_MAX_ARRAY_COUNT ((uint32_t)1 << 24)
#define NB__DESC_MAX_TYPE_SIZE ((size_t)1 << 28) /* sizeof one described struct */

/*
 * One node's method table, decoded into descriptors the runtime and the
 * command use as they use generated ones (nebula.h part 3): sizes, alignment
 * and offsets are this process's own, computed from the kinds, never the
 * peer's. Every method has local == NULL and its serving indices refer to the
 * cluster the decoder was given. Everything is owned by the description.
 */
typedef struct nb__description {
    char *node, *fingerprint;       /* as the node reports them */
    nb__method *methods;            /* n_methods of them */
    bool *served_here;              /* per method: the describing node serves it */
    size_t n_methods;
    struct nb__desc_arena *arena;   /* every other allocation */
} nb__description;

/*
 * Decodes a DESCRIPTION payload buf[0..len) (a peer's bytes) against the
 * cluster def (serving node names become indices into def->nodes). Returns 0
 * and fills *out (release with nb__describe_free), or -1 with *out empty and
 * a reason in why[0..why_size) (never peer bytes beyond what was checked).
 */
int nb__describe_decode(const void *buf, size_t len, const nb__cluster_def *def,
                        nb__description *out, char *why, size_t why_size);

/*
 * Asks configured node idx for its method table and waits at most timeout_ms.
 * Returns 0 and fills *out (release with nb__describe_free), or -1 after
 * nb__fail: not started, not connected (NB_E_NO_WORKER), no answer in time
 * (NB_E_TIMEOUT), an answer the decoder refuses (NB_E_PROTOCOL, with why).
 */
int nb__describe_fetch(int idx, int timeout_ms, nb__description *out);

/* Frees what *d owns and zeroes it; NULL-safe. */
void nb__describe_free(nb__description *d);

#endif /* NB_RUNTIME_TOOL_H */
