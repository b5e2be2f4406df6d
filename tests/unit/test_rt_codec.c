/*
 * Values on the wire (codec.h): every kind an API signature or NB_STRUCT field
 * may hold survives a MessagePack round trip unchanged, NULL and "" stay
 * distinct, and decoding refuses whatever does not fit the C type exactly,
 * leaving the storage zeroed. Random mutations of a valid encoding must end in
 * a clean success or a clean error: never a crash, never a leak (the ASan build
 * runs this file too; LeakSanitizer checks the leaks at exit).
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

/* A hostile length makes msgpack-c ask for huge zones; under ASan that must be
 * an ordinary failed malloc, as it is in production, not an abort. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* ---- Descriptors, as nebulac generates them ------------------------------ */

typedef struct inner {
    int32_t x;
    char *label;
    struct inner *next;
} inner_t;

typedef struct every {
    bool yes, no;
    int8_t i8[3];
    int16_t i16[3];
    int32_t i32[3];
    int64_t i64[3];
    uint8_t u8[2];
    uint16_t u16[2];
    uint32_t u32[2];
    uint64_t u64[2];
    int plain_int;
    long plain_long;
    size_t size;
    float f[4];
    double d[5];
    char *s_null, *s_empty, *s_long;
    nb_bytes b_empty, b_big;
    inner_t by_value;
    inner_t *p_null, *p_set;
    inner_t inners[2];
    int16_t grid[3][4];
    char *names[3];
} every_t;

#define SCALAR(kind, ctype)                                                                        \
    {                                                                                              \
        kind, sizeof(ctype), 0, NULL, NULL                                                         \
    }
#define ARRAY_OF(ctype, n, elem)                                                                   \
    {                                                                                              \
        NB__K_ARRAY, sizeof(ctype[n]), n, &(elem), NULL                                            \
    }

static const nb__type inner_type;
static const nb__field inner_fields[] = {
    {"x", offsetof(inner_t, x), SCALAR(NB__K_INT, int32_t)},
    {"label", offsetof(inner_t, label), SCALAR(NB__K_STR, char *)},
    {"next", offsetof(inner_t, next), {NB__K_STRUCT_PTR, sizeof(inner_t *), 0, NULL, &inner_type}},
};
static const nb__type inner_type = {"inner_t", sizeof(inner_t), 3, inner_fields};

static const nb__tref t_i8 = SCALAR(NB__K_INT, int8_t), t_i16 = SCALAR(NB__K_INT, int16_t),
                      t_i32 = SCALAR(NB__K_INT, int32_t), t_i64 = SCALAR(NB__K_INT, int64_t),
                      t_u8 = SCALAR(NB__K_UINT, uint8_t), t_u16 = SCALAR(NB__K_UINT, uint16_t),
                      t_u32 = SCALAR(NB__K_UINT, uint32_t), t_u64 = SCALAR(NB__K_UINT, uint64_t),
                      t_f = SCALAR(NB__K_FLOAT, float), t_d = SCALAR(NB__K_FLOAT, double),
                      t_str = SCALAR(NB__K_STR, char *), t_bytes = SCALAR(NB__K_BYTES, nb_bytes),
                      t_bool = SCALAR(NB__K_BOOL, bool);
static const nb__tref t_inner = {NB__K_STRUCT, sizeof(inner_t), 0, NULL, &inner_type};
static const nb__tref t_inner_ptr = {NB__K_STRUCT_PTR, sizeof(inner_t *), 0, NULL, &inner_type};
static const nb__tref t_grid_row = ARRAY_OF(int16_t, 4, t_i16);

