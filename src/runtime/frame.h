/*
 * frame.h — the wire format between two nodes (docs/design.md §8).
 *
 * A connection carries frames. Every frame is a fixed 16-byte header followed by
 * `length` bytes of MessagePack payload:
 *
 *   offset  size  field
 *   0       4     length   payload bytes, big-endian (the header is not counted)
 *   4       1     version  NB__WIRE_VERSION; any other value closes the connection
 *   5       1     type     nb__frame_type
 *   6       2     flags    big-endian; none defined yet, must be 0
 *   8       8     call id  big-endian; REQUEST, REPLY, CANCEL, EXTEND, DESCRIBE,
 *                          DESCRIPTION, STATS and STATS_REPLY only, 0 elsewhere
 *
 * Payloads, each one MessagePack value:
 *
 *   HELLO      [version, name, fingerprint, boot_id]                          dialer
 *   CHALLENGE  [version, name, fingerprint, boot_id, nonce_a(bin 32)]         acceptor
 *   AUTH       [nonce_d(bin 32), mac_d(bin 32), served]                     dialer
 *   WELCOME    [mac_a(bin 32), served]                                       acceptor
 *              served: [[wire_id, name, registered_at_ms], ...], the methods the
 *              sender serves: name is the API's name (a C identifier of at most
 *              NB__METHOD_NAME_MAX bytes), so a caller whose signature of an API
 *              no peer serves can say which nodes serve another (docs/upgrades.md)
 *   REFUSE     [reason]                       either side, then the connection closes
 *   REQUEST    [wire_id, timeout_ms, args, max_extensions, sent_us]
 *                                             timeout_ms: what is left of the caller's
 *                                             deadline when the request was written
 *                                             (rounded down); max_extensions: how many
 *                                             EXTENDs the caller accepts for it (may be
 *                                             left out: 0); sent_us: the caller's
 *                                             monotonic clock then, in microseconds (may
 *                                             be left out: the deadline counts from
 *                                             reading it). Up to 8 elements: a receiver
 *                                             ignores those after sent_us
 *   REPLY      [code, value or nil, message or nil]   code: an nb_code, or
 *                                             NB__REPLY_LEAVING (below)
 *   PING       (empty)                        heartbeat: any frame proves liveness
 *   INFO       [memory_used_mb, memory_total_mb, memory_percent, threads, cpus,
 *               version, uptime_seconds, load1]
 *   GOODBYE    (empty)                        the sender is leaving: route elsewhere
 *              [1]                            the answer: the sender has no request
 *                                             left on this connection and sends none
 *                                             again (the leaving node closes once
 *                                             every peer answered, see lifecycle.c)
 *   DESCRIBE   (empty)                        a tool asks for the node's method table
 *   DESCRIPTION [node, fingerprint, types, methods]   the answer (describe.c):
 *              types:   [[name, [[field, tref], ...]], ...]
 *              tref:    [kind, size, count, type index or -1, element tref or nil]
 *              methods: [[name, signature, wire_id, selector,
 *                         [timeout_ms, max_concurrent_calls, max_time_extensions],
 *                         [serving node name, ...], served_here, args type index,
 *                         return tref], ...]
 *   STATS      (empty)                        a tool asks for the node's figures
 *   STATS_REPLY [node, version, fingerprint, [bound, ...], [[api, ...], ...]]
 *                                             see nb__metrics_pack (metrics.h)
 *   CANCEL     (empty)                        caller -> server: the caller has stopped
 *                                             waiting for call id (docs/cancellation.md)
 *   EXTEND     (empty)                        server -> caller: the body of call id asks
 *                                             for another timeout window
 *
 * The proof is mutual and the dialer goes first: the acceptor sends nothing
 * computed from the cookie before the dialer has proven it, so whoever connects
 * learns nothing with which to test cookie guesses offline (docs/identity.md).
 * mac_d = HMAC-SHA256(cookie, "nebula-dialer" | nonce_a | nonce_d | dialer name |
 * acceptor name), checked by the acceptor before it answers; mac_a is the same
 * with "nebula-acceptor", checked by the dialer (each part length-prefixed, see
 * cookie.h). Before the handshake completes a frame may not
 * exceed NB__FRAME_HANDSHAKE_MAX, so an unauthenticated stream cannot make a node
 * allocate much.
 */
#ifndef NB_RUNTIME_FRAME_H
#define NB_RUNTIME_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define NB__WIRE_VERSION 2
#define NB__FRAME_HEADER_SIZE 16
#define NB__FRAME_DEFAULT_MAX ((size_t)64 << 20)
#define NB__FRAME_HANDSHAKE_MAX ((size_t)64 << 10)
#define NB__NONCE_SIZE 32
#define NB__MAC_SIZE 32
/* Longest API name in a served list (a C identifier). */
#define NB__METHOD_NAME_MAX 128
/* A REPLY code that is no nb_code: the node is leaving and did not run the
 * request (it never reached a body), so the caller may send it to another node
 * serving the method without running it twice. */
#define NB__REPLY_LEAVING 100
/* The GOODBYE payload of the answer (see above). */
#define NB__GOODBYE_ANSWER 1

typedef enum nb__frame_type {
    NB__F_HELLO = 1,
    NB__F_CHALLENGE,
    NB__F_AUTH,
    NB__F_WELCOME,
    NB__F_REFUSE,
    NB__F_REQUEST,
    NB__F_REPLY,
    NB__F_PING,
    NB__F_INFO,
    NB__F_GOODBYE,
    NB__F_CANCEL = 11,
    NB__F_EXTEND = 12,
    /* A tool's question for the node's method table, and the answer
     * (describe.h, tool.h): paired by call id as STATS is. */
    NB__F_DESCRIBE = 13,
    NB__F_DESCRIPTION = 14,
    /* A tool's question to one node, and the answer (stats.h): the header's
     * call id pairs them, as for REQUEST and REPLY. */
    NB__F_STATS = 15,
    NB__F_STATS_REPLY = 16,
    NB__F_TYPE_END
} nb__frame_type;

typedef struct nb__frame_header {
    uint32_t length;
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint64_t call_id;
} nb__frame_header;

static inline void nb__frame_put_header(unsigned char *p, const nb__frame_header *h)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(h->length >> (24 - 8 * i));
    p[4] = h->version;
    p[5] = h->type;
    p[6] = (unsigned char)(h->flags >> 8);
    p[7] = (unsigned char)h->flags;
    for (int i = 0; i < 8; i++)
        p[8 + i] = (unsigned char)(h->call_id >> (56 - 8 * i));
}

static inline void nb__frame_get_header(const unsigned char *p, nb__frame_header *h)
{
    h->length = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    h->version = p[4];
    h->type = p[5];
    h->flags = (uint16_t)(p[6] << 8 | p[7]);
    h->call_id = 0;
    for (int i = 0; i < 8; i++)
        h->call_id = h->call_id << 8 | p[8 + i];
}

#endif /* NB_RUNTIME_FRAME_H */
