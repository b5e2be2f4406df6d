/*
 * fuzz_wire — bytes as a peer writes them to a connection: the 16-byte frame
 * header (frame.h) and the linear check every payload passes before msgpack-c
 * sees it (nb__wire_check, wirecheck.c).
 *
 * Checked for every input:
 *   - the whole input, read as one payload, is accepted by nb__wire_check
 *     exactly when an independent recursive reader (below) finds one complete
 *     MessagePack object spanning it;
 *   - when it is accepted, msgpack-c parses it completely too (nb__unpack_peer
 *     agrees), except when it nests deeper than msgpack-c's own stack of 32
 *     containers, where msgpack-c refuses: the check never lets through bytes
 *     msgpack-c would read differently;
 *   - read as a stream of frames, every header reads back (get then put) to
 *     the same 16 bytes, and each payload the header rules of frame.h admit
 *     gets the same two checks.
 * The handshake payloads are not interpreted here: the handshake is being
 * rewritten and gets its own harness then (docs/reliability.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_wire: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Deeper than this the reference reader gives up (its recursion uses the stack). */
#define REF_MAX_DEPTH 4000

typedef struct ref_reader {
    const uint8_t *p;
    size_t len, at;
    int max_open; /* the most non-empty containers open around any container */
    bool too_deep;
} ref_reader;

static bool ref_take(ref_reader *r, size_t n, uint64_t *v)
{
    if (n > r->len - r->at)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | r->p[r->at + i];
    r->at += n;
    if (v)
        *v = x;
    return true;
}

static bool ref_object(ref_reader *r, int open);

/* Reads count objects, the contents of a container opened inside `open` others. */
static bool ref_children(ref_reader *r, uint64_t count, int open)
{
    if (open > r->max_open)
        r->max_open = open;
    if (count > 0)
        open++;
    for (uint64_t i = 0; i < count; i++)
        if (!ref_object(r, open))
            return false;
    return true;
}

/* Reads one object written the MessagePack way, spelled out per type byte as
 * the specification lists them (independent of wirecheck.c's table). */
static bool ref_object(ref_reader *r, int open)
{
    if (open > REF_MAX_DEPTH) {
        r->too_deep = true;
        return false;
    }
    uint64_t b, n;
    if (!ref_take(r, 1, &b))
        return false;
    if (b <= 0x7f || b >= 0xe0)
        return true; /* fixint */
    if (b <= 0x8f)
        return ref_children(r, 2 * (b & 0x0f), open); /* fixmap */
    if (b <= 0x9f)
        return ref_children(r, b & 0x0f, open); /* fixarray */
    if (b <= 0xbf)
        return ref_take(r, b & 0x1f, NULL); /* fixstr */
    switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
        return true; /* nil, false, true */
    case 0xc1:
        return false; /* never used */
    case 0xc4:
    case 0xd9:
        return ref_take(r, 1, &n) && ref_take(r, n, NULL);
    case 0xc5:
    case 0xda:
        return ref_take(r, 2, &n) && ref_take(r, n, NULL);
    case 0xc6:
    case 0xdb:
        return ref_take(r, 4, &n) && ref_take(r, n, NULL);
    case 0xc7:
        return ref_take(r, 1, &n) && ref_take(r, 1, NULL) && ref_take(r, n, NULL);
    case 0xc8:
        return ref_take(r, 2, &n) && ref_take(r, 1, NULL) && ref_take(r, n, NULL);
    case 0xc9:
        return ref_take(r, 4, &n) && ref_take(r, 1, NULL) && ref_take(r, n, NULL);
    case 0xca:
        return ref_take(r, 4, NULL); /* float32 */
    case 0xcb:
        return ref_take(r, 8, NULL); /* float64 */
    case 0xcc:
    case 0xd0:
        return ref_take(r, 1, NULL);
    case 0xcd:
    case 0xd1:
        return ref_take(r, 2, NULL);
    case 0xce:
    case 0xd2:
        return ref_take(r, 4, NULL);
    case 0xcf:
    case 0xd3:
        return ref_take(r, 8, NULL);
    case 0xd4:
        return ref_take(r, 1 + 1, NULL); /* fixext 1: type, data */
    case 0xd5:
        return ref_take(r, 1 + 2, NULL);
    case 0xd6:
        return ref_take(r, 1 + 4, NULL);
    case 0xd7:
        return ref_take(r, 1 + 8, NULL);
    case 0xd8:
        return ref_take(r, 1 + 16, NULL);
    case 0xdc:
        return ref_take(r, 2, &n) && ref_children(r, n, open);
    case 0xdd:
        return ref_take(r, 4, &n) && ref_children(r, n, open);
    case 0xde:
        return ref_take(r, 2, &n) && ref_children(r, 2 * n, open);
    case 0xdf:
        return ref_take(r, 4, &n) && ref_children(r, 2 * n, open);
    default:
        return false;
    }
}

/* Compares nb__wire_check on one payload with the reference and msgpack-c. */
static void check_payload(const uint8_t *p, size_t len)
{
    int got = nb__wire_check(p, len);
    FZ_CHECK(got == 0 || got == -1);
    ref_reader r = {p, len, 0, 0, false};
    bool ok = ref_object(&r, 0) && r.at == len;
    if (r.too_deep)
        return;
    FZ_CHECK((got == 0) == ok);
    if (!ok)
        return; /* msgpack-c may not see these bytes: that is the point of the check */

    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next(&up, (const char *)p, len, &off);
    if (r.max_open >= 32) {
        /* msgpack-c's parser stack holds 32 open containers (codec.h). */
        FZ_CHECK(rc == MSGPACK_UNPACK_NOMEM_ERROR);
    } else {
        FZ_CHECK(rc == MSGPACK_UNPACK_SUCCESS && off == len);
    }
    msgpack_unpacked_destroy(&up);

    msgpack_unpacked_init(&up);
    FZ_CHECK((nb__unpack_peer(&up, p, len) == 0) == (r.max_open < 32));
    msgpack_unpacked_destroy(&up);
}

/* The header rules frame.h states: version, a known type, no flags, a length
 * within the limit in force. */
static bool header_admitted(const nb__frame_header *h, size_t max)
{
    return h->version == NB__WIRE_VERSION && h->type >= NB__F_HELLO && h->type < NB__F_TYPE_END &&
           h->flags == 0 && h->length <= max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_payload(data, size);

    /* The same bytes as a connection's stream: the first frame under the
     * handshake limit, the later ones under the default limit. */
    size_t off = 0, max = NB__FRAME_HANDSHAKE_MAX;
    while (size - off >= NB__FRAME_HEADER_SIZE) {
        nb__frame_header h;
        unsigned char again[NB__FRAME_HEADER_SIZE];
        nb__frame_get_header(data + off, &h);
        nb__frame_put_header(again, &h);
        FZ_CHECK(memcmp(again, data + off, NB__FRAME_HEADER_SIZE) == 0);
        if (!header_admitted(&h, max))
            break; /* the connection closes */
        if (h.length > size - off - NB__FRAME_HEADER_SIZE)
            break; /* the rest has not arrived */
        check_payload(data + off + NB__FRAME_HEADER_SIZE, h.length);
        off += NB__FRAME_HEADER_SIZE + (size_t)h.length;
        max = NB__FRAME_DEFAULT_MAX;
    }
    return 0;
}
