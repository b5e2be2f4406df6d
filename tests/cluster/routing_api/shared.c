/*
 * shared.c — the routing tests' APIs served beyond the replicas: by the &trio
 * nodes, by every &live node (the driver included) and by every node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula.h>

#include "routing_api.h"

NB_API("&trio")
char *trio_name(void)
{
    return strdup(nb_self_node());
}

/* A body that calls another API without routing of its own: wherever the router
 * runs it, that inner call must take the default route, whatever block the
 * caller of relay() was in. */
NB_API("&live")
char *relay(void)
{
    char *inner = replica_name();
    if (inner)
        return inner;
    char buf[64];
    snprintf(buf, sizeof buf, "inherited %s", nb_code_name(nb_last_code()));
    return strdup(buf);
}

NB_API()
char *everyone_name(void)
{
    return strdup(nb_self_node());
}
