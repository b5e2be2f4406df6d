/*
 * tool.h — what the `nebula` command asks of a node over its own authenticated
 * connection, beside calls: the node's figures (a STATS frame, answered with
 * STATS_REPLY; docs/metrics.md). With cluster.h, the only runtime header
 * src/cli includes; libnebula.map exports these entry points for it.
 */
#ifndef NB_RUNTIME_TOOL_H
#define NB_RUNTIME_TOOL_H

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

#endif /* NB_RUNTIME_TOOL_H */
