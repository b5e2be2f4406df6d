/*
 * build.h — the identity of one nebulac run: the topology and the node being
 * built. Validation decides placement against it; the emitters print it.
 */
#ifndef NBC_BUILD_H
#define NBC_BUILD_H

#include "model.h"
#include "topology.h"

typedef struct nbc_build {
    const nbc_topology *topo;
    int self;                 /* index of the node built, -1 for a generic build */
    const char *self_name;    /* "db@db.example", "nonode@nohost" */
    /* What NB_ON selectors match against: the topology's node, or for a generic
     * build a tagless node carrying self_name. Strings borrowed. */
    nb__node_def self_node;
    char self_short[128];
    char self_host[128];
    /* The output directory as the compiler will see it (absolute), for the #line
     * of generated code; NULL: the output's path relative to it. Borrowed. */
    const char *out_dir;
} nbc_build;

/* Fills b for `name` at topology index `self` (-1: generic). name is borrowed. */
void nbc_build_init(nbc_build *b, const nbc_topology *topo, int self, const char *name);

/* nbc_on_eval_fn for the parser: checks the selector against the topology
 * ("NB_ON call") and matches it against b->self_node. ctx is the nbc_build. */
int nbc_build_on_eval(void *ctx, const char *selector, nbc_loc loc);

#endif /* NBC_BUILD_H */