static const nb__field every_fields[] = {
    {"yes", offsetof(every_t, yes), SCALAR(NB__K_BOOL, bool)},
    {"no", offsetof(every_t, no), SCALAR(NB__K_BOOL, bool)},
    {"i8", offsetof(every_t, i8), ARRAY_OF(int8_t, 3, t_i8)},
    {"i16", offsetof(every_t, i16), ARRAY_OF(int16_t, 3, t_i16)},
    {"i32", offsetof(every_t, i32), ARRAY_OF(int32_t, 3, t_i32)},
    {"i64", offsetof(every_t, i64), ARRAY_OF(int64_t, 3, t_i64)},
    {"u8", offsetof(every_t, u8), ARRAY_OF(uint8_t, 2, t_u8)},
    {"u16", offsetof(every_t, u16), ARRAY_OF(uint16_t, 2, t_u16)},
    {"u32", offsetof(every_t, u32), ARRAY_OF(uint32_t, 2, t_u32)},
    {"u64", offsetof(every_t, u64), ARRAY_OF(uint64_t, 2, t_u64)},
    {"plain_int", offsetof(every_t, plain_int), SCALAR(NB__K_INT, int)},
    {"plain_long", offsetof(every_t, plain_long), SCALAR(NB__K_INT, long)},
    {"size", offsetof(every_t, size), SCALAR(NB__K_UINT, size_t)},
    {"f", offsetof(every_t, f), ARRAY_OF(float, 4, t_f)},
    {"d", offsetof(every_t, d), ARRAY_OF(double, 5, t_d)},
    {"s_null", offsetof(every_t, s_null), SCALAR(NB__K_STR, char *)},
    {"s_empty", offsetof(every_t, s_empty), SCALAR(NB__K_STR, char *)},
    {"s_long", offsetof(every_t, s_long), SCALAR(NB__K_STR, char *)},
    {"b_empty", offsetof(every_t, b_empty), SCALAR(NB__K_BYTES, nb_bytes)},
    {"b_big", offsetof(every_t, b_big), SCALAR(NB__K_BYTES, nb_bytes)},
    {"by_value",
     offsetof(every_t, by_value),
     {NB__K_STRUCT, sizeof(inner_t), 0, NULL, &inner_type}},
    {"p_null",
     offsetof(every_t, p_null),
     {NB__K_STRUCT_PTR, sizeof(inner_t *), 0, NULL, &inner_type}},
    {"p_set",
     offsetof(every_t, p_set),
     {NB__K_STRUCT_PTR, sizeof(inner_t *), 0, NULL, &inner_type}},
    {"inners", offsetof(every_t, inners), ARRAY_OF(inner_t, 2, t_inner)},
    {"grid", offsetof(every_t, grid), ARRAY_OF(int16_t[4], 3, t_grid_row)},
    {"names", offsetof(every_t, names), ARRAY_OF(char *, 3, t_str)},
};
#define N_EVERY (sizeof every_fields / sizeof every_fields[0])
static const nb__type every_type = {"every_t", sizeof(every_t), N_EVERY, every_fields};
static const nb__tref t_every = {NB__K_STRUCT, sizeof(every_t), 0, NULL, &every_type};

/* ---- Helpers ------------------------------------------------------------ */

