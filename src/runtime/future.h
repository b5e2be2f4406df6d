/*
 * future.h — asynchronous calls (future.c): the nb_future behind f__async,
 * f__await and nb_future_*. docs/async.md says what users see.
 *
 * A future is one heap allocation owned by the application from f__async until
 * f__await or nb_future_free. Its outcome arrives one of two ways:
 *   - at once (a resolved-local call, or a call that could not start): the
 *     router ran it (nb__invoke_start), and the thread's outcome is copied in;
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

#include "nebula.h"

/* The entry points are nebula.h's: nb__invoke_async, nb__future_await and
 * nb_future_*. Nothing else of the runtime calls into this file. */

#endif /* NB_RUNTIME_FUTURE_H */
