/*
 * callopts.h — the rules an nb_call must keep to be valid at all (docs/design.md
 * §13.4), whatever the cluster looks like. Shared by libnebula (checked before
 * anything is sent; the call fails with NB_E_BAD_OPTION) and nebulac (literal
 * options are refused at build time). Pure; no I/O.
 */
#ifndef NB_COMMON_CALLOPTS_H
#define NB_COMMON_CALLOPTS_H

#include <stddef.h>

#include "nebula.h"

/*
 * Checks the routing options in force for one call. Returns 0 when they can be
 * valid, or -1 with a sentence in why[0..size) that names the option and the way
 * out (".success and .failure are both set: give one predicate"). c is borrowed.
 */
int nb__call_check(const nb_call *c, char *why, size_t size);

/*
 * The routing in force when a call that sets only options (no target, no
 * .default_route) runs inside a block: the block's nb_call with the call's set
 * options on top (nebula.h, "Routing"). nebulac uses it to ask whether options
 * written without a target can be valid under any block; router.c's
 * effective_route applies the same overlay. All three are borrowed; *out is the
 * caller's.
 */
void nb__call_overlay(const nb_call *block, const nb_call *call, nb_call *out);

#endif /* NB_COMMON_CALLOPTS_H */
