/*
 * What nebulac writes for a node: rewritten sources that keep the user's line
 * numbers, bodies present only where the selector matches, the generated
 * router and method table, nebula_node.c, --explain, and the whole-model checks
 * that run before anything is written (missing nb_start, duplicates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emit.h"
#include "explain.h"
#include "nbc_test_util.h"
#include "signature.h"
#include "validate.h"

static const char topology[] = "nodes:\n"
                               "  \"api@api.example\": [api, cache]\n"
                               "  \"db@db.example\": { tags: [db, cache], port: 4371 }\n"
                               "allow_nonode_nohost: true\n";

static const char users_h[] = "#include <nebula.h>\n"
                              "NB_STRUCT typedef struct user { int64_t id; char *name; } user_t;\n"
                              "user_t *users_find(int64_t id);\n"
                              "int64_t users_count(void);\n";

static const char users_c[] = "#include \"users.h\"\n"
                              "\n"
                              "NB_API(\"&db\")\n"
                              "user_t *users_find(int64_t id)\n"
                              "{\n"
                              "    (void)id;\n"
                              "    return (user_t *)\"body-only-on-db\";\n"
                              "}\n"
                              "NB_API(\"&db\") int64_t users_count(void) { return NB_ON(\"@api\"); }\n"
                              "#if NB_ON(\"&db\")\n"
                              "int db_only_symbol;\n"
                              "#endif\n"
                              "int main(void) { return nb_start(0); }\n";

typedef struct run {
    nbc_topology topo;
    nbc_build b;
    nbc_model m;
    nbc_outputs out;
    int errors;
    char *diag;
} run;

/* Runs the pipeline as main() does, for node (NULL: generic), on users.c. */
static void pipeline(run *r, const char *node, const char *const *srcs, size_t n)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(nbc_topology_load("nebula.yaml", &r->topo), 0);
    int self = node ? nbc_topology_find(&r->topo, node) : -1;
    nbc_build_init(&r->b, &r->topo, self, node ? node : "nonode@nohost");
    nbc_parse_opts o = {.on_eval = nbc_build_on_eval, .on_ctx = &r->b};
    nbc_t_capture_start();
    r->errors = nbc_parse(&r->m, &o, srcs, n);
    r->errors += nbc_validate(&r->m, &r->b);
    r->diag = nbc_t_capture_end();
    if (r->errors == 0) {
        char fp[17];
        nbc_fingerprint(&r->topo, fp);
        nbc_emit_node(&r->m, &r->b, "nebula.yaml", fp, &r->out);
        nbc_emit_sources(&r->m, &r->b, &r->out);
    }
}

static void run_free(run *r)
{
    nbc_outputs_free(&r->out);
    nbc_model_free(&r->m);
    nbc_topology_free(&r->topo);
    free(r->diag);
}

static const nbc_output *output(const run *r, const char *path)
{
    for (size_t i = 0; i < r->out.n; i++)
        if (strcmp(r->out.items[i].rel_path, path) == 0)
            return &r->out.items[i];
    fail_msg("no output %s", path);
    return NULL;
}

/* Line n (1-based) of text, copied into buf. */
static const char *line_of(const char *text, int n, char *buf, size_t size)
{
    for (int i = 1; i < n && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    assert_non_null(text);
    size_t len = strcspn(text, "\n");
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), text);
    return buf;
}

/*
 * Reads text as the compiler numbers it, following #line directives, up to the
 * generated tail. Copies the line reported as file:n into buf ("" when none)
 * and returns the highest line number of `file` seen.
 */
static int presumed(const char *text, const char *file, int n, char *buf, size_t size)
{
    char cur[256] = "";
    int next = 1, last = 0;
    buf[0] = '\0';
    const char *tail = strstr(text, "#include <nebula.h>\nstatic const nb__module");
    for (const char *p = text; *p && (tail == NULL || p < tail);) {
        size_t len = strcspn(p, "\n");
        int line;
        char name[256];
        if (sscanf(p, "#line %d \"%255[^\"]\"", &line, name) == 2) {
            next = line;
            snprintf(cur, sizeof cur, "%s", name);
        } else {
            if (strcmp(cur, file) == 0) {
                if (next == n)
                    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
                last = next;
            }
            next++;
        }
        p += len + (p[len] == '\n');
    }
    return last;
}

/* The line reported as file:n, in a static buffer. */
static const char *at(const char *text, const char *file, int n)
{
    static char buf[512];
    presumed(text, file, n, buf, sizeof buf);
    return buf;
}

