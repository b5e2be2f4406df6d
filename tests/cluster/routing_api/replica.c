/*
 * replica.c — the APIs of the &replica nodes (r1..r5) for the routing tests:
 * who ran a call, delays that make some nodes slow, a crash on demand, and memory
 * that makes a node look loaded in its node info.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>

#include "routing_api.h"

#if NB_ON("&replica")
static atomic_llong slept_bodies;
static atomic_llong started_bodies; /* slow bodies that began to sleep */

/* Memory held on purpose (replica_hog); reachable, so no leak report. The
 * pointers are volatile: the compiler may not drop the allocations as dead
 * stores that nobody reads. */
static char *volatile hogged[64];
static size_t n_hogged;
static int64_t hogged_mb;

static int64_t my_number(void)
{
    const char *self = nb_self_node();
    return self[0] == 'r' ? strtoll(self + 1, NULL, 10) : -1;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
#endif

NB_API("&replica")
char *replica_name(void)
{
    return strdup(nb_self_node());
}

NB_API("&replica")
int64_t replica_number(void)
{
    return my_number();
}

NB_API("&replica")
replica_card_t *replica_card(void)
{
    replica_card_t *c = malloc(sizeof *c);
    c->name = strdup(nb_self_node());
    c->number = my_number();
    return c;
}

NB_API("&replica")
void replica_touch(void) {}

NB_API("&replica")
char *replica_wait(int64_t slow_from, int64_t slow_to, int64_t ms)
{
    int64_t n = my_number();
    if (n >= slow_from && n <= slow_to && ms > 0) {
        atomic_fetch_add(&started_bodies, 1);
        sleep_ms(ms);
        atomic_fetch_add(&slept_bodies, 1);
    }
    return strdup(nb_self_node());
}

NB_API("&replica")
int64_t replica_slept(void)
{
    return atomic_load(&slept_bodies);
}

NB_API("&replica")
int64_t replica_started(void)
{
    return atomic_load(&started_bodies);
}

NB_API("&replica")
int64_t replica_crash_if(int64_t number)
{
    if (my_number() == number) {
        kill(getpid(), SIGKILL);
        sleep_ms(60000);
    }
    return my_number();
}

NB_API("&replica")
int64_t replica_hog(int64_t mb)
{
    size_t len = (size_t)mb << 20;
    char *p = mb > 0 && n_hogged < sizeof hogged / sizeof *hogged ? malloc(len) : NULL;
    if (p) {
        memset(p, 0x5a, len); /* touched, so it counts in the resident set */
        hogged[n_hogged++] = p;
        hogged_mb += mb;
    }
    return hogged_mb;
}
