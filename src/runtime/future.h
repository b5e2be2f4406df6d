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
 * nb_stop: a remote future holds its connection (through its nb__pcall) until
 * it is awaited or freed, possibly after nb_stop. nb__futures_stop ends every
 * such call still outstanding with NB_E_NODE_DOWN, as the connection closing
 * would, and drops the futures' connection references, so nb_stop does not
 * wait for them; the futures stay valid to poll, await and free.
 *
 * Locks, in order: the timer's lock (which also guards the list of futures
 * holding a connection, and a future's p.conn once it is remote), then (inside
 * nb__pcall_cancel) the connection's pmu, then the future's waiter mutex. The
 * eventfd is created and written under the waiter mutex.
 */
#ifndef NB_RUNTIME_FUTURE_H
#define NB_RUNTIME_FUTURE_H

#include "nebula.h"

/* The entry points are nebula.h's: nb__invoke_async, nb__future_await and
 * nb_future_*, and nb__futures_stop below; nothing else of the runtime calls
 * into this file. */

/* For nb_stop, once no new call can start and before the connections close:
 * every outstanding remote future is done with NB_E_NODE_DOWN and lets go of
 * its connection (a future f__async is still starting does so itself). */
void nb__futures_stop(void);

#endif /* NB_RUNTIME_FUTURE_H */
