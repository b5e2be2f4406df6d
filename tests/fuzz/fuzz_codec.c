/*
 * fuzz_codec — the MessagePack value decoders driven by type descriptors
 * (codec.h), as a REQUEST's arguments or a REPLY's value reach them from a peer.
 *
 * Input: one byte choosing a descriptor of fuzz_types.h, then the MessagePack
 * bytes a peer sent. Checked for every input:
 *   - the bytes go through nb__unpack_peer as in production; nothing else
 *     reaches the decoder;
 *   - a failed decode leaves the storage all zero (and nothing allocated: the
 *     leak check of libFuzzer runs on every input);
 *   - a successful decode re-encodes to the same value the peer sent, compared
 *     kind by kind under the descriptor (below): nothing is truncated, rounded
 *     other than as codec.h says, or changed in sign or type;
 *   - the encoding passes the peer checks itself, decodes again, and encodes
 *     to the same bytes: decode -> encode -> decode is stable, so no value
 *     changes on a second hop;
 *   - every decoded value is released with nb__value_clear and nothing leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run with a message libFuzzer reports as a crash. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_codec: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Decodes buf[0..len) as t into fresh zeroed storage returned (caller frees it
 * after nb__value_clear), or NULL when the bytes or the value are refused. */
static void *decode_bytes(const nb__tref *t, bool as_args, const void *buf, size_t len)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    void *p = NULL;
    if (nb__unpack_peer(&up, buf, len) == 0) {
        p = calloc(1, t->size ? t->size : 1);
        FZ_CHECK(p != NULL);
        int rc =
            as_args ? nb__decode_struct(&up.data, t->type, p) : nb__decode_value(&up.data, t, p);
        if (rc != 0) {
            FZ_CHECK(all_zero(p, t->size));
            free(p);
            p = NULL;
        }
    }
    msgpack_unpacked_destroy(&up);
    return p;
}

/* The double held by a number object (decode succeeded, so it is one). */
static double number(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (double)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return (double)o->via.i64;
    return o->via.f64;
}

/* True when the value b (our encoding) is the value a (the peer's) as type t
 * reads it: integers equal, floats bit for bit after the documented rounding to
 * float, nil and "" kept apart for strings, nil and empty alike for bytes. */
static bool same_value(const msgpack_object *a, const msgpack_object *b, const nb__tref *t)
{
    switch (t->kind) {
    case NB__K_VOID:
        return a->type == MSGPACK_OBJECT_NIL && b->type == MSGPACK_OBJECT_NIL;
    case NB__K_BOOL:
        return a->type == MSGPACK_OBJECT_BOOLEAN && b->type == MSGPACK_OBJECT_BOOLEAN &&
               a->via.boolean == b->via.boolean;
    case NB__K_INT:
    case NB__K_UINT:
        return a->type == b->type && a->via.u64 == b->via.u64 &&
               (a->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
                a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
    case NB__K_FLOAT: {
        if (b->type != (t->size == 4 ? MSGPACK_OBJECT_FLOAT32 : MSGPACK_OBJECT_FLOAT64))
            return false;
        double x = number(a), y = b->via.f64;
        if (x != x)
            return y != y;
        if (t->size == 4) {
            float fx = (float)x, fy = (float)y;
            return memcmp(&fx, &fy, sizeof fx) == 0;
        }
        return memcmp(&x, &y, sizeof x) == 0;
    }
    case NB__K_STR:
        if (a->type == MSGPACK_OBJECT_NIL)
            return b->type == MSGPACK_OBJECT_NIL;
        return a->type == MSGPACK_OBJECT_STR && b->type == MSGPACK_OBJECT_STR &&
               a->via.str.size == b->via.str.size &&
               (a->via.str.size == 0 ||
                memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0);
    case NB__K_BYTES: {
        uint32_t n = a->type == MSGPACK_OBJECT_BIN ? a->via.bin.size : 0;
        return (a->type == MSGPACK_OBJECT_BIN || a->type == MSGPACK_OBJECT_NIL) &&
               b->type == MSGPACK_OBJECT_BIN && b->via.bin.size == n &&
               (n == 0 || memcmp(a->via.bin.ptr, b->via.bin.ptr, n) == 0);
    }
    case NB__K_STRUCT_PTR:
        if (a->type == MSGPACK_OBJECT_NIL)
            return b->type == MSGPACK_OBJECT_NIL;
        /* fall through: a pointed-to struct travels as the struct */
    case NB__K_STRUCT:
        if (a->type != MSGPACK_OBJECT_ARRAY || b->type != MSGPACK_OBJECT_ARRAY ||
            a->via.array.size != t->type->n_fields || b->via.array.size != t->type->n_fields)
            return false;
        for (size_t i = 0; i < t->type->n_fields; i++)
            if (!same_value(&a->via.array.ptr[i], &b->via.array.ptr[i], &t->type->fields[i].t))
                return false;
        return true;
    case NB__K_ARRAY:
        if (a->type != MSGPACK_OBJECT_ARRAY || b->type != MSGPACK_OBJECT_ARRAY ||
            a->via.array.size != t->count || b->via.array.size != t->count)
            return false;
        for (uint32_t i = 0; i < t->count; i++)
            if (!same_value(&a->via.array.ptr[i], &b->via.array.ptr[i], t->elem))
                return false;
        return true;
    }
    return false;
}

/* Compares the peer's bytes with our encoding, both unpacked, under t. */
static bool same_bytes_value(const nb__tref *t, const void *peer, size_t peer_len, const void *ours,
                             size_t ours_len)
{
    msgpack_unpacked a, b;
    msgpack_unpacked_init(&a);
    msgpack_unpacked_init(&b);
    bool same = nb__unpack_peer(&a, peer, peer_len) == 0 &&
                nb__unpack_peer(&b, ours, ours_len) == 0 && same_value(&a.data, &b.data, t);
    msgpack_unpacked_destroy(&a);
    msgpack_unpacked_destroy(&b);
    return same;
}

/* Encodes the value at p into *sb (initialised here; the caller destroys it). */
static void encode(const nb__tref *t, bool as_args, const void *p, msgpack_sbuffer *sb)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = as_args ? nb__encode_struct(&pk, t->type, p) : nb__encode_value(&pk, t, p);
    FZ_CHECK(rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const nb__tref *t = &fz_trefs[data[0] % FZ_N_TREFS];
    /* Odd selector bytes of a struct type take the argument-struct entry points. */
    bool as_args = t->kind == NB__K_STRUCT && (data[0] / FZ_N_TREFS) % 2 == 1;

    void *v1 = decode_bytes(t, as_args, data + 1, size - 1);
    if (v1 == NULL)
        return 0;
    msgpack_sbuffer e1, e2;
    encode(t, as_args, v1, &e1);
    FZ_CHECK(same_bytes_value(t, data + 1, size - 1, e1.data, e1.size));
    void *v2 = decode_bytes(t, as_args, e1.data, e1.size);
    FZ_CHECK(v2 != NULL);
    encode(t, as_args, v2, &e2);
    FZ_CHECK(e1.size == e2.size && memcmp(e1.data, e2.data, e1.size) == 0);

    msgpack_sbuffer_destroy(&e1);
    msgpack_sbuffer_destroy(&e2);
    nb__value_clear(t, v1);
    nb__value_clear(t, v2);
    free(v1);
    free(v2);
    return 0;
}