static void setup_files(void)
{
    nbc_t_enter();
    nbc_t_write("nebula.yaml", topology);
    nbc_t_write("users.h", users_h);
    nbc_t_write("users.c", users_c);
}

static void local_node_keeps_the_body_renamed(void **state)
{
    (void)state;
    setup_files();
    run r;
    const char *srcs[] = {"users.c"};
    pipeline(&r, "db@db.example", srcs, 1);
    assert_string_equal(r.diag, "");
    const char *c = output(&r, "users.c")->data;
    char buf[256];
    assert_string_equal(line_of(c, 1, buf, sizeof buf), "#line 1 \"users.c\"");
    /* Line N of the original is line N for the compiler, every line kept. */
    assert_int_equal(presumed(c, "users.c", 0, buf, sizeof buf), nbc_t_lines(users_c, strlen(users_c)));
    assert_string_equal(at(c, "users.c", 1), "#include \"users.h\"");
    assert_string_equal(at(c, "users.c", 3),
                        "NB__DECLS_BEGIN user_t *users_find(int64_t id); "
                        "user_t *users_find__with(const nb_call *call, int64_t id); "
                        "nb_future *users_find__async(int64_t id); "
                        "nb_future *users_find__async_with(const nb_call *call, int64_t id); "
                        "user_t *users_find__await(nb_future *fut); NB__DECLS_END "
                        "static __attribute__((used))");
    assert_string_equal(at(c, "users.c", 4), "user_t *nb__body_users_find(int64_t id)");
    assert_string_equal(at(c, "users.c", 9),
                        "NB__DECLS_BEGIN int64_t users_count(void); int64_t users_count__with(const nb_call "
                        "*call); nb_future *users_count__async(void); nb_future *users_count__async_with(const "
                        "nb_call *call); int64_t users_count__await(nb_future *fut); NB__DECLS_END static "
                        "__attribute__((used)) int64_t nb__body_users_count(void) "
                        "{ return 0; }");
    assert_string_equal(at(c, "users.c", 10), "#if 1");
    /* nebula.h comes before the first annotation, not before the user's first line. */
    assert_non_null(strstr(c, "\n\n#include <nebula.h>\n#line 3 \"users.c\"\nNB__DECLS_BEGIN user_t *users_find"));
    assert_non_null(strstr(c, "body-only-on-db"));
    assert_non_null(strstr(c, ".local = nb__local_users_find,"));
    /* Generated code: a #line to the output itself, not to the user's lines. */
    assert_non_null(strstr(c, "#line "));
    assert_null(strstr(c, "#line 3 \"users.c\"\nstruct nb__args_users_find"));
    assert_non_null(strstr(c, "struct nb__args_users_find {\n    int64_t id;\n};\n"));
    assert_non_null(strstr(c, "static const nb__module nb__this_module = {\"users.c\", 0, 0, 0};\n"));
    assert_non_null(strstr(c, "user_t *users_find__with(const nb_call *nb__call, int64_t nb__p0)\n{\n"));
    assert_non_null(strstr(c, "    if (NB__LIKELY(nb__tls.route == NULL)) {\n"
                              "        user_t *nb__ret = nb__body_users_find(nb__p0);\n"));
    run_free(&r);
    nbc_t_leave();
}

static void remote_node_has_no_trace_of_the_body(void **state)
{
    (void)state;
    setup_files();
    run r;
    const char *srcs[] = {"users.c"};
    pipeline(&r, "api@api.example", srcs, 1);
    assert_string_equal(r.diag, "");
    const char *c = output(&r, "users.c")->data;
    char buf[256];
    assert_null(strstr(c, "body-only-on-db"));
    assert_null(strstr(c, "nb__body_"));
    assert_null(strstr(c, "db_only_symbol"));
    assert_int_equal(presumed(c, "users.c", 0, buf, sizeof buf), nbc_t_lines(users_c, strlen(users_c)));
    assert_string_equal(at(c, "users.c", 3),
                        "NB__DECLS_BEGIN user_t *users_find(int64_t id); "
                        "user_t *users_find__with(const nb_call *call, int64_t id); "
                        "nb_future *users_find__async(int64_t id); "
                        "nb_future *users_find__async_with(const nb_call *call, int64_t id); "
                        "user_t *users_find__await(nb_future *fut); NB__DECLS_END");
    for (int line = 4; line <= 8; line++)
        assert_string_equal(at(c, "users.c", line), "");
    assert_string_equal(at(c, "users.c", 9),
                        "NB__DECLS_BEGIN int64_t users_count(void); int64_t users_count__with(const nb_call "
                        "*call); nb_future *users_count__async(void); nb_future *users_count__async_with(const "
                        "nb_call *call); int64_t users_count__await(nb_future *fut); NB__DECLS_END");
    assert_string_equal(at(c, "users.c", 10), "#if 0");
    assert_string_equal(at(c, "users.c", 11), "");
    assert_string_equal(at(c, "users.c", 13), "int main(void) { return nb_start(0); }");
    assert_non_null(strstr(c, ".local = NULL,"));
    assert_non_null(strstr(c, "user_t *users_find(int64_t nb__p0)\n{\n    return users_find__with(NULL, nb__p0);\n}\n"));
    run_free(&r);
    nbc_t_leave();
}

