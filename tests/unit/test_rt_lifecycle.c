/*
 * test_rt_lifecycle.c — nb_start / nb_stop / nb_await and the boot policy, on a
 * one-node cluster written by hand the way nebulac would generate it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

static const char *const tags[] = {"solo"};
static const nb__node_def nodes[] = {
    {"solo@127.0.0.1", "solo", "127.0.0.1", NULL, 4370, tags, 1},
};
static const nb__cluster_def cluster = {
    .abi_version = NB__ABI_VERSION,
    .fingerprint = "test-fingerprint",
    .nodes = nodes,
    .n_nodes = 1,
    .self = 0,
    .self_name = "solo@127.0.0.1",
    .port = 4370,
    .heartbeat_interval_ms = 100,
};

static char home[256];

/* Every test starts from a clean environment and a fresh $HOME. */
static int setup(void **state)
{
    (void)state;
    nb__register_cluster(&cluster);
    snprintf(home, sizeof home, "/tmp/nebula-lifecycle-XXXXXX");
    if (!mkdtemp(home))
        return -1;
    setenv("HOME", home, 1);
    setenv("NEBULA_LISTEN", "127.0.0.1:0", 1);
    unsetenv("NEBULA_COOKIE");
    unsetenv("NEBULA_COOKIE_FILE");
    unsetenv("NEBULA_NODE");
    unsetenv("NEBULA_ALLOW_RUNTIME_NODE_MISMATCH");
    /* Where solo would be dialled by a generic node: nothing listens there. */
    setenv("NEBULA_ADDRESSES", "solo@127.0.0.1=127.0.0.1:1", 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nb_stop();
    char path[300];
    snprintf(path, sizeof path, "%s/.nebula.cookie", home);
    unlink(path);
    rmdir(home);
    return 0;
}

static void test_cookie_file_created_0600(void **state)
{
    (void)state;
    assert_int_equal(nb_start(NULL), 0);
    assert_string_equal(nb_self_node(), "solo@127.0.0.1");
    nb_stop();
    char path[300];
    snprintf(path, sizeof path, "%s/.nebula.cookie", home);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(st.st_size >= 20);
    /* Readable by others: refused, saying how to fix it. */
    chmod(path, 0644);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "chmod"));
}

static void test_start_twice_and_stop_twice(void **state)
{
    (void)state;
    setenv("NEBULA_COOKIE", "c", 1);
    assert_int_equal(nb_start(NULL), 0);
    assert_int_equal(nb_start(NULL), -1);
    nb_stop();
    nb_stop();
    assert_string_equal(nb_self_node(), "nonode@nohost");
    assert_int_equal(nb_start(NULL), 0); /* and again after a stop */
}

static void test_node_mismatch(void **state)
{
    (void)state;
    setenv("NEBULA_COOKIE", "c", 1);
    setenv("NEBULA_NODE", "other@127.0.0.1", 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "solo@127.0.0.1"));
    assert_non_null(strstr(nb_last_message(), "other@127.0.0.1"));
    setenv("NEBULA_ALLOW_RUNTIME_NODE_MISMATCH", "1", 1);
    assert_int_equal(nb_start(NULL), 0);
    assert_string_equal(nb_self_node(), "other@127.0.0.1");
    /* A generic node serves nothing, so it never counts as serving itself. */
    assert_int_equal(nb_await("@solo", 50), -1);
    assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
}

static void test_options_win_over_environment(void **state)
{
    (void)state;
    setenv("NEBULA_NODE", "other@127.0.0.1", 1);
    nb_options o = {.node = "solo@127.0.0.1", .cookie = "from-options"};
    assert_int_equal(nb_start(&o), 0);
    assert_string_equal(nb_self_node(), "solo@127.0.0.1");
}

static void test_await(void **state)
{
    (void)state;
    assert_int_equal(nb_await("@solo", 0), -1);
    assert_int_equal(nb_last_code(), NB_E_NOT_STARTED);
    setenv("NEBULA_COOKIE", "c", 1);
    assert_int_equal(nb_start(NULL), 0);
    assert_int_equal(nb_await("@solo", 0), 0); /* this node counts */
    assert_int_equal(nb_await("&solo", 0), 0);
    assert_int_equal(nb_await("&nope", 0), -1);
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
    assert_int_equal(nb_await("&", 0), -1);
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
}

static void test_nodes_info(void **state)
{
    (void)state;
    size_t n = 7;
    assert_null(nb_nodes_info(&n));
    assert_int_equal(n, 0);
    setenv("NEBULA_COOKIE", "c", 1);
    assert_int_equal(nb_start(NULL), 0);
    nb_node_info *info = nb_nodes_info(&n);
    assert_int_equal(n, 1);
    assert_string_equal(info[0].long_name, "solo@127.0.0.1");
    assert_string_equal(info[0].tags[0], "solo");
    assert_true(info[0].connected);
    assert_non_null(info[0].runtime);
    assert_string_equal(info[0].runtime->version, NB_VERSION);
    assert_true(info[0].runtime->memory_total_mb > 0);
    nb_nodes_info_free(info, n);
}

static void test_listen_failure(void **state)
{
    (void)state;
    setenv("NEBULA_COOKIE", "c", 1);
    setenv("NEBULA_LISTEN", "256.1.1.1:1", 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "256.1.1.1:1"));
    assert_string_equal(nb_self_node(), "nonode@nohost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cookie_file_created_0600, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_twice_and_stop_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_win_over_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_await, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodes_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
