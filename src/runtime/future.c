/*
 * future.c — asynchronous calls: nb_future, its eventfd and the deadline timer.
 * See future.h for how a future's outcome arrives and the lock order, and
 * docs/async.md for the user's contract.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "future.h"
#include "metrics.h"
#include "log.h"
#include "pending.h"
#include "router.h"
#include "status.h"

#define NOT_IN_HEAP SIZE_MAX

struct nb_future {
    const nb__method *m;
    nb__waiter w;          /* w.mu guards efd and (with p) the remote outcome */
    nb__pcall p;           /* registered when remote */
    bool remote;           /* the outcome comes through p */
    int efd;               /* -1 until nb_future_fd asks for it */
    int64_t deadline_ms;   /* remote: monotonic; the heap key, under T.mu once in the heap
                            * (an EXTEND moves the pcall's deadline, and the timer this) */
    char *node;            /* remote: the serving node's name, owned */
    int64_t t0_ns;         /* remote: nb__metrics_start() when sent (0: not counted) */
    int64_t done_ns;       /* remote: the same when resolved; under w.mu */
    size_t heap_at;        /* under T.mu: index in the timer heap, or NOT_IN_HEAP */
    /* Under T.mu: the list of remote futures still holding their connection
     * (p.conn), which nb_stop detaches (see nb__futures_stop). */
    struct nb_future *held_prev, *held_next;
    bool held;             /* in that list */
    int users;             /* threads using p.conn outside T.mu (an await) */
    bool detach;           /* nb_stop asked to drop p.conn while it was used */
    nb_code code;          /* not remote: the outcome */
    char *msg;             /* not remote: its message when a failure, owned */
    max_align_t ret[];     /* the value: m->ret.size bytes */
};

/* --- The deadline timer ----------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* CLOCK_MONOTONIC; signalled when the earliest deadline moves */
    nb_future **heap;      /* min-heap on deadline_ms */
    size_t n, cap;
    bool running;          /* the thread exists */
    nb_future *held;       /* the remote futures holding a connection (a list) */
} T = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, false, NULL};

static pthread_once_t timer_once = PTHREAD_ONCE_INIT;

static void heap_set(size_t i, nb_future *f)
{
    T.heap[i] = f;
    f->heap_at = i;
}

static void heap_up(size_t i)
{
    nb_future *f = T.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (T.heap[parent]->deadline_ms <= f->deadline_ms)
            break;
        heap_set(i, T.heap[parent]);
        i = parent;
    }
    heap_set(i, f);
}

static void heap_down(size_t i)
{
    nb_future *f = T.heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        int64_t d = f->deadline_ms;
        if (l < T.n && T.heap[l]->deadline_ms < d) {
            min = l;
            d = T.heap[l]->deadline_ms;
        }
        if (r < T.n && T.heap[r]->deadline_ms < d)
            min = r;
        if (min == i)
            break;
        heap_set(i, T.heap[min]);
        i = min;
    }
    heap_set(i, f);
}

/* Removes entry i. Called with T.mu held. */
static void heap_remove_at(size_t i)
{
    nb_future *gone = T.heap[i];
    gone->heap_at = NOT_IN_HEAP;
    T.n--;
    if (i == T.n)
        return;
    nb_future *moved = T.heap[T.n];
    heap_set(i, moved);
    heap_down(i);
    heap_up(moved->heap_at);
}

/* Resolves f with NB_E_TIMEOUT unless its outcome got there first. Called with
 * T.mu held, which keeps f alive: nb_future_free takes f out of the heap under
 * it before freeing anything. */
static void fire(nb_future *f)
{
    if (!f->p.conn)
        return; /* detached by nb_stop: done already */
    char msg[256];
    snprintf(msg, sizeof msg, "%s: no reply from %s within the timeout", f->m->name, f->node);
    nb__pcall_cancel(&f->p, NB_E_TIMEOUT, msg);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.mu);
    for (;;) {
        if (T.n == 0) {
            pthread_cond_wait(&T.cv, &T.mu);
            continue;
        }
        nb_future *f = T.heap[0];
        int64_t moved = nb__pcall_deadline(&f->p); /* later after an EXTEND */
        if (moved > f->deadline_ms) {
            f->deadline_ms = moved;
            heap_down(0);
            continue;
        }
        if (f->deadline_ms <= nb__mono_ms()) {
            heap_remove_at(0);
            fire(f);
            continue;
        }
        struct timespec ts = {(time_t)(f->deadline_ms / 1000), (long)(f->deadline_ms % 1000) * 1000000L};
        pthread_cond_timedwait(&T.cv, &T.mu, &ts);
    }
    return NULL;
}

