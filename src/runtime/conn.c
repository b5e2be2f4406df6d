/*
 * conn.c — one connection to a peer over a byte stream: the connection table,
 * the reader role, the stream's security step, ordered writes, frame parsing and
 * closing. See conn.h for the threading and callback contracts.
 *
 * Layering: this file calls the loop (transport.h) and the stream (stream.h)
 * below it, and pending.c beside it (the calls waiting on a connection are part
 * of this layer: closing fails them, a leaving reader hands its role to one of
 * them). Everything above it is reached only through the nb__conn_hooks given
 * to nb__conn_layer_start.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "pending.h"
#include "stream.h"
#include "transport.h"

#define RBUF_SIZE ((size_t)64 << 10)
/* Memory a peer made this node hold goes back to the system (malloc_trim) when
 * a queue that held more than this drains, when a frame larger than this has
 * been handled, and when a connection that did either is freed: freed chunks
 * would otherwise stay in malloc's arenas (measured: 2.1 GB kept after a peer
 * that never read its replies had left). Rare enough that the trim's cost (it
 * walks the arenas) does not show. */
#define TRIM_AFTER_BYTES ((size_t)4 << 20)
/* Bytes per millisecond a frame is given on top of nb__cfg.frame_timeout_ms
 * (1 MiB/s): see nb__conn_frame_overdue. */
#define FRAME_MIN_RATE 1024u

/* Set by nb__conn_layer_start before any connection exists, cleared by
 * nb__conn_layer_stop after the last one is gone: read without locks. */
static nb__conn_hooks H;
static nb__stream_factory *streams;

void nb__conn_layer_start(const nb__conn_hooks *hooks, nb__stream_factory *f)
{
    H = *hooks;
    streams = f;
}

void nb__conn_layer_stop(void)
{
    memset(&H, 0, sizeof H);
    streams = NULL;
}

/* The connection table: the "open" reference of every connection, and the
 * slot/generation pairs epoll events carry, so an event for a connection that has
 * been closed since is recognised and dropped instead of touching freed memory. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    nb__conn **slots;
    uint32_t *gens;
    size_t cap;
    size_t live;        /* allocated connections, open or not yet freed */
} table = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0};

static uint64_t conn_event_data(const nb__conn *c)
{
    return (uint64_t)c->gen << 32 | (c->slot + NB__LOOP_TAG_BASE);
}

static int table_insert(nb__conn *c)
{
    pthread_mutex_lock(&table.mu);
    size_t i = 0;
    while (i < table.cap && table.slots[i])
        i++;
    if (i == table.cap) {
        size_t cap = table.cap ? table.cap * 2 : 16;
        nb__conn **s = realloc(table.slots, cap * sizeof *s);
        if (s)
            table.slots = s;
        uint32_t *g = s ? realloc(table.gens, cap * sizeof *g) : NULL;
        if (!g) {
            pthread_mutex_unlock(&table.mu);
            return -1;
        }
        table.gens = g;
        for (size_t k = table.cap; k < cap; k++) {
            table.slots[k] = NULL;
            table.gens[k] = 0;
        }
        table.cap = cap;
    }
    table.slots[i] = c;
    c->slot = (uint32_t)i;
    c->gen = ++table.gens[i];
    table.live++;
    pthread_mutex_unlock(&table.mu);
    return 0;
}

/* Removes c from the table; returns true when it was there (the caller then
 * drops the table's reference). */
static bool table_remove(nb__conn *c)
{
    bool was = false;
    pthread_mutex_lock(&table.mu);
    if (c->slot < table.cap && table.slots[c->slot] == c) {
        table.slots[c->slot] = NULL;
        was = true;
    }
    pthread_mutex_unlock(&table.mu);
    return was;
}

/* The connection an epoll event points at, referenced, or NULL when it has gone
 * since. */
static nb__conn *conn_from_event(uint64_t data)
{
    uint32_t slot = (uint32_t)data - NB__LOOP_TAG_BASE, gen = (uint32_t)(data >> 32);
    nb__conn *c = NULL;
    pthread_mutex_lock(&table.mu);
    if (slot < table.cap && table.slots[slot] && table.gens[slot] == gen) {
        c = table.slots[slot];
        nb__conn_ref(c);
    }
    pthread_mutex_unlock(&table.mu);
    return c;
}

/* Frees chunks that have been written (outside wmu), or left over at the end. */
static void free_chunks(nb__wchunk *w)
{
    for (nb__wchunk *next; w; w = next) {
        next = w->next;
        free(w->data);
        free(w);
    }
}

void nb__conn_ref(nb__conn *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void nb__conn_unref(nb__conn *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    bool trim = c->wq_peak > TRIM_AFTER_BYTES || c->had_big;
    nb__stream_free(c->stream);
    close(c->fd);
    free_chunks(c->wq_head);
    if (c->zone)
        msgpack_zone_free(c->zone);
    free(c->rbuf);
    free(c->big);
    free(c->peer_name);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->wmu);
    pthread_mutex_destroy(&c->pmu);
    free(c);
    pthread_mutex_lock(&table.mu);
    table.live--;
    pthread_cond_broadcast(&table.freed);
    pthread_mutex_unlock(&table.mu);
    if (trim)
        malloc_trim(0);
}

