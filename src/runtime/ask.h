/*
 * ask.h — one question to a configured node over the authenticated connection
 * to it: a frame of a tool's type with an empty payload (STATS, DESCRIBE),
 * answered like a REQUEST by one frame whose header carries the question's
 * call id (docs/runtime-layers.md, session layer).
 */
#ifndef NB_RUNTIME_ASK_H
#define NB_RUNTIME_ASK_H

#include <stddef.h>

#include "conn.h"
#include "frame.h"

/* Takes the answer's payload (borrowed: valid during the call) from node
 * `node`. Returns 0 when it accepted it, or -1 after nb__fail. */
typedef int (*nb__answer_fn)(const unsigned char *payload, size_t len, const char *node,
                             void *arg);

/*
 * Sends a `type` frame to configured node idx and waits at most timeout_ms for
 * the answer, which goes to take(payload, len, node name, arg). Returns take's
 * result, or -1 after nb__fail: not started (NB_E_NOT_STARTED), not connected
 * (NB_E_NO_WORKER), lost meanwhile (NB_E_NODE_DOWN), no answer in time
 * (NB_E_TIMEOUT). `what` starts every message ("stats: ...").
 */
int nb__ask_node(int idx, nb__frame_type type, const char *what, int timeout_ms,
                 nb__answer_fn take, void *arg);

/* The answering side: sends c one `type` frame for question `id`, its payload
 * written by pack. Returns as nb__conn_send, or -1 when out of memory. */
int nb__ask_answer(nb__conn *c, nb__frame_type type, uint64_t id,
                   void (*pack)(msgpack_packer *pk));

#endif /* NB_RUNTIME_ASK_H */