/* Starts the timer thread once per process. It lives as long as the process:
 * futures may outlive nb_stop (their calls are failed by it), and an idle
 * timer only sleeps on its condition variable. */
static void timer_start(void)
{
    pthread_cond_destroy(&T.cv);
    nb__cond_init_monotonic(&T.cv);
    pthread_t th;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&ta, 64 * 1024);
    if (pthread_create(&th, &ta, timer_main, NULL) == 0)
        T.running = true;
    else
        nb__log(NB__LOG_ERROR, "no thread for the futures' timer: a future's descriptor will not "
                               "become readable at its timeout (f__await still stops there)");
    pthread_attr_destroy(&ta);
}

/* Puts f's deadline in the heap. Called with T.mu held. Returns -1 when out of
 * memory (f__await still stops at the deadline; only the descriptor would not
 * wake). */
static int timer_add_locked(nb_future *f)
{
    if (T.n == T.cap) {
        size_t cap = T.cap ? T.cap * 2 : 64;
        nb_future **h = realloc(T.heap, cap * sizeof *h);
        if (!h)
            return -1;
        T.heap = h;
        T.cap = cap;
    }
    T.heap[T.n] = f;
    f->heap_at = T.n++;
    heap_up(f->heap_at);
    if (f->heap_at == 0)
        pthread_cond_signal(&T.cv);
    return 0;
}

/* --- Connections held by futures ------------------------------------------- */

/* A remote future holds a reference to its connection (its nb__pcall's) until
 * it is awaited or freed, which may be after nb_stop: nb_stop would wait for
 * that reference (the connection layer waits for every connection to be freed,
 * up to 5 s). So nb_stop ends every outstanding call of a future the way its
 * connection closing would, and takes the reference off the futures. */

/* Removes f from the held list. Called with T.mu held. */
static void held_remove(nb_future *f)
{
    if (!f->held)
        return;
    if (f->held_prev)
        f->held_prev->held_next = f->held_next;
    else
        T.held = f->held_next;
    if (f->held_next)
        f->held_next->held_prev = f->held_prev;
    f->held_prev = f->held_next = NULL;
    f->held = false;
}

/* Drops f's connection reference. Called with T.mu held, with nobody using
 * p.conn; the future is done (its outcome is all that is left). */
static void detach(nb_future *f)
{
    nb__conn *c = f->p.conn;
    f->p.conn = NULL;
    f->detach = false;
    if (c)
        nb__conn_unref(c); /* never calls back into this file */
}

/* Ends f's call as nb_stop ends the synchronous ones (NB_E_NODE_DOWN, unless
 * its outcome is in) and lets go of its connection, now or when the thread
 * using it is done. Called with T.mu held. */
static void stop_one(nb_future *f)
{
    if (f->heap_at != NOT_IN_HEAP)
        heap_remove_at(f->heap_at);
    held_remove(f);
    nb__pcall_cancel(&f->p, NB_E_NODE_DOWN, "this node is stopping (nb_stop)");
    if (f->users > 0)
        f->detach = true;
    else
        detach(f);
}

/* Puts the freshly registered remote future f (its deadline_ms set) in the
 * held list and the timer's heap, in one go. Returns false when nb_stop has
 * begun: f's call is then ended and detached at once. */
static bool track(nb_future *f)
{
    pthread_once(&timer_once, timer_start);
    pthread_mutex_lock(&T.mu);
    bool running = nb__run_state_get() == NB__RUNNING;
    bool timed = true;
    if (running) {
        f->held_next = T.held;
        if (T.held)
            T.held->held_prev = f;
        T.held = f;
        f->held = true;
        /* Before the call is armed: the timer uses deadline_ms until then. */
        timed = timer_add_locked(f) == 0;
    } else {
        stop_one(f);
    }
    pthread_mutex_unlock(&T.mu);
    if (!timed)
        nb__log(NB__LOG_WARN, "%s: out of memory for a future's timer", f->m->name);
    return running;
}

void nb__futures_stop(void)
{
    pthread_mutex_lock(&T.mu);
    while (T.held)
        stop_one(T.held);
    pthread_mutex_unlock(&T.mu);
}

