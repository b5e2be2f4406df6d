#ifndef BENCH_MULTICAST_API_H
#define BENCH_MULTICAST_API_H

#include <stdint.h>

#include <nebula.h>

/* Served by every &server node: its argument + 1. */
int64_t mc_inc(int64_t x);

/* Served by every &server node: the name of the node that ran it (heap string). */
char *mc_where(void);

#endif
