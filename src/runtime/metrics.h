/*
 * metrics.h — the node's figures: calls made, requests served, peers and
 * refusals (docs/metrics.md). Ground floor: it reads the registered cluster
 * (config.h) and nothing above it; what it needs of the layers above (whether a
 * peer is up) it is handed as a callback when rendered.
 *
 * Counting costs the remote path no lock and no shared cache line: every thread
 * that counts owns a shard of counters (one per thread, found through a
 * thread-local pointer) and adds to it with plain relaxed stores; a reader sums
 * the shards under the registry's mutex, which writers never take after their
 * first count. A shard outlives its thread: when the thread exits its shard goes
 * back to the registry and the next new thread adds to it, so nothing counted
 * is ever lost and memory stays bounded by the peak number of threads.
 *
 * Resolved-local calls on the fast path are not counted (counting would double
 * their cost); neither are calls that fail before a target is chosen (a bad
 * option, a call before nb_start).
 */
#ifndef NB_RUNTIME_METRICS_H
#define NB_RUNTIME_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "nebula.h"

/* Where a counted call went: one node (`target="remote"`), or several. */
typedef enum nb__mtarget { NB__MT_REMOTE = 0, NB__MT_MULTICAST, NB__MT_COUNT } nb__mtarget;

/* Upper bounds of the latency histograms' buckets, in seconds (the last bucket,
 * +Inf, is implicit). Shared by /metrics and the STATS frame. */
#define NB__METRICS_BOUNDS 20
extern const double nb__metrics_bounds[NB__METRICS_BOUNDS];

/* Turns counting on or off for the whole process ($NEBULA_METRICS=off turns it
 * off at nb_start; on by default). While off every hook returns at once. */
void nb__metrics_enable(bool on);
bool nb__metrics_enabled(void);

/* The start of something timed: monotonic nanoseconds, or 0 while counting is
 * off (the matching end hook then counts nothing). */
int64_t nb__metrics_start(void);

/* A call to m ended with `code` after starting at t0 (nb__metrics_start). */
void nb__metrics_call(const nb__method *m, nb__mtarget target, nb_code code, int64_t t0);

/* The same with this thread's nb_last_code() as the outcome. */
void nb__metrics_call_end(const nb__method *m, nb__mtarget target, int64_t t0);

/* A request for m was answered with `code` (counted, not timed). */
void nb__metrics_served(const nb__method *m, nb_code code);

/* A body of m that started at t0 has run and its reply is written or corked. */
void nb__metrics_serve_time(const nb__method *m, int64_t t0);

/* A handshake with the peer that claimed `peer` (NULL: before it said; the text
 * is the peer's, only compared) ended in a refusal, ours or its, for `why`
 * (our own text; classified into a reason label, see metrics.c). Benign
 * refusals (a simultaneous connect) are not counted by the callers. */
void nb__metrics_refusal(const char *peer, const char *why);

/* Asked of the layer above when rendering: whether configured node idx is
 * connected. */
typedef bool (*nb__metrics_peer_up_fn)(int idx);

/* Renders every family in the Prometheus text format (version 0.0.4) into a
 * malloc'd, NUL-terminated buffer the caller frees; *len gets its length.
 * Returns NULL when out of memory. */
char *nb__metrics_render(nb__metrics_peer_up_fn peer_up, size_t *len);

/*
 * Packs this node's per-API figures for a STATS_REPLY:
 *   [node, version, fingerprint, [bound, ...],
 *    [[api, calls, call_errors, [bucket, ...], call_sum_ns,
 *           served, served_errors, [bucket, ...], serve_sum_ns], ...]]
 * (bucket counts not cumulative, NB__METRICS_BOUNDS + 1 of them; only APIs with
 * something counted). Calls sum both targets.
 */
void nb__metrics_pack(msgpack_packer *pk);

#endif /* NB_RUNTIME_METRICS_H */
