/*
 * Which C types may cross nodes (docs/design.md §5), how nebulac spells them
 * canonically, the exact error a user gets for each type it refuses, and the
 * identities derived from signatures (wire ids, topology fingerprint).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "nbc_test_util.h"
#include "signature.h"
#include "topology.h"
#include "types.h"

static const char prelude[] = "NB_STRUCT typedef struct point { double x, y; } point_t;\n"
                              "struct plain { int x; };\n";

/* Parses prelude + body as one source and classifies it; returns the type
 * errors and leaves the diagnostics in *diag (caller frees). */
static int check(nbc_model *m, const char *body, char **diag)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", prelude, body);
    nbc_t_write("t.c", text);
    nbc_parse_opts o = {0};
    memset(m, 0, sizeof *m);
    const char *srcs[] = {"t.c"};
    nbc_t_capture_start();
    assert_int_equal(nbc_parse(m, &o, srcs, 1), 0);
    int errors = nbc_types_check(m);
    *diag = nbc_t_capture_end();
    return errors;
}

typedef struct accepted {
    const char *written, *canonical;
    nbc_kind kind;
} accepted;

static void allowed_parameters(void **state)
{
    (void)state;
    static const accepted cases[] = {
        {"bool", "bool", NBC_K_BOOL}, {"_Bool", "bool", NBC_K_BOOL},
        {"int8_t", "int8_t", NBC_K_INT}, {"int16_t", "int16_t", NBC_K_INT},
        {"int32_t", "int32_t", NBC_K_INT}, {"int64_t", "int64_t", NBC_K_INT},
        {"uint8_t", "uint8_t", NBC_K_UINT}, {"uint16_t", "uint16_t", NBC_K_UINT},
        {"uint32_t", "uint32_t", NBC_K_UINT}, {"uint64_t", "uint64_t", NBC_K_UINT},
        {"int", "int", NBC_K_INT}, {"signed", "int", NBC_K_INT}, {"signed int", "int", NBC_K_INT},
        {"unsigned", "unsigned int", NBC_K_UINT}, {"unsigned int", "unsigned int", NBC_K_UINT},
        {"long", "long", NBC_K_INT}, {"long int", "long", NBC_K_INT}, {"signed long", "long", NBC_K_INT},
        {"unsigned long", "unsigned long", NBC_K_UINT}, {"long unsigned int", "unsigned long", NBC_K_UINT},
        {"long long", "long long", NBC_K_INT}, {"long long int", "long long", NBC_K_INT},
        {"unsigned long long", "unsigned long long", NBC_K_UINT},
        {"short", "short", NBC_K_INT}, {"short int", "short", NBC_K_INT},
        {"unsigned short", "unsigned short", NBC_K_UINT},
        {"signed char", "signed char", NBC_K_INT}, {"unsigned char", "unsigned char", NBC_K_UINT},
        {"size_t", "size_t", NBC_K_UINT}, {"float", "float", NBC_K_FLOAT}, {"double", "double", NBC_K_FLOAT},
        {"const int64_t", "int64_t", NBC_K_INT},
        {"const char *", "const char *", NBC_K_STR}, {"char const *", "const char *", NBC_K_STR},
        {"const char *const", "const char *", NBC_K_STR},
        {"nb_bytes", "nb_bytes", NBC_K_BYTES},
        {"point_t", "point_t", NBC_K_STRUCT}, {"struct point", "struct point", NBC_K_STRUCT},
        {"const point_t *", "const point_t *", NBC_K_STRUCT_PTR},
        {"const struct point *", "const struct point *", NBC_K_STRUCT_PTR},
    };
    nbc_t_enter();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[256];
        snprintf(body, sizeof body, "NB_API() void f(%s v) {}\n", cases[i].written);
        nbc_model m;
        char *diag;
        int errors = check(&m, body, &diag);
        if (errors != 0)
            fail_msg("'%s' refused: %s", cases[i].written, diag);
        free(diag);
        const nbc_ctype *t = &m.apis[0]->params[0].type;
        assert_string_equal(t->c_text, cases[i].canonical);
        assert_int_equal(t->kind, cases[i].kind);
        nbc_model_free(&m);
    }
    nbc_t_leave();
}

