/*
 * codec.c — MessagePack encoding and strict decoding of values described by the
 * descriptors nebulac generates (codec.h states the wire form of each kind).
 *
 * Encoding writes straight into the caller's packer; decoding reads a
 * msgpack_object tree and allocates only the values it produces. Both walk the
 * descriptor, never the data, so a hostile peer cannot choose the shape: the
 * depth guard only protects against cyclic pointers on the encoding side and
 * against descriptors deeper than the wire can carry.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static int encode(msgpack_packer *pk, const nb__tref *t, const void *p, int depth);
static int decode(const msgpack_object *o, const nb__tref *t, void *p, int depth);

/* ---- Encoding ----------------------------------------------------------- */

/* p is borrowed: a value of `size` bytes. */
static int encode_int(msgpack_packer *pk, uint32_t size, const void *p)
{
    switch (size) {
    case 1:
        return msgpack_pack_int64(pk, *(const int8_t *)p);
    case 2:
        return msgpack_pack_int64(pk, *(const int16_t *)p);
    case 4:
        return msgpack_pack_int64(pk, *(const int32_t *)p);
    case 8:
        return msgpack_pack_int64(pk, *(const int64_t *)p);
    default:
        return -1;
    }
}

/* p is borrowed: a value of `size` bytes. */
static int encode_uint(msgpack_packer *pk, uint32_t size, const void *p)
{
    switch (size) {
    case 1:
        return msgpack_pack_uint64(pk, *(const uint8_t *)p);
    case 2:
        return msgpack_pack_uint64(pk, *(const uint16_t *)p);
    case 4:
        return msgpack_pack_uint64(pk, *(const uint32_t *)p);
    case 8:
        return msgpack_pack_uint64(pk, *(const uint64_t *)p);
    default:
        return -1;
    }
}

/* p is borrowed: a value of `size` bytes. */
static int encode_float(msgpack_packer *pk, uint32_t size, const void *p)
{
    switch (size) {
    case 4:
        return msgpack_pack_float(pk, *(const float *)p);
    case 8:
        return msgpack_pack_double(pk, *(const double *)p);
    default:
        return -1;
    }
}

/* s is borrowed. MessagePack lengths are 32-bit: a longer string cannot be sent. */
static int encode_str(msgpack_packer *pk, const char *s)
{
    if (s == NULL)
        return msgpack_pack_nil(pk);
    size_t len = strlen(s);
    if (len > UINT32_MAX)
        return -1;
    if (msgpack_pack_str(pk, len) != 0)
        return -1;
    return msgpack_pack_str_body(pk, s, len);
}

/* b is borrowed. A NULL data is sent as empty, whatever len says. */
static int encode_bytes(msgpack_packer *pk, const nb_bytes *b)
{
    size_t len = b->data != NULL ? b->len : 0;
    if (len > UINT32_MAX)
        return -1;
    if (msgpack_pack_bin(pk, len) != 0)
        return -1;
    return len > 0 ? msgpack_pack_bin_body(pk, b->data, len) : 0;
}

/* p is borrowed: a struct value of `type`. */
static int encode_fields(msgpack_packer *pk, const nb__type *type, const void *p, int depth)
{
    if (depth > NB__CODEC_MAX_DEPTH)
        return -1;
    if (msgpack_pack_array(pk, type->n_fields) != 0)
        return -1;
    for (size_t i = 0; i < type->n_fields; i++) {
        const nb__field *f = &type->fields[i];
        if (encode(pk, &f->t, (const char *)p + f->offset, depth + 1) != 0)
            return -1;
    }
    return 0;
}

/* p is borrowed: a fixed array of t->count elements. */
static int encode_array(msgpack_packer *pk, const nb__tref *t, const void *p, int depth)
{
    if (depth > NB__CODEC_MAX_DEPTH)
        return -1;
    if (msgpack_pack_array(pk, t->count) != 0)
        return -1;
    for (uint32_t i = 0; i < t->count; i++)
        if (encode(pk, t->elem, (const char *)p + (size_t)i * t->elem->size, depth + 1) != 0)
            return -1;
    return 0;
}

