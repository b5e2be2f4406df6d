/* health.c — a body compiled into every node, so any node can be asked. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getpid, strdup */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>
#include "health.h"

static struct timespec started;

void node_health_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &started);
}

/* The returned .node is a heap string owned by the caller (free). */
NB_API()
node_health_t node_health(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (node_health_t){
        .node = strdup(nb_self_node()),
        .pid = (int64_t)getpid(),
        .uptime_ms = (int64_t)(now.tv_sec - started.tv_sec) * 1000 +
                     (now.tv_nsec - started.tv_nsec) / 1000000,
    };
}
