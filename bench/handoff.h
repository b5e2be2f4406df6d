/*
 * handoff.h — the most synchronous calls from many threads this machine can
 * make, with no I/O at all (bench/README.md, "32 callers: thread hand-off
 * ceiling"). n caller threads each post a request to one answering thread in
 * the same process and sleep on a futex until it is answered; the answering
 * thread takes every posted request at once, answers each (x + 1) and wakes
 * its caller. That is only what any library of blocking calls must do (one
 * sleep and one wake-up per call), without sockets, encoding or a second
 * process, so no such library can beat it on the same machine.
 */
#ifndef BENCH_HANDOFF_H
#define BENCH_HANDOFF_H

#include <stdint.h>

/* One round of n callers (1..256) for round_ns: aggregate ns per call. */
double bench_handoff_round(int n, int64_t round_ns);

#endif
