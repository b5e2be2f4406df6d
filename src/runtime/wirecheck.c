/*
 * wirecheck.c — a linear pre-scan of MessagePack bytes from a peer, before
 * msgpack-c unpacks them.
 *
 * msgpack-c sizes its buffers from the counts a container header declares, so a
 * 5-byte array32 header claiming 4 billion elements makes it try to allocate
 * 128 GiB. Every element needs at least one byte, so a well-formed buffer never
 * declares more pending elements than it has bytes left: checking that bound
 * while walking the bytes once rejects such frames in O(len), without recursion.
 *
 * That bound still lets msgpack-c allocate one msgpack_object (24 bytes) per
 * byte: a frame of 60 MiB of one-byte elements became a 1.4 GB tree. So the
 * walk also counts the objects, and a buffer whose tree would take more than
 * NB__DECODE_BUDGET_FACTOR times its own size (plus NB__DECODE_BUDGET_FLOOR,
 * so that small values are never refused) is rejected too (docs/security.md).
 */
#include "codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Describes the object whose first byte is b: how many header bytes follow the
 * type byte (`extra`), how many payload bytes follow those (`skip`, possibly read
 * from the header), and how many child elements it opens (`children`). Returns
 * -1 for the never-used byte 0xc1. */
static int classify(unsigned char b, int *extra, int *len_bytes, uint64_t *skip,
                    uint64_t *children, int *pairs)
{
    *extra = 0, *len_bytes = 0, *skip = 0, *children = 0, *pairs = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;
    if (b >= 0x80 && b <= 0x8f)
        return *children = b & 0x0f, *pairs = 1, 0;
    if (b >= 0x90 && b <= 0x9f)
        return *children = b & 0x0f, 0;
    if (b >= 0xa0 && b <= 0xbf)
        return *skip = b & 0x1f, 0;
    switch (b) {
    case 0xc4: case 0xd9: return *len_bytes = 1, 0;             /* bin8, str8 */
    case 0xc5: case 0xda: return *len_bytes = 2, 0;             /* bin16, str16 */
    case 0xc6: case 0xdb: return *len_bytes = 4, 0;             /* bin32, str32 */
    case 0xc7: return *len_bytes = 1, *extra = 1, 0;            /* ext8: len, type */
    case 0xc8: return *len_bytes = 2, *extra = 1, 0;
    case 0xc9: return *len_bytes = 4, *extra = 1, 0;
    case 0xca: case 0xce: case 0xd2: return *skip = 4, 0;
    case 0xcb: case 0xcf: case 0xd3: return *skip = 8, 0;
    case 0xcc: case 0xd0: return *skip = 1, 0;
    case 0xcd: case 0xd1: return *skip = 2, 0;
    case 0xd4: return *skip = 2, 0;                             /* fixext1: type + 1 */
    case 0xd5: return *skip = 3, 0;
    case 0xd6: return *skip = 5, 0;
    case 0xd7: return *skip = 9, 0;
    case 0xd8: return *skip = 17, 0;
    case 0xdc: case 0xde: return *len_bytes = 2, *pairs = b == 0xde, 0;  /* array16, map16 */
    case 0xdd: case 0xdf: return *len_bytes = 4, *pairs = b == 0xdf, 0;  /* array32, map32 */
    default: return -1;                                         /* 0xc1 */
    }
}

int nb__wire_check(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t at = 0;
    uint64_t pending = 1; /* objects still to read: the top-level one */
    uint64_t objects = 0;
    while (pending > 0) {
        objects++;
        if (at >= len || pending > len - at)
            return -1;
        unsigned char b = p[at++];
        pending--;
        int extra, len_bytes, pairs;
        uint64_t skip, children;
        if (classify(b, &extra, &len_bytes, &skip, &children, &pairs) != 0)
            return -1;
        if ((size_t)len_bytes > len - at)
            return -1;
        uint64_t n = be(p + at, len_bytes);
        at += (size_t)len_bytes;
        bool container = b >= 0x80 && b <= 0x9f ? true : (b >= 0xdc && b <= 0xdf);
        if (container)
            children = len_bytes ? n : children;
        else if (len_bytes)
            skip = n + (uint64_t)extra;
        if (pairs)
            children *= 2;
        if (skip > len - at)
            return -1;
        at += (size_t)skip;
        pending += children;
    }
    if (at != len)
        return -1;
    return objects <= nb__decode_budget(len) / sizeof(msgpack_object) ? 0 : -1;
}

size_t nb__decode_budget(size_t len)
{
    return NB__DECODE_BUDGET_FLOOR + NB__DECODE_BUDGET_FACTOR * len;
}

int nb__unpack_peer(msgpack_unpacked *up, const void *buf, size_t len)
{
    size_t off = 0;
    if (nb__wire_check(buf, len) != 0 ||
        msgpack_unpack_next(up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        return -1;
    return 0;
}

int nb__unpack_peer_in(msgpack_zone *zone, const void *buf, size_t len, msgpack_object *obj)
{
    size_t off = 0;
    if (nb__wire_check(buf, len) != 0 ||
        msgpack_unpack(buf, len, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS || off != len)
        return -1;
    return 0;
}

char *nb__peer_strdup(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = malloc(o->via.str.size + 1);
    if (s) {
        if (o->via.str.size > 0) /* an empty string's pointer may be NULL */
            memcpy(s, o->via.str.ptr, o->via.str.size);
        s[o->via.str.size] = '\0';
    }
    return s;
}
