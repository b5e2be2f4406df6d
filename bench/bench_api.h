#ifndef BENCH_API_H
#define BENCH_API_H

#include <nebula.h>

/* Local on every node: the resolved-local call of the first row. */
int bench_add(int a, int b);

/* Served by the server node: the remote round trip. Returns its argument + 1. */
int64_t bench_inc(int64_t x);

/* Served by the server node: echoes the bytes (a fresh copy the caller frees). */
nb_bytes bench_echo(nb_bytes data);

#endif
