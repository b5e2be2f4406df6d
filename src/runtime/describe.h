/*
 * describe.h — the DESCRIBE frame on the serving side: a node answers a peer's
 * DESCRIBE with the method table of its build (a DESCRIPTION), so that the
 * installed `nebula` command can call APIs it was not built with
 * (docs/cli.md). The asking side, and the decoder of DESCRIPTION, are in
 * tool.h.
 */
#ifndef NB_RUNTIME_DESCRIBE_H
#define NB_RUNTIME_DESCRIBE_H

#include <stdint.h>

#include "conn.h"

/* Answers DESCRIBE `id` on c with a DESCRIPTION. Returns 0, or -1 when c must
 * close (the answer could not be queued). Called by dispatch for an
 * authenticated connection only. */
int nb__describe_on_request(nb__conn *c, uint64_t id);

#endif /* NB_RUNTIME_DESCRIBE_H */
