/*
 * conn.h — the connection layer (conn.c, with the calls waiting on each
 * connection in pending.c): one connection to a peer over a byte stream
 * (stream.h), the connection table, the reader role, ordered writes, framing and
 * closing. It knows frames, not what they mean: the layers above (the session:
 * handshake, membership, dispatch, workers) register callbacks with
 * nb__conn_layer_start, and conn.c includes none of their headers.
 *
 * Life of a connection:
 *   CONNECTING  outbound only: the non-blocking connect() is in progress;
 *   SECURING    the stream's security handshake (nb__stream_handshake) runs,
 *               driven by the reader-role holder; immediate for plain TCP;
 *               nothing queued is written before it ends;
 *   OPEN        on_secured has been called: the session's protocol (HELLO ...)
 *               runs on frames, and then calls.
 *
 * Threads (the hand-offs on a round trip are the ones raw TCP has):
 *   - a caller writes its own request frame (per-connection write lock; what the
 *     stream does not take at once is finished by a loop thread on EPOLLOUT);
 *   - a caller then takes the reader role of that connection when nobody holds
 *     it and reads its reply itself (poll + read); otherwise it sleeps on its own
 *     futex word and whoever reads the reply wakes exactly it;
 *   - on the serving side the thread that reads a request runs the body and
 *     writes the reply itself.
 *
 * Many callers on one connection add no hand-off, only batching:
 *   - writes combine: whoever queues a frame while nobody writes becomes the
 *     writer and sends everything queued meanwhile, one writev per batch;
 *   - the reader corks the connection while it hands out the frames of one
 *     read, so the next requests of the callers it wakes leave together;
 *   - a reader whose own reply has come hands the role to a caller still
 *     waiting (nb__pcall_promote) rather than to the event loop;
 *   - a serving thread runs the whole batch it read, its replies corked into
 *     one write, and while the bodies are known to be short it keeps the
 *     reader role and reads on instead of re-arming (workers.h).
 *
 * The stream: at most one thread reads it (the reader role) and at most one
 * writes it (the writer) at a time. A reader drains what the stream holds
 * decrypted (nb__stream_pending) before it polls the socket, and EPOLLOUT stays
 * armed while the stream holds bytes it took but has not sent
 * (nb__stream_unsent) or frames wait in the queue.
 *
 * Limits (docs/security.md, "Limits"): an accepted connection is refused at
 * once while too many others are not yet authenticated (nb__cfg.
 * max_pending_conns, and per source address max_pending_per_addr); while more
 * than nb__cfg.max_queued_bytes wait to be written to a peer, its connection is
 * not read by the loop (back-pressure: the peer's requests wait in its socket
 * until its replies drain; a caller waiting for its own reply still reads);
 * a frame that takes longer than nb__cfg.frame_timeout_ms to arrive is
 * reported by nb__conn_frame_overdue, for the timer to close.
 *
 * Ownership: connections are reference counted (nb__conn_ref/unref); a function
 * taking an nb__conn borrows the caller's reference unless it says otherwise.
 *
 * Callback contract (nb__conn_hooks):
 *   - every callback runs on the thread holding the connection's reader role,
 *     except on_closed, which runs on whichever thread closes it;
 *   - on_secured is called at most once per connection, before any on_frame;
 *   - a frame handed to on_frame is complete and within c->max_frame;
 *   - on_closed is called exactly once for every connection that was created
 *     (returned by nb__conn_dial, or accepted), and never for one whose
 *     creation failed (nb__conn_dial returned NULL);
 *   - closing fails every call still waiting on the connection with
 *     NB_E_NODE_DOWN before nb__conn_close returns;
 *   - nothing is called after nb__conn_close_all has returned.
 */
#ifndef NB_RUNTIME_CONN_H
#define NB_RUNTIME_CONN_H

#include <msgpack.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "frame.h"
#include "stream.h"

struct nb__pcall;
struct nb__job;

/* Bytes queued for a connection, written in order. */
typedef struct nb__wchunk {
    struct nb__wchunk *next;
    char *data;   /* owned */
    size_t off, len;
} nb__wchunk;

typedef enum nb__conn_phase {
    NB__CONN_CONNECTING = 0, /* outbound, connect() in progress */
    NB__CONN_SECURING,       /* the stream's handshake */
    NB__CONN_OPEN            /* frames flow */
} nb__conn_phase;

