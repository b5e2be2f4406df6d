/*
 * test_describe.c — the DESCRIPTION decoder (src/runtime/describe.c) on
 * hand-made payloads: a good one decodes with this process's own layout, and
 * each hostile one is refused with a reason, never half-decoded. The fuzz
 * harness tests/fuzz/fuzz_describe.c throws arbitrary bytes at it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "tool.h"

static const char *const tags[] = {"db"};
static const nb__node_def nodes[] = {
    {.name = "db@h", .short_name = "db", .host = "h", .port = 1, .tags = tags, .n_tags = 1},
    {.name = "web@h", .short_name = "web", .host = "h", .port = 2},
};
static const nb__cluster_def cluster = {
    .abi_version = NB__ABI_VERSION, .fingerprint = "0123456789abcdef", .nodes = nodes,
    .n_nodes = 2, .self = -1, .self_name = "nonode@nohost"};

static msgpack_sbuffer sb;
static msgpack_packer pk;

static void begin(void)
{
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
}

static void str(const char *s)
{
    msgpack_pack_str_with_body(&pk, s, strlen(s));
}

/* [kind, size, count, type, nil]: a tref without an element. */
static void tref(int kind, unsigned size, unsigned count, int type)
{
    msgpack_pack_array(&pk, 5);
    msgpack_pack_int(&pk, kind);
    msgpack_pack_unsigned_int(&pk, size);
    msgpack_pack_unsigned_int(&pk, count);
    msgpack_pack_int(&pk, type);
    msgpack_pack_nil(&pk);
}

/* The head of an array tref; the element tref follows. */
static void array_of(unsigned count)
{
    msgpack_pack_array(&pk, 5);
    msgpack_pack_int(&pk, NB__K_ARRAY);
    msgpack_pack_unsigned_int(&pk, 0);
    msgpack_pack_unsigned_int(&pk, count);
    msgpack_pack_int(&pk, -1);
}

/* [node, fingerprint, types(n_types follow)...]: the head of a description. */
static void head(size_t n_types)
{
    msgpack_pack_array(&pk, 4);
    str("db@h");
    str("0123456789abcdef");
    msgpack_pack_array(&pk, n_types);
}

/* One method using args type `args`, returning int64, served by `serving`. */
static void method(const char *name, const char *sig, uint64_t wire, int args,
                   const char *serving)
{
    msgpack_pack_array(&pk, 9);
    str(name);
    str(sig);
    msgpack_pack_uint64(&pk, wire);
    str("&db");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_int(&pk, -1);
    msgpack_pack_array(&pk, 1);
    str(serving);
    msgpack_pack_true(&pk);
    msgpack_pack_int(&pk, args);
    tref(NB__K_INT, 8, 0, -1);
}

static char why[300];

static int decode(nb__description *d)
{
    return nb__describe_decode(sb.data, sb.size, &cluster, d, why, sizeof why);
}

/* Decoding must fail with a reason containing `want`, leaving *d empty. */
static void refused(const char *want)
{
    nb__description d;
    why[0] = '\0';
    assert_int_equal(decode(&d), -1);
    assert_null(d.methods);
    assert_int_equal(d.n_methods, 0);
    if (strstr(why, want) == NULL)
        fail_msg("reason \"%s\" does not contain \"%s\"", why, want);
}

/* Types 0 point_t {int32 x; int8 c; int64 y}, 1 node_t {node_t *next; double v[3]},
 * 2 args {point_t p; char *name; node_t *list}. */