/* Re-arms the one-shot registration with what c needs now: input unless someone
 * holds the reader role, output while output waits (queued frames or bytes the
 * stream holds), a connect is pending or the stream's handshake waits for the
 * socket to drain. Called with c->mu held, so the last call always reflects the
 * last change. */
static void conn_arm_locked(nb__conn *c)
{
    if (c->closing)
        return;
    uint32_t ev = 0;
    /* Back-pressure: while the peer's replies over the cap wait, its requests
     * are not read (hang-ups and errors are still reported, and close it). */
    /* Held by the layers above (nb__conn_hold_input): releasing re-arms. */
    bool held_above = atomic_load(&c->in_hold) > 0;
    bool hold = !c->reading && held_above;
    if (!c->reading && !hold && atomic_load(&c->over_cap)) {
        /* Published before over_cap is read again, as a writer draining the
         * queue clears over_cap before it reads in_held (conn_flush): one of
         * the two sees the other, so input is never left unarmed for good. */
        atomic_store(&c->in_held, true);
        hold = atomic_load(&c->over_cap);
    }
    if (!hold || held_above)
        atomic_store(&c->in_held, false);
    if (!c->reading && !hold)
        ev |= EPOLLIN | EPOLLRDHUP;
    if (c->phase == NB__CONN_CONNECTING || (c->phase == NB__CONN_SECURING && c->secure_wants_out) ||
        atomic_load(&c->wq_nonempty))
        ev |= EPOLLOUT;
    if (ev) {
        nb__loop_mod(c->fd, conn_event_data(c), ev | EPOLLONESHOT);
        c->armed = true;
    } else if (c->armed) {
        /* Only hang-ups and errors can still fire; the handler drops them. */
        nb__loop_mod(c->fd, conn_event_data(c), EPOLLONESHOT);
        c->armed = false;
    }
}

/* Creates a connection around an accepted or connecting non-blocking socket,
 * registers it with the loop and returns it with one reference for the caller
 * (the connection table holds its own until the connection closes). NULL on
 * failure (fd closed; nobody above has heard of it). */
static nb__conn *conn_new(int fd, bool outbound, int dial_index, const char *addr,
                          const char *expected_peer)
{
    nb__conn *c = calloc(1, sizeof *c);
    if (c)
        c->rbuf = malloc(RBUF_SIZE);
    if (c && c->rbuf)
        c->stream = nb__stream_open(streams, fd, outbound, expected_peer);
    if (!c || !c->rbuf || !c->stream) {
        if (c)
            free(c->rbuf);
        free(c);
        close(fd);
        return NULL;
    }
    c->fd = fd;
    atomic_init(&c->refs, 2); /* the table's and the caller's */
    c->outbound = outbound;
    c->dial_index = dial_index;
    c->peer_index = -1;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->created_ms = nb__mono_ms();
    atomic_init(&c->last_rx_ms, c->created_ms);
    atomic_init(&c->silent_rx_ms, 0);
    c->rcap = RBUF_SIZE;
    c->max_frame = NB__FRAME_HANDSHAKE_MAX;
    c->phase = outbound ? NB__CONN_CONNECTING : NB__CONN_SECURING;
    c->next_call_id = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->wmu, NULL);
    pthread_mutex_init(&c->pmu, NULL);
    if (table_insert(c) < 0) {
        atomic_store(&c->refs, 1);
        nb__conn_unref(c);
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    uint32_t ev = EPOLLONESHOT | (outbound ? EPOLLOUT : EPOLLIN | EPOLLRDHUP);
    bool added = nb__loop_add(fd, conn_event_data(c), ev) == 0;
    c->armed = added;
    pthread_mutex_unlock(&c->mu);
    if (!added) {
        /* Never seen by anyone: undo without nb__conn_close, whose on_closed
         * would call into the session (whose lock the dialler may hold). */
        c->closing = true;
        if (table_remove(c))
            nb__conn_unref(c);
        nb__conn_unref(c);
        return NULL;
    }
    return c;
}

/* Accounts for bytes queued (delta > 0) or taken by the stream (delta < 0), and
 * whether c is over its cap of queued bytes. Called with c->wmu held. */
static void queued_add_locked(nb__conn *c, ptrdiff_t delta)
{
    c->wq_bytes = (size_t)((ptrdiff_t)c->wq_bytes + delta);
    if (c->wq_bytes > c->wq_peak)
        c->wq_peak = c->wq_bytes;
    size_t cap = nb__cfg.max_queued_bytes;
    bool over = cap > 0 && c->wq_bytes > cap;
    if (over != atomic_load_explicit(&c->over_cap, memory_order_relaxed))
        atomic_store(&c->over_cap, over);
}

