/*
 * block.c — the machinery behind the routing blocks NB_ON_NODE, NB_ON_NODE_FN,
 * NB_ON_NODES, NB_ON_NODES_FN and NB_ON_ALL_NODES (nebula.h, docs/design.md §7).
 *
 * A block is a for-loop that runs once: entering pushes its nb_call as this
 * thread's routing context, leaving pops it. The nb_call is a compound literal
 * of the enclosing scope, so it outlives the block's statement.
 */
#include <string.h>

#include "nebula.h"

/* call is borrowed for the block's lifetime; *call->results (when set) is the
 * caller's storage, zeroed here because users declare it uninitialised. */
nb__block nb__block_enter(const nb_call *call)
{
    nb__block b = {nb__tls.route, 1};
    nb__tls.route = call;
    if (call->results != NULL)
        memset(call->results, 0, sizeof *call->results);
    return b;
}

/* b is the caller's loop variable. */
void nb__block_leave(nb__block *b)
{
    nb__tls.route = b->saved;
    b->once = 0;
}