/* Returns a heap string owned by the caller. */
static char *dup_str(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* Returns a heap inner_t chain of `len` links owned by the caller. */
static inner_t *make_chain(int32_t x, int len)
{
    if (len == 0)
        return NULL;
    inner_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->x = x;
    p->label = dup_str("link");
    p->next = make_chain(x + 1, len - 1);
    return p;
}

/* Fills *e with every limit; what it points to is owned by e (nb__value_clear). */
static void fill_every(every_t *e, size_t big_len)
{
    memset(e, 0, sizeof *e);
    e->yes = true;
    e->no = false;
    int8_t i8[3] = {INT8_MIN, -1, INT8_MAX};
    int16_t i16[3] = {INT16_MIN, 0, INT16_MAX};
    int32_t i32[3] = {INT32_MIN, -32, INT32_MAX};
    int64_t i64[3] = {INT64_MIN, -4294967297LL, INT64_MAX};
    memcpy(e->i8, i8, sizeof i8);
    memcpy(e->i16, i16, sizeof i16);
    memcpy(e->i32, i32, sizeof i32);
    memcpy(e->i64, i64, sizeof i64);
    e->u8[1] = UINT8_MAX;
    e->u16[1] = UINT16_MAX;
    e->u32[1] = UINT32_MAX;
    e->u64[0] = (uint64_t)INT64_MAX + 1;
    e->u64[1] = UINT64_MAX;
    e->plain_int = -123456;
    e->plain_long = LONG_MIN;
    e->size = SIZE_MAX;
    float f[4] = {1.5f, NAN, -INFINITY, FLT_TRUE_MIN};
    double d[5] = {-0.0, NAN, INFINITY, DBL_MAX, 0.1};
    memcpy(e->f, f, sizeof f);
    memcpy(e->d, d, sizeof d);
    e->s_null = NULL;
    e->s_empty = dup_str("");
    e->s_long = malloc(70001);
    assert_non_null(e->s_long);
    for (size_t i = 0; i < 70000; i++)
        e->s_long[i] = (char)('a' + i % 26);
    e->s_long[70000] = '\0';
    e->b_big.len = big_len;
    e->b_big.data = malloc(big_len);
    assert_non_null(e->b_big.data);
    for (size_t i = 0; i < big_len; i++)
        ((unsigned char *)e->b_big.data)[i] = (unsigned char)(i * 131 + (i >> 16));
    e->by_value.x = -7;
    e->by_value.label = dup_str("by value");
    e->by_value.next = make_chain(100, 2);
    e->p_set = make_chain(200, 3);
    e->inners[0].x = 1;
    e->inners[1].label = dup_str("second");
    e->inners[1].next = make_chain(300, 1);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            e->grid[r][c] = (int16_t)(r * 1000 - c * 77);
    e->names[0] = dup_str("ada");
    e->names[2] = dup_str("");
}

static void assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_chain_equal(const inner_t *a, const inner_t *b)
{
    for (; a != NULL || b != NULL; a = a->next, b = b->next) {
        assert_non_null(a);
        assert_non_null(b);
        assert_ptr_not_equal(a, b);
        assert_int_equal(a->x, b->x);
        assert_str_same(a->label, b->label);
    }
}

static void assert_inner_equal(const inner_t *a, const inner_t *b)
{
    assert_int_equal(a->x, b->x);
    assert_str_same(a->label, b->label);
    assert_chain_equal(a->next, b->next);
}

static void assert_every_equal(const every_t *a, const every_t *b)
{
    assert_int_equal(a->yes, b->yes);
    assert_int_equal(a->no, b->no);
    /* Integers and floats by bit pattern: NaN, -0.0 and the limits compare exactly. */
    size_t numbers = offsetof(every_t, s_null) - offsetof(every_t, i8);
    assert_memory_equal(a->i8, b->i8, numbers);
    assert_str_same(a->s_null, b->s_null);
    assert_str_same(a->s_empty, b->s_empty);
    assert_str_same(a->s_long, b->s_long);
    assert_int_equal(a->b_empty.len, b->b_empty.len);
    assert_ptr_equal(a->b_empty.data, NULL);
    assert_int_equal(a->b_big.len, b->b_big.len);
    assert_memory_equal(a->b_big.data, b->b_big.data, a->b_big.len);
    assert_inner_equal(&a->by_value, &b->by_value);
    assert_chain_equal(a->p_null, b->p_null);
    assert_chain_equal(a->p_set, b->p_set);
    for (int i = 0; i < 2; i++)
        assert_inner_equal(&a->inners[i], &b->inners[i]);
    assert_memory_equal(a->grid, b->grid, sizeof a->grid);
    for (int i = 0; i < 3; i++)
        assert_str_same(a->names[i], b->names[i]);
}

/* Encodes the value of type t at p into *sb (owned by the caller). */
static void encode_to(msgpack_sbuffer *sb, const nb__tref *t, const void *p)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    assert_int_equal(nb__encode_value(&pk, t, p), 0);
}

