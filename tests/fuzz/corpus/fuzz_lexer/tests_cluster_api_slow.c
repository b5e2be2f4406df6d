/*
 * slow.c — a module limited to one body at a time (and one queued call), for
 * NB_E_OVERLOADED.
 */
#include <stdint.h>
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
