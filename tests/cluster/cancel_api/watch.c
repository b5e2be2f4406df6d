/*
 * watch.c — APIs served by srv1 and srv2 for test_cancel.c: bodies that record,
 * per token, what they saw (nb_cancelled(), nb_request_more_time()), and the
 * queries through which the driver reads that back. State lives in the serving
 * process; every query is itself a remote call.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nebula.h>

#include "cancel_api.h"

#define TOKENS 1024

#if NB_ON("&srv") /* only the serving nodes' bodies use these */
static _Atomic int64_t seen[TOKENS];    /* watch_cancel: 0 not started, 1 running, 2 saw
                                           nb_cancelled(), 3 ended without seeing it */
static atomic_int granted[TOKENS];      /* extend_sleep: extensions granted */

static void nap_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
#endif
static atomic_int runs[TOKENS];         /* counted, solo_run: bodies started */
static atomic_int fair_now;             /* slow_fair bodies running */

static size_t slot(int64_t token)
{
    return (size_t)token % TOKENS;
}

void cancel_tally(int64_t token)
{
    atomic_fetch_add(&runs[slot(token)], 1);
}

void cancel_fair_enter(void)
{
    atomic_fetch_add(&fair_now, 1);
}

void cancel_fair_leave(void)
{
    atomic_fetch_sub(&fair_now, 1);
}

/* Polls nb_cancelled() every millisecond for up to max_ms. */
NB_API("&srv")
int64_t watch_cancel(int64_t token, int64_t max_ms)
{
    atomic_store(&seen[slot(token)], 1);
    for (int64_t i = 0; i < max_ms; i++) {
        if (nb_cancelled()) {
            atomic_store(&seen[slot(token)], 2);
            return 2;
        }
        nap_ms(1);
    }
    atomic_store(&seen[slot(token)], 3);
    return 3;
}

NB_API("&srv")
int64_t seen_cancel(int64_t token)
{
    return atomic_load(&seen[slot(token)]);
}

/* Counts that its body started, then sleeps ms. */
NB_API("&srv")
int64_t counted(int64_t token, int64_t ms)
{
    cancel_tally(token);
    nap_ms(ms);
    return token;
}

NB_API("&srv")
int64_t count_of(int64_t token)
{
    return atomic_load(&runs[slot(token)]);
}

/* Asks for more time n times at once; returns how often it was granted. */
NB_API("&srv")
int64_t extend_try(int64_t n)
{
    int64_t yes = 0;
    for (int64_t i = 0; i < n; i++)
        yes += nb_request_more_time();
    return yes;
}

/* n steps of step_ms, asking for more time after each; records the grants. */
NB_API("&srv")
int64_t extend_sleep(int64_t token, int64_t n, int64_t step_ms)
{
    atomic_store(&granted[slot(token)], 0);
    for (int64_t i = 0; i < n; i++) {
        nap_ms(step_ms);
        if (nb_request_more_time())
            atomic_fetch_add(&granted[slot(token)], 1);
    }
    return atomic_load(&granted[slot(token)]);
}

NB_API("&srv")
int64_t granted_of(int64_t token)
{
    return atomic_load(&granted[slot(token)]);
}

/* The node that ran the body (heap string, the caller frees it). */
NB_API("&srv")
char *serving_node(void)
{
    return strdup(nb_self_node());
}

/* Local on the driver: what a local body sees (0 = neither cancelled nor
 * granted more time). */
NB_API("&drv")
int64_t local_probe(void)
{
    return (nb_cancelled() ? 1 : 0) + (nb_request_more_time() ? 2 : 0);
}

NB_API("&srv")
int64_t fair_running(void)
{
    return atomic_load(&fair_now);
}