typedef struct nb__conn {
    int fd;
    nb__stream *stream;      /* owned; every byte goes through it */
    uint32_t slot, gen;      /* where the connection table keeps it */
    atomic_int refs;
    bool outbound;
    char addr[64];           /* the peer's address, for log lines */
    int64_t created_ms;
    _Atomic int64_t last_rx_ms;   /* monotonic time of the last byte received */
    _Atomic int64_t silent_rx_ms; /* last_rx_ms when a call on c timed out; 0: none */

    /* mu: the reader role, the epoll registration, the phase, closing. */
    pthread_mutex_t mu;
    bool reading;
    bool armed;
    bool closing;
    nb__conn_phase phase;
    bool secure_wants_out;   /* SECURING: the stream waits for the socket to drain */

    /* wmu: outgoing bytes, written whole frames at a time and in order. A thread
     * that queues a frame while nobody is writing becomes the writer and sends
     * everything queued, its own frame and those others queue meanwhile, a batch
     * per writev (with the lock dropped around it); the others only queue. */
    pthread_mutex_t wmu;
    nb__wchunk *wq_head, *wq_tail;
    bool writing;             /* a writer is at work (under wmu) */
    bool corked;              /* the reader holds frames back (under wmu) */
    bool open_for_writes;     /* the stream is secured (under wmu): writes may go */
    atomic_bool wq_nonempty;  /* output waits for EPOLLOUT (the socket was full):
                                 queued frames or bytes the stream holds; written
                                 under wmu, read when arming */
    atomic_bool broken;       /* set once closing: sends are refused */
    size_t wq_bytes;          /* bytes queued and not yet taken by the stream (under wmu) */
    size_t wq_peak;           /* the most wq_bytes has been (under wmu) */
    atomic_bool over_cap;     /* wq_bytes > nb__cfg.max_queued_bytes: the peer's
                                 requests are not read until its replies drain
                                 (back-pressure); written under wmu */
    atomic_bool in_held;      /* EPOLLIN left unarmed because of over_cap (under mu;
                                 read without it by a writer that drained the queue) */
    atomic_int in_hold;       /* holds on input by the layers above (nb__conn_hold_input):
                                 while > 0 the loop does not read the peer; changed
                                 with c->mu taken on release */

    /* Read side: touched only by the holder of the reader role. */
    unsigned char *rbuf;
    size_t rlen, rcap;
    unsigned char *big;          /* a large frame's payload, read in place */
    size_t big_have;
    nb__frame_header big_hdr;
    size_t max_frame;            /* NB__FRAME_HANDSHAKE_MAX until the session raises it */
    _Atomic int64_t frame_since_ms; /* monotonic time the frame being received began
                                       to arrive, 0 between frames (written by the
                                       reader, read by the timer) */
    _Atomic int64_t frame_allow_ms; /* extra time that frame is given for its size */
    bool had_big;                /* a large frame had a buffer of its own */
    msgpack_zone *zone;          /* scratch for the session's unpacking, or NULL */

    /* --- The session's fields (handshake.c, membership.c, dispatch.c, workers.c). The
     * connection layer only zeroes them at creation (peer_index: -1) and frees
     * peer_name; it never reads them otherwise. Written by the reader-role
     * holder before `up` is set; read by others only after seeing `up`. */
    int hs_step;                 /* handshake.c's state, 0 before on_secured */
    unsigned char nonce_self[NB__NONCE_SIZE];
    unsigned char nonce_peer[NB__NONCE_SIZE];
    int dial_index;              /* outbound: the tag nb__conn_dial was given */
    char *peer_name;             /* the peer's name once its HELLO/CHALLENGE named it
                                    (printable ASCII only: checked by handshake.c) */
    int peer_index;              /* index in the topology, -1 when not configured */
    uint64_t peer_boot;
    atomic_bool authenticated;   /* set by nb__conn_authenticated (the connection
                                    layer's own field, unlike the session's below) */
    atomic_bool up;
    atomic_bool said_goodbye;    /* the peer announced it is leaving (GOODBYE) */
    atomic_bool goodbye_sent;    /* this node announced it is leaving, on this connection */
    atomic_bool goodbye_answered; /* we told the leaving peer: no request of ours is
                                     left on this connection, none will follow */
    atomic_bool goodbye_seen;    /* the peer told us that (membership.c) */
    int64_t delay_base_us[2];    /* workers.c: the lowest (now - sent_us) of the peer's */
    int64_t delay_since_us;      /* requests in this window and the one before, and */
    int delay_windows;           /* when this one began (reader-role holder only) */

    /* pmu: outgoing calls waiting for their reply on this connection (pending.c). */
    pthread_mutex_t pmu;
    struct nb__pcall *pending;   /* newest first */
    struct nb__pcall *pending_tail; /* oldest: replies mostly come in order */
    uint64_t next_call_id;
} nb__conn;

