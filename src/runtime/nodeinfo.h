/*
 * nodeinfo.h — what nodes publish about themselves (docs/design.md §7, "Node
 * info"): every nodes_info_refresh_interval a node measures itself and pushes an
 * INFO frame to every peer; pick and filter functions, and nb_nodes_info(), see
 * the latest snapshot of every configured node.
 */
#ifndef NB_RUNTIME_NODEINFO_H
#define NB_RUNTIME_NODEINFO_H

#include <stddef.h>

#include "nebula.h"
#include "conn.h"

int nb__info_start(void);
void nb__info_stop(void);

/* Measures this node again (memory, threads, load...). */
void nb__info_refresh_self(void);

/* Sends this node's latest snapshot to c. */
void nb__info_send(nb__conn *c);

/* Stores the snapshot an INFO frame from c carries. */
void nb__info_on_frame(nb__conn *c, const unsigned char *payload, size_t len);

/* Forgets configured node idx's snapshot (it disconnected or just connected). */
void nb__info_forget(int idx);

/* Every configured node, as nb_nodes_info() returns it (free with
 * nb_nodes_info_free). NULL with *n = 0 when not started. */
nb_node_info *nb__info_snapshot(size_t *n);

#endif /* NB_RUNTIME_NODEINFO_H */
