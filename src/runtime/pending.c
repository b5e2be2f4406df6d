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

#include "log.h"
#include "pending.h"
#include "runtime.h"

void nb__waiter_init(nb__waiter *w)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &attr);
    pthread_condattr_destroy(&attr);
}

void nb__waiter_destroy(nb__waiter *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

int nb__pcall_register(nb__conn *c, nb__pcall *p, nb__waiter *w)
{
    memset(p, 0, sizeof *p);
    p->w = w;
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
    p->next = p->prev = NULL;
    p->linked = false;
}

/* Writes p's outcome and wakes its waiter. The caller has unlinked p, so nobody
 * else can resolve it. Takes ownership of msg and reply. */
static void resolve(nb__pcall *p, nb_code code, char *msg, unsigned char *reply, size_t len)
{
    nb__waiter *w = p->w;
    pthread_mutex_lock(&w->mu);
    p->code = code;
    p->msg = msg;
    p->reply = reply;
    p->reply_len = len;
    p->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void nb__pcall_on_reply(nb__conn *c, uint64_t id, unsigned char *payload, size_t len)
{
    nb__pcall *p;
    pthread_mutex_lock(&c->pmu);
    for (p = c->pending; p && p->id != id; p = p->next)
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

bool nb__pcall_cancel(nb__pcall *p, nb_code code, const char *msg)
{
    nb__conn *c = p->conn;
    pthread_mutex_lock(&c->pmu);
    bool mine = p->linked;
    if (mine)
        unlink_locked(c, p);
    pthread_mutex_unlock(&c->pmu);
    if (mine)
        resolve(p, code, msg ? strdup(msg) : NULL, NULL, 0);
    return mine;
}

static bool is_done(nb__pcall *p)
{
    pthread_mutex_lock(&p->w->mu);
    bool done = p->done;
    pthread_mutex_unlock(&p->w->mu);
    return done;
}

/* Reads c as its reader until p is done, the deadline passes or c closes.
 * Requests read on the way are queued for the workers: this thread is a caller
 * and must not run a body before returning to its own. */
static void read_for_reply(nb__conn *c, nb__pcall *p, int64_t deadline_ms)
{
    for (;;) {
        if (is_done(p))
            return;
        int64_t left = deadline_ms - nb__mono_ms();
        if (left <= 0)
            return;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0)
            continue;
        nb__reader_ctx ctx = {.can_run = false};
        if (nb__conn_pump(c, &ctx) < 0) {
            /* Closing fails every call on c, ours included, before returning. */
            nb__conn_close(c, "%s", ctx.why);
            return;
        }
    }
}

/* Sleeps on p's waiter until it is done, the deadline passes, or the reader
 * role of c frees up (checked at least every few milliseconds). */
static void sleep_for_reply(nb__pcall *p, int64_t deadline_ms, int64_t slice_ms)
{
    int64_t until = nb__mono_ms() + slice_ms;
    if (until > deadline_ms)
        until = deadline_ms;
    struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (until % 1000) * 1000000L};
    pthread_mutex_lock(&p->w->mu);
    while (!p->done) {
        if (pthread_cond_timedwait(&p->w->cv, &p->w->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&p->w->mu);
}

void nb__pcall_wait(nb__pcall *p, int64_t deadline_ms, const char *method, const char *node)
{
    nb__conn *c = p->conn;
    while (!is_done(p)) {
        if (nb__mono_ms() >= deadline_ms) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s: no reply from %s within the timeout", method, node);
            if (nb__pcall_cancel(p, NB_E_TIMEOUT, msg))
                return;
            continue; /* resolved under our feet: done is about to be set */
        }
        if (nb__conn_reader_try(c)) {
            read_for_reply(c, p, deadline_ms);
            nb__conn_reader_leave(c);
        } else {
            /* Whoever reads c wakes us when our reply comes; we also look again
             * now and then in case the reader left and nobody reads c for us. */
            sleep_for_reply(p, deadline_ms, 50);
        }
    }
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
