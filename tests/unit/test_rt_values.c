/*
 * Owned values and routing blocks as users meet them (docs/design.md §5 and 7):
 * nb_results_free releases every item deep and zeroes the results, the deep
 * free of a returned struct releases what it points to, and the NB_ON_* blocks
 * set the routing context the API calls inside obey, nest, and restore it.
 * Leaks are caught by the ASan build (LeakSanitizer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"

#include "codec.h"
#include "values.h"

/* NB_STRUCT typedef struct tag { char *name; nb_bytes blob; } tag_t;
 * NB_STRUCT typedef struct user { int64_t id; char *name; tag_t tags[2];
 *                                 struct user *boss; } user_t;
 * as nebulac describes them. */
typedef struct tag {
    char *name;
    nb_bytes blob;
} tag_t;

typedef struct user {
    int64_t id;
    char *name;
    tag_t tags[2];
    struct user *boss;
} user_t;

static const nb__field tag_fields[] = {
    {"name", offsetof(tag_t, name), {NB__K_STR, sizeof(char *), 0, NULL, NULL}},
    {"blob", offsetof(tag_t, blob), {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL}},
};
static const nb__type tag_type = {"tag_t", sizeof(tag_t), 2, tag_fields};
static const nb__type user_type;
static const nb__tref tags_elem = {NB__K_STRUCT, sizeof(tag_t), 0, NULL, &tag_type};
static const nb__field user_fields[] = {
    {"id", offsetof(user_t, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
    {"name", offsetof(user_t, name), {NB__K_STR, sizeof(char *), 0, NULL, NULL}},
    {"tags", offsetof(user_t, tags), {NB__K_ARRAY, sizeof(tag_t[2]), 2, &tags_elem, NULL}},
    {"boss", offsetof(user_t, boss), {NB__K_STRUCT_PTR, sizeof(user_t *), 0, NULL, &user_type}},
};
static const nb__type user_type = {"user_t", sizeof(user_t), 4, user_fields};

static const nb__method find_method = {
    "users_find",
    "user_t *users_find(int64_t id)",
    1,
    "&db",
    NULL,
    NULL,
    {NB__K_STRUCT_PTR, sizeof(user_t *), 0, NULL, &user_type},
    NULL,
    NULL,
    0,
};
static const nb__method ping_method = {
    "ping", "void ping(void)", 2, "", NULL, NULL, {NB__K_VOID, 0, 0, NULL, NULL}, NULL, NULL, 0,
};

/* Returns a heap user owning everything it points to (nb__struct_free). */
static user_t *make_user(int64_t id, int depth)
{
    user_t *u = calloc(1, sizeof *u);
    assert_non_null(u);
    u->id = id;
    u->name = strdup("ada");
    u->tags[0].name = strdup("admin");
    u->tags[0].blob.data = malloc(100);
    u->tags[0].blob.len = 100;
    u->tags[1].name = NULL;
    if (depth > 0)
        u->boss = make_user(id + 1, depth - 1);
    return u;
}

static void test_value_clear_zeroes_what_it_frees(void **state)
{
    (void)state;
    user_t u = {0};
    u.name = strdup("grace");
    u.tags[1].name = strdup("ops");
    u.tags[1].blob.data = malloc(8);
    u.tags[1].blob.len = 8;
    u.boss = make_user(7, 3);
    u.id = 42;
    nb__tref t = nb__tref_of_struct(&user_type);
    nb__value_clear(&t, &u);
    assert_null(u.name);
    assert_null(u.tags[1].name);
    assert_null(u.tags[1].blob.data);
    assert_int_equal(u.tags[1].blob.len, 0);
    assert_null(u.boss);
    assert_int_equal(u.id, 42); /* scalars are not owned memory: left as they are */
    nb__value_clear(&t, &u);    /* clearing twice is harmless */

    nb__struct_free(&user_type, NULL);
    nb__struct_free(&user_type, make_user(1, 5));
}

static void test_results_free_releases_items(void **state)
{
    (void)state;
    nb_results res;
    assert_int_equal(nb__results_init(&res, &find_method, 3), 0);
    assert_int_equal(res.count, 3);
    assert_int_equal(res.code, NB_OK);
    for (size_t k = 0; k < 3; k++) {
        assert_non_null(res.items[k].value);
        assert_null(*(user_t **)res.items[k].value);
        res.items[k].node = "db@db.example";
    }
    *(user_t **)res.items[0].value = make_user(1, 2);
    *(user_t **)res.items[2].value = make_user(3, 0);
    /* The caller takes item 2's user out, as nebula.h documents. */
    user_t *taken = *(user_t **)res.items[2].value;
    *(user_t **)res.items[2].value = NULL;
    /* Item 1 failed: its value is released early. */
    res.items[1].code = NB_E_TIMEOUT;
    nb__results_drop_value(&res, 1);
    assert_null(res.items[1].value);
    nb__results_drop_value(&res, 1);

    nb_results_free(&res);
    assert_int_equal(res.count, 0);
    assert_null(res.items);
    assert_null(res.nb__method);
    nb_results_free(&res); /* zeroed: freeing again is harmless */
    nb_results_free(NULL);
    assert_int_equal(taken->id, 3);
    nb__struct_free(&user_type, taken);
}

static void test_results_of_void_method(void **state)
{
    (void)state;
    nb_results res;
    assert_int_equal(nb__results_init(&res, &ping_method, 4), 0);
    for (size_t k = 0; k < 4; k++)
        assert_null(res.items[k].value);
    nb_results_free(&res);
    assert_int_equal(nb__results_init(&res, &find_method, 0), 0);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);
    assert_null(res.items);
}

/* ---- Routing blocks ----------------------------------------------------- */

static int pick_first(const nb_node_info *nodes, size_t n, void *arg)
{
    (void)nodes;
    (void)arg;
    return n > 0 ? 0 : -1;
}

static bool keep_all(const nb_node_info *node, void *arg)
{
    (void)node;
    (void)arg;
    return true;
}

static void test_on_node_sets_unicast_route(void **state)
{
    (void)state;
    assert_null(nb__block_route());
    int ran = 0;
    NB_ON_NODE("@worker")
    {
        const nb_call *r = nb__tls.route;
        assert_non_null(r);
        assert_string_equal(r->node, "@worker");
        assert_null(r->nodes);
        assert_null(r->pick);
        assert_null(r->results);
        assert_false(r->all);
        assert_int_equal(r->timeout_ms, 0);
        ran++;
    }
    assert_int_equal(ran, 1);
    assert_null(nb__block_route());

    NB_ON_NODE("@:\"db@db.example\"", .timeout_ms = 250)
    {
        assert_string_equal(nb__tls.route->node, "@:\"db@db.example\"");
        assert_int_equal(nb__tls.route->timeout_ms, 250);
        ran++;
    }
    assert_int_equal(ran, 2);
    assert_null(nb__block_route());
}

static void test_on_node_fn_sets_pick_and_arg(void **state)
{
    (void)state;
    int arg = 5, ran = 0;
    NB_ON_NODE_FN(pick_first, &arg)
    {
        assert_ptr_equal(nb__tls.route->pick, pick_first);
        assert_ptr_equal(nb__tls.route->arg, &arg);
        assert_null(nb__tls.route->node);
        ran++;
    }
    NB_ON_NODE_FN(pick_first, NULL, .timeout_ms = 9)
    {
        assert_null(nb__tls.route->arg);
        assert_int_equal(nb__tls.route->timeout_ms, 9);
        ran++;
    }
    assert_int_equal(ran, 2);
    assert_null(nb__block_route());
}

static void test_on_nodes_sets_multicast_and_zeroes_results(void **state)
{
    (void)state;
    nb_results res;
    memset(&res, 0xAB, sizeof res); /* users declare it uninitialised */
    int ran = 0;
    NB_ON_NODES("&cache !@db", &res, .strategy = NB_QUORUM, .at_least = 2, .timeout_ms = 5000)
    {
        const nb_call *r = nb__tls.route;
        assert_string_equal(r->nodes, "&cache !@db");
        assert_ptr_equal(r->results, &res);
        assert_int_equal(r->strategy, NB_QUORUM);
        assert_int_equal(r->at_least, 2);
        assert_int_equal(r->timeout_ms, 5000);
        assert_null(r->node);
        assert_false(r->all);
        assert_int_equal(res.count, 0);
        assert_null(res.items);
        assert_null(res.nb__method);
        ran++;
    }
    assert_int_equal(ran, 1);
    assert_null(nb__block_route());
    nb_results_free(&res); /* a block whose calls never ran leaves nothing to free */
}

static void test_on_nodes_fn_puts_results_after_arg(void **state)
{
    (void)state;
    nb_results res;
    memset(&res, 0xCD, sizeof res);
    int arg = 1, ran = 0;
    NB_ON_NODES_FN(keep_all, &arg, &res, .strategy = NB_FIRST)
    {
        const nb_call *r = nb__tls.route;
        assert_ptr_equal(r->filter, keep_all);
        assert_ptr_equal(r->arg, &arg);
        assert_ptr_equal(r->results, &res);
        assert_int_equal(r->strategy, NB_FIRST);
        assert_int_equal(res.count, 0);
        ran++;
    }
    NB_ON_NODES_FN(keep_all, NULL, &res)
    {
        assert_null(nb__tls.route->arg);
        assert_ptr_equal(nb__tls.route->results, &res);
        ran++;
    }
    assert_int_equal(ran, 2);
    assert_null(nb__block_route());
}

static void test_on_all_nodes_sets_broadcast(void **state)
{
    (void)state;
    nb_results res;
    memset(&res, 0x11, sizeof res);
    int ran = 0;
    NB_ON_ALL_NODES(&res, .timeout_ms = 5000)
    {
        assert_true(nb__tls.route->all);
        assert_ptr_equal(nb__tls.route->results, &res);
        assert_int_equal(nb__tls.route->timeout_ms, 5000);
        assert_null(res.items);
        ran++;
    }
    NB_ON_ALL_NODES(&res)
    {
        assert_true(nb__tls.route->all);
        ran++;
    }
    assert_int_equal(ran, 2);
    assert_null(nb__block_route());
}

static void test_blocks_nest_and_restore(void **state)
{
    (void)state;
    nb_results res;
    int inner_ran = 0;
    NB_ON_NODES("&cache", &res)
    {
        const nb_call *outer = nb__tls.route;
        NB_ON_NODE("@worker")
        {
            assert_string_equal(nb__tls.route->node, "@worker");
            NB_ON_ALL_NODES(NULL)
            {
                assert_true(nb__tls.route->all);
                assert_null(nb__tls.route->results);
                inner_ran++;
            }
            assert_string_equal(nb__tls.route->node, "@worker");
            inner_ran++;
        }
        assert_ptr_equal(nb__tls.route, outer);
        assert_string_equal(nb__tls.route->nodes, "&cache");
    }
    assert_int_equal(inner_ran, 2);
    assert_null(nb__block_route());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_clear_zeroes_what_it_frees),
        cmocka_unit_test(test_results_free_releases_items),
        cmocka_unit_test(test_results_of_void_method),
        cmocka_unit_test(test_on_node_sets_unicast_route),
        cmocka_unit_test(test_on_node_fn_sets_pick_and_arg),
        cmocka_unit_test(test_on_nodes_sets_multicast_and_zeroes_results),
        cmocka_unit_test(test_on_nodes_fn_puts_results_after_arg),
        cmocka_unit_test(test_on_all_nodes_sets_broadcast),
        cmocka_unit_test(test_blocks_nest_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
