/* health.h — every node answers for itself. */
#ifndef SHOP_HEALTH_H
#define SHOP_HEALTH_H

#include <nebula.h>

NB_STRUCT typedef struct node_health {
    char *node; /* the node that answered */
    int64_t pid;
    int64_t uptime_ms; /* since node_health_start() */
} node_health_t;

/* Local on every node (NB_API() without a selector): a plain call describes the
 * caller; inside NB_ON_NODE("&db") it describes a db node. Returned by value:
 * the caller frees .node. */
node_health_t node_health(void);

/* Records the process start; call it first thing in main(). Plain C, not an API. */
void node_health_start(void);

#endif
