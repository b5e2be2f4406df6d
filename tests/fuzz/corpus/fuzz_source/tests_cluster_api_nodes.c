/*
 * nodes.c — test APIs served by the &db nodes only (never locally on api): for
 * routing, failover and failure codes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>

#include "api.h"

#if NB_ON("&db")
static void sleep_ms_(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
#endif

/* The node that ran the body. */
NB_API("&db")
char *whoami(void)
{
    return strdup(nb_self_node());
}

/* Calls nb_stop() from a served body: refused (it would wait for this very body),
 * so the node keeps serving. Returns the name of the node still running. */
NB_API("&db")
char *stop_from_body(void)
{
    nb_stop();
    return strdup(nb_self_node());
}

/* Sleeps, then returns its argument. */
NB_API("&db")
int64_t nap(int64_t ms)
{
    sleep_ms_(ms);
    return ms;
}

/* The serving process dies in the middle of the call. */
NB_API("&db")
int64_t die_now(void)
{
    kill(getpid(), SIGKILL);
    sleep_ms_(60000);
    return 0;
}

/* Served by &cold only, which never runs as itself. */
NB_API("&cold")
int64_t cold_ping(void)
{
    return 1;
}

/* Nothing to return. */
NB_API("&db")
void touch(int64_t x)
{
    (void)x;
}