static void header_declares_generated_functions_on_the_same_line(void **state)
{
    (void)state;
    setup_files();
    run r;
    const char *srcs[] = {"users.c"};
    pipeline(&r, "api@api.example", srcs, 1);
    const nbc_output *h = output(&r, "users.h");
    char buf[512];
    assert_string_equal(line_of(h->data, 1, buf, sizeof buf), "#include <nebula.h>");
    assert_string_equal(line_of(h->data, 2, buf, sizeof buf), "#line 1 \"users.h\"");
    assert_string_equal(line_of(h->data, 2 + 2, buf, sizeof buf),
                        "NB_STRUCT typedef struct user { int64_t id; char *name; } user_t; extern const nb__type "
                        "nb__type_user_t; void nb_free_user_t(user_t *p); void nb_clear_user_t(user_t *p);");
    assert_string_equal(line_of(h->data, 3 + 2, buf, sizeof buf),
                        "user_t *users_find(int64_t id); NB__DECLS_BEGIN user_t *users_find__with(const "
                        "nb_call *call, int64_t id); nb_future *users_find__async(int64_t id); nb_future "
                        "*users_find__async_with(const nb_call *call, int64_t id); user_t "
                        "*users_find__await(nb_future *fut); NB__DECLS_END");
    assert_int_equal(nbc_t_lines(h->data, h->len), 2 + nbc_t_lines(users_h, strlen(users_h)));
    run_free(&r);
    nbc_t_leave();
}

static void node_file(void **state)
{
    (void)state;
    setup_files();
    run r;
    const char *srcs[] = {"users.c"};
    pipeline(&r, "db@db.example", srcs, 1);
    assert_string_equal(r.out.items[0].rel_path, "nebula_node.c");
    const char *n = r.out.items[0].data;
    char guard[64];
    snprintf(guard, sizeof guard, "#if NB__ABI_VERSION != %d\n#error", NB__ABI_VERSION);
    assert_non_null(strstr(n, guard));
    assert_non_null(strstr(n, "#include \"users.h\"\n"));
    assert_non_null(strstr(n, "const nb__type nb__type_user_t = {\"user_t\", sizeof(user_t), 2, nb__fields_user_t};\n"));
    assert_non_null(strstr(n, "static const char *const nb__tags_1[] = {\"db\", \"cache\"};\n"));
    assert_non_null(strstr(n, "    {\"db@db.example\", \"db\", \"db.example\", NULL, 4371, nb__tags_1, 2, NULL},\n"));
    assert_non_null(strstr(n, "static const nb__method *const nb__methods[] = {\n"
                              "    &nb__method_users_count,\n    &nb__method_users_find,\n};\n"));
    assert_non_null(strstr(n, "nb__nodes, 2, 1, \"db@db.example\",\n    4370, 5000, 5000, 64, 500,\n    nb__methods, 2,\n    0 /* transport psk */, NULL, NULL, NULL,\n    10 /* max_time_extensions */\n};"));
    assert_non_null(strstr(n, "__attribute__((constructor))"));
    run_free(&r);
    nbc_t_leave();
}

/* transport: mtls reaches nb__cluster_def with absolute, escaped paths, and the
 * transport changes the fingerprint. */
static void node_file_mtls(void **state)
{
    (void)state;
    setup_files();
    run r;
    const char *srcs[] = {"users.c"};
    pipeline(&r, "db@db.example", srcs, 1);
    char psk_fp[17];
    nbc_fingerprint(&r.topo, psk_fp);
    run_free(&r);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "%stransport: mtls\ntls: { ca: certs/ca.pem, cert: \"/etc/nb/{node}.pem\", "
             "key: 'k\"ey.pem' }\n",
             topology);
    nbc_t_write("nebula.yaml", yaml);
    pipeline(&r, "db@db.example", srcs, 1);
    assert_string_equal(r.diag, "");
    char mtls_fp[17];
    nbc_fingerprint(&r.topo, mtls_fp);
    assert_string_not_equal(psk_fp, mtls_fp);
    char *cwd = realpath(".", NULL);
    char want[2048];
    snprintf(want, sizeof want,
             "    1 /* transport mtls */, \"%s/certs/ca.pem\", \"/etc/nb/{node}.pem\", "
             "\"%s/k\\\"ey.pem\",\n    10 /* max_time_extensions */\n};",
             cwd, cwd);
    const char *n = output(&r, "nebula_node.c")->data;
    if (strstr(n, want) == NULL)
        fail_msg("want\n%s\nin\n%s", want, n);
    free(cwd);
    run_free(&r);
    nbc_t_leave();
}