/* For a thread about to use f's connection outside T.mu (an await): false
 * when it has none any more (nb_stop took it; f is done). Pair with use_end. */
static bool use_begin(nb_future *f)
{
    pthread_mutex_lock(&T.mu);
    bool has = f->p.conn != NULL;
    f->users += has;
    pthread_mutex_unlock(&T.mu);
    return has;
}

static void use_end(nb_future *f)
{
    pthread_mutex_lock(&T.mu);
    if (--f->users == 0 && f->detach)
        detach(f);
    pthread_mutex_unlock(&T.mu);
}

/* Takes f out of the timer and the held list, and cancels its call with code
 * unless its outcome is in. */
static void untrack(nb_future *f, nb_code code, const char *msg)
{
    pthread_mutex_lock(&T.mu);
    if (f->heap_at != NOT_IN_HEAP)
        heap_remove_at(f->heap_at);
    held_remove(f);
    if (f->p.conn && !(atomic_load(&f->p.wake) & NB__PC_DONE))
        nb__pcall_cancel(&f->p, code, msg);
    pthread_mutex_unlock(&T.mu);
}

/* --- Futures ---------------------------------------------------------------- */

/* p's on_done, under f->w.mu: wakes whoever polls the descriptor. */
static void on_done(nb__pcall *p)
{
    nb_future *f = (nb_future *)((char *)p - offsetof(nb_future, p));
    f->done_ns = f->t0_ns ? nb__metrics_start() : 0;
    if (f->efd >= 0)
        (void)eventfd_write(f->efd, 1);
}

static nb_future *future_new(const nb__method *m)
{
    size_t size = m->ret.kind == NB__K_VOID ? 0 : m->ret.size;
    nb_future *f = calloc(1, sizeof *f + size);
    if (!f)
        return NULL;
    f->m = m;
    f->efd = -1;
    f->heap_at = NOT_IN_HEAP;
    nb__waiter_init(&f->w);
    return f;
}

/* nb__remote_start for a future: registers the call, encodes args and queues
 * the request to be written soon. Sets this thread's code: NB_OK when queued,
 * else the failure (the future is settled with it unless it went remote). */
static void send_request(void *ctx, nb__conn *c, const char *node, const void *args,
                         int timeout_ms, int max_ext)
{
    nb_future *f = ctx;
    const nb__method *m = f->m;
    f->node = strdup(node);
    if (!f->node) {
        nb__fail(NB_E_SYSTEM, "%s: out of memory", m->name);
        return;
    }
    /* Before registering: on_done may run on a reader thread from then on. */
    f->t0_ns = nb__metrics_start();
    if (nb__pcall_register_notify(c, &f->p, &f->w, on_done) < 0) {
        nb__fail(NB_E_NODE_DOWN, "%s: %s went down before the call was sent", m->name, node);
        return;
    }
    f->remote = true;
    f->deadline_ms = nb__mono_ms() + timeout_ms;
    if (!track(f)) {
        nb__fail(NB_E_NODE_DOWN, "%s: this node is stopping (nb_stop): the call to %s was not "
                 "sent", m->name, node);
        return;
    }
    msgpack_sbuffer sb;
    char why[160], msg[256];
    if (nb__encode_request(m, args, f->deadline_ms, max_ext, f->p.id, &sb, why, sizeof why) < 0) {
        snprintf(msg, sizeof msg, "%s: %s", m->name, why);
        nb__pcall_cancel(&f->p, NB_E_PROTOCOL, msg);
        nb__fail(NB_E_PROTOCOL, "%s", msg);
        return;
    }
    nb__pcall_arm(&f->p, f->deadline_ms, timeout_ms, max_ext);
    nb__conn_send_soon(c, &sb); /* a failed send closes c, which resolves p */
    nb__set_code(NB_OK);
}

/*
 * f__async_with: routed as the synchronous call (nb__invoke_start); a remote
 * request is only queued, and every other outcome (a local run, a call that
 * could not start) is settled into the future at once from this thread's code.
 */
nb_future *nb__invoke_async(const nb__method *m, const nb_call *call, const void *args)
{
    nb_future *f = future_new(m);
    if (!f) {
        nb__fail(NB_E_SYSTEM, "%s__async: out of memory", m->name);
        return NULL;
    }
    nb__invoke_start(m, call, args, m->ret.kind == NB__K_VOID ? NULL : (void *)f->ret,
                     send_request, f);
    if (!f->remote) {
        f->code = nb_last_code();
        if (f->code != NB_OK)
            f->msg = strdup(nb_last_message());
    }
    return f;
}

