/*
 * membership.h — which configured nodes are connected, what each serves, when to
 * dial them again, and the routing decisions made from that (docs/design.md §8).
 *
 * One connection per peer: membership holds, per configured node, the connection
 * currently standing for it (dialling, in handshake, or up). When two connections
 * to the same peer meet (both nodes dialled at once), the one dialled by the node
 * with the smaller name is kept, on both sides; a peer that restarted (another
 * boot id) replaces its old connection.
 *
 * Connections passed in are borrowed; those returned are referenced for the
 * caller, who drops them with nb__conn_unref.
 */
#ifndef NB_RUNTIME_MEMBERSHIP_H
#define NB_RUNTIME_MEMBERSHIP_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "nebula.h"
#include "selector.h"
#include "conn.h"

int nb__members_start(void);
/* Stops dialling (nb_stop, before connections close). */
void nb__members_stop_dialing(void);
void nb__members_stop(void);

/* Acceptor side, after the dialer proved the cookie: takes c as the connection of
 * its peer, or refuses it (returns -1; *benign when it lost a simultaneous-connect
 * tie-break, which is not worth a warning). */
int nb__members_claim(nb__conn *c, char *why, size_t n, bool *benign);

/* Both sides, at the end of the handshake: c is up and serves `methods` (the
 * MessagePack array [[wire_id, name, registered_at_ms], ...], see frame.h).
 * Returns -1 with why set when c can no longer stand for its peer, the peer may
 * not serve, or the list is malformed. When this node is leaving already, c is
 * told at once (GOODBYE). */
int nb__members_establish(nb__conn *c, const msgpack_object *methods, char *why, size_t n);

/* True when methods is a well-formed list of served methods (see
 * nb__members_establish): checked before a peer is welcomed. */
bool nb__members_served_ok(const msgpack_object *methods);

/* A connection closed (called once, from nb__conn_close). */
void nb__members_on_close(nb__conn *c, const char *why);

/* The peer behind c said GOODBYE: route elsewhere from now on. Once no call of
 * ours waits on c any more, the peer is answered (GOODBYE [1], frame.h), now or
 * on a later tick. */
void nb__members_on_goodbye(nb__conn *c);

/* The peer behind c answered our GOODBYE: it sends us no request again. */
void nb__members_on_goodbye_answer(nb__conn *c);

/* Sends GOODBYE on every connection that is up, and on every one that comes up
 * from now on (nb_stop). */
void nb__members_say_goodbye(void);

/* After nb__members_say_goodbye: waits until every connection that is up has
 * answered, or closed, or the monotonic deadline passes. Returns how many have
 * not answered. */
size_t nb__members_await_answers(int64_t deadline_ms);

/* Packs this node's served methods as [[wire_id, name, registered_at_ms], ...]. */
void nb__members_pack_served(msgpack_packer *pk);

/* Periodic work: dial, heartbeats, silent peers, node info pushes. */
void nb__members_tick(int64_t now_ms);

/* Where a unicast of m goes. */
typedef struct nb__target {
    bool local;          /* run the body here */
    nb__conn *conn;      /* else this connection, referenced (unref when done) */
    const char *node;    /* the chosen node's name (static or held by conn) */
} nb__target;

/* The first-registered node serving m among this node (when it serves m locally)
 * and the connected peers, restricted to those sel matches when sel is not NULL.
 * Returns 0 and fills *t, or -1 when none. */
int nb__members_route(const nb__method *m, const nb__selector *sel, nb__target *t);

/* The connection to configured node idx when it is up and serves m, referenced;
 * else NULL. */
nb__conn *nb__members_conn_serving(int idx, const nb__method *m);

/* The connection to configured node idx when it is up, whatever it serves
 * (a tool's question: STATS), referenced; else NULL. */
nb__conn *nb__members_conn_up(int idx);

/* Every connected peer serving m (each referenced; free the array). */
nb__conn **nb__members_serving(const nb__method *m, size_t *n);

/* True when a node sel matches is connected and serving (this one included). */
bool nb__members_any_up(const nb__selector *sel);

/* A counter bumped by every membership change. */
uint64_t nb__members_generation(void);
/* Waits until the counter moves past `seen` or the monotonic deadline passes
 * (-1: forever). */
void nb__members_wait_change(uint64_t seen, int64_t deadline_ms);
/* Wakes every waiter (nb_stop). */
void nb__members_wake_waiters(void);

/* Says, for failures that say why, the state of every configured node serving
 * m (or, with m NULL, matching sel) other than this one: "db@h: down since 12 s ago: silent for 2000 ms; ...",
 * "never connected: connect to 127.0.0.1:4371 failed: Connection refused",
 * "connected, serves another signature of it". Writes into buf[0..size)
 * (always NUL-terminated, cut with "..."); returns the length it wanted. */
size_t nb__members_explain(const nb__method *m, const nb__selector *sel, char *buf, size_t size);

/* Names the connected peers (matching sel when not NULL) that serve an API
 * called m->name, but not with m's signature (another wire id: built from
 * another version of its declaration), as "a@h, b@h" into buf[0..size) (always
 * NUL-terminated, cut with "..."). Returns how many it named (all of them
 * unless the text was cut). */
size_t nb__members_other_signature(const nb__method *m, const nb__selector *sel, char *buf,
                                   size_t size);

/* How configured node idx (not this one) serves m right now: NB__SIG_*
 * (cluster.h). */
int nb__members_signature_state(const nb__method *m, int idx);

/* Connection state of configured node idx for node info. */
void nb__members_status(int idx, bool *connected, int64_t *last_seen_ms);

/* Node idx (not this one) is up, or a connection to it has ended since
 * nb__members_start (why it is not up is known). */
bool nb__members_settled(int idx);

#endif /* NB_RUNTIME_MEMBERSHIP_H */
