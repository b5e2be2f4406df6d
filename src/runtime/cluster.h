/*
 * cluster.h — the cluster that generated code registered (nb__register_cluster),
 * read back, and how each node serves an API right now. The internal entry
 * points used outside libnebula: the `nebula` command (src/cli) reads the
 * topology it was built with, and marks the nodes that serve an API with
 * another signature (docs/upgrades.md), through them, and needs nothing else
 * of the runtime's internals. libnebula.map exports them.
 */
#ifndef NB_RUNTIME_CLUSTER_H
#define NB_RUNTIME_CLUSTER_H

#include "nebula.h"

/* The cluster registered by generated code (NULL before registration). Static. */
const nb__cluster_def *nb__cluster(void);

/* How a node serves an API, as this running node sees it. */
enum {
    NB__SIG_DOWN,   /* not connected (or this node is not started) */
    NB__SIG_SAME,   /* serves it with this build's signature */
    NB__SIG_OTHER,  /* connected, serves an API of that name with another signature */
    NB__SIG_NONE    /* connected, does not serve it */
};

/* How configured node `node` (an index into nb__cluster()->nodes) serves the
 * API m of this build. */
int nb__cluster_signature_state(const nb__method *m, size_t node);

/* Whether this running node knows where configured node `node` stands since
 * nb_start: connected, or an attempt to connect to it has ended without it
 * (refused, unreachable, its name unresolved). This node itself counts as
 * settled; false while not started. The nebula command stops waiting for the
 * cluster once every node is settled. */
bool nb__cluster_node_settled(size_t node);

#endif /* NB_RUNTIME_CLUSTER_H */
