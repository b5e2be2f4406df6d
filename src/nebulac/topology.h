/*
 * topology.h — the cluster map read from nebula.yaml (docs/design.md §3).
 *
 * Every scalar is a string to the parser: a tag `no` is the tag "no", a port is
 * checked as digits by us, not typed by YAML. Errors are reported through diag.h
 * with the file, line and column of the offending node of the YAML document.
 */
#ifndef NBC_TOPOLOGY_H
#define NBC_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "nebula.h"
#include "../common/selector.h"

typedef struct nbc_topology {
    char *path;                      /* the file as given */
    nb__node_def *nodes;             /* in file order; every string owned by the topology */
    nbc_loc *node_locs;              /* where each node's key stands in the file */
    size_t n_nodes;
    int port;                        /* default 4370 */
    int default_timeout_ms;          /* default 5000 */
    int nodes_info_refresh_interval_ms; /* default 5000 */
    int max_concurrent_calls;        /* default 64 */
    int heartbeat_interval_ms;       /* default 500 */
    int max_time_extensions;         /* default 10; 0 forbids nb_request_more_time() */
    bool allow_nonode_nohost;        /* default false */
    bool allow_unknown_self_node;    /* default false */
    char *default_self_node;         /* default_opts.self_node, or NULL */
    nbc_loc default_self_node_loc;
    /* `transport:` as nb__cluster_def.transport: 0 psk (default), 1 mtls, 2 plain. */
    int transport;
    /* `tls:` (mtls only): PEM paths, made absolute against the topology file's
     * directory; {node} {short} {host} are kept for the runtime to expand. */
    char *tls_ca, *tls_cert, *tls_key;
} nbc_topology;

#define NBC_TRANSPORT_PSK 0
#define NBC_TRANSPORT_MTLS 1
#define NBC_TRANSPORT_PLAIN 2

/* "psk", "mtls" or "plain": the name of t->transport (static). */
const char *nbc_transport_name(int transport);

/*
 * Reads and validates path. Returns 0 and fills *topo (release with
 * nbc_topology_free), or -1 after reporting every problem found with nbc_error.
 */
int nbc_topology_load(const char *path, nbc_topology *topo);
void nbc_topology_free(nbc_topology *topo);

/* Index of the node named `name` (full name), or -1. */
int nbc_topology_find(const nbc_topology *topo, const char *name);

/*
 * Checks a selector used in the sources (text is the string literal's content,
 * loc the position of its first character). Reports, and returns -1, for a syntax
 * error (column pointing at the problem), unknown tags or nodes (the reference
 * README's "Unknown nodes in defapi call :" listing (worded "NB_API call" here), see docs/design.md §6; tags
 * get "Unknown tags in <what> :" with "Available tags :"), or a selector matching
 * no node. `what` names the construct: "NB_API call" for NB_API, "NB_ON" ...
 * On success returns 0 and fills *out.
 */
int nbc_selector_check(const nbc_topology *topo, const char *text, nbc_loc loc,
                       const char *what, nb__selector *out);

#endif /* NBC_TOPOLOGY_H */
