/*
 * introspect.c — routing introspection (docs/design.md §13.3): which nodes an
 * API resolves to in the topology, and which of them serve it right now. The
 * reference library's configured_nodes/available_nodes, for C.
 */
#include <string.h>

#include "cluster.h"
#include "config.h"
#include "membership.h"

/* The registered method called `api`, or NULL. */
static const nb__method *method_named(const nb__cluster_def *def, const char *api)
{
    if (!def || !api)
        return NULL;
    for (size_t i = 0; i < def->n_methods; i++)
        if (strcmp(def->methods[i]->name, api) == 0)
            return def->methods[i];
    return NULL;
}

/* Stores name at nodes[k] when it fits; returns k + 1. */
static size_t put(const char **nodes, size_t cap, size_t k, const char *name)
{
    if (nodes && k < cap)
        nodes[k] = name;
    return k + 1;
}

/* api is borrowed; nodes[0..cap) is the caller's, filled with static strings. */
size_t nb_configured_nodes(const char *api, const char **nodes, size_t cap)
{
    const nb__cluster_def *def = nb__cluster();
    const nb__method *m = method_named(def, api);
    size_t k = 0;
    for (size_t i = 0; m && i < m->n_serving; i++)
        k = put(nodes, cap, k, def->nodes[m->serving[i]].name);
    return k;
}

// m is borrowed.
int nb__cluster_signature_state(const nb__method *m, size_t node)
{
    if (!nb__lease_enter())
        return NB__SIG_DOWN;
    int state;
    if ((int)node == nb__cfg.self_index)
        state = nb__serves_locally(m) ? NB__SIG_SAME : NB__SIG_NONE;
    else
        state = nb__members_signature_state(m, (int)node);
    nb__lease_leave();
    return state;
}

bool nb__cluster_node_settled(size_t node)
{
    if (!nb__lease_enter())
        return false;
    bool settled = (int)node == nb__cfg.self_index || nb__members_settled((int)node);
    nb__lease_leave();
    return settled;
}

/* api is borrowed; nodes[0..cap) is the caller's, filled with static strings. */
size_t nb_available_nodes(const char *api, const char **nodes, size_t cap)
{
    const nb__cluster_def *def = nb__cluster();
    const nb__method *m = method_named(def, api);
    if (!m || !nb__lease_enter())
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < m->n_serving; i++) {
        int idx = (int)m->serving[i];
        bool up;
        if (idx == nb__cfg.self_index) {
            up = nb__serves_locally(m);
        } else {
            nb__conn *c = nb__members_conn_serving(idx, m);
            up = c != NULL;
            if (c)
                nb__conn_unref(c);
        }
        if (up)
            k = put(nodes, cap, k, def->nodes[idx].name);
    }
    nb__lease_leave();
    return k;
}
