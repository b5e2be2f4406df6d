/*
 * options.h — build-time checks of nb_call options written as literals: the
 * compound literal `&(nb_call){...}` passed to an API's f__with, and the
 * options of the routing blocks (NB_ON_NODE, NB_ON_NODES, ...). parse.c notes
 * them; validation refuses those that can never be valid, by libnebula's own
 * rules (nb__call_check, src/common/callopts.c). Options nebulac cannot read
 * (expressions, variables) are taken as any value they might have.
 */
#ifndef NBC_OPTIONS_H
#define NBC_OPTIONS_H

#include "model.h"

/* Reports, with nbc_error, each noted literal no run could accept. Returns the
 * number of errors. */
int nbc_check_call_options(const nbc_model *m);

#endif /* NBC_OPTIONS_H */
