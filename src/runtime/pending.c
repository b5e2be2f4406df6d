/*
 * pending.c — outgoing calls waiting for their reply; see pending.h for who
 * resolves a call and why it happens exactly once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "pending.h"
#include "config.h"

void nb__waiter_init(nb__waiter *w)
{
    pthread_mutex_init(&w->mu, NULL);
    nb__cond_init_monotonic(&w->cv);
}

void nb__waiter_destroy(nb__waiter *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

int nb__pcall_register(nb__conn *c, nb__pcall *p, nb__waiter *w)
{
    return nb__pcall_register_notify(c, p, w, NULL);
}

int nb__pcall_register_notify(nb__conn *c, nb__pcall *p, nb__waiter *w,
                              void (*on_done)(nb__pcall *p))
{
    memset(p, 0, sizeof *p);
    atomic_init(&p->wake, 0);
    atomic_init(&p->deadline_ms, 0);
    p->w = w;
    p->on_done = on_done;
    pthread_mutex_lock(&c->pmu);
    if (atomic_load(&c->broken)) {
        pthread_mutex_unlock(&c->pmu);
        return -1;
    }
    p->id = c->next_call_id++;
    p->conn = c;
    nb__conn_ref(c);
    p->next = c->pending;
    if (c->pending)
        c->pending->prev = p;
    else
        c->pending_tail = p;
    c->pending = p;
    p->linked = true;
    pthread_mutex_unlock(&c->pmu);
    return 0;
}

/* Unlinks p from its connection. Called with conn->pmu held. */
static void unlink_locked(nb__conn *c, nb__pcall *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->pending_tail = p->prev;
    p->next = p->prev = NULL;
    p->linked = false;
}