/* What a reader does with frames besides replies. */
typedef struct nb__reader_ctx {
    bool can_run;              /* a loop thread: may run one request itself */
    struct nb__job *run_here;  /* the first request it will run itself */
    bool quick;                /* every request read is known to run short */
    char why[640];             /* set when the connection must close */
} nb__reader_ctx;

/* What the layers above do with a connection's events (see the contract in the
 * header comment). Each pointer must be set. */
typedef struct nb__conn_hooks {
    /* A complete frame: payload is valid for the call; *owned points to a heap
     * buffer the callee may steal (set it to NULL) or is NULL when the payload
     * lives in the read buffer. Returns 0, or -1 with ctx->why set to close c. */
    int (*on_frame)(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                    unsigned char **owned, nb__reader_ctx *ctx);
    /* The stream is connected and secured: the session's protocol starts (the
     * dialer sends its first frame). Returns 0, or -1 with ctx->why set. */
    int (*on_secured)(nb__conn *c, nb__reader_ctx *ctx);
    /* c has closed; why says why (for the log). */
    void (*on_closed)(nb__conn *c, const char *why);
    /* Runs a job a reader kept for itself (ctx->run_here), after leaving c. */
    void (*run_job)(struct nb__job *job);
    /* Runs such a job while still holding c's reader role; returns true when
     * the role is still held (the callee may hand it on before a long body). */
    bool (*run_job_holding)(struct nb__job *job, nb__conn *c);
} nb__conn_hooks;

/* Starts the layer: hooks (copied) and the factory every connection's stream
 * comes from (borrowed until nb__conn_layer_stop). Before any connection exists. */
void nb__conn_layer_start(const nb__conn_hooks *hooks, nb__stream_factory *streams);
/* After nb__conn_close_all: forgets the hooks and the factory. */
void nb__conn_layer_stop(void);

/* The loop's callbacks for connections (nb__loop_hooks.on_event, .on_accept). */
void nb__conn_on_loop_event(uint64_t data, uint32_t events);
void nb__conn_on_accept(int fd, const char *addr);

void nb__conn_ref(nb__conn *c);
/* Drops a reference; the last one frees the stream, closes the socket and frees c. */
void nb__conn_unref(nb__conn *c);

/* Sends one complete frame (header included). Takes ownership of sb->data in every
 * case (the buffer is released). Returns 0 when queued or written, -1 when the
 * connection is closing or broken (the connection is then closed). Frames are
 * written in the order their nb__conn_send (or nb__conn_queue) calls took the
 * connection's write lock; frames sent before the stream is secured wait for it. */
int nb__conn_send(nb__conn *c, msgpack_sbuffer *sb);

/* nb__conn_send in two steps, for a thread with several frames for c: queue
 * them (ownership of sb->data taken as above; -1 when c is closing), then write
 * them together with one nb__conn_flush. A queued frame stays unsent until
 * someone flushes c: whoever queues must flush. */
int nb__conn_queue(nb__conn *c, msgpack_sbuffer *sb);
/* Writes what is queued on c unless another thread is writing it already (it
 * then writes ours too). Returns 0, or -1 when writing failed (c is closed). */
int nb__conn_flush(nb__conn *c);

/* Queues one complete frame (ownership as nb__conn_send) to be written soon
 * without writing it now: a loop thread writes it on EPOLLOUT together with the
 * frames queued meanwhile, so a burst of asynchronous calls costs one writev,
 * not one per call; nb__conn_flush writes it at once. Returns 0, or -1 when c is
 * closing. */
int nb__conn_send_soon(nb__conn *c, msgpack_sbuffer *sb);

/* Back-pressure from the layers above: while a hold is on (hold true; every
 * hold is released by one call with hold false) the loop does not read c, so
 * the peer's frames wait in its socket and, once that is full, in the peer
 * (the workers hold a peer whose requests are beyond the admission bound,
 * workers.h). A loop thread holding the reader role stops reading after the
 * frames it has; a caller waiting for its own reply on c still reads. While
 * held, bytes waiting in the socket count as a sign of life of the peer
 * (nb__conn_frame_overdue): it has spoken, this node chose not to listen yet. */
void nb__conn_hold_input(nb__conn *c, bool hold);

/* Closes c once: stops its events, says goodbye on the stream, shuts the socket
 * down (waking any thread blocked on it), calls on_closed, fails its waiting
 * calls with NB_E_NODE_DOWN. The message says why, for the log and for those
 * calls. */
