/*
 * pending.h — outgoing calls waiting for their reply.
 *
 * A call registers a nb__pcall on the connection it is sent on before writing the
 * request. Exactly one of three things then resolves it, once:
 *   - its REPLY is read (by whichever thread reads that connection),
 *   - the connection closes (NB_E_NODE_DOWN for every call still on it),
 *   - the caller gives up at its deadline (nb__pcall_cancel, NB_E_TIMEOUT).
 * Whoever unlinks it from the connection's list (under conn->pmu) owns the
 * outcome; a reply that finds nothing to unlink is late and is discarded. Several
 * calls may share one waiter (a multicast waits on all of them at once).
 *
 * Giving up is told to the serving node: nb__pcall_cancel is the one place a
 * caller stops waiting on a call whose request went out (its timeout, an
 * abandoned multicast straggler, a future cancelled), and it sends CANCEL so the
 * server drops the request if still queued and its body sees nb_cancelled()
 * (docs/cancellation.md). A closed connection needs no CANCEL: the server sees
 * it close.
 *
 * The deadline moves: the serving body may ask for more time (EXTEND), which
 * resets it to now + the call's timeout window, at most max_extensions times per
 * call, counted here so a peer cannot extend a call forever. Waiters re-read it
 * (nb__pcall_deadline) before giving up.
 *
 * Ownership: nb__pcall and nb__waiter live in the caller's frame; everything a
 * resolved call owns (message, reply payload) is freed by nb__pcall_release.
 *
 * Many callers on one connection: one of them holds the connection's reader
 * role and resolves everyone's replies as it reads them; the others sleep, each
 * on its own call's futex word, and are woken once, by their outcome. When the
 * reader's own reply has come it hands the role to a caller still sleeping
 * (nb__pcall_promote) instead of giving it back to the event loop, so a busy
 * connection is read by its callers without epoll re-arming or loop threads.
 */
#ifndef NB_RUNTIME_PENDING_H
#define NB_RUNTIME_PENDING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nebula.h"
#include "conn.h"

typedef struct nb__waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
} nb__waiter;

/* Bits of nb__pcall.wake. */
#define NB__PC_DONE 1u      /* resolved: the outcome fields are final */
#define NB__PC_PROMOTED 2u  /* handed the connection's reader role */
#define NB__PC_SLEEPING 4u  /* its caller sleeps on the word: wake it */

typedef struct nb__pcall {
    struct nb__pcall *next, *prev;  /* conn->pending, under conn->pmu */
    bool linked;                    /* under conn->pmu */
    bool can_read;                  /* under conn->pmu: waits in nb__pcall_wait */
    bool armed;                     /* nb__pcall_arm: its request goes out */
    int window_ms;                  /* the call's timeout, what an EXTEND grants */
    int ext_left;                   /* under conn->pmu: EXTENDs still accepted */
    _Atomic int64_t deadline_ms;    /* monotonic; moved by EXTEND (never earlier) */
    uint64_t id;
    nb__conn *conn;                 /* referenced while registered */
    nb__waiter *w;
    atomic_uint wake;               /* NB__PC_* bits; a futex word */
    /* Outcome, written once under w->mu (done last). */
    bool done;
    nb_code code;
    char *msg;                      /* owned, or NULL */
    unsigned char *reply;           /* owned REPLY payload when code is NB_OK */
    size_t reply_len;
    /* Called once, by whoever resolves p, under w->mu right after the outcome
     * is written (an asynchronous call's future signals its eventfd); NULL for
     * none. It must not take any lock but its own. */
    void (*on_done)(struct nb__pcall *p);
} nb__pcall;

void nb__waiter_init(nb__waiter *w);
void nb__waiter_destroy(nb__waiter *w);

/* Assigns an id and links p on c (referencing c). Returns 0, or -1 when c is
 * already closing (p untouched). */
int nb__pcall_register(nb__conn *c, nb__pcall *p, nb__waiter *w);
/* The same, with p->on_done set (before anyone can resolve p). */
int nb__pcall_register_notify(nb__conn *c, nb__pcall *p, nb__waiter *w,
                              void (*on_done)(nb__pcall *p));

/* Before the request of p is sent: its deadline (monotonic ms), the timeout window
 * an EXTEND grants and how many EXTENDs the caller accepts (0: none). A call
 * that is armed is told to the server when it is cancelled. */
void nb__pcall_arm(nb__pcall *p, int64_t deadline_ms, int window_ms, int max_extensions);

/* p's current deadline (monotonic ms): what nb__pcall_arm set, or later. */
static inline int64_t nb__pcall_deadline(nb__pcall *p)
{
    return atomic_load_explicit(&p->deadline_ms, memory_order_relaxed);
}

/* An EXTEND for call `id` on c: moves that call's deadline to now + its window
 * while it has extensions left; ignored otherwise (late, unknown, used up). */
void nb__pcall_on_extend(nb__conn *c, uint64_t id);

/* Resolves the call `id` on c with a reply payload (ownership taken). A late or
 * unknown id frees the payload. */
void nb__pcall_on_reply(nb__conn *c, uint64_t id, unsigned char *payload, size_t len);

/* Resolves every call still on c with code/msg. */
void nb__pcall_fail_all(nb__conn *c, nb_code code, const char *msg);

/* The caller gives up on p with code: true when it did (p resolved with code, and
 * CANCEL sent to the server when p is armed: best effort, never blocking on the
 * network), false when a reply or a failure got there first (p is then resolved
 * or about to be: wait for p->done). */
bool nb__pcall_cancel(nb__pcall *p, nb_code code, const char *msg);

/* Waits until p is done or its deadline passes: the armed one, which EXTENDs
 * move (deadline_ms is used when p is not armed); reads c itself when nobody
 * else does, or when handed the reader role. Returns with p->done set (a timeout
 * resolves it with NB_E_TIMEOUT, and marks c silent: see nb__conn_silent). */
void nb__pcall_wait(nb__pcall *p, int64_t deadline_ms, const char *method, const char *node);

/* For the holder of c's reader role that is about to leave it: hands the role
 * to a caller waiting in nb__pcall_wait on c other than `except` (may be NULL),
 * waking it. Returns true when one took it (the role stays taken), false when
 * nobody waits to read. */
bool nb__pcall_promote(nb__conn *c, const nb__pcall *except);

/* True when no call waits on c: every request registered on it has its outcome
 * (a reply, a failure, or the caller gave up). */
bool nb__pcall_none(nb__conn *c);

/* Frees what p's outcome owns and drops its connection reference. */
void nb__pcall_release(nb__pcall *p);

#endif /* NB_RUNTIME_PENDING_H */