/* Unpacks buf into *up (owned by the caller); returns the root object. */
static const msgpack_object *unpack(msgpack_unpacked *up, const char *buf, size_t len)
{
    msgpack_unpacked_init(up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(up, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, len);
    return &up->data;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Decodes obj as t into zeroed storage, expecting a clean refusal. */
static void assert_rejects(const msgpack_object *obj, const nb__tref *t)
{
    unsigned char storage[sizeof(every_t)] __attribute__((aligned(16)));
    assert_true(t->size <= sizeof storage);
    memset(storage, 0, sizeof storage);
    assert_int_equal(nb__decode_value(obj, t, storage), -1);
    assert_true(all_zero(storage, sizeof storage));
}

/* ---- Round trips -------------------------------------------------------- */

static void test_round_trip_every_kind(void **state)
{
    (void)state;
    every_t in;
    fill_every(&in, (size_t)16 << 20);
    msgpack_sbuffer sb;
    encode_to(&sb, &t_every, &in);
    msgpack_unpacked up;
    const msgpack_object *obj = unpack(&up, sb.data, sb.size);

    every_t *out = calloc(1, sizeof *out);
    assert_non_null(out);
    assert_int_equal(nb__decode_value(obj, &t_every, out), 0);
    assert_every_equal(&in, out);
    assert_non_null(out->s_empty); /* "" comes back as "", not NULL */
    assert_null(out->s_null);
    assert_ptr_not_equal(out->s_long, in.s_long);
    assert_true(isnan(out->d[1]) && isnan(out->f[1]));
    assert_true(signbit(out->d[0]));

    /* Decoding the same object twice gives two independent values. */
    every_t *again = calloc(1, sizeof *again);
    assert_non_null(again);
    assert_int_equal(nb__decode_struct(obj, &every_type, again), 0);
    assert_ptr_not_equal(again->p_set, out->p_set);
    assert_every_equal(out, again);

    nb__struct_free(&every_type, again);
    nb__struct_free(&every_type, out);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    nb__value_clear(&t_every, &in);
    assert_true(all_zero(&in.s_null, offsetof(every_t, b_big) - offsetof(every_t, s_null)));
}

/* Integers travel as MessagePack ints (the smallest encoding), floats in their
 * own width, so other languages read them as numbers of the right kind. */
static void test_wire_form_is_plain_msgpack(void **state)
{
    (void)state;
    inner_t v = {5, NULL, NULL};
    msgpack_sbuffer sb;
    encode_to(&sb, &t_inner, &v);
    assert_int_equal(sb.size, 4);
    assert_memory_equal(sb.data, "\x93\x05\xc0\xc0", 4);
    msgpack_sbuffer_destroy(&sb);

    float f = 1.0f;
    encode_to(&sb, &t_f, &f);
    assert_int_equal(sb.size, 5);
    assert_int_equal((unsigned char)sb.data[0], 0xca);
    msgpack_sbuffer_destroy(&sb);

    uint64_t u = UINT64_MAX;
    encode_to(&sb, &t_u64, &u);
    assert_memory_equal(sb.data, "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    msgpack_sbuffer_destroy(&sb);

    nb_bytes none = {NULL, 99}; /* data NULL: sent as empty */
    encode_to(&sb, &t_bytes, &none);
    assert_memory_equal(sb.data, "\xc4\x00", 2);
    msgpack_sbuffer_destroy(&sb);
}

/* An argument struct (what nebulac generates per API) encodes as an array of the
 * arguments, and a const char * argument comes back as a heap copy. */
static void test_argument_struct(void **state)
{
    (void)state;
    struct args {
        const char *name;
        const inner_t *who;
        nb_bytes blob;
    };
    static const nb__field fields[] = {
        {"name", offsetof(struct args, name), SCALAR(NB__K_STR, const char *)},
        {"who",
         offsetof(struct args, who),
         {NB__K_STRUCT_PTR, sizeof(inner_t *), 0, NULL, &inner_type}},
        {"blob", offsetof(struct args, blob), SCALAR(NB__K_BYTES, nb_bytes)},
    };
    static const nb__type args_type = {"users_put", sizeof(struct args), 3, fields};
    inner_t who = {9, (char *)"nine", NULL};
    struct args a = {"ada", &who, {(void *)"xyz", 3}};

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(nb__encode_struct(&pk, &args_type, &a), 0);
    msgpack_unpacked up;
    const msgpack_object *obj = unpack(&up, sb.data, sb.size);
    assert_int_equal(obj->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(obj->via.array.size, 3);

    struct args b = {0};
    assert_int_equal(nb__decode_struct(obj, &args_type, &b), 0);
    assert_string_equal(b.name, "ada");
    assert_ptr_not_equal(b.name, a.name);
    assert_int_equal(b.who->x, 9);
    assert_string_equal(b.who->label, "nine");
    assert_int_equal(b.blob.len, 3);
    assert_memory_equal(b.blob.data, "xyz", 3);
    nb__struct_clear(&args_type, &b);
    assert_null(b.name);
    assert_null(b.who);
    assert_null(b.blob.data);

    nb__tref t = nb__tref_of_struct(&args_type);
    assert_int_equal(t.kind, NB__K_STRUCT);
    assert_int_equal(t.size, sizeof(struct args));
    assert_int_equal(nb__decode_value(obj, &t, &b), 0);
    assert_string_equal(b.name, "ada");
    nb__value_clear(&t, &b);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- Strict decoding ---------------------------------------------------- */

/* Packs one object with fn into a fresh buffer and checks that t refuses it. */
typedef void (*pack_fn)(msgpack_packer *pk);

static void check_rejects(pack_fn fn, const nb__tref *t)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fn(&pk);
    msgpack_unpacked up;
    const msgpack_object *obj = unpack(&up, sb.data, sb.size);
    assert_rejects(obj, t);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
}

/* Decodes the object fn packs as t into storage (the caller clears it). */
static int decode_packed(pack_fn fn, const nb__tref *t, void *storage)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fn(&pk);
    msgpack_unpacked up;
    const msgpack_object *obj = unpack(&up, sb.data, sb.size);
    int rc = nb__decode_value(obj, t, storage);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void pk_128(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 128);
}
static void pk_m129(msgpack_packer *pk)
{
    msgpack_pack_int(pk, -129);
}
static void pk_256(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 256);
}
static void pk_m1(msgpack_packer *pk)
{
    msgpack_pack_int(pk, -1);
}
static void pk_32768(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 32768);
}
static void pk_65536(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 65536);
}
static void pk_2p31(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, INT64_C(2147483648));
}
static void pk_m2p31m1(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, INT64_C(-2147483649));
}
static void pk_2p32(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, INT64_C(4294967296));
}
static void pk_u64max(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}
static void pk_i64min(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, INT64_MIN);
}
static void pk_f1(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 1.0);
}
static void pk_f32_1(msgpack_packer *pk)
{
    msgpack_pack_float(pk, 1.0f);
}
static void pk_true(msgpack_packer *pk)
{
    msgpack_pack_true(pk);
}
static void pk_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void pk_zero(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 0);
}
static void pk_one(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 1);
}
static void pk_three(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 3);
}
static void pk_big_double(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 1e39);
}
static void pk_2p24p1(msgpack_packer *pk)
{
    msgpack_pack_int(pk, 16777217);
}
static void pk_2p53p1(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, (INT64_C(1) << 53) + 1);
}
static void pk_m2p53p1(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, -(INT64_C(1) << 53) - 1);
}
static void pk_tenth(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 0.1);
}
static void pk_str_abc(msgpack_packer *pk)
{
    msgpack_pack_str_with_body(pk, "abc", 3);
}
static void pk_str_nul(msgpack_packer *pk)
{
    msgpack_pack_str_with_body(pk, "a\0c", 3);
}
static void pk_bin_abc(msgpack_packer *pk)
{
    msgpack_pack_bin_with_body(pk, "abc", 3);
}
static void pk_bin_empty(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 0);
}
static void pk_map0(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}
static void pk_arr0(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}
static void pk_ext(msgpack_packer *pk)
{
    msgpack_pack_ext(pk, 1, 1);
    msgpack_pack_ext_body(pk, "x", 1);
}
/* An inner_t whose last field (next) is wrong, after a string was decoded. */
static void pk_inner_bad_next(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_int(pk, 1);
    msgpack_pack_str_with_body(pk, "allocated first", 15);
    msgpack_pack_int(pk, 5);
}
/* An inner_t chain whose third link has a label of the wrong kind. */
static void pk_chain_bad_deep(msgpack_packer *pk)
{
    for (int i = 0; i < 3; i++) {
        msgpack_pack_array(pk, 3);
        msgpack_pack_int(pk, i);
        if (i < 2)
            msgpack_pack_str_with_body(pk, "link", 4);
        else
            msgpack_pack_int(pk, 0);
    }
    msgpack_pack_nil(pk);
}
static void pk_inner_short(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, 1);
    msgpack_pack_str_with_body(pk, "x", 1);
}
static void pk_inner_long(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, 1);
    msgpack_pack_str_with_body(pk, "x", 1);
    msgpack_pack_nil(pk);
    msgpack_pack_nil(pk);
}
static void pk_row3(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    for (int i = 0; i < 3; i++)
        msgpack_pack_int(pk, i);
}
static void pk_row_float(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    for (int i = 0; i < 3; i++)
        msgpack_pack_int(pk, i);
    msgpack_pack_double(pk, 3.0);
}