void nb__conn_close(nb__conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reader role for an application thread waiting on a reply: true when it took
 * the role (and must call nb__conn_reader_leave). */
bool nb__conn_reader_try(nb__conn *c);
void nb__conn_reader_leave(nb__conn *c);
/* Leaves the reader role to a caller waiting on c (nb__pcall_promote) when there
 * is one, else back to the event loop (nb__conn_reader_leave). */
void nb__conn_reader_hand_on(nb__conn *c);

/* Reads what the stream has and dispatches every complete frame, until the
 * stream holds nothing more (nb__stream_pending). Returns 1 when bytes were
 * read, 0 when none were waiting, -1 when the connection must close (ctx->why
 * says why). Only the reader-role holder of an OPEN connection calls it. */
int nb__conn_pump(nb__conn *c, nb__reader_ctx *ctx);

/* For the reader-role holder: true when the stream holds bytes already read
 * from the socket, so the holder must pump before it polls the socket. */
bool nb__conn_buffered(nb__conn *c);

/* poll(2) for a thread that reads connections for its own calls' replies: for
 * up to $NEBULA_SPIN_US (nb__cfg.spin_us) it polls without sleeping, so a reply
 * that comes that soon costs no sleep and wake-up, then it sleeps up to
 * timeout_ms. Returns what poll returns. See docs/calling.md, "Spinning". */
int nb__conn_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* Starts a non-blocking connect to ss (text: addr) and returns the new
 * connection, registered with the loop and referenced for the caller (the
 * connection table holds its own until it closes); dial_index is stored in
 * c->dial_index for the session. expected_peer (borrowed for the call) is the
 * node name the peer's credentials must prove where the stream proves names
 * (mtls), else ignored. Never blocks. NULL on failure (on_closed is then never
 * called for it). */
nb__conn *nb__conn_dial(const struct sockaddr_storage *ss, socklen_t len, const char *addr,
                        int dial_index, const char *expected_peer);

/* The session proved who the peer is: c no longer counts against the limits
 * on connections not yet authenticated (nb__cfg.max_pending_conns, ...). */
void nb__conn_authenticated(nb__conn *c);

/* For the periodic timer: true when a frame has been arriving on c for longer
 * than nb__cfg.frame_timeout_ms plus a millisecond per KiB of its announced
 * length (a partial frame trickled to hold the connection and its buffer, not
 * a large one on a slow link); the caller then closes c. While c's input is
 * held (nb__conn_hold_input) and bytes wait in its socket, it first counts them
 * as received now: neither the silence detection nor the frame timer runs
 * against a peer this node is not reading. */
bool nb__conn_frame_overdue(nb__conn *c, int64_t now_ms);

/* True when bytes from the peer wait in the socket, not yet read by this node
 * (its reader busy with a large frame, or the peer paused by back-pressure). */
bool nb__conn_unread_input(nb__conn *c);

/* A call on c timed out: c counts as silent (nb__conn_silent) until its peer
 * sends anything more. */
static inline void nb__conn_mark_silent(nb__conn *c)
{
    atomic_store_explicit(&c->silent_rx_ms,
                          atomic_load_explicit(&c->last_rx_ms, memory_order_relaxed),
                          memory_order_relaxed);
}

/* True while nothing has come from c's peer since a call on c timed out: the
 * default route sends new calls elsewhere when it can (docs/cancellation.md). */
static inline bool nb__conn_silent(nb__conn *c)
{
    int64_t s = atomic_load_explicit(&c->silent_rx_ms, memory_order_relaxed);
    return s != 0 && atomic_load_explicit(&c->last_rx_ms, memory_order_relaxed) <= s;
}

/* Calls fn on every open connection (each referenced for the call). */
void nb__conn_foreach(void (*fn)(nb__conn *c, void *arg), void *arg);

/* Closes every connection and waits until every one is freed. */
void nb__conn_close_all(const char *why);

/* --- Frame building ------------------------------------------------------- */

/* Starts a frame in sb (reserves the header); the payload is then packed with pk. */
void nb__frame_begin(msgpack_sbuffer *sb, msgpack_packer *pk);
/* Writes the header for the payload packed since nb__frame_begin. */
void nb__frame_end(msgpack_sbuffer *sb, nb__frame_type type, uint64_t call_id);
/* Sends a payload-less frame. */
int nb__conn_send_empty(nb__conn *c, nb__frame_type type);

#endif /* NB_RUNTIME_CONN_H */