/* Waits until p's outcome is written and its resolver has let go of it. */
static void wait_resolved(nb_future *f)
{
    pthread_mutex_lock(&f->w.mu);
    while (!f->p.done)
        pthread_cond_wait(&f->w.cv, &f->w.mu);
    pthread_mutex_unlock(&f->w.mu);
}

/* Frees f; clear_value: a value it still holds is released too (nobody took it). */
static void release(nb_future *f, bool clear_value)
{
    if (f->remote) {
        untrack(f, NB_E_CANCELLED, NULL);
        wait_resolved(f);
        nb__pcall_release(&f->p); /* the reply, if any, was never decoded */
    } else if (clear_value && f->code == NB_OK && f->m->ret.kind != NB__K_VOID) {
        nb__value_clear(&f->m->ret, f->ret);
    }
    if (f->efd >= 0)
        close(f->efd);
    free(f->node);
    free(f->msg);
    nb__waiter_destroy(&f->w);
    free(f);
}

void nb_future_free(nb_future *fut)
{
    if (fut)
        release(fut, true);
}

void nb_future_cancel(nb_future *fut)
{
    if (!fut || !fut->remote)
        return; /* already done: there is nothing to stop */
    char msg[256];
    snprintf(msg, sizeof msg, "%s: cancelled by the caller (the call to %s)", fut->m->name,
             fut->node);
    /* Under the timer's lock, which nb_stop takes to detach the connection. */
    pthread_mutex_lock(&T.mu);
    if (fut->p.conn)
        nb__pcall_cancel(&fut->p, NB_E_CANCELLED, msg);
    pthread_mutex_unlock(&T.mu);
}

bool nb_future_done(const nb_future *fut)
{
    if (!fut || !fut->remote)
        return true;
    return (atomic_load(&fut->p.wake) & NB__PC_DONE) != 0;
}

int nb_future_fd(const nb_future *cfut)
{
    if (!cfut)
        return -1;
    nb_future *f = (nb_future *)cfut; /* the descriptor is made on first use */
    pthread_mutex_lock(&f->w.mu);
    if (f->efd < 0) {
        f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (f->efd >= 0 && (!f->remote || f->p.done))
            (void)eventfd_write(f->efd, 1);
    }
    int fd = f->efd;
    pthread_mutex_unlock(&f->w.mu);
    if (fd < 0)
        nb__fail(NB_E_SYSTEM, "nb_future_fd: eventfd: %s", strerror(errno));
    return fd;
}

void nb__future_await(nb_future *f, const nb__method *m, void *ret)
{
    if (!f) {
        nb__fail(NB_E_SYSTEM, "%s__await: no future (%s__async ran out of memory)", m->name,
                 m->name);
        return;
    }
    if (f->m != m) {
        nb__fail(NB_E_BAD_OPTION, "%s__await: the future is a call of %s, not of %s", m->name,
                 f->m->name, m->name);
        release(f, true);
        return;
    }
    if (!f->remote) {
        if (ret)
            memcpy(ret, f->ret, m->ret.size); /* the value moves to the caller */
        if (f->code == NB_OK)
            nb__set_code(NB_OK);
        else
            nb__fail(f->code, "%s", f->msg ? f->msg : nb_code_name(f->code));
        release(f, false);
        return;
    }
    if (!(atomic_load(&f->p.wake) & NB__PC_DONE)) {
        if (nb__lease_enter()) {
            /* Our request leaves now if it still waits in the queue; then this
             * thread may read the connection itself (pending.h). */
            if (use_begin(f)) {
                nb__conn_flush(f->p.conn);
                nb__pcall_wait(&f->p, nb__pcall_deadline(&f->p), m->name, f->node);
                use_end(f);
            }
            nb__lease_leave();
        }
        /* Not started any more: nb_stop ends every call it left behind. */
    }
    wait_resolved(f);
    nb__pcall_outcome(m, &f->p, f->node, ret);
    /* Counted when awaited (the outcome's code is known only once decoded), timed
     * to when it was resolved: the start is moved by the time it then waited. A
     * future freed unawaited is not counted (docs/metrics.md). */
    if (f->t0_ns && f->done_ns)
        nb__metrics_call_end(m, NB__MT_REMOTE, f->t0_ns + (nb__metrics_start() - f->done_ns));
    release(f, false);
}
