/*
 * bench_util.h — what the benchmarks share: a clock, child processes that are
 * always stopped, free loopback ports, a raw TCP echo peer, and the side-by-side
 * report (median per side, ratio, goal, and a JSON copy).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes nebula puts on the wire for one bench_inc call (request and reply frame,
 * header included) and on top of an echo payload; the raw ping-pong sends exactly
 * as many, so the pair differs only in what the library does. See src/runtime/frame.h. */
/* 16 header + [wire_id u64, timeout, [x], max_extensions, sent_us u64]: the
 * caller's stamp is 9 bytes once the machine has been up 72 minutes (2^32 us). */
#define BENCH_INC_REQUEST_BYTES 43
#define BENCH_INC_REPLY_BYTES 22    /* 16 header + [code, value, nil] */
#define BENCH_ECHO_REQUEST_OVERHEAD 43
#define BENCH_ECHO_REPLY_OVERHEAD 24

int64_t bench_now_ns(void);
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Picks a free loopback port for every node name given (NULL-terminated list
 * after the first) and exports NEBULA_ADDRESSES and NEBULA_COOKIE for this
 * process and its children. */
void bench_cluster_env(const char *first, ...) __attribute__((sentinel));

/* Starts `bin` as node `node`; the child is stopped at exit even if we die. */
pid_t bench_spawn(const char *bin, const char *node);

/* A serving node's whole main: nb_start, serve until SIGTERM or SIGINT, nb_stop.
 * Returns the exit status. */
int bench_serve(void);
/* SIGTERM, then SIGKILL after 5 s; always reaps. */
void bench_stop(pid_t pid);

/* For the forked raw TCP peers: a socket listening on an ephemeral loopback
 * port (*addr receives its address), and a TCP_NODELAY connection to it. Both
 * die on failure, the message starting with `who`. */
int bench_loopback_listen(struct sockaddr_in *addr, const char *who);
int bench_loopback_connect(const struct sockaddr_in *addr, const char *who);

/* A forked echo peer over one TCP connection (TCP_NODELAY both ends). */
typedef struct bench_raw_peer {
    pid_t pid;
    int fd;
    unsigned char *buf;
    size_t cap;
} bench_raw_peer;
bench_raw_peer bench_raw_start(void);
/* Mean ns per round trip of `trips` blocking request/reply exchanges. */
double bench_raw_round(bench_raw_peer *p, size_t request_bytes, size_t reply_bytes, int trips);
void bench_raw_stop(bench_raw_peer *p);

/* A forked peer for the pipelined raw TCP baseline (docs/design.md §11 row 4):
 * fixed-size requests and replies over one TCP connection, a window of requests
 * in flight, each side moving as many messages per read and write as it has.
 * It is the transport's ceiling for many callers sharing one connection: the
 * same bytes per call and the same number in flight, without any thread per call. */
typedef struct bench_pipe_peer {
    pid_t pid;
    int fd;
    size_t request_bytes, reply_bytes;
    unsigned char *buf;
    size_t cap;
} bench_pipe_peer;
bench_pipe_peer bench_pipe_start(size_t request_bytes, size_t reply_bytes);
/* Runs the pipeline for about duration_ns with `window` requests in flight and
 * returns the aggregate ns per message (elapsed / replies received). */
double bench_pipe_round(bench_pipe_peer *p, int window, int64_t duration_ns);
void bench_pipe_stop(bench_pipe_peer *p);
/* The same peer driven the way a library of synchronous calls must: `threads`
 * threads, each writing its own request (one write, under a mutex) and sleeping
 * until a reader thread has read its reply and woken it (a futex per thread;
 * replies come back in request order). The floor of the hand-offs any such
 * library pays, without its framing or encoding. Aggregate ns per call. */
double bench_mux_round(bench_pipe_peer *p, int threads, int64_t duration_ns);

typedef struct bench_row {
    char name[96];
    const char *unit;   /* "ns" or "us" */
    double value;       /* median, ns */
    double baseline;    /* median, ns */
    double ratio;
    double goal;        /* 0: no goal */
} bench_row;
bench_row bench_make_row(const char *name, const char *unit, const double *value,
                         const double *baseline, int rounds, double goal);
/* Prints the table; with json != NULL also writes the rows there as JSON. */
void bench_print(const bench_row *rows, size_t n, const char *json);

/* Prints rows whose value and baseline are aggregate ns per call as calls/s, with
 * the speed ratio (value's calls/s ÷ baseline's) against a minimum goal (row.goal,
 * 0: none); with json != NULL also writes them there as JSON. */
void bench_print_rates(const bench_row *rows, size_t n, const char *json);

#endif
