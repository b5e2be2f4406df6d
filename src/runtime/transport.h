/*
 * transport.h — connections and the event loop (SPEC.md sections 8 and 11).
 *
 * Threads. There is no dedicated I/O thread. A small pool of loop threads all
 * wait in epoll_wait on one epoll set; every connection is registered
 * EPOLLONESHOT, so an event goes to exactly one thread, which then holds the
 * connection's *reader role* until it re-arms the registration. The kernel's
 * wake-one on the shared epoll set is the leader election of leader/followers:
 * while one thread runs a method body, the others are still waiting for the next
 * event, and the pool grows (bounded) when none is left waiting.
 *
 * Hand-offs on a round trip are the ones raw TCP has:
 *   - a caller writes its own request frame (per-connection write lock; what the
 *     socket does not take at once is finished by a loop thread on EPOLLOUT);
 *   - a caller then takes the reader role of that connection when nobody holds
 *     it and reads its reply itself (poll + recv); otherwise it sleeps on its own
 *     futex word and whoever reads the reply wakes exactly it;
 *   - on the serving side the thread that reads a request runs the body and
 *     writes the reply itself.
 *
 * Many callers on one connection (SPEC.md section 11, row 4) add no hand-off,
 * only batching:
 *   - writes combine: whoever queues a frame while nobody writes becomes the
 *     writer and sends everything queued meanwhile, one sendmsg per batch;
 *   - the reader corks the connection while it hands out the frames of one
 *     read, so the next requests of the callers it wakes leave together;
 *   - a reader whose own reply has come hands the role to a caller still
 *     waiting (nb__pcall_promote) rather than to the event loop;
 *   - a serving thread runs the whole batch it read, its replies corked into
 *     one write, and while the bodies are known to be short it keeps the
 *     reader role and reads on instead of re-arming (workers.h).
 *
 * Ownership: connections are reference counted (nb__conn_ref/unref); a function
 * taking an nb__conn borrows the caller's reference unless it says otherwise.
 *
 * Contract: a frame handed to the upper layer (nb__on_frame) is complete and
 * within the size limit; a connection is closed at most once (nb__conn_close),
 * and closing it fails every call still waiting on it with NB_E_NODE_DOWN
 * before nb__conn_close returns.
 */
#ifndef NB_RUNTIME_TRANSPORT_H
#define NB_RUNTIME_TRANSPORT_H

#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "frame.h"

struct nb__pcall;
struct nb__job;

/* Bytes queued for a connection, written in order. */
typedef struct nb__wchunk {
    struct nb__wchunk *next;
    char *data;   /* owned */
    size_t off, len;
} nb__wchunk;

typedef enum nb__hs_step {
    NB__HS_CONNECTING = 0, /* outbound, connect() in progress */
    NB__HS_WAIT_HELLO,     /* inbound, waiting for the dialer's HELLO */
    NB__HS_WAIT_CHALLENGE, /* outbound, HELLO sent */
    NB__HS_WAIT_AUTH,      /* inbound, CHALLENGE sent */
    NB__HS_WAIT_WELCOME,   /* outbound, AUTH sent */
    NB__HS_UP              /* authenticated; calls may use it */
} nb__hs_step;