static void test_integers_out_of_range(void **state)
{
    (void)state;
    check_rejects(pk_128, &t_i8);
    check_rejects(pk_m129, &t_i8);
    check_rejects(pk_256, &t_u8);
    check_rejects(pk_m1, &t_u8);
    check_rejects(pk_m1, &t_u16);
    check_rejects(pk_m1, &t_u32);
    check_rejects(pk_m1, &t_u64);
    check_rejects(pk_32768, &t_i16);
    check_rejects(pk_65536, &t_u16);
    check_rejects(pk_2p31, &t_i32);
    check_rejects(pk_m2p31m1, &t_i32);
    check_rejects(pk_2p32, &t_u32);
    check_rejects(pk_u64max, &t_i64);
    check_rejects(pk_i64min, &t_u64);
    /* And the limits themselves pass. */
    int64_t v = 0;
    assert_int_equal(decode_packed(pk_i64min, &t_i64, &v), 0);
    assert_true(v == INT64_MIN);
    uint64_t u = 0;
    assert_int_equal(decode_packed(pk_u64max, &t_u64, &u), 0);
    assert_true(u == UINT64_MAX);
    int8_t s8 = 0;
    assert_int_equal(decode_packed(pk_m1, &t_i8, &s8), 0);
    assert_int_equal(s8, -1);
}