static void test_good(void **state)
{
    (void)state;
    begin();
    head(3);
    msgpack_pack_array(&pk, 2);
    str("point_t");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_array(&pk, 2), str("x"), tref(NB__K_INT, 4, 0, -1);
    msgpack_pack_array(&pk, 2), str("c"), tref(NB__K_INT, 1, 0, -1);
    msgpack_pack_array(&pk, 2), str("y"), tref(NB__K_INT, 8, 0, -1);
    msgpack_pack_array(&pk, 2);
    str("struct node");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_array(&pk, 2), str("next"), tref(NB__K_STRUCT_PTR, 8, 0, 1);
    msgpack_pack_array(&pk, 2), str("v"), array_of(3), tref(NB__K_FLOAT, 8, 0, -1);
    msgpack_pack_array(&pk, 2);
    str("nb__args_f");
    msgpack_pack_array(&pk, 3);
    /* The peer's sizes of structs are ignored: 999 here. */
    msgpack_pack_array(&pk, 2), str("p"), tref(NB__K_STRUCT, 999, 0, 0);
    msgpack_pack_array(&pk, 2), str("name"), tref(NB__K_STR, 8, 0, -1);
    msgpack_pack_array(&pk, 2), str("list"), tref(NB__K_STRUCT_PTR, 8, 0, 1);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t f(point_t p, char *name, struct node *list)", 42, 2, "db@h");
    nb__description d;
    assert_int_equal(decode(&d), 0);
    assert_string_equal(d.node, "db@h");
    assert_int_equal(d.n_methods, 1);
    const nb__method *m = &d.methods[0];
    assert_string_equal(m->name, "f");
    assert_int_equal(m->wire_id, 42);
    assert_int_equal(m->n_serving, 1);
    assert_int_equal(m->serving[0], 0);
    assert_int_equal(m->module->max_time_extensions, -1);
    assert_null(m->local);
    assert_int_equal(m->ret.kind, NB__K_INT);
    assert_int_equal(m->ret.size, 8);
    /* This process's layout, as the C compiler lays these structs out. */
    struct point { int32_t x; int8_t c; int64_t y; };
    struct node { struct node *next; double v[3]; };
    struct args { struct point p; char *name; struct node *list; };
    const nb__type *a = m->args;
    assert_int_equal(a->size, sizeof(struct args));
    assert_int_equal(a->fields[1].offset, offsetof(struct args, name));
    assert_int_equal(a->fields[2].offset, offsetof(struct args, list));
    const nb__type *p = a->fields[0].t.type;
    assert_string_equal(p->name, "point_t");
    assert_int_equal(p->size, sizeof(struct point));
    assert_int_equal(p->fields[2].offset, offsetof(struct point, y));
    const nb__type *n = a->fields[2].t.type;
    assert_string_equal(n->name, "struct node");
    assert_int_equal(n->size, sizeof(struct node));
    assert_ptr_equal(n->fields[0].t.type, n); /* the list reaches itself */
    assert_int_equal(n->fields[1].t.kind, NB__K_ARRAY);
    assert_int_equal(n->fields[1].t.count, 3);
    assert_int_equal(n->fields[1].t.size, 3 * sizeof(double));
    assert_int_equal(n->fields[1].offset, offsetof(struct node, v));
    nb__describe_free(&d);
}

/* A description of one type `t` with one field of the tref written by field(),
 * and one method whose args struct is that type. */
static void one_type(const char *field_name, void (*field)(void))
{
    begin();
    head(1);
    msgpack_pack_array(&pk, 2);
    str("t_t");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2);
    str(field_name);
    field();
    msgpack_pack_array(&pk, 1);
    char sig[200];
    snprintf(sig, sizeof sig, "int64_t f(int %s)", field_name);
    method("f", sig, 1, 0, "db@h");
}

static void f_self(void) { tref(NB__K_STRUCT, 0, 0, 0); }
static void f_self_array(void) { array_of(2), tref(NB__K_STRUCT, 0, 0, 0); }
static void f_int3(void) { tref(NB__K_INT, 3, 0, -1); }
static void f_uint16(void) { tref(NB__K_UINT, 16, 0, -1); }
static void f_float2(void) { tref(NB__K_FLOAT, 2, 0, -1); }
static void f_bad_index(void) { tref(NB__K_STRUCT, 0, 0, 7); }
static void f_no_index(void) { tref(NB__K_STRUCT_PTR, 8, 0, -1); }
static void f_index_on_int(void) { tref(NB__K_INT, 4, 0, 0); }
static void f_void(void) { tref(NB__K_VOID, 0, 0, -1); }
static void f_kind(void) { tref(99, 4, 0, -1); }
static void f_count0(void) { array_of(0), tref(NB__K_INT, 4, 0, -1); }
static void f_count_huge(void) { array_of((1u << 24) + 1), tref(NB__K_INT, 4, 0, -1); }
static void f_too_large(void) { array_of(1u << 24), array_of(1u << 24), tref(NB__K_INT, 8, 0, -1); }
static void f_deep(void)
{
    for (int i = 0; i < NB__DESC_MAX_ARRAY_DEPTH + 1; i++)
        array_of(1);
    tref(NB__K_INT, 4, 0, -1);
}
static void f_not_tref(void) { msgpack_pack_array(&pk, 2), str("x"), str("y"); }
static void f_ok(void) { tref(NB__K_INT, 4, 0, -1); }

static void test_by_value_recursion(void **state)
{
    (void)state;
    one_type("a", f_self);
    refused("holds itself by value");
    one_type("a", f_self_array);
    refused("holds itself by value");
    /* Two types holding each other by value. */
    begin();
    head(2);
    msgpack_pack_array(&pk, 2), str("a_t"), msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2), str("b"), tref(NB__K_STRUCT, 0, 0, 1);
    msgpack_pack_array(&pk, 2), str("b_t"), msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2), str("a"), tref(NB__K_STRUCT, 0, 0, 0);
    msgpack_pack_array(&pk, 0);
    refused("holds itself by value");
}

