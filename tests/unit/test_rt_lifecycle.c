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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

static const char *const tags[] = {"solo"};
static const nb__node_def nodes[] = {
    {"solo@127.0.0.1", "solo", "127.0.0.1", NULL, 4370, tags, 1, NULL},
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

/* A cookie of the least accepted length (16 bytes). */
#define TEST_COOKIE "lifecycle-test-c"

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
    /* At least 128 bits: 32 hex digits, and only hex digits before the newline. */
    assert_true(st.st_size >= 33);
    FILE *f = fopen(path, "r");
    char text[128] = "";
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    size_t hex = strspn(text, "0123456789abcdef");
    assert_true(hex >= 32);
    assert_true(text[hex] == '\n' || text[hex] == '\0');
    /* Readable by others: refused, saying how to fix it. */
    chmod(path, 0644);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "chmod"));
}

static void test_start_twice_and_stop_twice(void **state)
{
    (void)state;
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
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
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
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
    nb_options o = {.node = "solo@127.0.0.1", .cookie = "from-options-0123456789"};
    assert_int_equal(nb_start(&o), 0);
    assert_string_equal(nb_self_node(), "solo@127.0.0.1");
}

static void test_await(void **state)
{
    (void)state;
    assert_int_equal(nb_await("@solo", 0), -1);
    assert_int_equal(nb_last_code(), NB_E_NOT_STARTED);
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
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
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
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
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
    setenv("NEBULA_LISTEN", "256.1.1.1:1", 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "256.1.1.1:1"));
    assert_string_equal(nb_self_node(), "nonode@nohost");
}

static void test_short_cookie_refused(void **state)
{
    (void)state;
    /* 15 bytes, from each source: refused before anything starts. */
    setenv("NEBULA_COOKIE", "fifteen-bytes-c", 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "at least 16"));
    assert_string_equal(nb_self_node(), "nonode@nohost");
    nb_options o = {.cookie = "short"};
    assert_int_equal(nb_start(&o), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    unsetenv("NEBULA_COOKIE");
    char path[300];
    snprintf(path, sizeof path, "%s/short.cookie", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("tooshort\n", f);
    fclose(f);
    chmod(path, 0600);
    setenv("NEBULA_COOKIE_FILE", path, 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    unlink(path);
    unsetenv("NEBULA_COOKIE_FILE");
    /* 16 bytes: accepted. */
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
    assert_int_equal(nb_start(NULL), 0);
}

/* Tunables from the environment: a bad value stops nb_start and names itself,
 * it is never silently replaced by the default. */
static void test_environment_tunables(void **state)
{
    (void)state;
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
    static const char *const bad_spins[] = {"1001", "-5", "50us"};
    for (size_t i = 0; i < sizeof bad_spins / sizeof *bad_spins; i++) {
        setenv("NEBULA_SPIN_US", bad_spins[i], 1);
        assert_int_equal(nb_start(NULL), -1);
        assert_int_equal(nb_last_code(), NB_E_CONFIG);
        assert_non_null(strstr(nb_last_message(), "NEBULA_SPIN_US"));
        assert_non_null(strstr(nb_last_message(), "from 0 to 1000"));
    }
    setenv("NEBULA_SPIN_US", "", 1); /* set but empty: the default */
    assert_int_equal(nb_start(NULL), 0);
    nb_stop();
    setenv("NEBULA_SPIN_US", "0", 1);
    assert_int_equal(nb_start(NULL), 0);
    nb_stop();
    setenv("NEBULA_SPIN_US", "1000", 1);
    assert_int_equal(nb_start(NULL), 0);
    nb_stop();
    unsetenv("NEBULA_SPIN_US");
    /* Limits start at 1: 0 would be no limit at all, or no frame ever. */
    setenv("NEBULA_MAX_PENDING_CONNS", "0", 1);
    assert_int_equal(nb_start(NULL), -1);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_non_null(strstr(nb_last_message(), "from 1 to 1000000"));
    unsetenv("NEBULA_MAX_PENDING_CONNS");
    assert_int_equal(nb_start(NULL), 0);
}

/* A free TCP port on host, or 0. */
static int free_port(const char *host)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    inet_pton(AF_INET, host, &in.sin_addr);
    socklen_t len = sizeof in;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&in, sizeof in) == 0 &&
        getsockname(fd, (struct sockaddr *)&in, &len) == 0)
        port = ntohs(in.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Whether a TCP connect to host:port succeeds. */
static bool connects(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &in.sin_addr);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&in, sizeof in) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void test_listens_on_own_address_only(void **state)
{
    (void)state;
    /* The node's own address is 127.0.0.2 (loopback, but not 127.0.0.1): a node
     * bound to every interface would also answer on 127.0.0.1. */
    int port = free_port("127.0.0.2");
    assert_true(port > 0);
    char addrs[128];
    snprintf(addrs, sizeof addrs, "solo@127.0.0.1=127.0.0.2:%d", port);
    setenv("NEBULA_ADDRESSES", addrs, 1);
    unsetenv("NEBULA_LISTEN");
    setenv("NEBULA_COOKIE", TEST_COOKIE, 1);
    assert_int_equal(nb_start(NULL), 0);
    assert_true(connects("127.0.0.2", port));
    assert_false(connects("127.0.0.1", port));
    nb_stop();
    /* $NEBULA_LISTEN still says otherwise when asked to. */
    char listen[64];
    snprintf(listen, sizeof listen, "0.0.0.0:%d", port);
    setenv("NEBULA_LISTEN", listen, 1);
    assert_int_equal(nb_start(NULL), 0);
    assert_true(connects("127.0.0.1", port));
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
        cmocka_unit_test_setup_teardown(test_short_cookie_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_tunables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listens_on_own_address_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