/* Drops `put` written bytes from the head of the queue; fully written chunks
 * move to *done. Called with c->wmu held. */
static void conn_consume_locked(nb__conn *c, size_t put, nb__wchunk **done)
{
    queued_add_locked(c, -(ptrdiff_t)(put < c->wq_bytes ? put : c->wq_bytes));
    while (put > 0 && c->wq_head) {
        nb__wchunk *w = c->wq_head;
        size_t left = w->len - w->off;
        if (put < left) {
            w->off += put;
            return;
        }
        put -= left;
        c->wq_head = w->next;
        w->next = *done;
        *done = w;
    }
    if (!c->wq_head)
        c->wq_tail = NULL;
}

/* The writer's loop: hands the queue to the stream, up to WRITE_IOV chunks per
 * writev, until the queue is empty and the stream holds nothing unsent, or the
 * socket is full. Called with c->wmu held and c->writing set by the caller;
 * drops wmu around each writev so other threads can queue behind (only the
 * tail moves meanwhile, never the chunks being sent). Only the writer touches
 * the stream's write side, so nb__stream_unsent is read by it alone. Returns 0
 * when everything is on the socket, 1 when the socket is full (EPOLLOUT
 * finishes), -errno on a broken stream. */
static int conn_write_locked(nb__conn *c, nb__wchunk **done)
{
    enum { WRITE_IOV = 64 };
    while (c->wq_head || nb__stream_unsent(c->stream) > 0) {
        struct iovec iov[WRITE_IOV];
        int n = 0;
        for (nb__wchunk *w = c->wq_head; w && n < WRITE_IOV; w = w->next, n++)
            iov[n] = (struct iovec){w->data + w->off, w->len - w->off};
        pthread_mutex_unlock(&c->wmu);
        ssize_t put = nb__stream_writev(c->stream, iov, n);
        int err = errno;
        pthread_mutex_lock(&c->wmu);
        if (put < 0) {
            if (err == EINTR)
                continue;
            if (err != EAGAIN && err != EWOULDBLOCK)
                return -(err ? err : EIO);
            atomic_store(&c->wq_nonempty, true);
            return 1;
        }
        conn_consume_locked(c, (size_t)put, done);
        if (put > 0 && atomic_load(&c->over_cap)) {
            /* Over the cap, this node does not read the peer (or will not
             * once the reader role is left) and hears nothing from it: that
             * it takes our bytes is its sign of life (silence detection), and
             * the time a frame of its may take does not run meanwhile. */
            int64_t now = nb__mono_ms();
            atomic_store_explicit(&c->last_rx_ms, now, memory_order_relaxed);
            if (atomic_load(&c->frame_since_ms) != 0)
                atomic_store(&c->frame_since_ms, now);
        }
        if (n == 0 && put == 0 && nb__stream_unsent(c->stream) > 0) {
            /* Only held bytes were to go and none went: wait for EPOLLOUT. */
            atomic_store(&c->wq_nonempty, true);
            return 1;
        }
    }
    atomic_store(&c->wq_nonempty, false);
    return 0;
}

/* Writes c's queue as its writer unless one is at work already, c is corked
 * (uncork: after ending the cork) or its stream is not secured yet. Returns 0,
 * 1 when the socket is full (EPOLLOUT must be armed), -errno when broken. */
static int conn_write(nb__conn *c, bool uncork)
{
    nb__wchunk *done = NULL;
    int rc = 0;
    pthread_mutex_lock(&c->wmu);
    if (uncork)
        c->corked = false;
    if (!c->writing && !c->corked && c->open_for_writes && !atomic_load(&c->broken) &&
        (c->wq_head || atomic_load(&c->wq_nonempty))) {
        c->writing = true;
        rc = conn_write_locked(c, &done);
        c->writing = false;
    }
    bool trim = c->wq_bytes == 0 && c->wq_peak > TRIM_AFTER_BYTES;
    if (trim)
        c->wq_peak = 0;
    pthread_mutex_unlock(&c->wmu);
    free_chunks(done);
    if (trim)
        malloc_trim(0);
    return rc;
}

int nb__conn_queue(nb__conn *c, msgpack_sbuffer *sb)
{
    size_t len = sb->size;
    char *data = msgpack_sbuffer_release(sb);
    nb__wchunk *w = malloc(sizeof *w);
    if (!w || !data) {
        free(w);
        free(data);
        nb__conn_close(c, "out of memory queueing a frame");
        return -1;
    }
    *w = (nb__wchunk){NULL, data, 0, len};
    pthread_mutex_lock(&c->wmu);
    if (atomic_load(&c->broken)) {
        pthread_mutex_unlock(&c->wmu);
        free_chunks(w);
        return -1;
    }
    if (c->wq_tail)
        c->wq_tail->next = w;
    else
        c->wq_head = w;
    c->wq_tail = w;
    queued_add_locked(c, (ptrdiff_t)len);
    pthread_mutex_unlock(&c->wmu);
    return 0;
}

