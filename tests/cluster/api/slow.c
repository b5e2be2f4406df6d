/*
 * slow.c — a module limited to one body at a time: calls beyond it wait, the
 * caller's connection held while its requests are beyond the bound
 * (back-pressure, docs/async.md), and none is refused.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <nebula.h>

#include "api.h"

NB_MODULE(.max_concurrent_calls = 1);

NB_API("&db")
int64_t slow_op(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return ms;
}

/* The length of s, after a millisecond: large requests that queue up. */
NB_API("&db")
int64_t slow_len(const char *s)
{
    struct timespec ts = {0, 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return s ? (int64_t)strlen(s) : -1;
}
