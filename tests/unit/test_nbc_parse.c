/*
 * What nebulac reads from annotated C: NB_API definitions and prototypes,
 * NB_STRUCT fields, NB_MODULE, NB_ON and the branches it kills, quoted
 * includes found as the compiler finds them, and nb_start() calls.
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

/* NB_ON for these tests: "&yes" holds, "&no" does not, "&bad" is reported. */
static int fake_on(void *ctx, const char *sel, nbc_loc loc)
{
    (void)ctx;
    if (strcmp(sel, "&bad") == 0) {
        nbc_error(loc, "bad selector");
        return -1;
    }
    return strcmp(sel, "&no") != 0;
}

static nbc_parse_opts opts = {.on_eval = fake_on};

/* Parses the given sources in the scratch directory; returns the errors. */
static int parse(nbc_model *m, const char *const *sources, size_t n)
{
    memset(m, 0, sizeof *m);
    return nbc_parse(m, &opts, sources, n);
}

static const nbc_file *file_named(const nbc_model *m, const char *path)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i]->path, path) == 0)
            return m->files[i];
    return NULL;
}

static void api_definition(void **state)
{
    (void)state;
    nbc_t_enter();
    const char *src = "#include <nebula.h>\n"
                      "NB_API(\"&db\")\n"
                      "user_t *users_find(int64_t id, const char *name)\n"
                      "{\n    return 0;\n}\n"
                      "NB_API() int64_t up(void) { return 1; }\n";
    nbc_t_write("users.c", src);
    nbc_model m;
    const char *srcs[] = {"users.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    assert_int_equal(m.n_apis, 2);
    const nbc_api *a = m.apis[0];
    assert_string_equal(a->name, "users_find");
    assert_string_equal(a->selector, "&db");
    assert_true(a->is_definition);
    assert_int_equal(a->loc.line, 2);
    assert_int_equal(a->loc.col, 1);
    assert_int_equal(a->sel_loc.col, 9); /* the selector's first character */
    assert_int_equal(a->name_loc.line, 3);
    assert_int_equal(a->name_loc.col, 9);
    assert_int_equal(a->anno.off, strstr(src, "NB_API") - src);
    assert_int_equal(a->anno.end, strstr(src, ")\nuser_t") - src + 1);
    assert_int_equal(a->body_end, strstr(src, "}\n") - src + 1);
    assert_int_equal(a->ret.n_words, 1);
    assert_string_equal(a->ret.words[0], "user_t");
    assert_int_equal(a->ret.n_ptr, 1);
    assert_int_equal(a->n_params, 2);
    assert_string_equal(a->params[0].name, "id");
    assert_string_equal(a->params[1].name, "name");
    assert_string_equal(a->params[1].type.written, "const char *");
    assert_string_equal(m.apis[1]->name, "up");
    assert_string_equal(m.apis[1]->selector, "");
    assert_int_equal(m.apis[1]->n_params, 0);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void annotated_prototype_adopts_definition(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("api.h", "NB_API(\"&db\") double area(int32_t w, int32_t h);\n");
    nbc_t_write("api.c", "#include \"api.h\"\n\ndouble area(int32_t w, int32_t h)\n{\n    return w * h;\n}\n");
    nbc_model m;
    const char *srcs[] = {"api.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    assert_int_equal(m.n_decls, 1);
    assert_int_equal(m.n_apis, 1);
    const nbc_api *a = m.apis[0];
    assert_string_equal(a->selector, "&db");
    assert_string_equal(a->file->path, "api.c");
    assert_int_equal(a->anno.off, a->anno.end); /* nothing to replace: an insertion point */
    assert_int_equal(a->name_loc.line, 3);
    assert_true(file_named(&m, "api.h")->rewrite);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void nb_struct_fields(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("s.c", "NB_STRUCT typedef struct user {\n"
                       "    int64_t id;\n"
                       "    double x, *y, z[4];\n"
                       "    int32_t grid[2][0x3];\n"
                       "    struct user *next;\n"
                       "} user_t;\n"
                       "NB_STRUCT struct point { float a; };\n"
                       "NB_STRUCT typedef struct { bool on; } flag_t;\n");
    nbc_model m;
    const char *srcs[] = {"s.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    assert_int_equal(m.n_structs, 3);
    const nbc_struct *u = m.structs[0];
    assert_string_equal(u->display, "user_t");
    assert_string_equal(u->ident, "user_t");
    assert_string_equal(u->tag, "user");
    assert_int_equal(u->n_fields, 6);
    const char *names[] = {"id", "x", "y", "z", "grid", "next"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(u->fields[i].name, names[i]);
    assert_string_equal(u->fields[2].type.words[0], "double");
    assert_int_equal(u->fields[2].type.n_ptr, 1);
    assert_int_equal(u->fields[3].type.n_dims, 1);
    assert_int_equal(u->fields[3].type.dims[0], 4);
    assert_int_equal(u->fields[4].type.n_dims, 2);
    assert_int_equal(u->fields[4].type.dims[0], 2);
    assert_int_equal(u->fields[4].type.dims[1], 3);
    assert_int_equal(u->fields[5].type.n_ptr, 1);
    assert_string_equal(m.structs[1]->display, "struct point");
    assert_string_equal(m.structs[1]->ident, "point");
    assert_string_equal(m.structs[2]->display, "flag_t");
    assert_null(m.structs[2]->tag);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void nb_module_options(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("m.c", "NB_MODULE(.default_timeout = 2500, .max_concurrent_calls = 3);\n"
                       "NB_API() void f(void) {}\n");
    nbc_t_write("o.c", "NB_MODULE(.max_concurrent_calls = 9, .max_time_extensions = 4);\n");
    nbc_t_write("p.c", "NB_MODULE(.max_time_extensions = NB_NO_EXTENSIONS);\n");
    nbc_model m;
    const char *srcs[] = {"m.c", "o.c", "p.c"};
    assert_int_equal(parse(&m, srcs, 3), 0);
    assert_int_equal(m.files[0]->module.max_time_extensions, 0);
    assert_int_equal(m.files[1]->module.max_time_extensions, 4);
    assert_int_equal(m.files[2]->module.max_time_extensions, -1); /* NB_NO_EXTENSIONS */
    assert_true(m.files[0]->module.present);
    assert_int_equal(m.files[0]->module.default_timeout_ms, 2500);
    assert_int_equal(m.files[0]->module.max_concurrent_calls, 3);
    assert_int_equal(m.files[1]->module.default_timeout_ms, 0);
    assert_int_equal(m.files[1]->module.max_concurrent_calls, 9);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void false_branches_are_not_read(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("dead.h", "NB_STRUCT struct dead { int x; };\n");
    nbc_t_write("live.h", "int live;\n");
    const char *src = "#if NB_ON(\"&no\")\n"
                      "#include \"dead.h\"\n"
                      "#include \"does_not_exist.h\"\n"
                      "NB_API() int hidden(void) { return nb_start(0); }\n"
                      "#elif !NB_ON(\"&yes\") || 0\n"
                      "int also_dead;\n"
                      "#else\n"
                      "#include \"live.h\"\n"
                      "#endif\n"
                      "#if 1\n#else\nNB_API() int dead2(void) { return 0; }\n#endif\n"
                      "#ifdef UNKNOWN\nNB_API() int maybe(void) { return 0; }\n#endif\n"
                      "int v = NB_ON(\"&no\");\n";
    nbc_t_write("main.c", src);
    nbc_model m;
    const char *srcs[] = {"main.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    assert_int_equal(m.n_files, 2);
    assert_string_equal(m.files[1]->path, "live.h");
    assert_int_equal(m.n_structs, 0);
    /* UNKNOWN is defined nowhere: the compiler, asked, says so. */
    assert_int_equal(m.n_apis, 0);
    const nbc_file *f = m.files[0];
    assert_int_equal(f->n_nb_start, 0);
    assert_int_equal(f->n_decisions, 5);
    /* The NB_ON-dead branches are removed; the macro-dead one with an annotation
     * is kept for the compiler, behind an #error guard (one). */
    assert_int_equal(f->n_blanks, 3);
    assert_int_equal(f->n_guards, 1);
    assert_int_equal(f->n_ons, 3);
    assert_false(f->ons[0].value);
    assert_true(f->ons[1].value);
    assert_false(f->ons[2].value);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void bad_selector_keeps_branch_live(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("a.c", "#if NB_ON(\"&bad\")\nNB_API() int f(void) { return 0; }\n#endif\n");
    nbc_model m;
    const char *srcs[] = {"a.c"};
    nbc_t_capture_start();
    assert_int_equal(parse(&m, srcs, 1), 1);
    char *text = nbc_t_capture_end();
    assert_string_equal(text, "a.c:1:12: error: bad selector\n");
    free(text);
    assert_int_equal(m.n_apis, 1);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void includes_are_found_like_the_compiler(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("src/a.c", "#include \"b.h\"\n#include \"c.h\"\n#include <d.h>\n#include \"b.h\"\n");
    nbc_t_write("src/b.h", "#include \"c.h\"\n");
    nbc_t_write("inc/c.h", "NB_STRUCT struct c { int x; };\n");
    nbc_t_write("inc/d.h", "NB_STRUCT struct d { int x; };\n");
    nbc_t_write("src/c.h", "/* found first: the including file's directory wins */\n");
    const char *dirs[] = {"inc"};
    nbc_parse_opts o = {.include_dirs = dirs, .n_include_dirs = 1, .on_eval = fake_on};
    nbc_model m = {0};
    const char *srcs[] = {"src/a.c"};
    assert_int_equal(nbc_parse(&m, &o, srcs, 1), 0);
    assert_int_equal(m.n_files, 3);
    assert_string_equal(m.files[1]->path, "src/b.h");
    assert_string_equal(m.files[2]->path, "src/c.h");
    assert_int_equal(m.n_structs, 0);
    nbc_model_free(&m);

    /* Without src/c.h the -I directory supplies it. */
    assert_int_equal(remove("src/c.h"), 0);
    memset(&m, 0, sizeof m);
    assert_int_equal(nbc_parse(&m, &o, srcs, 1), 0);
    assert_int_equal(m.n_files, 3);
    assert_string_equal(m.files[2]->path, "inc/c.h");
    assert_int_equal(m.n_structs, 1);
    /* Rewritten because it holds an annotation; b.h because it leads to c.h. */
    assert_true(m.files[2]->rewrite);
    assert_true(m.files[1]->rewrite);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void nb_start_calls(void **state)
{
    (void)state;
    nbc_t_enter();
    const char *src = "/* nb_start(NULL) */ const char *s = \"nb_start(NULL)\";\n"
                      "int (*p)(const nb_options *) = nb_start;\n"
                      "int main(void) { return nb_start (NULL); }\n";
    nbc_t_write("m.c", src);
    nbc_model m;
    const char *srcs[] = {"m.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    assert_int_equal(m.files[0]->n_nb_start, 1);
    assert_int_equal(m.files[0]->nb_start_calls[0], strstr(src, "nb_start (") - src);
    nbc_model_free(&m);
    nbc_t_leave();
}

static void prototypes_are_recorded(void **state)
{
    (void)state;
    nbc_t_enter();
    const char *h = "#include <nebula.h>\n"
                    "user_t *users_find(int64_t id) __attribute__((warn_unused_result));\n"
                    "typedef int (*cb_t)(int);\n"
                    "extern int counter;\n"
                    "static inline int helper(int x) { return x; }\n"
                    "int64_t users_count(void);\n";
    nbc_t_write("u.h", h);
    nbc_t_write("u.c", "#include \"u.h\"\nNB_API() int64_t users_count(void) { return 0; }\n");
    nbc_model m;
    const char *srcs[] = {"u.c"};
    assert_int_equal(parse(&m, srcs, 1), 0);
    const nbc_file *f = file_named(&m, "u.h");
    assert_int_equal(f->n_protos, 2);
    assert_string_equal(f->protos[0].name, "users_find");
    assert_string_equal(f->protos[1].name, "users_count");
    assert_int_equal(f->protos[1].semi_end, strstr(h, "(void);") - h + 7);
    assert_int_equal(f->n_plain_defs, 1);
    assert_true(f->rewrite); /* declares an API */
    nbc_model_free(&m);
    nbc_t_leave();
}

static void syntax_errors(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("e.c", "NB_API(\"&db\") int x = 3;\n"
                       "NB_API(&db) int f(void);\n"
                       "NB_STRUCT typedef struct a { int x; };\n"
                       "NB_MODULE(.timeout = 3);\n"
                       "void g(void) { NB_STRUCT struct q { int z; }; }\n"
                       "NB_API() int (*h(void))(int);\n");
    nbc_model m;
    const char *srcs[] = {"e.c"};
    nbc_t_capture_start();
    parse(&m, srcs, 1);
    char *text = nbc_t_capture_end();
    assert_string_equal(text,
        "e.c:1:1: error: NB_API must be followed by a function definition or prototype\n"
        "e.c:2:1: error: NB_API takes an optional selector string: NB_API(\"&tag\") or NB_API()\n"
        "e.c:3:38: error: NB_STRUCT must precede 'typedef struct tag { fields } name;' or 'struct tag { fields };'\n"
        "e.c:4:12: error: NB_MODULE has no option 'timeout' (it takes .default_timeout, .max_concurrent_calls and .max_time_extensions)\n"
        "e.c:5:16: error: NB_STRUCT must be used at file scope\n"
        "e.c:6:16: error: 'h' returns a function pointer: code addresses mean nothing on another "
        "node; return a value that names the function instead (an enum or an integer)\n");
    free(text);
    nbc_model_free(&m);
    nbc_t_leave();
}

/* -D, -U and -include decide conditionals as they do for cc; a header shared by
 * two sources is read again for the second (its #define counts there too). */
static void command_line_macros(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_t_write("pre.h", "#define FROM_PRE 1\n");
    nbc_t_write("cfg.h", "#define FROM_CFG 2\n");
    nbc_t_write("a.c", "#include \"cfg.h\"\n"
                       "#if FROM_PRE && FROM_D == 3 && !defined(GONE) && FROM_CFG == 2\n"
                       "NB_API() int a_yes(void) { return 1; }\n"
                       "#else\n"
                       "NB_API() int a_no(void) { return 0; }\n"
                       "#endif\n");
    nbc_t_write("b.c", "#include \"cfg.h\"\n"
                       "#if FROM_CFG == 2\nNB_API() int b_yes(void) { return 1; }\n#endif\n");
    const char *flags[] = {"-DFROM_D=3", "-DGONE", "-UGONE"};
    const char *pre[] = {"pre.h"};
    nbc_parse_opts o = {.on_eval = fake_on, .macro_flags = flags, .n_macro_flags = 3,
                        .pre_includes = pre, .n_pre_includes = 1};
    nbc_model m = {0};
    const char *srcs[] = {"a.c", "b.c"};
    assert_int_equal(nbc_parse(&m, &o, srcs, 2), 0);
    assert_int_equal(m.n_apis, 2);
    assert_string_equal(m.apis[0]->name, "a_yes");
    assert_string_equal(m.apis[1]->name, "b_yes");
    nbc_model_free(&m);
    nbc_t_leave();
}

static void missing_source(void **state)
{
    (void)state;
    nbc_t_enter();
    nbc_model m;
    const char *srcs[] = {"nope.c"};
    nbc_t_capture_start();
    assert_int_equal(parse(&m, srcs, 1), 1);
    char *text = nbc_t_capture_end();
    assert_string_equal(text, "nope.c:1:1: error: cannot read 'nope.c': No such file or directory\n");
    free(text);
    nbc_model_free(&m);
    nbc_t_leave();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_definition),
        cmocka_unit_test(annotated_prototype_adopts_definition),
        cmocka_unit_test(nb_struct_fields),
        cmocka_unit_test(nb_module_options),
        cmocka_unit_test(false_branches_are_not_read),
        cmocka_unit_test(bad_selector_keeps_branch_live),
        cmocka_unit_test(includes_are_found_like_the_compiler),
        cmocka_unit_test(nb_start_calls),
        cmocka_unit_test(prototypes_are_recorded),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(command_line_macros),
        cmocka_unit_test(missing_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
