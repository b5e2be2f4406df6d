/*
 * any_cluster.c — the installed `nebula` command: one executable for any
 * cluster (docs/cli.md, "The installed nebula").
 *
 * The per-project command has the cluster nebulac compiled registered before
 * main(). This one reads the topology file at run time with nebulac's own
 * loader (src/nebulac/topology.c) and computes its fingerprint as nebulac does
 * (nbc_fingerprint), so the nodes take it for one of their own generic nodes.
 * It knows no API until it asks: before a command that lists or calls APIs it
 * joins the cluster, asks every connected node for its method table
 * (DESCRIBE, tool.h), leaves, registers the APIs learnt, and lets the command
 * join again.
 *
 * Two phases because the runtime reads its method table without locks from
 * the moment nb_start returns (the router, membership, metrics, the workers
 * index it at start): it may not change while the node runs, and
 * nb_start after nb_stop is supported.
 *
 * Nodes that disagree (a rolling upgrade, docs/upgrades.md) are handled as the
 * runtime handles them: by wire id. Every distinct wire id described becomes a
 * method of its own, so an API whose signature changed may appear twice, once
 * per signature; each is routed only to the nodes serving that wire id.
 * `nebula call NAME` picks, among the APIs of that name, the one whose
 * parameter count matches the arguments given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "signature.h"
#include "tool.h"
#include "topology.h"

/* How long the first phase waits for connections, and for each answer. */
#define LEARN_WAIT_MS 1500
#define DESCRIBE_TIMEOUT_MS 5000

/* Everything lives until the process exits: the runtime keeps pointers into
 * both cluster definitions (one per phase). */
static struct {
    nbc_topology topo;
    char fingerprint[17];
    nb__cluster_def bare;          /* the nodes, no API: the first phase */
    nb__cluster_def full;          /* with the APIs learnt */
    nb__description *descs;
    size_t n_descs;
    const nb__method **methods;
} A;

static int load(const char *path)
{
    if (path == NULL)
        path = getenv("NEBULA_TOPOLOGY");
    if (path == NULL || path[0] == '\0') {
        nb__cli_error("which cluster? give --topology FILE (the cluster's nebula.yaml) or set "
                      "$NEBULA_TOPOLOGY");
        return NB_CLI_EXIT_USAGE;
    }
    if (nbc_topology_load(path, &A.topo) != 0) {
        nb__cli_error("cannot use the topology %s (see above)", path);
        return NB_CLI_EXIT_USAGE;
    }
    nbc_fingerprint(&A.topo, A.fingerprint);
    const nbc_topology *t = &A.topo;
    A.bare = (nb__cluster_def){
        .abi_version = NB__ABI_VERSION,
        .fingerprint = A.fingerprint,
        .nodes = t->nodes,
        .n_nodes = t->n_nodes,
        .self = -1,
        .self_name = "nonode@nohost",
        .port = t->port,
        .default_timeout_ms = t->default_timeout_ms,
        .nodes_info_refresh_interval_ms = t->nodes_info_refresh_interval_ms,
        .max_concurrent_calls = t->max_concurrent_calls,
        .heartbeat_interval_ms = t->heartbeat_interval_ms,
        .transport = t->transport,
        .tls_ca = t->tls_ca,
        .tls_cert = t->tls_cert,
        .tls_key = t->tls_key,
        .max_time_extensions = t->max_time_extensions,
    };
    nb__register_cluster(&A.bare);
    return 0;
}

static int method_order(const void *a, const void *b)
{
    const nb__method *x = *(const nb__method *const *)a, *y = *(const nb__method *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->signature, y->signature);
}

/* The union of the descriptions by wire id, ordered by name. A wire id is
 * taken from a node that serves it when one described it (that node runs the
 * calls and knows its own types best), else from the first node that did.
 * Returns 0 or -1 when out of memory. */
static int merge(void)
{
    size_t cap = 0;
    for (size_t k = 0; k < A.n_descs; k++)
        cap += A.descs[k].n_methods;
    A.methods = calloc(cap + 1, sizeof *A.methods);
    if (A.methods == NULL)
        return -1;
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < A.n_descs; k++) {
            for (size_t i = 0; i < A.descs[k].n_methods; i++) {
                const nb__method *m = &A.descs[k].methods[i];
                if (pass == 0 && !A.descs[k].served_here[i])
                    continue;
                size_t j = 0;
                while (j < n && A.methods[j]->wire_id != m->wire_id)
                    j++;
                if (j == n)
                    A.methods[n++] = m;
            }
        }
    }
    qsort(A.methods, n, sizeof *A.methods, method_order);
    A.full = A.bare;
    A.full.methods = A.methods;
    A.full.n_methods = n;
    return 0;
}

static int learn(void)
{
    int rc = nb__cli_start();
    if (rc != 0)
        return rc;
    nb__cli_wait_nodes(NULL, 0, LEARN_WAIT_MS, false);
    size_t count = 0, connected = 0;
    nb_node_info *info = nb_nodes_info(&count);
    A.descs = calloc(count + 1, sizeof *A.descs);
    if (A.descs == NULL) {
        nb_nodes_info_free(info, count);
        return NB_CLI_EXIT_LIBRARY;
    }
    for (size_t i = 0; i < count; i++) {
        if (!info[i].connected)
            continue;
        connected++;
        if (nb__describe_fetch((int)i, DESCRIBE_TIMEOUT_MS, &A.descs[A.n_descs]) == 0)
            A.n_descs++;
        else /* one node's refused answer does not hide the others'. A node of a
              * libnebula without DESCRIBE closes the connection instead. */
            nb__cli_error("warning: %s: %s%s", A.bare.nodes[i].name, nb_last_message(),
                          nb_last_code() == NB_E_NODE_DOWN
                              ? " (a libnebula older than the DESCRIBE frame?)" : "");
    }
    nb_nodes_info_free(info, count);
    if (A.n_descs == 0) {
        if (connected == 0) {
            /* nb_await's failure names every node and why it is not connected
             * (refused us and why, unreachable, down, never seen). */
            nb_await("", 0);
            const char *why = nb_last_message(), *after = strstr(why, " ms: ");
            nb__cli_error("cannot learn the cluster's APIs: no node is connected: %s",
                          after ? after + 5 : why); /* past "nb_await: ... within 0 ms: " */
        } else {
            nb__cli_error("cannot learn the cluster's APIs: no node described them");
        }
        return NB_CLI_EXIT_LIBRARY;
    }
    nb__cli_stop();
    if (merge() < 0)
        return NB_CLI_EXIT_LIBRARY;
    nb__register_cluster(&A.full);
    return 0;
}

static const nb__cli_hooks hooks = {.load = load, .learn = learn};

int main(int argc, char **argv)
{
    return nb__cli_run(argc, argv, &hooks);
}