/* p is borrowed: a value of type t. */
static int encode(msgpack_packer *pk, const nb__tref *t, const void *p, int depth)
{
    switch (t->kind) {
    case NB__K_VOID:
        return msgpack_pack_nil(pk);
    case NB__K_BOOL:
        return *(const bool *)p ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    case NB__K_INT:
        return encode_int(pk, t->size, p);
    case NB__K_UINT:
        return encode_uint(pk, t->size, p);
    case NB__K_FLOAT:
        return encode_float(pk, t->size, p);
    case NB__K_STR:
        return encode_str(pk, *(const char *const *)p);
    case NB__K_BYTES:
        return encode_bytes(pk, p);
    case NB__K_STRUCT:
        return encode_fields(pk, t->type, p, depth);
    case NB__K_STRUCT_PTR: {
        const void *q = *(const void *const *)p;
        return q == NULL ? msgpack_pack_nil(pk) : encode_fields(pk, t->type, q, depth);
    }
    case NB__K_ARRAY:
        return encode_array(pk, t, p, depth);
    }
    return -1;
}

/* p is borrowed. */
int nb__encode_value(msgpack_packer *pk, const nb__tref *t, const void *p)
{
    return encode(pk, t, p, 0) == 0 ? 0 : -1;
}

/* p is borrowed. */
int nb__encode_struct(msgpack_packer *pk, const nb__type *type, const void *p)
{
    return encode_fields(pk, type, p, 0) == 0 ? 0 : -1;
}

/* ---- Decoding ----------------------------------------------------------- */

/* The integer in o (borrowed) as int64; -1 when o is no integer or exceeds int64. */
static int object_int64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return 0;
    }
    return -1;
}

/* p is the caller's storage of `size` bytes. */
static int decode_int(const msgpack_object *o, uint32_t size, void *p)
{
    int64_t v;
    if (object_int64(o, &v) != 0)
        return -1;
    switch (size) {
    case 1:
        if (v < INT8_MIN || v > INT8_MAX)
            return -1;
        *(int8_t *)p = (int8_t)v;
        return 0;
    case 2:
        if (v < INT16_MIN || v > INT16_MAX)
            return -1;
        *(int16_t *)p = (int16_t)v;
        return 0;
    case 4:
        if (v < INT32_MIN || v > INT32_MAX)
            return -1;
        *(int32_t *)p = (int32_t)v;
        return 0;
    case 8:
        *(int64_t *)p = v;
        return 0;
    default:
        return -1;
    }
}

/* p is the caller's storage of `size` bytes. */
static int decode_uint(const msgpack_object *o, uint32_t size, void *p)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    uint64_t v = o->via.u64;
    switch (size) {
    case 1:
        if (v > UINT8_MAX)
            return -1;
        *(uint8_t *)p = (uint8_t)v;
        return 0;
    case 2:
        if (v > UINT16_MAX)
            return -1;
        *(uint16_t *)p = (uint16_t)v;
        return 0;
    case 4:
        if (v > UINT32_MAX)
            return -1;
        *(uint32_t *)p = (uint32_t)v;
        return 0;
    case 8:
        *(uint64_t *)p = v;
        return 0;
    default:
        return -1;
    }
}

/* The number in o (borrowed) as a double; -1 for a non-number or an integer the
 * double cannot hold exactly. */
static int object_double(const msgpack_object *o, double *d, bool *exact_int)
{
    *exact_int = false;
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *d = o->via.f64;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *d = (double)o->via.u64;
        /* 2^64 itself is out of uint64_t's range: test before converting back. */
        if (*d >= 0x1p64 || (uint64_t)*d != o->via.u64)
            return -1;
        *exact_int = true;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *d = (double)o->via.i64;
        if ((int64_t)*d != o->via.i64)
            return -1;
        *exact_int = true;
        return 0;
    default:
        return -1;
    }
}

/* p is the caller's storage of `size` bytes. */
static int decode_float(const msgpack_object *o, uint32_t size, void *p)
{
    double d;
    bool from_int;
    if (object_double(o, &d, &from_int) != 0)
        return -1;
    if (size == 8) {
        *(double *)p = d;
        return 0;
    }
    if (size != 4)
        return -1;
    /* A finite value beyond float's range would silently become infinity. */
    if (!isinf(d) && (d > FLT_MAX || d < -FLT_MAX))
        return -1;
    float f = (float)d;
    if (from_int && (double)f != d)
        return -1;
    *(float *)p = f;
    return 0;
}

