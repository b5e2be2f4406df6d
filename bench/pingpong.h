/*
 * pingpong.h — the fastest raw TCP ping-pong this machine can do, for the
 * round-trip baseline (bench/README.md, "remote round trip / fastest raw TCP
 * ping-pong"). The blocking ping-pong of bench_util.h sleeps in read() on both
 * ends, so each round trip pays two wake-ups, and on a VM it is bimodal (10 or
 * 70 µs from run to run, with where the scheduler puts the two ends). Two
 * variants that pay none of that:
 *
 *   spin:    both ends busy-poll (non-blocking recv in a loop), each pinned to
 *            a CPU of its own when there are two: nobody sleeps;
 *   one-cpu: both ends blocking, pinned to the same CPU: a wake-up is a switch
 *            on that CPU, with no cross-CPU interrupt.
 *
 * The fastest of the variants measured in a round is that round's baseline.
 * Pinning is for the round only: the caller's affinity is restored after it.
 */
#ifndef BENCH_PINGPONG_H
#define BENCH_PINGPONG_H

#include <stddef.h>
#include <sys/types.h>

typedef enum bench_pp_mode {
    BENCH_PP_SPIN,    /* both ends busy-poll, on different CPUs */
    BENCH_PP_ONE_CPU  /* both ends block, on the same CPU */
} bench_pp_mode;

/* A forked echo peer over one TCP connection (TCP_NODELAY both ends) that
 * answers each request of request_bytes with reply_bytes, the way `mode` says. */
typedef struct bench_pp_peer {
    pid_t pid;
    int fd;
    bench_pp_mode mode;
    int cpu;                   /* the CPU the client end runs on during a round */
    size_t request_bytes, reply_bytes;
} bench_pp_peer;

bench_pp_peer bench_pp_start(bench_pp_mode mode, size_t request_bytes, size_t reply_bytes);
/* Mean ns per round trip of `trips` exchanges. */
double bench_pp_round(bench_pp_peer *p, int trips);
void bench_pp_stop(bench_pp_peer *p);

#endif
