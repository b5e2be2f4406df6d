/*
 * explain.h — `nebulac --explain`: where every API runs, as an aligned table or
 * as a picture (Graphviz DOT, and SVG through Graphviz's dot).
 */
#ifndef NBC_EXPLAIN_H
#define NBC_EXPLAIN_H

#include <stdio.h>

#include "build.h"
#include "model.h"

/* Prints one row per API (sorted by name): its selector, then `local` or
 * `remote` for every node of the topology. The model must be validated. */
void nbc_explain(FILE *out, const nbc_model *m, const nbc_build *b);

/* The same placement as a Graphviz graph (--format=dot): one box per node of the
 * topology, in file order, with its tags and the APIs local on it sorted by
 * name; the node being built (if any) stands out. Deterministic: the same
 * inputs give the same bytes. */
void nbc_explain_dot(FILE *out, const nbc_model *m, const nbc_build *b);

#endif /* NBC_EXPLAIN_H */
