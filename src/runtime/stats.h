/*
 * stats.h — the STATS frame on the serving side: a node answers a peer's STATS
 * with its figures (nb__metrics_pack). The asking side is tool.h.
 */
#ifndef NB_RUNTIME_STATS_H
#define NB_RUNTIME_STATS_H

#include <stdint.h>

#include "conn.h"

/* Answers STATS `id` on c with a STATS_REPLY. Returns 0, or -1 when c must
 * close (the reply could not be queued). Called by dispatch for an
 * authenticated connection only. */
int nb__stats_on_request(nb__conn *c, uint64_t id);

#endif /* NB_RUNTIME_STATS_H */
