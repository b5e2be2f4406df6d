/*
 * future.h — asynchronous calls (future.c): the nb_future behind f__async,
 * f__await and nb_future_*. docs/async.md says what users see.
 *
 * A future is one heap allocation owned by the application from f__async until
 * f__await or nb_future_free. Its outcome arrives one of two ways:
 *   - at once (a resolved-local call, or a call that could not start): the
 *     router ran it, and nb__future_settle copied the thread's outcome in;
 *   - through its nb__pcall (a remote call): resolved exactly once by the reply,
 *     the connection closing, the timer at the deadline, or a cancellation, as
 *     pending.h says. Its on_done signals the eventfd when there is one.
 *
 * The timer: one thread of this file keeps the deadlines of unresolved remote
 * futures in a heap and resolves each with NB_E_TIMEOUT when it passes, so a
 * future's descriptor becomes readable at its deadline even if nobody awaits.
 *
 * Locks, in order: the timer's lock, then (inside nb__pcall_cancel) the
 * connection's pmu, then the future's waiter mutex. The eventfd is created and
 * written under the waiter mutex.
 */
#ifndef NB_RUNTIME_FUTURE_H
#define NB_RUNTIME_FUTURE_H

#include "conn.h"
#include "nebula.h"

/* A future for m with zeroed value storage, not started; NULL when out of
 * memory. */
nb_future *nb__future_new(const nb__method *m);

/* Starts m remotely on c (borrowed; the future takes its own reference through
 * its call): registers the call, encodes args and queues the request to be
 * written soon. Sets this thread's code: NB_OK when the request is queued, else
 * the failure (the future is then settled with it by the caller). */
void nb__future_send(nb_future *f, nb__conn *c, const char *node, const void *args,
                     int timeout_ms);

/* For a future that did not go remote: its outcome is this thread's current
 * code and message, and its value storage holds the value (if any). */
void nb__future_settle(nb_future *f);

/* True once nb__future_send registered the call (its outcome comes through
 * the call, whatever happens next). */
bool nb__future_started(const nb_future *f);

/* The future's value storage (m->ret.size bytes), for the router's local run. */
void *nb__future_ret(nb_future *f);

#endif /* NB_RUNTIME_FUTURE_H */
