/* fair.c — a slow body, for one greedy peer against a polite one. */
#include <stdint.h>
#include <time.h>

#include <nebula.h>

#include "cancel_api.h"

NB_API("&srv")
int64_t slow_fair(int64_t ms)
{
    cancel_fair_enter();
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    cancel_fair_leave();
    return ms;
}