typedef struct nb__conn {
    int fd;
    uint32_t slot, gen;      /* where the connection table keeps it */
    atomic_int refs;
    bool outbound;
    char addr[64];           /* the peer's address, for log lines */
    int64_t created_ms;
    _Atomic int64_t last_rx_ms;   /* monotonic time of the last byte received */

    /* mu: the reader role, the epoll registration, closing. */
    pthread_mutex_t mu;
    bool reading;
    bool armed;
    bool closing;
    bool connecting;         /* outbound connect() not finished */

    /* wmu: outgoing bytes, written whole frames at a time and in order. A thread
     * that queues a frame while nobody is writing becomes the writer and sends
     * everything queued, its own frame and those others queue meanwhile, a batch
     * per sendmsg (with the lock dropped around it); the others only queue. */
    pthread_mutex_t wmu;
    nb__wchunk *wq_head, *wq_tail;
    bool writing;             /* a writer is at work (under wmu) */
    bool corked;              /* the reader holds frames back (under wmu) */
    atomic_bool wq_nonempty;  /* bytes wait for EPOLLOUT (the socket was full);
                                 written under wmu, read when arming */
    atomic_bool broken;       /* set once closing: sends are refused */
    atomic_bool said_goodbye; /* the peer announced it is leaving (GOODBYE) */

    /* Read side: touched only by the holder of the reader role. */
    unsigned char *rbuf;
    size_t rlen, rcap;
    unsigned char *big;          /* a large frame's payload, read in place */
    size_t big_have;
    nb__frame_header big_hdr;
    size_t max_frame;            /* NB__FRAME_HANDSHAKE_MAX until authenticated */
    msgpack_zone *zone;          /* scratch for unpacking requests, or NULL */

    /* Handshake state: touched only by the holder of the reader role. */
    nb__hs_step step;
    unsigned char nonce_self[NB__NONCE_SIZE];
    unsigned char nonce_peer[NB__NONCE_SIZE];
    int dial_index;              /* outbound: the configured node dialled */

    /* The peer, once its HELLO/CHALLENGE named it (written by the reader before
     * `up` is set; read by others only after seeing `up`). */
    char *peer_name;
    int peer_index;              /* index in the topology, -1 when not configured */
    uint64_t peer_boot;
    atomic_bool up;

    /* pmu: outgoing calls waiting for their reply on this connection. */
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

/* --- Connections (conn.c) ------------------------------------------------- */

void nb__conn_ref(nb__conn *c);
/* Drops a reference; the last one closes the socket and frees c. */
void nb__conn_unref(nb__conn *c);

/* Sends one complete frame (header included). Takes ownership of sb->data in every
 * case (the buffer is released). Returns 0 when queued or written, -1 when the
 * connection is closing or broken (the connection is then closed). Frames are
 * written in the order their nb__conn_send (or nb__conn_queue) calls took the
 * connection's write lock. */
int nb__conn_send(nb__conn *c, msgpack_sbuffer *sb);

/* nb__conn_send in two steps, for a thread with several frames for c: queue
 * them (ownership of sb->data taken as above; -1 when c is closing), then write
 * them together with one nb__conn_flush. A queued frame stays unsent until
 * someone flushes c: whoever queues must flush. */
int nb__conn_queue(nb__conn *c, msgpack_sbuffer *sb);
/* Writes what is queued on c unless another thread is writing it already (it
 * then writes ours too). Returns 0, or -1 when writing failed (c is closed). */
int nb__conn_flush(nb__conn *c);

/* Closes c once: stops its events, shuts the socket down (waking any thread
 * blocked on it), tells membership, fails its waiting calls with NB_E_NODE_DOWN.
 * The message says why, for the log and for those calls. */
void nb__conn_close(nb__conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reader role for an application thread waiting on a reply: true when it took
 * the role (and must call nb__conn_reader_leave). */
bool nb__conn_reader_try(nb__conn *c);
void nb__conn_reader_leave(nb__conn *c);
/* Leaves the reader role to a caller waiting on c (nb__pcall_promote) when there
 * is one, else back to the event loop (nb__conn_reader_leave). */
void nb__conn_reader_hand_on(nb__conn *c);

/* Reads what the socket has (one recv) and dispatches every complete frame.
 * Returns 1 when bytes were read, 0 when none were waiting, -1 when the connection
 * must close (ctx->why says why). Only the reader-role holder calls it. */
int nb__conn_pump(nb__conn *c, nb__reader_ctx *ctx);

/* Handles one epoll event of c on a loop thread (the registration is disarmed). */
void nb__conn_on_event(nb__conn *c, uint32_t events);

/* Creates a connection around an accepted or connecting non-blocking socket
 * (outbound: connecting to configured node dial_index),
 * registers it with the loop and returns it with one reference for the caller
 * (the connection table holds its own until the connection closes). NULL on
 * failure (fd closed). */
nb__conn *nb__conn_new(int fd, bool outbound, int dial_index, const char *addr);

/* Calls fn on every open connection (each referenced for the call). */
void nb__conn_foreach(void (*fn)(nb__conn *c, void *arg), void *arg);

/* Takes the connection an epoll event points at, referenced, or NULL when it
 * has gone since. */
nb__conn *nb__conn_from_event(uint64_t data);

/* Closes every connection and waits until every one is freed. */
void nb__conn_close_all(const char *why);

/* The upper layer's frame handler (membership.c): payload is valid for the call;
 * *owned points to a heap buffer the handler may steal (set it to NULL) or is NULL
 * when the payload lives in the read buffer. Returns 0, or -1 with ctx->why set
 * to close the connection. */
int nb__on_frame(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                 unsigned char **owned, nb__reader_ctx *ctx);

/* Handshake (handshake.c): the dialer's first frame, once connected. */
int nb__hs_send_hello(nb__conn *c, nb__reader_ctx *ctx);
/* Handles a frame received before the connection is up. */
int nb__hs_on_frame(nb__conn *c, const nb__frame_header *h, const unsigned char *payload,
                    nb__reader_ctx *ctx);

/* --- Frame building ------------------------------------------------------- */

/* Starts a frame in sb (reserves the header); the payload is then packed with pk. */
void nb__frame_begin(msgpack_sbuffer *sb, msgpack_packer *pk);
/* Writes the header for the payload packed since nb__frame_begin. */
void nb__frame_end(msgpack_sbuffer *sb, nb__frame_type type, uint64_t call_id);
/* Sends a payload-less frame. */
int nb__conn_send_empty(nb__conn *c, nb__frame_type type);

/* --- The loop (transport.c) ----------------------------------------------- */

/* Starts the epoll set, the listening socket (when listen_addr is set), the
 * timer and the first loop threads. Returns 0 or -1 after nb__fail. */
int nb__loop_start(void);
/* Stops accepting connections. */
void nb__loop_stop_listening(void);
/* Stops and joins every loop thread and closes the loop's descriptors. */
void nb__loop_stop(void);

/* epoll control for connections (conn.c): register, modify, delete. */
int nb__loop_add(int fd, uint64_t data, uint32_t events);
void nb__loop_mod(int fd, uint64_t data, uint32_t events);
void nb__loop_del(int fd);

/* Called by a loop thread before it runs a method body: keeps at least one
 * thread waiting for events, growing the pool up to its bound. */
void nb__loop_before_body(void);

/* Wakes n loop threads to run queued work (workers.c). */
void nb__loop_kick_jobs(unsigned n);
/* Starts the jobs timer (one-shot, NB__JOBS_WATCH_MS) unless it runs already;
 * when it fires, nb__workers_watchdog says whether to start it again. */
void nb__loop_watch_jobs(void);
#define NB__JOBS_WATCH_MS 5

/* Period of the loop's timer: heartbeats, silence checks, dialing. */
#define NB__TICK_MS 25

/* Starts a non-blocking connect to ss (text: addr) for configured node `index`;
 * the handshake continues on the loop. Never blocks. Returns the new connection
 * (referenced for the caller) or NULL. */
nb__conn *nb__loop_dial(const struct sockaddr_storage *ss, socklen_t len, const char *addr,
                        int index);

/* Parses "host:port" and resolves it (numeric or by name). Returns 0 or -1. */
int nb__resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len);

#endif /* NB_RUNTIME_TRANSPORT_H */