static void test_kind_mismatches(void **state)
{
    (void)state;
    /* Integers never come from floats, booleans, nil or strings. */
    check_rejects(pk_f1, &t_i32);
    check_rejects(pk_f32_1, &t_u8);
    check_rejects(pk_true, &t_i64);
    check_rejects(pk_nil, &t_i32);
    check_rejects(pk_str_abc, &t_u64);
    /* Booleans are booleans, not 0 and 1. */
    check_rejects(pk_zero, &t_bool);
    check_rejects(pk_one, &t_bool);
    check_rejects(pk_nil, &t_bool);
    /* Strings: str or nil only, no embedded NUL. */
    check_rejects(pk_bin_abc, &t_str);
    check_rejects(pk_str_nul, &t_str);
    check_rejects(pk_one, &t_str);
    check_rejects(pk_arr0, &t_str);
    /* Bytes: bin or nil only. */
    check_rejects(pk_str_abc, &t_bytes);
    check_rejects(pk_one, &t_bytes);
    /* Structs: an array of exactly their fields; nil only behind a pointer. */
    check_rejects(pk_nil, &t_inner);
    check_rejects(pk_map0, &t_inner);
    check_rejects(pk_inner_short, &t_inner);
    check_rejects(pk_inner_long, &t_inner);
    check_rejects(pk_inner_short, &t_inner_ptr);
    check_rejects(pk_one, &t_inner_ptr);
    check_rejects(pk_str_abc, &t_inner_ptr);
    /* Fixed arrays: exactly their length, elements of their kind. */
    check_rejects(pk_row3, &t_grid_row);
    check_rejects(pk_row_float, &t_grid_row);
    check_rejects(pk_nil, &t_grid_row);
    check_rejects(pk_ext, &t_grid_row);
    check_rejects(pk_ext, &t_str);
    check_rejects(pk_ext, &t_d);
    check_rejects(pk_map0, &t_every);
}

static void test_failure_after_allocation_leaves_zero(void **state)
{
    (void)state;
    check_rejects(pk_inner_bad_next, &t_inner);
    check_rejects(pk_inner_bad_next, &t_inner_ptr);
    check_rejects(pk_chain_bad_deep, &t_inner);
    check_rejects(pk_chain_bad_deep, &t_inner_ptr);
}

