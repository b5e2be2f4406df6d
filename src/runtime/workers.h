/*
 * workers.h — running the method bodies this node serves for its peers.
 *
 * Contract: every admitted request gets exactly one REPLY (its value or a failure
 * code) unless its connection closes first. Per module, at most
 * max_concurrent_calls bodies run at once and as many again wait in a queue;
 * beyond that the request is answered NB_E_OVERLOADED at once. A request whose
 * deadline has passed when its turn comes is answered NB_E_TIMEOUT without
 * running. Bodies run on the thread that read the request whenever it can (a loop
 * thread), and on a woken loop thread otherwise.
 */
#ifndef NB_RUNTIME_WORKERS_H
#define NB_RUNTIME_WORKERS_H

#include <stddef.h>

#include "transport.h"

struct nb__job;

int nb__workers_start(void);
/* Refuses new requests, then waits until every admitted one has been answered. */
void nb__workers_drain(void);
void nb__workers_stop(void);

/* Loop threads the served modules may keep busy at once. */
size_t nb__workers_thread_budget(void);

/* A REQUEST frame from c (see nb__on_frame for payload/owned). */
int nb__workers_on_request(nb__conn *c, const nb__frame_header *h, unsigned char *payload,
                           unsigned char **owned, nb__reader_ctx *ctx);

/* The next queued job for a woken loop thread, or NULL. */
struct nb__job *nb__workers_take(void);

/* Runs an admitted job (and the module's queued ones after it), replies, frees. */
void nb__workers_run(struct nb__job *job);

#endif /* NB_RUNTIME_WORKERS_H */