static void allowed_returns_and_fields(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_model m;
    char *diag;
    int errors = check(&m,
                       "NB_STRUCT struct all {\n"
                       "    char *s; point_t p; point_t *pp; struct all *next; int32_t a[3];\n"
                       "    char *tags[2]; uint8_t m[2][4]; nb_bytes b; bool ok;\n"
                       "};\n"
                       "NB_API() char *s(void) { return 0; }\n"
                       "NB_API() point_t *p(void) { return 0; }\n"
                       "NB_API() struct point v(void) { struct point r = {0, 0}; return r; }\n"
                       "NB_API() void n(void) {}\n",
                       &diag);
    assert_string_equal(diag, "");
    assert_int_equal(errors, 0);
    free(diag);
    const char *want[] = {"char *", "point_t *", "struct point", "void"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(m.apis[i]->ret.c_text, want[i]);
    const nbc_struct *st = m.structs[1];
    assert_int_equal(st->fields[0].type.kind, NBC_K_STR);
    assert_int_equal(st->fields[2].type.kind, NBC_K_STRUCT_PTR);
    assert_ptr_equal(st->fields[3].type.st, st);
    assert_int_equal(st->fields[4].type.n_dims, 1);
    assert_string_equal(st->fields[5].type.c_text, "char *");
    assert_int_equal(st->fields[6].type.n_dims, 2);
    nbc_buf b = {0};
    nbc_put_decl(&b, &st->fields[6].type, "m");
    assert_string_equal(nbc_buf_str(&b), "uint8_t m[2][4]");
    nbc_buf_free(&b);
    nbc_model_free(&m);
    nbc_t_leave();
}

typedef struct refused {
    const char *decl;     /* an API or struct, after the prelude */
    const char *message;  /* the whole diagnostic */
} refused;

static void refused_types_name_type_role_and_place(void **state)
{
    (void)state;
    static const refused cases[] = {
        {"NB_API() void f(int *p) {}",
         "t.c:3:17: error: type 'int *' is not allowed for parameter 'p' of f: pointers are allowed only as "
         "strings ('const char *' arguments, 'char *' returns and fields) and to NB_STRUCT types"},
        {"NB_API() void f(char *s) {}",
         "t.c:3:17: error: type 'char *' is not allowed for parameter 's' of f: a string argument is written "
         "'const char *'"},
        {"NB_API() void f(struct plain p) {}",
         "t.c:3:17: error: type 'struct plain' is not allowed for parameter 'p' of f: 'struct plain' is not an "
         "NB_STRUCT (annotate its definition with NB_STRUCT)"},
        {"NB_API() void f(union u x) {}",
         "t.c:3:17: error: type 'union u' is not allowed for parameter 'x' of f: unions cannot cross nodes"},
        {"NB_API() void f(enum e x) {}",
         "t.c:3:17: error: type 'enum e' is not allowed for parameter 'x' of f: enums cannot cross nodes: use an "
         "integer type"},
        {"NB_API() void f(void (*cb)(int)) {}",
         "t.c:3:17: error: type 'void (*)(int)' is not allowed for parameter 'cb' of f: function pointers cannot "
         "cross nodes"},
        {"NB_API() void f(int n, ...) {}",
         "t.c:3:24: error: f is variadic: an NB_API function takes a fixed list of parameters"},
        {"NB_API() void f(long double d) {}",
         "t.c:3:17: error: type 'long double' is not allowed for parameter 'd' of f: long double has no portable "
         "wire form: use double"},
        {"NB_API() void f(char c) {}",
         "t.c:3:17: error: type 'char' is not allowed for parameter 'c' of f: use int8_t or uint8_t for a byte, "
         "'char *' for a string"},
        {"NB_API() void f(foo_t x) {}",
         "t.c:3:17: error: unknown type 'foo_t' for parameter 'x' of f: only NB_STRUCT types, bool, integer and "
         "floating types, strings and nb_bytes can cross nodes"},
        {"NB_API() void f(unsigned foo x) {}",
         "t.c:3:17: error: unknown type 'unsigned foo' for parameter 'x' of f: only NB_STRUCT types, bool, integer "
         "and floating types, strings and nb_bytes can cross nodes"},
        {"NB_API() void f(int a[3]) {}",
         "t.c:3:17: error: type 'int[3]' is not allowed for parameter 'a' of f: arrays are allowed only as "
         "NB_STRUCT fields"},
        {"NB_API() void f(void *p) {}",
         "t.c:3:17: error: type 'void *' is not allowed for parameter 'p' of f: 'void *' has no wire form: use "
         "nb_bytes"},
        {"NB_API() void f(nb_bytes *b) {}",
         "t.c:3:17: error: type 'nb_bytes *' is not allowed for parameter 'b' of f: nb_bytes is passed by value"},
        {"NB_API() void f(point_t *p) {}",
         "t.c:3:17: error: type 'point_t *' is not allowed for parameter 'p' of f: an NB_STRUCT argument is passed "
         "by value or as 'const point_t *'"},
        {"NB_API() void f(const char **s) {}",
         "t.c:3:17: error: type 'const char **' is not allowed for parameter 's' of f: pointers to pointers cannot "
         "cross nodes"},
        {"NB_API() const char *f(void) { return 0; }",
         "t.c:3:10: error: type 'const char *' is not allowed for the return type of f: a string pointer belongs "
         "to the caller: write 'char *'"},
        {"NB_API() const point_t *f(void) { return 0; }",
         "t.c:3:10: error: type 'const point_t *' is not allowed for the return type of f: an NB_STRUCT pointer "
         "belongs to the caller: write 'point_t *'"},
        {"NB_API() int *f(void) { return 0; }",
         "t.c:3:10: error: type 'int *' is not allowed for the return type of f: pointers are allowed only as "
         "strings ('const char *' arguments, 'char *' returns and fields) and to NB_STRUCT types"},
        {"NB_API() void f(void v) {}",
         "t.c:3:17: error: type 'void' is not allowed for parameter 'v' of f: 'void' is allowed only as a return "
         "type"},
        {"NB_API() void f(float _Complex z) {}",
         "t.c:3:17: error: type 'float _Complex' is not allowed for parameter 'z' of f: complex numbers cannot "
         "cross nodes"},
        {"NB_API() void f(long short x) {}",
         "t.c:3:17: error: type 'long short' is not allowed for parameter 'x' of f: this is not a valid C type"},
        {"NB_STRUCT struct s { const char *name; };",
         "t.c:3:22: error: type 'const char *' is not allowed for field 'name' of struct s: a string pointer "
         "belongs to its struct: write 'char *'"},
        {"NB_STRUCT struct s { char name[16]; };",
         "t.c:3:22: error: type 'char[16]' is not allowed for field 'name' of struct s: use int8_t or uint8_t for "
         "a byte, 'char *' for a string"},
        {"NB_STRUCT struct s { int n[N]; };",
         "t.c:3:22: error: type 'int[N]' is not allowed for field 'n' of struct s: array sizes must be positive "
         "integer literals, at most 2 dimensions"},
        {"NB_STRUCT struct s { int n[2][2][2]; };",
         "t.c:3:22: error: type 'int[2][2][2]' is not allowed for field 'n' of struct s: array sizes must be "
         "positive integer literals, at most 2 dimensions"},
        {"NB_STRUCT struct s { struct plain p; };",
         "t.c:3:22: error: type 'struct plain' is not allowed for field 'p' of struct s: 'struct plain' is not an "
         "NB_STRUCT (annotate its definition with NB_STRUCT)"},
        {"NB_STRUCT struct s { int *p; };",
         "t.c:3:22: error: type 'int *' is not allowed for field 'p' of struct s: pointers are allowed only as "
         "strings ('const char *' arguments, 'char *' returns and fields) and to NB_STRUCT types"},
    };
    nbc_t_enter();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[512], want[1024];
        snprintf(body, sizeof body, "%s\n", cases[i].decl);
        snprintf(want, sizeof want, "%s\n", cases[i].message);
        nbc_model m;
        char *diag;
        int errors = check(&m, body, &diag);
        assert_int_equal(errors, 1);
        assert_string_equal(diag, want);
        free(diag);
        nbc_model_free(&m);
    }
    nbc_t_leave();
}

