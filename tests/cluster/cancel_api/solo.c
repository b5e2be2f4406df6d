/* solo.c — a module that runs one body at a time, for queued calls. */
#include <stdint.h>
#include <time.h>

#include <nebula.h>

#include "cancel_api.h"

NB_MODULE(.max_concurrent_calls = 1);

NB_API("&srv")
int64_t solo_run(int64_t token, int64_t ms)
{
    cancel_tally(token);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return token;
}