/* Writes c's queue (ending the cork first when asked); a broken socket closes c. */
static int conn_flush(nb__conn *c, bool uncork)
{
    int rc = conn_write(c, uncork);
    if (rc < 0) {
        nb__conn_close(c, "write failed: %s", strerror(-rc));
        return -1;
    }
    if (rc > 0 || (atomic_load(&c->in_held) && !atomic_load(&c->over_cap))) {
        /* The socket is full: a loop thread finishes on EPOLLOUT. Or the queue
         * has drained below the cap: the peer's requests are read again. */
        pthread_mutex_lock(&c->mu);
        conn_arm_locked(c);
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

int nb__conn_flush(nb__conn *c)
{
    return conn_flush(c, false);
}

/* While the reader hands out a batch of frames, frames queued for c (say the
 * next requests of the callers it wakes) wait, to leave together when the
 * batch is done. */
static void conn_cork(nb__conn *c)
{
    pthread_mutex_lock(&c->wmu);
    c->corked = true;
    pthread_mutex_unlock(&c->wmu);
}

int nb__conn_send_soon(nb__conn *c, msgpack_sbuffer *sb)
{
    if (nb__conn_queue(c, sb) < 0)
        return -1;
    /* The first frame of a burst arms EPOLLOUT; the frames queued until a loop
     * thread answers it leave with it, in one writev. A writer at work takes
     * ours anyway (it loops until the queue is empty, checked under wmu). */
    pthread_mutex_lock(&c->wmu);
    bool arm = c->open_for_writes && !c->writing && !atomic_load(&c->wq_nonempty) &&
               !atomic_load(&c->broken);
    if (arm)
        atomic_store(&c->wq_nonempty, true);
    pthread_mutex_unlock(&c->wmu);
    if (arm) {
        pthread_mutex_lock(&c->mu);
        conn_arm_locked(c);
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

int nb__conn_send(nb__conn *c, msgpack_sbuffer *sb)
{
    if (nb__conn_queue(c, sb) < 0)
        return -1;
    return nb__conn_flush(c);
}

void nb__frame_begin(msgpack_sbuffer *sb, msgpack_packer *pk)
{
    /* Most frames are small: a small first buffer (msgpack's own is 8 KiB) keeps
     * their allocation on malloc's fast path; a large frame grows by doubling. */
    enum { FIRST_ALLOC = 256 };
    static const char zero[NB__FRAME_HEADER_SIZE];
    msgpack_sbuffer_init(sb);
    sb->data = malloc(FIRST_ALLOC);
    sb->alloc = sb->data ? FIRST_ALLOC : 0;
    msgpack_sbuffer_write(sb, zero, sizeof zero);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
}

void nb__frame_end(msgpack_sbuffer *sb, nb__frame_type type, uint64_t call_id)
{
    nb__frame_header h = {(uint32_t)(sb->size - NB__FRAME_HEADER_SIZE), NB__WIRE_VERSION,
                          (uint8_t)type, 0, call_id};
    if (sb->data)
        nb__frame_put_header((unsigned char *)sb->data, &h);
}

int nb__conn_send_empty(nb__conn *c, nb__frame_type type)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    nb__frame_end(&sb, type, 0);
    if (!sb.data)
        return -1;
    return nb__conn_send(c, &sb);
}

void nb__conn_close(nb__conn *c, const char *fmt, ...)
{
    pthread_mutex_lock(&c->mu);
    if (c->closing) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->closing = true;
    bool open = c->phase == NB__CONN_OPEN;
    nb__loop_del(c->fd);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_lock(&c->wmu);
    atomic_store(&c->broken, true);
    pthread_mutex_unlock(&c->wmu);
    /* The stream serialises this with a reader or writer still at work. */
    if (open)
        nb__stream_goodbye(c->stream);
    /* Wakes a caller blocked in poll() on this socket; the descriptor itself is
     * closed only with the last reference, so it cannot be reused under anyone. */
    shutdown(c->fd, SHUT_RDWR);

    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    H.on_closed(c, why);
    nb__pcall_fail_all(c, NB_E_NODE_DOWN, why); /* same layer (pending.c) */
    if (table_remove(c))
        nb__conn_unref(c);
}

void nb__conn_hold_input(nb__conn *c, bool hold)
{
    if (hold) {
        /* Nothing to do now: the next arming leaves input out, and a loop
         * thread reading c stops after the frames it has (nb__conn_pump). */
        atomic_fetch_add(&c->in_hold, 1);
        return;
    }
    pthread_mutex_lock(&c->mu);
    if (atomic_fetch_sub(&c->in_hold, 1) == 1 && !c->reading)
        conn_arm_locked(c);
    pthread_mutex_unlock(&c->mu);
}

/* Whether the layers above hold c's input (nb__conn_hold_input). */
static bool conn_held(nb__conn *c)
{
    return atomic_load_explicit(&c->in_hold, memory_order_relaxed) > 0;
}

bool nb__conn_reader_try(nb__conn *c)
{
    bool got = false;
    pthread_mutex_lock(&c->mu);
    if (!c->reading && !c->closing) {
        c->reading = true;
        got = true;
        if (c->armed)
            conn_arm_locked(c);
    }
    pthread_mutex_unlock(&c->mu);
    return got;
}

void nb__conn_reader_leave(nb__conn *c)
{
    pthread_mutex_lock(&c->mu);
    c->reading = false;
    conn_arm_locked(c);
    pthread_mutex_unlock(&c->mu);
}

void nb__conn_reader_hand_on(nb__conn *c)
{
    if (!nb__pcall_promote(c, NULL)) /* same layer (pending.c) */
        nb__conn_reader_leave(c);
}

/* Checks a header before its payload is read; fills ctx->why when it is bad. */
static bool header_ok(const nb__conn *c, const nb__frame_header *h, nb__reader_ctx *ctx)
{
    if (h->version != NB__WIRE_VERSION) {
        snprintf(ctx->why, sizeof ctx->why, "frame of wire version %u (this node speaks %d)",
                 h->version, NB__WIRE_VERSION);
        return false;
    }
    if (h->type == 0 || h->type >= NB__F_TYPE_END || h->flags != 0) {
        snprintf(ctx->why, sizeof ctx->why, "malformed frame header (type %u, flags %u)",
                 h->type, h->flags);
        return false;
    }
    if (h->length > c->max_frame) {
        snprintf(ctx->why, sizeof ctx->why, "frame of %u bytes exceeds the limit of %zu",
                 h->length, c->max_frame);
        return false;
    }
    return true;
}

/* Dispatches every complete frame in rbuf; starts a large frame's own buffer. */
static int conn_parse(nb__conn *c, nb__reader_ctx *ctx)
{
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && c->rlen - off >= NB__FRAME_HEADER_SIZE) {
        nb__frame_header h;
        nb__frame_get_header(c->rbuf + off, &h);
        if (!header_ok(c, &h, ctx)) {
            /* A hostile or broken byte stream: only this connection pays, and
             * the log only a line per window however often it is tried. */
            static nb__log_limit bad_frames = NB__LOG_LIMIT_INIT;
            nb__log_limited(&bad_frames, c->peer_name ? c->peer_name : "unauthenticated",
                            NB__LOG_WARN, "closing the connection with %s: %s",
                            c->peer_name ? c->peer_name : c->addr, ctx->why);
            return -1;
        }
        size_t total = NB__FRAME_HEADER_SIZE + (size_t)h.length;
        if (c->rlen - off >= total) {
            unsigned char *owned = NULL;
            rc = H.on_frame(c, &h, c->rbuf + off + NB__FRAME_HEADER_SIZE, &owned, ctx);
            off += total;
            continue;
        }
        if (total > c->rcap) {
            size_t have = c->rlen - off - NB__FRAME_HEADER_SIZE;
            c->big = malloc(h.length);
            if (!c->big) {
                snprintf(ctx->why, sizeof ctx->why, "out of memory for a %u-byte frame", h.length);
                return -1;
            }
            memcpy(c->big, c->rbuf + off + NB__FRAME_HEADER_SIZE, have);
            c->big_have = have;
            c->big_hdr = h;
            c->had_big = c->had_big || h.length > TRIM_AFTER_BYTES;
            off = c->rlen;
        }
        break;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    /* The frame now arriving began with this read if a frame before it ended
     * here; else it is the one that began earlier (its time keeps running). */
    if (c->rlen == 0 && !c->big)
        atomic_store_explicit(&c->frame_since_ms, 0, memory_order_relaxed);
    else if (off > 0 || atomic_load_explicit(&c->frame_since_ms, memory_order_relaxed) == 0)
        atomic_store_explicit(&c->frame_since_ms, nb__mono_ms(), memory_order_relaxed);
    /* A large frame gets time for its size too, at FRAME_MIN_RATE: an honest
     * 64 MiB frame on a slow link is not a trickled one. */
    uint32_t len = 0;
    if (c->big)
        len = c->big_hdr.length;
    else if (c->rlen >= NB__FRAME_HEADER_SIZE)
        len = (uint32_t)c->rbuf[0] << 24 | (uint32_t)c->rbuf[1] << 16 |
              (uint32_t)c->rbuf[2] << 8 | c->rbuf[3];
    atomic_store_explicit(&c->frame_allow_ms, (int64_t)(len / FRAME_MIN_RATE),
                          memory_order_relaxed);
    return rc;
}

/* Hands a completed large frame to the upper layer. */
static int conn_big_done(nb__conn *c, nb__reader_ctx *ctx)
{
    unsigned char *owned = c->big;
    nb__frame_header h = c->big_hdr;
    c->big = NULL;
    c->big_have = 0;
    atomic_store_explicit(&c->frame_since_ms, 0, memory_order_relaxed);
    int rc = H.on_frame(c, &h, owned, &owned, ctx);
    free(owned);
    if (h.length > TRIM_AFTER_BYTES)
        malloc_trim(0);
    return rc;
}

/* One read from the stream and the frames it completes. Returns 1 when bytes
 * were read, 0 when none were waiting, -1 when c must close. */
static int conn_pump_once(nb__conn *c, nb__reader_ctx *ctx)
{
    ssize_t n;
    char why[256];
    why[0] = '\0'; /* not the whole buffer: this runs on every read */
    do {
        if (c->big)
            n = nb__stream_read(c->stream, c->big + c->big_have, c->big_hdr.length - c->big_have,
                                why, sizeof why);
        else
            n = nb__stream_read(c->stream, c->rbuf + c->rlen, c->rcap - c->rlen, why, sizeof why);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        snprintf(ctx->why, sizeof ctx->why, "connection closed by the peer");
        return -1;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        snprintf(ctx->why, sizeof ctx->why, "read failed: %s", why[0] ? why : strerror(errno));
        return -1;
    }
    atomic_store_explicit(&c->last_rx_ms, nb__mono_ms(), memory_order_relaxed);
    int rc;
    if (c->big) {
        c->big_have += (size_t)n;
        rc = c->big_have == c->big_hdr.length ? conn_big_done(c, ctx) : 0;
    } else {
        c->rlen += (size_t)n;
        conn_cork(c);
        rc = conn_parse(c, ctx);
        if (conn_flush(c, true) < 0 && rc == 0) {
            snprintf(ctx->why, sizeof ctx->why, "write failed");
            rc = -1;
        }
    }
    return rc < 0 ? -1 : 1;
}

/* Bytes a loop thread reads on after a batch of requests, before running it. */
#define DRAIN_BUDGET ((size_t)1 << 20)

int nb__conn_pump(nb__conn *c, nb__reader_ctx *ctx)
{
    int rc = conn_pump_once(c, ctx);
    /* Bytes the stream holds (decrypted, not yet handed out) would not wake
     * anyone: the socket has no more to say about them. */
    while (rc > 0 && nb__stream_pending(c->stream))
        rc = conn_pump_once(c, ctx) < 0 ? -1 : 1;
    /* A loop thread about to run a batch of requests first reads what else has
     * arrived (until the socket is empty, within a budget): a CANCEL queued
     * behind its request, as after this process was paused, is then seen before
     * the body would start (docs/cancellation.md). */
    for (size_t budget = DRAIN_BUDGET;
         rc > 0 && ctx->can_run && ctx->run_here && budget > 0 && !conn_held(c);
         budget = budget > c->rcap ? budget - c->rcap : 0) {
        int more = conn_pump_once(c, ctx);
        while (more > 0 && nb__stream_pending(c->stream))
            more = conn_pump_once(c, ctx) < 0 ? -1 : 1;
        if (more <= 0) {
            rc = more < 0 ? -1 : rc;
            break;
        }
    }
    return rc;
}

bool nb__conn_buffered(nb__conn *c)
{
    return nb__stream_pending(c->stream);
}

/* Polls fds without sleeping for up to nb__cfg.spin_us: > 0 as soon as one is
 * ready, 0 when none became ready, < 0 on error (as poll). */
static int spin_poll(struct pollfd *fds, nfds_t n)
{
    int64_t until = nb__mono_ns() + (int64_t)nb__cfg.spin_us * 1000;
    int r;
    do
        r = poll(fds, n, 0);
    while (r == 0 && nb__mono_ns() < until);
    return r;
}

int nb__conn_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (nb__cfg.spin_us > 0 && timeout_ms > 0 && n > 0) { /* no descriptor: just a sleep */
        int r = spin_poll(fds, n);
        if (r != 0)
            return r;
    }
    return poll(fds, n, timeout_ms);
}

/* Completes a non-blocking connect; c then secures its stream. */
static int conn_connected(nb__conn *c, nb__reader_ctx *ctx)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        snprintf(ctx->why, sizeof ctx->why, "connect to %s failed: %s", c->addr, strerror(err));
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    c->phase = NB__CONN_SECURING;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

/* The SECURING step: advances the stream's handshake. Returns 1 when c is now
 * OPEN (on_secured has run; frames may be read), 0 when the handshake waits for
 * the socket (the registration is re-armed for what it waits for), -1 when c
 * must close. Only the reader-role holder calls it. */
static int conn_secure(nb__conn *c, nb__reader_ctx *ctx)
{
    int want = 0;
    char why[384] = "";
    int rc = nb__stream_handshake(c->stream, &want, why, sizeof why);
    if (rc < 0) {
        /* Worth an operator's eye (a wrong cookie, a certificate of another CA,
         * a plaintext peer), but a peer can repeat it at will: rate-limited.
         * One limiter per direction, so peers dialling us at will cannot hide
         * why our own dials fail (a certificate naming another node). */
        static nb__log_limit dial_refusals = NB__LOG_LIMIT_INIT;
        static nb__log_limit accept_refusals = NB__LOG_LIMIT_INIT;
        snprintf(ctx->why, sizeof ctx->why, "securing the connection with %s failed: %s", c->addr,
                 why[0] ? why : "handshake failed");
        nb__log_limited(c->outbound ? &dial_refusals : &accept_refusals, why, NB__LOG_WARN,
                        "%s (%s)", ctx->why, c->outbound ? "this node dialled" : "the peer dialled");
        nb__metrics_refusal(c->outbound ? nb__cfg.def->nodes[c->dial_index].name : NULL, why);
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    c->secure_wants_out = rc == 0 && (want & POLLOUT);
    if (rc == 1)
        c->phase = NB__CONN_OPEN;
    pthread_mutex_unlock(&c->mu);
    if (rc == 0)
        return 0;
    pthread_mutex_lock(&c->wmu);
    c->open_for_writes = true;
    pthread_mutex_unlock(&c->wmu);
    if (H.on_secured(c, ctx) < 0)
        return -1;
    /* Frames queued before (none from the session yet, but a send is allowed
     * any time) and the session's first frame go out now. */
    if (conn_flush(c, false) < 0) {
        snprintf(ctx->why, sizeof ctx->why, "write to %s failed", c->addr);
        return -1;
    }
    return 1;
}

/* A batch of short bodies runs with the reader role still held, and then the
 * socket is read again: a busy connection is served by one thread, without
 * re-arming it or waking another thread for each batch. Before a body that may
 * be long the role is handed on first, so the connection is read meanwhile.
 * Returns whether the role is still held; *rc is the last nb__conn_pump's. */
static bool serve_holding(nb__conn *c, nb__reader_ctx *ctx, int *rc)
{
    bool holding = true;
    for (int batches = 0; holding && *rc > 0 && ctx->run_here && ctx->quick && batches < 64 &&
                          !atomic_load(&c->over_cap) && !conn_held(c);
         batches++) {
        struct nb__job *job = ctx->run_here;
        ctx->run_here = NULL;
        ctx->quick = true;
        holding = H.run_job_holding(job, c);
        if (holding)
            *rc = nb__conn_pump(c, ctx);
        /* Spinning (nb__cfg.spin_us): the caller's next request may be on
         * its way; c is not armed, so nobody else is woken for it. */
        if (holding && *rc == 0 && nb__cfg.spin_us > 0 && !nb__conn_buffered(c) &&
            spin_poll(&(struct pollfd){.fd = c->fd, .events = POLLIN}, 1) > 0)
            *rc = nb__conn_pump(c, ctx);
    }
    return holding;
}

/* Handles one epoll event of c on a loop thread (the registration is disarmed). */
static void conn_on_event(nb__conn *c, uint32_t events)
{
    bool read = false;
    pthread_mutex_lock(&c->mu);
    c->armed = false;
    nb__conn_phase phase = c->phase;
    if (!c->closing && !c->reading &&
        (phase != NB__CONN_OPEN || (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))) {
        c->reading = true;
        read = true;
    }
    pthread_mutex_unlock(&c->mu);

    nb__reader_ctx ctx = {.can_run = true, .quick = true};
    int rc = 0;
    bool opened = false;
    if (read && phase != NB__CONN_OPEN) {
        rc = phase == NB__CONN_CONNECTING ? conn_connected(c, &ctx) : 0;
        if (rc == 0) {
            rc = conn_secure(c, &ctx);
            opened = rc > 0;
            /* Open: whatever came with the handshake's last bytes is read now. */
            rc = opened ? nb__conn_pump(c, &ctx) : rc;
        }
    } else {
        if (events & EPOLLOUT) {
            int fr = conn_write(c, false);
            if (fr < 0) {
                rc = -1;
                snprintf(ctx.why, sizeof ctx.why, "write failed: %s", strerror(-fr));
            }
        }
        if (read && rc == 0)
            rc = nb__conn_pump(c, &ctx);
    }
    bool holding = read && rc > 0 ? serve_holding(c, &ctx, &rc) : read;
    if (holding && rc >= 0 && (phase == NB__CONN_OPEN || opened)) {
        /* A caller waiting on c reads next if there is one: that saves re-arming
         * c and waking a loop thread for its reply. */
        nb__conn_reader_hand_on(c);
    } else if (holding || !read) {
        pthread_mutex_lock(&c->mu);
        if (holding)
            c->reading = false;
        conn_arm_locked(c);
        pthread_mutex_unlock(&c->mu);
    }
    if (rc < 0)
        nb__conn_close(c, "%s", ctx.why);
    if (ctx.run_here)
        H.run_job(ctx.run_here);
}

void nb__conn_on_loop_event(uint64_t data, uint32_t events)
{
    nb__conn *c = conn_from_event(data);
    if (c) {
        conn_on_event(c, events);
        nb__conn_unref(c);
    }
}

/* The host part of "ip:port" (borrowed), into host[size]. */
static void addr_host(const char *addr, char *host, size_t size)
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    snprintf(host, size, "%.*s", (int)n, addr);
}

/* Whether a connection from addr may be accepted: connections accepted and not
 * yet authenticated are capped in total and per source address, so strangers
 * cannot hold the descriptors, buffers and handshake slots authenticated peers
 * need (each of them is closed anyway when its handshake deadline passes). On
 * false, *why says which cap held it back. */
static bool pending_admit(const char *addr, const char **why)
{
    char host[64], other[64];
    addr_host(addr, host, sizeof host);
    size_t total = 0, same = 0;
    pthread_mutex_lock(&table.mu);
    for (size_t i = 0; i < table.cap; i++) {
        nb__conn *o = table.slots[i];
        if (!o || o->outbound || atomic_load(&o->authenticated))
            continue;
        total++;
        addr_host(o->addr, other, sizeof other);
        same += strcmp(host, other) == 0;
    }
    pthread_mutex_unlock(&table.mu);
    *why = total >= nb__cfg.max_pending_conns ? "NEBULA_MAX_PENDING_CONNS"
           : same >= nb__cfg.max_pending_per_addr ? "NEBULA_MAX_PENDING_PER_ADDR"
                                                  : NULL;
    return *why == NULL;
}

void nb__conn_on_accept(int fd, const char *addr)
{
    const char *why;
    if (nb__cfg.max_pending_conns > 0 && !pending_admit(addr, &why)) {
        static nb__log_limit refused = NB__LOG_LIMIT_INIT;
        char host[64];
        addr_host(addr, host, sizeof host);
        nb__log_limited(&refused, why, NB__LOG_WARN,
                        "refused a connection from %s: too many connections not yet "
                        "authenticated (%s)", host, why);
        close(fd);
        return;
    }
    nb__conn *c = conn_new(fd, false, -1, addr, NULL);
    if (c)
        nb__conn_unref(c);
}

// Returns a connection referenced for the caller, or NULL.
nb__conn *nb__conn_dial(const struct sockaddr_storage *ss, socklen_t len, const char *addr,
                        int dial_index, const char *expected_peer)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    nb__socket_nodelay(fd);
    if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS) {
        nb__log(NB__LOG_DEBUG, "connect to %s: %s", addr, strerror(errno));
        close(fd);
        return NULL;
    }
    return conn_new(fd, true, dial_index, addr, expected_peer);
}