/* The wire id of the API in body (validated types, signature computed). */
static uint64_t wire_id_of(const char *body, char *signature, size_t size)
{
    nbc_model m;
    char *diag;
    assert_int_equal(check(&m, body, &diag), 0);
    free(diag);
    nbc_api *a = m.apis[0];
    a->signature = nbc_signature(&m, a);
    snprintf(signature, size, "%s", a->signature);
    uint64_t id = nbc_wire_id(a);
    nbc_model_free(&m);
    return id;
}

static void signatures_and_wire_ids(void **state)
{
    (void)state;
    nbc_t_enter();
    char sig[256];
    uint64_t base = wire_id_of("NB_API() point_t *find(const int64_t  id,unsigned n , char const*name) { return 0; }\n",
                               sig, sizeof sig);
    assert_string_equal(sig, "point_t *find(int64_t id, unsigned int n, const char *name)");
    uint64_t same = wire_id_of("NB_API() point_t *find(int64_t id, unsigned int n, const char *name) { return 0; }\n",
                               sig, sizeof sig);
    assert_true(base == same);
    uint64_t other = wire_id_of("NB_API() point_t *find(int64_t id, unsigned long n, const char *name) { return 0; }\n",
                                sig, sizeof sig);
    assert_true(base != other);
    assert_true(wire_id_of("NB_API() void none() {}\n", sig, sizeof sig) != 0);
    assert_string_equal(sig, "void none(void)");
    nbc_t_leave();
}