static void test_floats(void **state)
{
    (void)state;
    float f = 0;
    double d = 0;
    /* Either width decodes into either C type. */
    assert_int_equal(decode_packed(pk_f1, &t_f, &f), 0);
    assert_true(f == 1.0f);
    assert_int_equal(decode_packed(pk_f32_1, &t_d, &d), 0);
    assert_true(d == 1.0);
    f = 0;
    assert_int_equal(decode_packed(pk_tenth, &t_f, &f), 0);
    assert_true(f == 0.1f);
    /* Integers that convert exactly are accepted, others refused. */
    d = 0;
    assert_int_equal(decode_packed(pk_three, &t_d, &d), 0);
    assert_true(d == 3.0);
    d = 0;
    assert_int_equal(decode_packed(pk_m1, &t_d, &d), 0);
    assert_true(d == -1.0);
    check_rejects(pk_2p24p1, &t_f);
    check_rejects(pk_2p53p1, &t_d);
    check_rejects(pk_m2p53p1, &t_d);
    check_rejects(pk_u64max, &t_d);
    /* A finite double beyond float's range would become infinity. */
    check_rejects(pk_big_double, &t_f);
    check_rejects(pk_str_abc, &t_d);
    check_rejects(pk_nil, &t_f);
    check_rejects(pk_true, &t_f);
}

