/* session.h — the api node's scripted tour of the cluster. */
#ifndef SHOP_SESSION_H
#define SHOP_SESSION_H

#include <stdbool.h>

/* Runs the session on a started node and prints every step. With failover, it
 * ends by having a serving node stopped (it prints READY_FOR_FAILOVER <node> and
 * waits for a line on stdin) and shows the next call served elsewhere. Returns
 * 0 when every step did what it should, else 1. */
int session_run(bool failover);

#endif
