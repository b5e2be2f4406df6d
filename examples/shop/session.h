/* session.h — the api node's scripted tour of the cluster. */
#ifndef SHOP_SESSION_H
#define SHOP_SESSION_H

#include <stdbool.h>

/* Runs the session on a started node and prints every step. With failover, it
 * then has a serving node stopped (it prints READY_FOR_FAILOVER <node> and
 * waits for a line on stdin) and shows the next call served elsewhere. With
 * partition, it then has the node serving &worker cut off the network
 * (READY_FOR_PARTITION <node>, a line on stdin), shows what calls get meanwhile,
 * and has the cut healed (READY_TO_HEAL <node>, a line on stdin). Returns 0 when
 * every step did what it should, else 1. */
int session_run(bool failover, bool partition);

#endif
