/*
 * router.h — pieces of nb__invoke shared by unicast (router.c) and multicast /
 * broadcast (multicast.c). Pointers passed in are borrowed for the call.
 */
#ifndef NB_RUNTIME_ROUTER_H
#define NB_RUNTIME_ROUTER_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "nebula.h"
#include "selector.h"

struct nb__conn;

/* The call's timeout: per call > per module > default_timeout > 5000 ms. */
int nb__call_timeout(const nb__method *m, const nb_call *r);

/* How many EXTENDs a call accepts: per call > per module > topology (default 10);
 * NB_NO_EXTENSIONS (any negative value) at a level means none. */
int nb__call_max_extensions(const nb__method *m, const nb_call *r);

/* Runs m's body here without the caller's routing block; sets NB_OK. */
void nb__run_local(const nb__method *m, const void *args, void *ret);

/* Builds a REQUEST frame in *sb (caller sends or destroys it), carrying what is
 * left of the call's monotonic deadline_ms (rounded down: the serving node never
 * thinks it has more time than the caller gives) and the time it was made.
 * Returns 0, or -1 with *sb released and why[0..size) saying what failed (out of
 * memory, or the request exceeds the frame limit). Arm the call (nb__pcall_arm)
 * with the same deadline and max_extensions before sending it. */
int nb__encode_request(const nb__method *m, const void *args, int64_t deadline_ms,
                       int max_extensions, uint64_t id, msgpack_sbuffer *sb, char *why,
                       size_t size);

/* Decodes a REPLY payload: *code is the remote outcome (or NB_E_PROTOCOL when the
 * reply is malformed), msg its text; on NB_OK the value is decoded into ret
 * (zeroed storage; left zero on failure). Returns 0, -1 when malformed (or out
 * of memory: NB_E_SYSTEM), or 1 when the node was leaving and did not run the
 * request (NB__REPLY_LEAVING: *code is then NB_E_NODE_DOWN; another node may
 * take the call). zone: scratch for the unpacked tree, cleared before this
 * returns (a multicast decodes its replies in one), or NULL for a small one of
 * its own. */
int nb__decode_reply(const nb__method *m, msgpack_zone *zone, const unsigned char *buf,
                     size_t len, void *ret, nb_code *code, char *msg, size_t msg_size);

/* A reply's tree is a few objects (code, value, message): a zone's first chunk
 * this small stays on malloc's per-thread fast path; a larger value grows it. */
#define NB__REPLY_ZONE_CHUNK 480

/* Fails the thread's call with code and the message fmt..., followed by why
 * no node takes it: the connected nodes that serve m only with another
 * signature (when m is not NULL), then the state of each node serving m (or,
 * with m NULL, matching sel). One message for every "no node" failure. */
void nb__fail_unserved(nb_code code, const nb__method *m, const nb__selector *sel,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct nb__pcall;
/* After a remote call p (to node) is resolved: decodes its value into ret and
 * sets this thread's code and message, as the synchronous call does. */
void nb__pcall_outcome(const nb__method *m, const struct nb__pcall *p, const char *node, void *ret);

/* Parses a run-time selector and checks it names only known tags and nodes.
 * Returns 0 (free sel with nb__sel_free) or -1 after nb__fail(NB_E_BAD_SELECTOR). */
int nb__parse_selector(const char *text, nb__selector *sel);

/* Starts a remote request of an asynchronous call on c (borrowed) to node,
 * without waiting; sets this thread's code (future.c). */
typedef void (*nb__remote_start)(void *ctx, struct nb__conn *c, const char *node, const void *args,
                                 int timeout_ms, int max_extensions);

/* The routing of nb__invoke for an asynchronous call (future.c): a local
 * target runs at once into ret, a remote one is handed to start(ctx, ...),
 * and anything else fails with this thread's code. Multicast and broadcast
 * targets are refused (NB_E_BAD_OPTION, also in the call's nb_results). */
void nb__invoke_start(const nb__method *m, const nb_call *call, const void *args, void *ret,
                      nb__remote_start start, void *ctx);

/* Multicast and broadcast (multicast.c), inside a lease. */
void nb__route_multi(const nb__method *m, const nb_call *r, const void *args, void *ret);

#endif /* NB_RUNTIME_ROUTER_H */
