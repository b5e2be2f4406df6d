/* routing_api.h — prototypes of the routing tests' APIs, as callers include them.
 * Replica numbers are the digit of the node name: r3@127.0.0.1 is number 3. */
#ifndef ROUTING_API_H
#define ROUTING_API_H

#include <stdbool.h>
#include <stdint.h>

#include <nebula.h>

/* A heap struct a multicast returns per node, so its deep free is exercised. */
NB_STRUCT typedef struct replica_card {
    char *name;
    int64_t number;
} replica_card_t;

/* &replica: the node that ran the body (heap string). */
char *replica_name(void);
/* &replica: this replica's number. */
int64_t replica_number(void);
/* &replica: the same, as a heap struct (free with nb_free_replica_card_t). */
replica_card_t *replica_card(void);
/* &replica: nothing, for void multicasts. */
void replica_touch(void);
/* &replica: sleeps ms when slow_from <= number <= slow_to, then returns the name. */
char *replica_wait(int64_t slow_from, int64_t slow_to, int64_t ms);
/* &replica: how many replica_wait bodies that slept have finished on this node. */
int64_t replica_slept(void);
int64_t replica_started(void);
/* &replica: the replica numbered `number` dies on the spot; the others return
 * their number. */
int64_t replica_crash_if(int64_t number);
/* &replica: allocates and touches mb more megabytes, kept until exit; returns
 * the megabytes held. */
int64_t replica_hog(int64_t mb);

/* &trio (r5 and two nodes that never start): the node that ran the body. */
char *trio_name(void);

/* &live (the driver and every replica): calls replica_name() with no routing of
 * its own and returns its answer, or "inherited <code>" when that call failed. */
char *relay(void);

/* No selector: served by every node, this one included. */
char *everyone_name(void);

#endif /* ROUTING_API_H */
