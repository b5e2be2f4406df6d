/*
 * explain.h — `nebulac --explain`: where every API runs, as an aligned table.
 */
#ifndef NBC_EXPLAIN_H
#define NBC_EXPLAIN_H

#include <stdio.h>

#include "build.h"
#include "model.h"

/* Prints one row per API (sorted by name): its selector, then `local` or
 * `remote` for every node of the topology. The model must be validated. */
void nbc_explain(FILE *out, const nbc_model *m, const nbc_build *b);

#endif /* NBC_EXPLAIN_H */