static void futex_wake(atomic_uint *word)
{
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleeps while *word == val, at most ms milliseconds (or until a wake). */
static void futex_wait(atomic_uint *word, unsigned val, int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

/* Sets bits in p->wake; returns the bits before. Whoever calls it must know p
 * is alive: p is linked (under c->pmu), or w->mu is held (see resolve). */
static unsigned set_wake_bits(nb__pcall *p, unsigned bits)
{
    return atomic_fetch_or(&p->wake, bits);
}

/* Writes p's outcome and wakes its waiter. The caller has unlinked p, so nobody
 * else can resolve it. Takes ownership of msg and reply. Everything is written
 * under w->mu, which the caller of nb__pcall_wait takes once before it returns:
 * p and w stay alive until this function no longer touches them (the futex wake
 * only names an address). */
static void resolve(nb__pcall *p, nb_code code, char *msg, unsigned char *reply, size_t len)
{
    nb__waiter *w = p->w;
    atomic_uint *word = &p->wake;
    pthread_mutex_lock(&w->mu);
    p->code = code;
    p->msg = msg;
    p->reply = reply;
    p->reply_len = len;
    p->done = true;
    unsigned old = set_wake_bits(p, NB__PC_DONE);
    if (p->on_done)
        p->on_done(p);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (old & NB__PC_SLEEPING)
        futex_wake(word);
}

void nb__pcall_arm(nb__pcall *p, int64_t deadline_ms, int window_ms, int max_extensions)
{
    nb__conn *c = p->conn;
    pthread_mutex_lock(&c->pmu);
    p->window_ms = window_ms;
    p->ext_left = max_extensions > 0 ? max_extensions : 0;
    p->armed = true;
    atomic_store_explicit(&p->deadline_ms, deadline_ms, memory_order_relaxed);
    pthread_mutex_unlock(&c->pmu);
}

void nb__pcall_on_extend(nb__conn *c, uint64_t id)
{
    nb__pcall *p;
    pthread_mutex_lock(&c->pmu);
    for (p = c->pending_tail; p && p->id != id; p = p->prev)
        ;
    /* The count is the caller's own: a server that sends more EXTENDs than the
     * REQUEST allowed (or any for a call that allowed none) moves nothing. */
    if (p && p->armed && p->ext_left > 0) {
        p->ext_left--;
        int64_t until = nb__mono_ms() + p->window_ms;
        if (until > atomic_load_explicit(&p->deadline_ms, memory_order_relaxed))
            atomic_store_explicit(&p->deadline_ms, until, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->pmu);
}

void nb__pcall_on_reply(nb__conn *c, uint64_t id, unsigned char *payload, size_t len)
{
    nb__pcall *p;
    pthread_mutex_lock(&c->pmu);
    for (p = c->pending_tail; p && p->id != id; p = p->prev)
        ;
    if (p)
        unlink_locked(c, p);
    pthread_mutex_unlock(&c->pmu);
    if (!p) {
        free(payload); /* late: its caller has given up */
        return;
    }
    resolve(p, NB_OK, NULL, payload, len);
}

void nb__pcall_fail_all(nb__conn *c, nb_code code, const char *msg)
{
    for (;;) {
        pthread_mutex_lock(&c->pmu);
        nb__pcall *p = c->pending;
        if (p)
            unlink_locked(c, p);
        pthread_mutex_unlock(&c->pmu);
        if (!p)
            return;
        resolve(p, code, msg ? strdup(msg) : NULL, NULL, 0);
    }
}

/* Tells c's peer that call `id` is no longer waited for. Best effort: the frame
 * is queued or written without waiting for the socket, and a connection that is
 * closing takes nothing (the peer sees it close, which cancels everything). */
static void send_cancel(nb__conn *c, uint64_t id)
{
    if (atomic_load(&c->broken))
        return;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    nb__frame_end(&sb, NB__F_CANCEL, id);
    if (sb.data)
        nb__conn_send(c, &sb);
}

bool nb__pcall_cancel(nb__pcall *p, nb_code code, const char *msg)
{
    nb__conn *c = p->conn;
    pthread_mutex_lock(&c->pmu);
    bool mine = p->linked;
    if (mine)
        unlink_locked(c, p);
    bool armed = p->armed;
    pthread_mutex_unlock(&c->pmu);
    if (!mine)
        return false;
    /* Unlinked first: a reply crossing the CANCEL finds nothing and is dropped,
     * so the caller's one outcome is this one. */
    if (armed)
        send_cancel(c, p->id);
    resolve(p, code, msg ? strdup(msg) : NULL, NULL, 0);
    return true;
}

bool nb__pcall_none(nb__conn *c)
{
    pthread_mutex_lock(&c->pmu);
    bool none = c->pending == NULL;
    pthread_mutex_unlock(&c->pmu);
    return none;
}

bool nb__pcall_promote(nb__conn *c, const nb__pcall *except)
{
    pthread_mutex_lock(&c->pmu);
    nb__pcall *p = c->pending;
    /* The newest call first: its reply is likely the last to come, so it can
     * read for the others longest before it has to hand the role on. */
    while (p && (p == except || !p->can_read ||
                 (atomic_load(&p->wake) & NB__PC_PROMOTED)))
        p = p->next;
    unsigned old = 0;
    atomic_uint *word = p ? &p->wake : NULL;
    if (p)
        old = set_wake_bits(p, NB__PC_PROMOTED);
    pthread_mutex_unlock(&c->pmu);
    /* p is linked, so not resolved, so its caller is still waiting: it sees the
     * bit. After the unlock it may return; the wake only names the address. */
    if (old & NB__PC_SLEEPING)
        futex_wake(word);
    return p != NULL;
}

/* Leaves c's reader role: to a waiting caller when there is one, else back to
 * the event loop. */
static void leave_reader(nb__conn *c, const nb__pcall *self)
{
    if (!nb__pcall_promote(c, self))
        nb__conn_reader_leave(c);
}

/* Reads c as its reader until p is done, the deadline passes or c closes.
 * Requests read on the way are queued for the workers: this thread is a caller
 * and must not run a body before returning to its own. A promoted reader reads
 * before it polls: its predecessor left because a batch of replies came, and
 * more are likely waiting. */
static void read_for_reply(nb__conn *c, nb__pcall *p, int64_t deadline_ms, bool read_first)
{
    for (;;) {
        if (atomic_load(&p->wake) & NB__PC_DONE)
            return;
        /* Bytes the stream already holds would not make the socket readable. */
        if (!read_first && !nb__conn_buffered(c)) {
            if (p->armed) /* an EXTEND read meanwhile may have moved it */
                deadline_ms = nb__pcall_deadline(p);
            int64_t left = deadline_ms - nb__mono_ms();
            if (left <= 0)
                return;
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int n = nb__conn_poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
            if (n < 0 && errno != EINTR)
                return;
            if (n <= 0)
                continue;
        }
        nb__reader_ctx ctx = {.can_run = false};
        int rc = nb__conn_pump(c, &ctx);
        if (rc < 0) {
            /* Closing fails every call on c, ours included, before returning. */
            nb__conn_close(c, "%s", ctx.why);
            return;
        }
        read_first = false;
    }
}

/* Sleeps on p's futex word until something changes (done, promoted) or ms
 * milliseconds pass. */
static void sleep_for_reply(nb__pcall *p, int64_t ms)
{
    unsigned v = atomic_load(&p->wake);
    if (v & (NB__PC_DONE | NB__PC_PROMOTED))
        return;
    if (!atomic_compare_exchange_strong(&p->wake, &v, v | NB__PC_SLEEPING))
        return; /* changed meanwhile: look again */
    futex_wait(&p->wake, v | NB__PC_SLEEPING, ms);
    atomic_fetch_and(&p->wake, ~NB__PC_SLEEPING);
}

/* The caller gives up at the deadline: resolves p with NB_E_TIMEOUT unless its
 * outcome got there first (false: it is being written). */
static bool time_out(nb__pcall *p, const char *method, const char *node)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: no reply from %s within the timeout", method, node);
    nb__conn *c = p->conn;
    if (!nb__pcall_cancel(p, NB_E_TIMEOUT, msg))
        return false;
    /* The peer may be frozen: new calls avoid it until it sends anything. */
    nb__conn_mark_silent(c);
    return true;
}

void nb__pcall_wait(nb__pcall *p, int64_t deadline_ms, const char *method, const char *node)
{
    nb__conn *c = p->conn;
    /* From now on this caller may be handed c's reader role. */
    pthread_mutex_lock(&c->pmu);
    p->can_read = p->linked;
    pthread_mutex_unlock(&c->pmu);
    for (;;) {
        unsigned v = atomic_load(&p->wake);
        if (p->armed)
            deadline_ms = nb__pcall_deadline(p);
        if (!(v & NB__PC_DONE) && nb__mono_ms() >= deadline_ms) {
            if (!time_out(p, method, node))
                sleep_for_reply(p, 1); /* another thread is writing the outcome */
            continue;
        }
        bool reader = false;
        if (v & NB__PC_PROMOTED) {
            atomic_fetch_and(&p->wake, ~NB__PC_PROMOTED);
            reader = true;
        } else if (v & NB__PC_DONE) {
            break;
        } else {
            reader = nb__conn_reader_try(c);
        }
        if (reader) {
            read_for_reply(c, p, deadline_ms, v & NB__PC_PROMOTED);
            leave_reader(c, p);
            continue;
        }
        /* Whoever reads c wakes us when our reply comes, or hands us the role;
         * we also look again now and then in case nobody reads c for us. */
        int64_t left = deadline_ms - nb__mono_ms();
        sleep_for_reply(p, left < 50 ? (left > 0 ? left : 0) : 50);
    }
    /* The resolver wrote the outcome under w->mu: once we have had it too, it
     * has finished with p and w, and both may go. */
    pthread_mutex_lock(&p->w->mu);
    pthread_mutex_unlock(&p->w->mu);
}

void nb__pcall_release(nb__pcall *p)
{
    free(p->msg);
    free(p->reply);
    p->msg = NULL;
    p->reply = NULL;
    if (p->conn)
        nb__conn_unref(p->conn);
    p->conn = NULL;
}