static void struct_layout_changes_the_wire_id(void **state)
{
    (void)state;
    nbc_t_enter();
    char sig[256];
    uint64_t a = wire_id_of("NB_STRUCT struct box { point_t p; int32_t n; };\n"
                            "NB_API() void put(struct box b) { (void)b; }\n", sig, sizeof sig);
    uint64_t b = wire_id_of("NB_STRUCT struct box { point_t p; int64_t n; };\n"
                            "NB_API() void put(struct box b) { (void)b; }\n", sig, sizeof sig);
    assert_true(a != b);
    /* A struct reached through another one counts too: point_t is in the prelude,
     * so change the prelude's effect by reaching a different struct. */
    uint64_t c = wire_id_of("NB_STRUCT struct box { struct box *next; int32_t n; };\n"
                            "NB_API() void put(struct box b) { (void)b; }\n", sig, sizeof sig);
    assert_true(a != c);
    nbc_t_leave();
}

/* Nodes, tags, their order and the transport change the fingerprint; the APIs do
 * not (they are matched per method by wire id, so builds differing only in their
 * APIs still connect). */
static void fingerprint_covers_nodes_tags_and_transport(void **state)
{
    (void)state;
    nbc_t_enter();
    char fp[4][17];
    const char *yamls[] = {
        "nodes:\n  \"a@h\": [x]\n  \"b@h\": { tags: [y], port: 2 }\n",
        "nodes:\n  \"a@h\": [x, z]\n  \"b@h\": { tags: [y], port: 2 }\n",
        "nodes:\n  \"b@h\": { tags: [y], port: 2 }\n  \"a@h\": [x]\n",
        "nodes:\n  \"a@h\": [x]\n  \"b@h\": { tags: [y], port: 2 }\ntransport: plain\n",
    };
    for (int i = 0; i < 4; i++) {
        nbc_t_write("nebula.yaml", yamls[i]);
        nbc_topology topo;
        assert_int_equal(nbc_topology_load("nebula.yaml", &topo), 0);
        nbc_fingerprint(&topo, fp[i]);
        nbc_topology_free(&topo);
        assert_int_equal(strlen(fp[i]), 16);
        assert_int_equal(strspn(fp[i], "0123456789abcdef"), 16);
    }
    assert_string_not_equal(fp[0], fp[1]);
    assert_string_not_equal(fp[0], fp[2]);
    assert_string_not_equal(fp[0], fp[3]);
    nbc_t_leave();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allowed_parameters),
        cmocka_unit_test(allowed_returns_and_fields),
        cmocka_unit_test(refused_types_name_type_role_and_place),
        cmocka_unit_test(signatures_and_wire_ids),
        cmocka_unit_test(struct_layout_changes_the_wire_id),
        cmocka_unit_test(fingerprint_covers_nodes_tags_and_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
