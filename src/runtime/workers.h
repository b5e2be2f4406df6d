/*
 * workers.h — running the method bodies this node serves for its peers.
 *
 * Contract: every admitted request gets exactly one REPLY (its value or a failure
 * code) unless its connection closes first or its caller cancels it (CANCEL):
 * a caller that stopped waiting gets no reply, as it would discard one. Per
 * module, at most max_concurrent_calls bodies run at once and the other
 * requests wait in a queue per peer; a peer holding its share of
 * max_concurrent_calls waiting places is not read until its queue drains
 * (nb__conn_hold_input: back-pressure, so pipelined requests wait in their
 * connection instead of being refused), and freed slots go to the peer with
 * the fewest bodies running (admit in workers.c). Only a peer far beyond its
 * share (requests read before the hold took effect, or by a caller of this
 * node reading its own reply) is answered NB_E_OVERLOADED. A request whose
 * deadline has passed when its turn comes is answered NB_E_TIMEOUT without
 * running; one whose caller has stopped waiting is dropped without running
 * (docs/cancellation.md). Bodies run on the thread that read the request whenever it can (a loop
 * thread), and on a woken loop thread otherwise.
 *
 * Threads. The loop thread that reads a batch of requests keeps them and runs
 * them in turn, replies corked: the replies of a batch go out together, in one
 * write, when the batch is done (or before a body whose method has been slow,
 * so a slow body never holds back replies that are ready). Nobody else is woken
 * for the batch: on a 2-core machine a wake-up costs more than a short body. A
 * watchdog (the loop's jobs timer) wakes more loop threads when queued jobs wait
 * too long, so slow or blocking bodies still run side by side, on every core.
 */
#ifndef NB_RUNTIME_WORKERS_H
#define NB_RUNTIME_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct nb__job;

/* True on a thread while it runs a body for a remote caller: nb_stop from there
 * would wait for that very body, so it refuses. */
extern _Thread_local bool nb__in_served_body;

int nb__workers_start(void);
/* Refuses new requests, then waits until every admitted one has been answered. */
void nb__workers_drain(void);
void nb__workers_stop(void);

/* Loop threads the served modules may keep busy at once. */
size_t nb__workers_thread_budget(void);

/* A REQUEST frame from c (see nb__conn_hooks.on_frame for payload/owned). */
int nb__workers_on_request(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                           unsigned char **owned, nb__reader_ctx *ctx);

/* A CANCEL frame from c for call `id`: a queued request is dropped, a running
 * body sees nb_cancelled(); an unknown or finished id is ignored. */
void nb__workers_on_cancel(nb__conn *c, uint64_t id);

/* Requests dropped without running because their caller had stopped waiting. */
uint64_t nb__workers_dropped(void);

/* Runs an admitted job that a reader kept for itself (ctx->run_here; the rest
 * of its batch, chained behind it, is queued first), and then queued jobs until
 * none is left; replies, frees. */
void nb__workers_run(struct nb__job *job);

/* nb__workers_run for a reader that still holds c's reader role: before a body
 * that may run long the role is handed on (nb__conn_reader_hand_on), so c is
 * read meanwhile. Returns true when the role is still held. */
bool nb__workers_run_holding(struct nb__job *job, nb__conn *c);

/* A loop thread woken by nb__loop_kick_jobs: runs queued jobs until none is left. */
void nb__workers_help(void);

/* The jobs timer fired: wakes loop threads for jobs that have waited too long.
 * Returns true while jobs wait (the timer should fire again). */
bool nb__workers_watchdog(void);

#endif /* NB_RUNTIME_WORKERS_H */