static void test_nil_and_empty(void **state)
{
    (void)state;
    nb_bytes b = {(void *)1, 1};
    memset(&b, 0, sizeof b);
    assert_int_equal(decode_packed(pk_nil, &t_bytes, &b), 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(decode_packed(pk_bin_empty, &t_bytes, &b), 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    char *s = NULL;
    assert_int_equal(decode_packed(pk_nil, &t_str, &s), 0);
    assert_null(s);
    inner_t *p = NULL;
    assert_int_equal(decode_packed(pk_nil, &t_inner_ptr, &p), 0);
    assert_null(p);
    nb__tref t_void = {NB__K_VOID, 0, 0, NULL, NULL};
    char none = 0;
    assert_int_equal(decode_packed(pk_nil, &t_void, &none), 0);
    assert_int_equal(decode_packed(pk_one, &t_void, &none), -1);
}

/* A list longer than the depth limit fails cleanly, and so does a cycle. */
static void test_depth_limit(void **state)
{
    (void)state;
    inner_t *chain = make_chain(0, NB__CODEC_MAX_DEPTH + 5);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(nb__encode_value(&pk, &t_inner_ptr, &chain), -1);
    msgpack_sbuffer_destroy(&sb);

    inner_t loop = {1, NULL, NULL};
    loop.next = &loop;
    inner_t *lp = &loop;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(nb__encode_value(&pk, &t_inner_ptr, &lp), -1);
    msgpack_sbuffer_destroy(&sb);

    /* A chain msgpack-c can parse (it stops at 32 nested containers) crosses. */
    inner_t *shorter = make_chain(0, 30);
    encode_to(&sb, &t_inner_ptr, &shorter);
    msgpack_unpacked up;
    const msgpack_object *obj = unpack(&up, sb.data, sb.size);
    inner_t *back = NULL;
    assert_int_equal(nb__decode_value(obj, &t_inner_ptr, &back), 0);
    assert_chain_equal(shorter, back);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    nb__value_clear(&t_inner_ptr, &back);
    nb__value_clear(&t_inner_ptr, &shorter);
    nb__value_clear(&t_inner_ptr, &chain);
    assert_null(chain);
}

/* Every field of a valid every_t replaced by each kind of object in turn: a
 * refusal must leave the whole struct zeroed, whatever was decoded before it. */
static void test_each_field_replaced(void **state)
{
    (void)state;
    every_t in;
    fill_every(&in, 1000);
    msgpack_sbuffer sb;
    encode_to(&sb, &t_every, &in);
    msgpack_unpacked up;
    const msgpack_object *root = unpack(&up, sb.data, sb.size);
    msgpack_object *fields = root->via.array.ptr;
    assert_int_equal(root->via.array.size, N_EVERY);

    msgpack_object wrong[6];
    memset(wrong, 0, sizeof wrong);
    wrong[0].type = MSGPACK_OBJECT_MAP;
    wrong[1].type = MSGPACK_OBJECT_BOOLEAN;
    wrong[2].type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
    wrong[2].via.i64 = -3;
    wrong[3].type = MSGPACK_OBJECT_FLOAT64;
    wrong[3].via.f64 = 2.5;
    wrong[4].type = MSGPACK_OBJECT_STR;
    wrong[4].via.str.ptr = "s";
    wrong[4].via.str.size = 1;
    wrong[5].type = MSGPACK_OBJECT_ARRAY;

    every_t *out = malloc(sizeof *out);
    assert_non_null(out);
    int refused = 0;
    for (size_t i = 0; i < N_EVERY; i++) {
        msgpack_object saved = fields[i];
        for (size_t w = 0; w < 6; w++) {
            fields[i] = wrong[w];
            memset(out, 0, sizeof *out);
            if (nb__decode_value(root, &t_every, out) == 0) {
                nb__value_clear(&t_every, out);
                assert_true(w != 0); /* a map is never a value */
            } else {
                assert_true(all_zero(out, sizeof *out));
                refused++;
            }
        }
        fields[i] = saved;
    }
    /* Every field refuses at least the map and most refuse all six. */
    assert_true(refused >= (int)(4 * N_EVERY));
    free(out);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    nb__value_clear(&t_every, &in);
}

/* ---- Hostile input ------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Decodes buf[len] as every_t if it parses at all; returns whether it decoded. */
static bool try_decode(const char *buf, size_t len, every_t *out)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    bool decoded = false;
    /* As the transport does with a peer's bytes: checked, then unpacked. */
    if (nb__unpack_peer(&up, buf, len) == 0) {
        memset(out, 0, sizeof *out);
        if (nb__decode_value(&up.data, &t_every, out) == 0) {
            decoded = true;
            /* A value that decoded must encode again. */
            msgpack_sbuffer sb;
            encode_to(&sb, &t_every, out);
            msgpack_sbuffer_destroy(&sb);
            nb__value_clear(&t_every, out);
        } else {
            assert_true(all_zero(out, sizeof *out));
        }
    }
    msgpack_unpacked_destroy(&up);
    return decoded;
}

static void test_truncated_and_mutated_input(void **state)
{
    (void)state;
    every_t in;
    fill_every(&in, 64);
    free(in.s_long);
    in.s_long = dup_str("a string of moderate length, long enough to need str8");
    msgpack_sbuffer sb;
    encode_to(&sb, &t_every, &in);
    every_t *out = malloc(sizeof *out);
    assert_non_null(out);

    assert_true(try_decode(sb.data, sb.size, out));
    for (size_t len = 0; len < sb.size; len++)
        assert_false(try_decode(sb.data, len, out));

    char *buf = malloc(sb.size + 16);
    assert_non_null(buf);
    int decoded = 0;
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = sb.size;
        memcpy(buf, sb.data, len);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(rng() % len);
            switch (rng() % 4) {
            case 0:
                buf[at] = (char)rng();
                break;
            case 1:
                buf[at] ^= (char)(1u << (rng() % 8));
                break;
            case 2:
                buf[at] = (char)(0xc0 + rng() % 0x20);
                break; /* a type byte */
            default:
                len = at + 1;
                break; /* truncate */
            }
        }
        decoded += try_decode(buf, len, out);
    }
    /* Some mutations (in numbers and string bodies) still decode, most do not. */
    assert_true(decoded > 0);
    assert_true(decoded < 5000);
    free(buf);
    free(out);
    msgpack_sbuffer_destroy(&sb);
    nb__value_clear(&t_every, &in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_wire_form_is_plain_msgpack),
        cmocka_unit_test(test_argument_struct),
        cmocka_unit_test(test_integers_out_of_range),
        cmocka_unit_test(test_kind_mismatches),
        cmocka_unit_test(test_failure_after_allocation_leaves_zero),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_nil_and_empty),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_each_field_replaced),
        cmocka_unit_test(test_truncated_and_mutated_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