static void test_bad_kinds_and_sizes(void **state)
{
    (void)state;
    one_type("a", f_int3);
    refused("an integer of 3 bytes");
    one_type("a", f_uint16);
    refused("an integer of 16 bytes");
    one_type("a", f_float2);
    refused("a floating type of 2 bytes");
    one_type("a", f_bad_index);
    refused("unknown kind, size, count or type index");
    one_type("a", f_no_index);
    refused("names no type");
    one_type("a", f_index_on_int);
    refused("a type index on a kind without one");
    one_type("a", f_void);
    refused("void where a value is needed");
    one_type("a", f_kind);
    refused("unknown kind");
    one_type("a", f_not_tref);
    refused("not [kind, size, count, type, element]");
}

static void test_bounds(void **state)
{
    (void)state;
    one_type("a", f_count0);
    refused("an array of 0 elements");
    one_type("a", f_count_huge);
    refused("an array of 16777217 elements");
    one_type("a", f_too_large);
    refused("too large");
    one_type("a", f_deep);
    refused("arrays nest deeper than 8");
    /* A name that is no C identifier, or that holds a control byte. */
    one_type("a b", f_ok);
    refused("a field's name holds a byte");
    one_type("a\x1b[2J", f_ok);
    refused("a field's name holds a byte");
    char long_name[NB__DESC_MAX_NAME + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    one_type(long_name, f_ok);
    refused("longer than 128 bytes");
    /* More types than allowed: the count alone is refused. */
    begin();
    head(NB__DESC_MAX_TYPES + 1);
    for (int i = 0; i < NB__DESC_MAX_TYPES + 1; i++)
        msgpack_pack_array(&pk, 2), str("t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 0);
    refused("at most 4096 types");
    /* A chain of structs each holding the next by value, deeper than a value
     * may nest on the wire. */
    begin();
    head(70);
    for (int i = 0; i < 70; i++) {
        msgpack_pack_array(&pk, 2), str("t"), msgpack_pack_array(&pk, i < 69 ? 1 : 0);
        if (i < 69)
            msgpack_pack_array(&pk, 2), str("next"), tref(NB__K_STRUCT, 0, 0, i + 1);
    }
    msgpack_pack_array(&pk, 0);
    refused("structs nest by value deeper than 64");
}

static void test_methods(void **state)
{
    (void)state;
    /* Served by a node the topology does not have. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t f(void)", 1, 0, "evil@h");
    refused("served by a node the topology does not have");
    /* A signature that does not declare the method. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t g(void)", 1, 0, "db@h");
    refused("its signature does not declare it");
    /* A signature whose parameters are not the argument struct's fields. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2), str("x"), tref(NB__K_INT, 4, 0, -1);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t f(int32_t y)", 1, 0, "db@h");
    refused("its signature's parameters are not the fields of its argument struct");
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2), str("x"), tref(NB__K_INT, 4, 0, -1);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t f(void)", 1, 0, "db@h");
    refused("its signature's parameters are not the fields of its argument struct");
    /* A void signature with a value returned. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 1);
    method("f", "void f(void)", 1, 0, "db@h");
    refused("disagree on void");
    /* Two methods of one wire id. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 2);
    method("f", "int64_t f(void)", 5, 0, "db@h");
    method("g", "int64_t g(void)", 5, 0, "db@h");
    refused("two methods share wire id");
    /* An argument type out of the table. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 0);
    msgpack_pack_array(&pk, 1);
    method("f", "int64_t f(void)", 5, 3, "db@h");
    refused("the argument type is not in the type table");
    /* Two fields of one name. */
    begin();
    head(1);
    msgpack_pack_array(&pk, 2), str("t_t"), msgpack_pack_array(&pk, 2);
    msgpack_pack_array(&pk, 2), str("x"), tref(NB__K_INT, 4, 0, -1);
    msgpack_pack_array(&pk, 2), str("x"), tref(NB__K_INT, 4, 0, -1);
    msgpack_pack_array(&pk, 0);
    refused("two fields named x");
}

static void test_not_a_description(void **state)
{
    (void)state;
    begin();
    msgpack_pack_array(&pk, 3);
    str("db@h"), str("x"), msgpack_pack_array(&pk, 0);
    refused("not [node, fingerprint, types, methods]");
    /* Truncated: the bytes of a good one, less its last. */
    one_type("a", f_ok);
    sb.size--;
    refused("not well-formed MessagePack");
    nb__description d;
    assert_int_equal(nb__describe_decode("", 0, &cluster, &d, why, sizeof why), -1);
}

int main(void)
{
    msgpack_sbuffer_init(&sb);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_by_value_recursion),
        cmocka_unit_test(test_bad_kinds_and_sizes),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_not_a_description),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}