/* *out receives a heap string owned by the caller, or stays NULL for nil. */
static int decode_str(const msgpack_object *o, char **out)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_STR)
        return -1;
    uint32_t len = o->via.str.size;
    if (len > 0 && memchr(o->via.str.ptr, '\0', len) != NULL)
        return -1;
    char *s = malloc((size_t)len + 1);
    if (s == NULL)
        return -1;
    if (len > 0)
        memcpy(s, o->via.str.ptr, len);
    s[len] = '\0';
    *out = s;
    return 0;
}

/* out->data receives a heap copy owned by the caller; NULL for nil or empty. */
static int decode_bytes(const msgpack_object *o, nb_bytes *out)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_BIN)
        return -1;
    uint32_t len = o->via.bin.size;
    if (len == 0)
        return 0;
    void *data = malloc(len);
    if (data == NULL)
        return -1;
    memcpy(data, o->via.bin.ptr, len);
    out->data = data;
    out->len = len;
    return 0;
}

/* p is the caller's zeroed struct storage; what is written into it is owned by
 * the caller, also on failure (the public entry points clear it then). */
static int decode_fields(const msgpack_object *o, const nb__type *type, void *p, int depth)
{
    if (depth > NB__CODEC_MAX_DEPTH || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size != type->n_fields)
        return -1;
    for (size_t i = 0; i < type->n_fields; i++) {
        const nb__field *f = &type->fields[i];
        if (decode(&o->via.array.ptr[i], &f->t, (char *)p + f->offset, depth + 1) != 0)
            return -1;
    }
    return 0;
}

/* *out receives a heap struct owned by the caller (set before its fields are
 * decoded, so a failure part-way leaves it reachable for the clear). */
static int decode_struct_ptr(const msgpack_object *o, const nb__type *type, void **out, int depth)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    void *q = calloc(1, type->size ? type->size : 1);
    if (q == NULL)
        return -1;
    *out = q;
    return decode_fields(o, type, q, depth);
}

/* p is the caller's zeroed array storage. */
static int decode_array(const msgpack_object *o, const nb__tref *t, void *p, int depth)
{
    if (depth > NB__CODEC_MAX_DEPTH || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size != t->count)
        return -1;
    for (uint32_t i = 0; i < t->count; i++)
        if (decode(&o->via.array.ptr[i], t->elem, (char *)p + (size_t)i * t->elem->size,
                   depth + 1) != 0)
            return -1;
    return 0;
}

/* p is the caller's zeroed storage of type t. */
static int decode(const msgpack_object *o, const nb__tref *t, void *p, int depth)
{
    switch (t->kind) {
    case NB__K_VOID:
        return o->type == MSGPACK_OBJECT_NIL ? 0 : -1;
    case NB__K_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return -1;
        *(bool *)p = o->via.boolean;
        return 0;
    case NB__K_INT:
        return decode_int(o, t->size, p);
    case NB__K_UINT:
        return decode_uint(o, t->size, p);
    case NB__K_FLOAT:
        return decode_float(o, t->size, p);
    case NB__K_STR:
        return decode_str(o, (char **)p);
    case NB__K_BYTES:
        return decode_bytes(o, (nb_bytes *)p);
    case NB__K_STRUCT:
        return decode_fields(o, t->type, p, depth);
    case NB__K_STRUCT_PTR:
        return decode_struct_ptr(o, t->type, (void **)p, depth);
    case NB__K_ARRAY:
        return decode_array(o, t, p, depth);
    }
    return -1;
}

/* obj is borrowed; what is written into p is owned by the caller. */
int nb__decode_value(const msgpack_object *obj, const nb__tref *t, void *p)
{
    if (decode(obj, t, p, 0) == 0)
        return 0;
    nb__value_clear(t, p);
    memset(p, 0, t->size);
    return -1;
}

/* obj is borrowed; what is written into p is owned by the caller. */
int nb__decode_struct(const msgpack_object *obj, const nb__type *type, void *p)
{
    if (decode_fields(obj, type, p, 0) == 0)
        return 0;
    nb__struct_clear(type, p);
    memset(p, 0, type->size);
    return -1;
}

/* type is borrowed and referred to by the result. */
nb__tref nb__tref_of_struct(const nb__type *type)
{
    nb__tref t = {NB__K_STRUCT, (uint32_t)type->size, 0, NULL, type};
    return t;
}