void nb__conn_authenticated(nb__conn *c)
{
    atomic_store(&c->authenticated, true);
}

bool nb__conn_frame_overdue(nb__conn *c, int64_t now_ms)
{
    int waiting = 0;
    if (conn_held(c) && ioctl(c->fd, FIONREAD, &waiting) == 0 && waiting > 0) {
        /* Held by this node (back-pressure), not silent: its bytes wait here. */
        atomic_store_explicit(&c->last_rx_ms, now_ms, memory_order_relaxed);
        if (atomic_load_explicit(&c->frame_since_ms, memory_order_relaxed) != 0)
            atomic_store_explicit(&c->frame_since_ms, now_ms, memory_order_relaxed);
    }
    int64_t since = atomic_load_explicit(&c->frame_since_ms, memory_order_relaxed);
    int64_t allow = atomic_load_explicit(&c->frame_allow_ms, memory_order_relaxed);
    return since != 0 && nb__cfg.frame_timeout_ms > 0 &&
           now_ms - since > nb__cfg.frame_timeout_ms + allow;
}

bool nb__conn_unread_input(nb__conn *c)
{
    int n = 0;
    return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

void nb__conn_foreach(void (*fn)(nb__conn *c, void *arg), void *arg)
{
    pthread_mutex_lock(&table.mu);
    size_t n = 0;
    nb__conn **all = table.cap ? malloc(table.cap * sizeof *all) : NULL;
    for (size_t i = 0; all && i < table.cap; i++) {
        if (table.slots[i]) {
            all[n] = table.slots[i];
            nb__conn_ref(all[n++]);
        }
    }
    pthread_mutex_unlock(&table.mu);
    for (size_t i = 0; i < n; i++) {
        fn(all[i], arg);
        nb__conn_unref(all[i]);
    }
    free(all);
}

static void close_one(nb__conn *c, void *arg)
{
    nb__conn_close(c, "%s", (const char *)arg);
}

void nb__conn_close_all(const char *why)
{
    nb__conn_foreach(close_one, (void *)why);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&table.mu);
    while (table.live > 0) {
        if (pthread_cond_timedwait(&table.freed, &table.mu, &until) != 0) {
            nb__log(NB__LOG_WARN, "nb_stop: %zu connection(s) still referenced", table.live);
            break;
        }
    }
    if (table.live == 0) {
        free(table.slots);
        free(table.gens);
        table.slots = NULL;
        table.gens = NULL;
        table.cap = 0;
    }
    pthread_mutex_unlock(&table.mu);
}
