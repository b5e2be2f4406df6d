/*
 * cluster.h — the cluster that generated code registered (nb__register_cluster),
 * read back. The one internal entry point used outside libnebula: the `nebula`
 * command (src/cli) reads the topology it was built with through it, and needs
 * nothing else of the runtime's internals. libnebula.map exports it.
 */
#ifndef NB_RUNTIME_CLUSTER_H
#define NB_RUNTIME_CLUSTER_H

#include "nebula.h"

/* The cluster registered by generated code (NULL before registration). Static. */
const nb__cluster_def *nb__cluster(void);

#endif /* NB_RUNTIME_CLUSTER_H */