static void output_is_deterministic(void **state)
{
    (void)state;
    setup_files();
    run a, b;
    const char *srcs[] = {"users.c"};
    pipeline(&a, "db@db.example", srcs, 1);
    pipeline(&b, "db@db.example", srcs, 1);
    assert_int_equal(a.out.n, b.out.n);
    for (size_t i = 0; i < a.out.n; i++) {
        assert_string_equal(a.out.items[i].rel_path, b.out.items[i].rel_path);
        assert_int_equal(a.out.items[i].len, b.out.items[i].len);
        assert_memory_equal(a.out.items[i].data, b.out.items[i].data, a.out.items[i].len);
    }
    run_free(&a);
    run_free(&b);
    nbc_t_leave();
}

static void explain_table(void **state)
{
    (void)state;
    setup_files();
    nbc_t_write("more.c", "NB_API() void ping(void) {}\nNB_API(\"&cache !@db\") void warm(void) {}\n");
    run r;
    const char *srcs[] = {"users.c", "more.c"};
    pipeline(&r, "api@api.example", srcs, 2);
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    nbc_explain(f, &r.m, &r.b);
    fclose(f);
    assert_string_equal(text,
                        "API          selector      api@api.example  db@db.example\n"
                        "ping         (every node)  local            local\n"
                        "users_count  &db           remote           local\n"
                        "users_find   &db           remote           local\n"
                        "warm         &cache !@db   local            remote\n");
    free(text);
    run_free(&r);
    nbc_t_leave();
}

static void missing_nb_start_stops_a_serving_node(void **state)
{
    (void)state;
    setup_files();
    nbc_t_write("lib.c", "#include \"users.h\"\n"
                         "NB_API(\"@db\")\nint64_t one(void) { return 1; }\n"
                         "NB_API(\"@api\")\nvoid boot(void) { nb_start(0); } /* not on db */\n");
    run r;
    const char *srcs[] = {"lib.c"};
    pipeline(&r, "db@db.example", srcs, 1);
    assert_int_equal(r.errors, 1);
    assert_string_equal(r.diag,
                        "lib.c:2:1: error: Found 1 API(s) served on db@db.example, but no nb_start() has been found "
                        "in its sources \xe2\x80\x94 their RPC workers will never start.\n"
                        "Node: db@db.example\n"
                        "^------ hint: call nb_start() (the nebula server) from this node's main()\n"
                        "APIs served on this node:\n"
                        "- one (lib.c:3)\n");
    run_free(&r);

    /* The api node serves boot(), whose body calls nb_start: fine. A generic
     * build serves nothing: fine without any nb_start. */
    pipeline(&r, "api@api.example", srcs, 1);
    assert_string_equal(r.diag, "");
    run_free(&r);
    pipeline(&r, NULL, srcs, 1);
    assert_string_equal(r.diag, "");
    assert_null(strstr(output(&r, "lib.c")->data, "nb__body_"));
    run_free(&r);
    nbc_t_leave();
}

static void duplicate_api_points_at_both(void **state)
{
    (void)state;
    setup_files();
    nbc_t_write("dup.c", "\nNB_API(\"&db\") int64_t users_count(void) { return 2; }\n");
    run r;
    const char *srcs[] = {"users.c", "dup.c"};
    pipeline(&r, "db@db.example", srcs, 2);
    assert_string_equal(r.diag, "dup.c:2:23: error: API 'users_count' is defined twice\n"
                                "users.c:9:23: note: 'users_count' is first defined here\n");
    run_free(&r);
    nbc_t_leave();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_node_keeps_the_body_renamed),
        cmocka_unit_test(remote_node_has_no_trace_of_the_body),
        cmocka_unit_test(header_declares_generated_functions_on_the_same_line),
        cmocka_unit_test(node_file),
        cmocka_unit_test(node_file_mtls),
        cmocka_unit_test(output_is_deterministic),
        cmocka_unit_test(explain_table),
        cmocka_unit_test(missing_nb_start_stops_a_serving_node),
        cmocka_unit_test(duplicate_api_points_at_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
