/*
 * test_cluster.c — the cluster tests' driver. It is itself a node (built as
 * api@127.0.0.1, which serves the &store APIs locally) and starts db1/db2 (and
 * probes) as real processes on loopback, with free ports passed in
 * $NEBULA_ADDRESSES and a fresh cookie in $NEBULA_COOKIE.
 *
 *   test_cluster values     every type, local body vs remote body, node info, pick
 *   test_cluster failures   timeouts, no worker, overload, node down, failover
 *   test_cluster multicast  NB_ON_NODES / NB_ON_ALL_NODES with every strategy
 *   test_cluster security   wrong cookie, wrong topology, garbage bytes, generic node,
 *                           and the identity rules against a hostile peer (rogue.c)
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

#include "api.h"
#include "harness.h"

enum { API, DB1, DB2, COLD, N_NODES };
static const char *const names[N_NODES] = {"api@127.0.0.1", "db1@127.0.0.1", "db2@127.0.0.1",
                                           "cold@127.0.0.1"};
static int ports[N_NODES];
static pid_t pids[N_NODES];
static char cookie[64];

#define STOP_TIMEOUT_MS 20000

/* --- Cluster setup -------------------------------------------------------- */

static void choose_addresses(void)
{
    h_cluster_env(names, N_NODES, ports, "cluster");
    snprintf(cookie, sizeof cookie, "%s", getenv("NEBULA_COOKIE"));
}

/* Starts db node i (DB1 or DB2) and waits until this node sees it. */
static void start_db(int i)
{
    const char *exe = i == DB1 ? DB1_EXE : DB2_EXE;
    char *argv[] = {(char *)exe, NULL};
    pids[i] = h_start_node(exe, argv, names[i], i == DB1 ? "db1" : "db2", 20000);
    assert_true(pids[i] > 0);
}

/* Stops db node i cleanly and checks it exited 0 (no leak report, no crash). */
static int stop_db(int i)
{
    return h_stop_node(&pids[i], names[i], STOP_TIMEOUT_MS);
}

static int cluster_up(void **state, bool two_dbs)
{
    (void)state;
    choose_addresses();
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return -1;
    }
    start_db(DB1);
    if (two_dbs)
        start_db(DB2);
    return 0;
}

static int cluster_down(void **state)
{
    (void)state;
    int rc = stop_db(DB1) | stop_db(DB2);
    nb_stop();
    return rc;
}

/* The selector naming exactly node i. */
static nb_call on(int i)
{
    static char sel[N_NODES][64];
    snprintf(sel[i], sizeof sel[i], "@:\"%s\"", names[i]);
    return (nb_call){.node = sel[i]};
}

/* --- Values: local body and remote body agree ------------------------------ */

static void assert_ok(void)
{
    if (nb_last_code() != NB_OK)
        fail_msg("%s: %s", nb_code_name(nb_last_code()), nb_last_message());
}

static void test_scalar_args(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    const int64_t i64s[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
    for (size_t k = 0; k < sizeof i64s / sizeof *i64s; k++) {
        assert_int_equal(echo_i64(i64s[k]), i64s[k]);
        assert_int_equal(echo_i64__with(&r, i64s[k]), i64s[k]);
        assert_ok();
    }
    assert_true(echo_u64__with(&r, UINT64_MAX) == UINT64_MAX);
    assert_true(echo_size__with(&r, SIZE_MAX) == SIZE_MAX);
    assert_int_equal(echo_i8__with(&r, INT8_MIN), INT8_MIN);
    assert_int_equal(echo_i8__with(&r, INT8_MAX), INT8_MAX);
    assert_int_equal(echo_u16__with(&r, UINT16_MAX), UINT16_MAX);
    assert_true(echo_bool__with(&r, true));
    assert_false(echo_bool__with(&r, false));
    assert_ok();
    const double ds[] = {0.0, -0.0, 1e308, -1e-308, INFINITY, -INFINITY, 3.141592653589793};
    for (size_t k = 0; k < sizeof ds / sizeof *ds; k++) {
        double local = echo_double(ds[k]), remote = echo_double__with(&r, ds[k]);
        assert_memory_equal(&local, &remote, sizeof local);
        assert_memory_equal(&remote, &ds[k], sizeof remote);
    }
    double nan_remote = echo_double__with(&r, NAN);
    assert_true(isnan(nan_remote));
    float f = echo_float__with(&r, 1.5e-38f);
    assert_true(f == 1.5e-38f);
    assert_true(echo_float__with(&r, FLT_MAX) == FLT_MAX);
}

static void test_strings(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    assert_null(echo_str__with(&r, NULL));
    assert_ok();
    assert_null(echo_str(NULL));
    char *e = echo_str__with(&r, "");
    assert_non_null(e);
    assert_string_equal(e, "");
    free(e);
    const char *utf8 = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac";
    char *l = echo_str(utf8), *x = echo_str__with(&r, utf8);
    assert_string_equal(l, x);
    assert_string_equal(x, utf8);
    free(l);
    free(x);
}

static void test_bytes_16mib(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    /* What is checked is the value: 32 MiB through TLS, encoded and decoded
     * on both sides, takes seconds under a sanitizer on a loaded machine. */
    r.timeout_ms = 60000;
    size_t len = (size_t)16 << 20;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    nb_bytes in = {data, len};
    nb_bytes remote = echo_bytes__with(&r, in);
    assert_ok();
    assert_int_equal(remote.len, len);
    assert_memory_equal(remote.data, data, len);
    nb_bytes local = echo_bytes(in);
    assert_int_equal(local.len, remote.len);
    assert_memory_equal(local.data, remote.data, len);
    free(remote.data);
    free(local.data);
    free(data);
    nb_bytes empty = echo_bytes__with(&r, (nb_bytes){NULL, 0});
    assert_ok();
    assert_int_equal(empty.len, 0);
    free(empty.data);
}

static scalars_t limits(void)
{
    return (scalars_t){.b = true, .i8 = INT8_MIN, .i16 = INT16_MIN, .i32 = INT32_MIN,
                       .i64 = INT64_MIN, .u8 = UINT8_MAX, .u16 = UINT16_MAX, .u32 = UINT32_MAX,
                       .u64 = UINT64_MAX, .i = INT_MIN, .u = UINT_MAX, .l = LONG_MIN,
                       .ul = ULONG_MAX, .ll = LLONG_MAX, .ull = ULLONG_MAX, .sz = SIZE_MAX,
                       .f = -3.5f, .d = 1e-300};
}

static void assert_scalars_equal(const scalars_t *a, const scalars_t *b)
{
    assert_int_equal(a->b, b->b);
    assert_int_equal(a->i8, b->i8);
    assert_int_equal(a->i16, b->i16);
    assert_int_equal(a->i32, b->i32);
    assert_true(a->i64 == b->i64 && a->u64 == b->u64 && a->ull == b->ull && a->sz == b->sz);
    assert_int_equal(a->u8, b->u8);
    assert_int_equal(a->u16, b->u16);
    assert_int_equal(a->u32, b->u32);
    assert_true(a->i == b->i && a->u == b->u && a->l == b->l && a->ul == b->ul && a->ll == b->ll);
    assert_memory_equal(&a->f, &b->f, sizeof a->f);
    assert_memory_equal(&a->d, &b->d, sizeof a->d);
}

static void test_struct_by_value(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    scalars_t in = limits();
    scalars_t local = echo_scalars(in), remote = echo_scalars__with(&r, in);
    assert_ok();
    assert_scalars_equal(&local, &in);
    assert_scalars_equal(&remote, &in);
    scalars_t zero = {0};
    scalars_t z = echo_scalars__with(&r, zero);
    assert_scalars_equal(&z, &zero);
}

static void assert_shapes_equal(const shape_t *a, const shape_t *b)
{
    if (!a || !b) {
        assert_ptr_equal(a, b);
        return;
    }
    if (a->name || b->name)
        assert_string_equal(a->name, b->name);
    assert_memory_equal(&a->origin, &b->origin, sizeof a->origin);
    assert_memory_equal(a->corners, b->corners, sizeof a->corners);
    assert_memory_equal(a->weights, b->weights, sizeof a->weights);
    assert_int_equal(a->blob.len, b->blob.len);
    if (a->blob.len)
        assert_memory_equal(a->blob.data, b->blob.data, a->blob.len);
    if (a->anchor || b->anchor) {
        assert_non_null(a->anchor);
        assert_non_null(b->anchor);
        assert_memory_equal(a->anchor, b->anchor, sizeof *a->anchor);
    }
}

static shape_t sample_shape(const char *name, point_t *anchor)
{
    shape_t s = {.name = (char *)name, .origin = {-7, INT32_MAX}, .weights = {0.5, -2.25, 1e10},
                 .blob = {(void *)"\0\1\2\3", 4}, .anchor = anchor};
    for (int i = 0; i < 4; i++)
        s.corners[i] = (point_t){i, -i};
    return s;
}

static void test_struct_pointers(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    assert_null(echo_shape__with(&r, NULL));
    assert_ok();
    point_t anchor = {3, 4};
    shape_t in = sample_shape("square", &anchor);
    shape_t *local = echo_shape(&in), *remote = echo_shape__with(&r, &in);
    assert_ok();
    assert_shapes_equal(remote, &in);
    assert_shapes_equal(local, remote);
    nb_free_shape_t(local);
    nb_free_shape_t(remote);
    shape_t bare = sample_shape(NULL, NULL);
    bare.blob = (nb_bytes){NULL, 0};
    remote = echo_shape__with(&r, &bare);
    assert_non_null(remote);
    assert_null(remote->name);
    assert_null(remote->anchor);
    assert_shapes_equal(remote, &bare);
    nb_free_shape_t(remote);
}

static void test_nested_structs(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    point_t anchor = {1, 2};
    shape_t right = sample_shape("right", NULL);
    tree_t in = {.label = "root", .left = sample_shape("left", &anchor), .right = &right,
                 .tags = {"a", NULL}, .limits = limits()};
    tree_t *local = echo_tree(&in), *remote = echo_tree__with(&r, &in);
    assert_ok();
    assert_non_null(remote);
    assert_string_equal(remote->label, "root");
    assert_shapes_equal(&remote->left, &in.left);
    assert_shapes_equal(remote->right, &right);
    assert_string_equal(remote->tags[0], "a");
    assert_null(remote->tags[1]);
    assert_scalars_equal(&remote->limits, &in.limits);
    assert_string_equal(local->label, remote->label);
    assert_shapes_equal(&local->left, &remote->left);
    nb_free_tree_t(local);
    nb_free_tree_t(remote);
    in.right = NULL;
    remote = echo_tree__with(&r, &in);
    assert_non_null(remote);
    assert_null(remote->right);
    nb_free_tree_t(remote);
}

static void test_mixed_args_and_void(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    point_t p = {1, 1};
    char *local = mixed(-5, "x", 2.5, true, &p, (nb_bytes){"abc", 3});
    char *remote = mixed__with(&r, -5, "x", 2.5, true, &p, (nb_bytes){"abc", 3});
    assert_ok();
    assert_string_equal(local, remote);
    free(local);
    free(remote);
    remote = mixed__with(&r, 0, NULL, 0, false, NULL, (nb_bytes){NULL, 0});
    assert_string_equal(remote, "0|(null)|0.000|0|(null)|0");
    free(remote);
    touch(42);
    assert_ok();
}

static void test_routing_defaults(void **state)
{
    (void)state;
    char *w = where(); /* &store: served here, so local */
    assert_string_equal(w, names[API]);
    free(w);
    nb_call r = on(DB1);
    w = where__with(&r);
    assert_string_equal(w, names[DB1]);
    free(w);
    NB_ON_NODE("@db1")
    {
        w = where();
        assert_string_equal(w, names[DB1]);
        free(w);
    }
    w = whoami(); /* &db only: remote */
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
}

static void test_node_info(void **state)
{
    (void)state;
    size_t n = 0;
    nb_node_info *info = NULL;
    long long until = h_now_ms() + 10000;
    bool seen_runtime = false;
    while (!seen_runtime && h_now_ms() < until) {
        nb_nodes_info_free(info, n);
        info = nb_nodes_info(&n);
        assert_int_equal(n, N_NODES);
        seen_runtime = info[DB1].runtime != NULL;
    }
    assert_true(seen_runtime);
    assert_string_equal(info[DB1].long_name, names[DB1]);
    assert_string_equal(info[DB1].short_name, "db1");
    assert_true(info[DB1].connected);
    assert_true(info[DB1].last_seen_at_ms > 0);
    assert_string_equal(info[DB1].runtime->version, NB_VERSION);
    assert_true(info[DB1].runtime->cpus >= 1 && info[DB1].runtime->threads >= 1);
    assert_true(info[DB1].runtime->memory_total_mb > 0);
    assert_true(info[API].connected);
    assert_non_null(info[API].runtime);
    assert_false(info[COLD].connected);
    assert_null(info[COLD].runtime);
    nb_nodes_info_free(info, n);
}

static int pick_db1(const nb_node_info *nodes, size_t n, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n; i++)
        if (nodes[i].connected && nodes[i].runtime && strcmp(nodes[i].short_name, "db1") == 0)
            return (int)i;
    return -1;
}

static int pick_none(const nb_node_info *nodes, size_t n, void *arg)
{
    (void)nodes;
    (void)n;
    (void)arg;
    return -1;
}

static void test_pick(void **state)
{
    (void)state;
    char *w = whoami__with(&(nb_call){.pick = pick_db1});
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
    NB_ON_NODE_FN(pick_db1, NULL)
    {
        w = where();
        assert_string_equal(w, names[DB1]);
        free(w);
    }
    assert_null(whoami__with(&(nb_call){.pick = pick_none}));
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
}

static bool connected(int i)
{
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    bool c = info && info[i].connected;
    nb_nodes_info_free(info, n);
    return c;
}

/* --- Failures --------------------------------------------------------------- */

static void test_timeout(void **state)
{
    (void)state;
    long long t0 = h_now_ms();
    int64_t v = nap__with(&(nb_call){.timeout_ms = 300}, 3000);
    long long took = h_now_ms() - t0;
    assert_int_equal(v, 0);
    assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
    assert_non_null(strstr(nb_last_message(), "nap"));
    assert_true(took < 2500); /* returned at its timeout, not when the body ended */
    /* The late reply is discarded; the connection keeps working. */
    assert_int_equal(nap(1), 1);
    assert_ok();
}

static void test_no_worker(void **state)
{
    (void)state;
    assert_int_equal(cold_ping(), 0);
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
    assert_non_null(strstr(nb_last_message(), "cold_ping"));
    /* cold is configured but never started: the message names it and says so. */
    if (!strstr(nb_last_message(), "cold@127.0.0.1: never connected: "))
        fail_msg("no state of cold in \"%s\"", nb_last_message());
    assert_null(whoami__with(&(nb_call){.node = (const char *)"@api"}));
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
}

/* Selectors cast to (const char *) are not literals to nebulac, which would
 * refuse these at build time (docs/defining.md): here the runtime must. */
static void test_bad_selector(void **state)
{
    (void)state;
    assert_null(whoami__with(&(nb_call){.node = (const char *)"&nosuchtag"}));
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
    assert_null(whoami__with(&(nb_call){.node = (const char *)"@nobody"}));
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
    assert_null(whoami__with(&(nb_call){.node = (const char *)"!!&db"}));
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
    assert_int_equal(nb_await("&nosuchtag", 10), -1);
    assert_int_equal(nb_last_code(), NB_E_BAD_SELECTOR);
}

typedef struct overload_arg {
    int64_t value;
    nb_code code;
} overload_arg;

static void *call_slow(void *p)
{
    overload_arg *a = p;
    a->value = slow_op__with(&(nb_call){.node = "@db1", .timeout_ms = 20000}, 400);
    a->code = nb_last_code();
    return NULL;
}

static void test_beyond_the_bound_waits(void **state)
{
    (void)state;
    enum { N = 6 };
    pthread_t th[N];
    overload_arg args[N];
    for (int i = 0; i < N; i++)
        pthread_create(&th[i], NULL, call_slow, &args[i]);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (args[i].code != NB_OK || args[i].value != 400)
            fail_msg("call %d ended with %s", i, nb_code_name(args[i].code));
    }
    /* One runs, one waits, and the connection is held for the rest: they wait
     * in it for their turn (back-pressure, docs/async.md), none is refused. */
}

static void test_node_down_mid_call(void **state)
{
    (void)state;
    nb_call r = on(DB2);
    r.timeout_ms = 30000;
    long long t0 = h_now_ms();
    int64_t v = die_now__with(&r);
    long long took = h_now_ms() - t0;
    assert_int_equal(v, 0);
    assert_int_equal(nb_last_code(), NB_E_NODE_DOWN);
    assert_non_null(strstr(nb_last_message(), "db2"));
    assert_true(took < 15000); /* not left waiting for the 30 s timeout */
    int st = h_wait(pids[DB2], 10000);
    pids[DB2] = 0;
    assert_int_equal(st, 128 + SIGKILL);
    /* Routing forgot it: a call pinned to it finds no worker. */
    long long until = h_now_ms() + 5000;
    while (whoami__with(&(nb_call){.node = "@db2"}) == NULL &&
           nb_last_code() != NB_E_NO_WORKER && h_now_ms() < until)
        ;
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
    if (!strstr(nb_last_message(), "db2@127.0.0.1: down since "))
        fail_msg("no down-since state of db2 in \"%s\"", nb_last_message());
}


static void test_silent_node_declared_down_then_back(void **state)
{
    (void)state;
    /* A stopped process keeps its sockets open: only heartbeats can tell. */
    assert_int_equal(h_sigstop(pids[DB2], 5000), 0);
    nb_call r = on(DB2);
    r.timeout_ms = 30000;
    long long t0 = h_now_ms();
    char *w = whoami__with(&r);
    long long took = h_now_ms() - t0;
    kill(pids[DB2], SIGCONT);
    assert_null(w);
    assert_int_equal(nb_last_code(), NB_E_NODE_DOWN);
    assert_non_null(strstr(nb_last_message(), "silent"));
    assert_true(took < 15000); /* the heartbeat limit, not the 30 s timeout */
    /* Once it runs again it is reconnected without anyone asking. */
    assert_int_equal(nb_await("@db2", 20000), 0);
    w = whoami__with(&r);
    assert_ok();
    assert_string_equal(w, names[DB2]);
    free(w);
}

static void test_stop_from_a_body_is_refused(void **state)
{
    (void)state;
    nb_call r = on(DB1);
    char *w = stop_from_body__with(&r);
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
    /* The node did not stop: it still serves. */
    w = whoami__with(&r);
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
}

static void test_first_registered_then_failover(void **state)
{
    (void)state;
    /* db1 registered first: every default call goes there. */
    for (int k = 0; k < 5; k++) {
        char *w = whoami();
        assert_ok();
        assert_string_equal(w, names[DB1]);
        free(w);
    }
    h_kill(pids[DB1]);
    pids[DB1] = 0;
    /* The next calls go to db2 without spending a timeout: at worst one call
     * raced the disconnection and ended NB_E_NODE_DOWN at once. */
    long long t0 = h_now_ms();
    char *w = NULL;
    for (int k = 0; k < 50 && !w; k++) {
        w = whoami__with(&(nb_call){.timeout_ms = 30000});
        if (!w && nb_last_code() != NB_E_NODE_DOWN)
            fail_msg("failover call ended %s: %s", nb_code_name(nb_last_code()), nb_last_message());
    }
    assert_non_null(w);
    assert_string_equal(w, names[DB2]);
    free(w);
    assert_true(h_now_ms() - t0 < 15000);
    /* db1 comes back: it registered after db2 now, so db2 keeps the calls. */
    start_db(DB1);
    w = whoami();
    assert_string_equal(w, names[DB2]);
    free(w);
    assert_true(connected(DB1));
}

/* --- Security and robustness ------------------------------------------------ */

/* The registered cluster (libnebula exports it for the nebula command). */
const nb__cluster_def *nb__cluster(void);

static int run_probe(const char *exe, const char *scenario, const char *node, const char *ck,
                     const char *log)
{
    char env_node[128], env_cookie[128];
    snprintf(env_node, sizeof env_node, "NEBULA_NODE=%s", node);
    snprintf(env_cookie, sizeof env_cookie, "NEBULA_COOKIE=%s", ck);
    char *env[] = {env_node, env_cookie, "NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1", NULL};
    char *argv[] = {(char *)exe, (char *)scenario, NULL};
    pid_t pid = h_spawn(exe, argv, env, log);
    assert_true(pid > 0);
    return h_wait(pid, 30000);
}

static void test_wrong_cookie(void **state)
{
    (void)state;
    assert_int_equal(run_probe(PROBE_EXE, "refused", "probe@127.0.0.1", "not-the-cluster-cookie",
                               "probe_cookie"), 0);
    /* The caller's own message says why, node by node. */
    assert_true(h_log_contains("probe_cookie", "probe: call: whoami: no connected node", 0));
    assert_true(h_log_contains("probe_cookie", "db1@127.0.0.1: never connected: ", 0));
    if (nb__cluster()->transport == 0) /* psk: TLS itself refuses, and says why */
        assert_true(h_log_contains("probe_cookie", "does not know the cluster cookie", 0));
    else
        assert_true(h_log_contains("db1", "wrong cookie", 5000));
    assert_true(connected(DB1)); /* the cluster itself is unharmed */
}

static void test_wrong_topology(void **state)
{
    (void)state;
    assert_int_equal(run_probe(PROBE_OTHER_EXE, "refused", "probe2@127.0.0.1", cookie,
                               "probe_topology"), 0);
    assert_true(h_log_contains("db1", "fingerprint mismatch", 5000));
    assert_true(h_log_contains("probe_topology", "db1@127.0.0.1: never connected: refused by "
                               "the peer: topology fingerprint mismatch", 0));
}

/* Opens a raw TCP connection to node i. */
static int raw_connect(int i)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ports[i]),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&in, sizeof in), 0);
    return fd;
}

/* True when the peer closes fd within timeout_ms (reads and drops anything sent). */
static bool closed_by_peer(int fd, int timeout_ms)
{
    long long until = h_now_ms() + timeout_ms;
    char buf[256];
    while (h_now_ms() < until) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
    }
    return false;
}

/* A node never starts silently: one NOTE line at the default log level says
 * who it is, where it listens, its transport and what it serves. */
static void test_start_line(void **state)
{
    (void)state;
    static const char *const transports[] = {"psk", "mtls", "plain"};
    char want[256];
    snprintf(want, sizeof want, "NOTE  db1@127.0.0.1: started as db1@127.0.0.1, listening on "
             "127.0.0.1:%d, transport %s; serves ", ports[DB1],
             transports[nb__cluster()->transport]);
    assert_true(h_log_contains("db1", want, 0));
    assert_true(h_log_contains("db1", "whoami", 0));
}

static void test_garbage_closes_only_that_connection(void **state)
{
    (void)state;
    const char *garbage[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        /* A header announcing a 4 GiB frame before any handshake. */
        "\xff\xff\xff\xf0\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        /* A well-formed header of an unknown frame type. */
        "\x00\x00\x00\x00\x02\x7f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    };
    size_t lens[] = {strlen(garbage[0]), 16, 16};
    for (size_t k = 0; k < 3; k++) {
        int fd = raw_connect(DB1);
        assert_int_equal(send(fd, garbage[k], lens[k], MSG_NOSIGNAL), (ssize_t)lens[k]);
        assert_true(closed_by_peer(fd, 5000));
        close(fd);
        char *w = where__with(&(nb_call){.node = "@db1"});
        assert_ok();
        assert_string_equal(w, names[DB1]);
        free(w);
    }
}

static void test_generic_node(void **state)
{
    (void)state;
    /* The api binary run as "cold": generic, so it serves nothing, not even the
     * &cold API cold is configured for, nor the &store bodies it contains. */
    char env_node[128], env_cookie[128];
    snprintf(env_node, sizeof env_node, "NEBULA_NODE=%s", names[COLD]);
    snprintf(env_cookie, sizeof env_cookie, "NEBULA_COOKIE=%s", cookie);
    char *env[] = {env_node, env_cookie, "NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1", NULL};
    char *argv[] = {(char *)PROBE_EXE, "generic", NULL};
    pid_t pid = h_spawn(PROBE_EXE, argv, env, "probe_generic");
    assert_true(pid > 0);
    long long until = h_now_ms() + 20000;
    while (!h_log_contains("probe_generic", "generic-ok", 0) && h_now_ms() < until)
        if (h_log_contains("probe_generic", "FAILED", 50))
            fail_msg("the generic probe failed: see %s/probe_generic.log", h_scratch_dir());
    assert_true(h_log_contains("probe_generic", "generic-ok", 0));
    assert_int_equal(nb_await("@cold", 10000), 0); /* connected ... */
    assert_int_equal(cold_ping(), 0);               /* ... but serving nothing */
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
    assert_null(where__with(&(nb_call){.node = (const char *)"@cold"}));
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
    assert_int_equal(h_stop(pid, STOP_TIMEOUT_MS), 0);
}

/* --- Identity and cookie rules against a hostile peer (rogue.c) ---------------- */


static uint64_t wire_id_of(const char *name)
{
    const nb__cluster_def *def = nb__cluster();
    for (size_t i = 0; i < def->n_methods; i++)
        if (strcmp(def->methods[i]->name, name) == 0)
            return def->methods[i]->wire_id;
    fail_msg("no method %s", name);
    return 0;
}

/* Starts rogue.c with argv[1..] = args (NULL-terminated), logging to log. */
static pid_t spawn_rogue(const char *const *args, char *const env[], const char *log)
{
    char *argv[16] = {(char *)ROGUE_EXE};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    /* The rogue speaks the cluster's transport (it reads the cookie from
     * $NEBULA_COOKIE, which it inherits). */
    setenv("ROGUE_TRANSPORT", nb__cluster()->transport == 0 ? "psk" : "plain", 1);
    pid_t pid = h_spawn(ROGUE_EXE, argv, env, log);
    assert_true(pid > 0);
    return pid;
}

static void test_acceptor_proves_nothing_before_the_dialer(void **state)
{
    (void)state;
    char port[16];
    snprintf(port, sizeof port, "%d", ports[DB1]);
    const char *args[] = {"challenge", port, nb__cluster()->fingerprint, NULL};
    assert_int_equal(h_wait(spawn_rogue(args, NULL, "rogue_challenge"), 30000), 0);
    assert_true(h_log_contains("rogue_challenge", "challenge-ok", 0));
    assert_true(h_log_contains("db1", "wrong cookie", 5000));
}

static void test_peer_names_are_escaped(void **state)
{
    (void)state;
    char port[16];
    snprintf(port, sizeof port, "%d", ports[DB1]);
    const char *args[] = {"badname", port, nb__cluster()->fingerprint, NULL};
    assert_int_equal(h_wait(spawn_rogue(args, NULL, "rogue_badname"), 30000), 0);
    assert_true(h_log_contains("db1", "evil\\x1b[31m\\x0aWARN forged", 5000));
    assert_false(h_log_contains("db1", "\x1b", 0));
    assert_false(h_log_contains("db1", "\nWARN forged", 0));
}

static void test_alive_name_is_never_evicted(void **state)
{
    (void)state;
    /* With the cookie, claim to be db1 while db1 is connected to this node. */
    char port[16];
    snprintf(port, sizeof port, "%d", ports[API]);
    const char *args[] = {"claim", port, nb__cluster()->fingerprint, names[DB1], cookie, NULL};
    assert_int_equal(h_wait(spawn_rogue(args, NULL, "rogue_evict"), 30000), 1);
    assert_true(h_log_contains("rogue_evict", "already connected", 0));
    assert_false(h_log_contains("rogue_evict", "welcome", 0));
    assert_true(connected(DB1));
    char *w = where__with(&(nb_call){.node = "@db1"});
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
}

static void test_claimed_registration_time_cannot_jump_ahead(void **state)
{
    (void)state;
    /* Claim to be cold, serving whoami since the epoch's first millisecond
     * (before db1), and cold_ping; answer every request with a message full
     * of control characters. */
    char port[16], whoami_id[32], ping_id[32];
    snprintf(port, sizeof port, "%d", ports[API]);
    snprintf(whoami_id, sizeof whoami_id, "%llu", (unsigned long long)wire_id_of("whoami"));
    snprintf(ping_id, sizeof ping_id, "%llu", (unsigned long long)wire_id_of("cold_ping"));
    const char *args[] = {"claim", port, nb__cluster()->fingerprint, names[COLD], cookie,
                          "whoami", whoami_id, "1", "cold_ping", ping_id, "1", NULL};
    char *env[] = {"ROGUE_MESSAGE=bad\x1b[2J\nnews", NULL};
    pid_t pid = spawn_rogue(args, env, "rogue_early");
    assert_true(h_log_contains("rogue_early", "welcome", 20000));
    assert_int_equal(nb_await("@cold", 10000), 0);
    /* Default calls stay with db1, which was serving when the claim came. */
    for (int k = 0; k < 5; k++) {
        char *w = whoami();
        assert_ok();
        assert_string_equal(w, names[DB1]);
        free(w);
    }
    assert_false(h_log_contains("rogue_early", "request", 0));
    /* The rogue's reply text reaches nb_last_message() escaped. */
    assert_int_equal(cold_ping(), 0);
    assert_int_equal(nb_last_code(), NB_E_OVERLOADED);
    assert_non_null(strstr(nb_last_message(), "bad\\x1b[2J\\x0anews"));
    for (const char *p = nb_last_message(); *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    h_stop(pid, STOP_TIMEOUT_MS);
}

/* The names in a peer's list of served methods reach messages: one that is
 * not a C identifier (here with control characters) refuses the peer before
 * it is welcomed. */
static void test_served_names_are_identifiers(void **state)
{
    (void)state;
    char port[16], ping_id[32];
    snprintf(port, sizeof port, "%d", ports[API]);
    snprintf(ping_id, sizeof ping_id, "%llu", (unsigned long long)wire_id_of("cold_ping"));
    const char *args[] = {"claim", port, nb__cluster()->fingerprint, names[COLD], cookie,
                          "cold_ping\x1b[2J", ping_id, "1", NULL};
    assert_int_equal(h_wait(spawn_rogue(args, NULL, "rogue_names"), 30000), 1);
    assert_true(h_log_contains("rogue_names", "malformed list of served methods", 0));
    assert_false(h_log_contains("rogue_names", "welcome", 0));
    assert_int_equal(cold_ping(), 0);
    assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
}

static void test_extensions_are_bounded_by_the_caller(void **state)
{
    (void)state;
    /* A server that answers nothing and asks for more time every 50 ms, forever:
     * the caller grants the call's 2 extensions and then gives up, and tells it. */
    char port[16], ping_id[32];
    snprintf(port, sizeof port, "%d", ports[API]);
    snprintf(ping_id, sizeof ping_id, "%llu", (unsigned long long)wire_id_of("cold_ping"));
    const char *args[] = {"claim", port, nb__cluster()->fingerprint, names[COLD], cookie,
                          "cold_ping", ping_id, "1", NULL};
    char *env[] = {"ROGUE_EXTEND=1", NULL};
    pid_t pid = spawn_rogue(args, env, "rogue_extend");
    assert_true(h_log_contains("rogue_extend", "welcome", 20000));
    assert_int_equal(nb_await("@cold", 10000), 0);
    assert_int_equal(cold_ping__with(&(nb_call){.node = "@cold", .timeout_ms = 300,
                                                .max_time_extensions = 2}), 0);
    assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
    assert_true(h_log_contains("rogue_extend", "cancel after", 10000));
    h_stop(pid, STOP_TIMEOUT_MS);
}

/* A serving node counts a request's deadline from when its caller made it, not
 * from when it read it: a request whose caller's stamp says it waited longer
 * than its timeout is answered NB_E_TIMEOUT unrun (docs/cancellation.md). A
 * caller's odd stamps reach only its own requests: db1 keeps serving others. */
static void test_request_deadline_counts_from_the_callers_stamp(void **state)
{
    (void)state;
    char port[16], whoami_id[32];
    snprintf(port, sizeof port, "%d", ports[DB1]);
    snprintf(whoami_id, sizeof whoami_id, "%llu", (unsigned long long)wire_id_of("whoami"));
    const char *args[] = {"claim", port, nb__cluster()->fingerprint, names[COLD], cookie, NULL};
    char env_call[64];
    snprintf(env_call, sizeof env_call, "ROGUE_CALL=%s", whoami_id);
    char *env[] = {env_call, NULL};
    pid_t pid = spawn_rogue(args, env, "rogue_stamps");
    assert_int_equal(h_wait(pid, 30000), 0);
    assert_true(h_log_contains("rogue_stamps", "stamps done", 0));
    char want[64];
    assert_true(h_log_contains("rogue_stamps", "fresh: code 0", 0));
    snprintf(want, sizeof want, "stale: code %d: whoami: the request expired", NB_E_TIMEOUT);
    assert_true(h_log_contains("rogue_stamps", want, 0));
    assert_true(h_log_contains("rogue_stamps", "honest: code 0", 0));
    assert_true(h_log_contains("rogue_stamps", "future stamp: code 0", 0));
    snprintf(want, sizeof want, "after a future stamp: code %d: whoami: the request expired",
             NB_E_TIMEOUT);
    assert_true(h_log_contains("rogue_stamps", want, 0));
    snprintf(want, sizeof want, "zero stamp: code %d", NB_E_TIMEOUT);
    assert_true(h_log_contains("rogue_stamps", want, 0));
    char *w = whoami__with(&(nb_call){.node = "@db1"});
    assert_ok();
    assert_string_equal(w, names[DB1]);
    free(w);
}

static void test_runtime_node_mismatch_refused(void **state)
{
    (void)state;
    char *env[] = {"NEBULA_NODE=db2@127.0.0.1", NULL};
    char *argv[] = {(char *)DB1_EXE, NULL};
    pid_t pid = h_spawn(DB1_EXE, argv, env, "mismatch");
    assert_true(pid > 0);
    assert_int_equal(h_wait(pid, 20000), 2);
    assert_true(h_log_contains("mismatch", "db1@127.0.0.1", 1000));
    assert_true(h_log_contains("mismatch", "NEBULA_ALLOW_RUNTIME_NODE_MISMATCH", 1000));
}

/* --- Multicast and broadcast ---------------------------------------------- */

/* The item for `node` in res, or NULL. */
static const nb_result *item_for(const nb_results *res, int node)
{
    for (size_t k = 0; k < res->count; k++)
        if (strcmp(res->items[k].node, names[node]) == 0)
            return &res->items[k];
    return NULL;
}

/* Every item ran where() on its own node and says so. */
static void assert_items_name_themselves(const nb_results *res)
{
    for (size_t k = 0; k < res->count; k++) {
        assert_int_equal(res->items[k].code, NB_OK);
        assert_non_null(res->items[k].value);
        assert_string_equal(*(char **)res->items[k].value, res->items[k].node);
    }
}

static void test_multicast_all(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES("&store", &res)
    {
        assert_null(where()); /* inside a multicast block: the zero value */
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(nb_last_code(), NB_OK);
    assert_int_equal(res.count, 3); /* api (here), db1, db2 */
    assert_non_null(item_for(&res, API));
    assert_items_name_themselves(&res);
    nb_results_free(&res);
    assert_int_equal(res.count, 0);

    NB_ON_NODES("&db", &res, .timeout_ms = 5000) { where(); }
    assert_int_equal(res.count, 2);
    assert_null(item_for(&res, API));
    assert_items_name_themselves(&res);
    nb_results_free(&res);
}

static void test_broadcast(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_ALL_NODES(&res) { where(); }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 3);
    assert_items_name_themselves(&res);
    nb_results_free(&res);
    /* The last call in a block wins; the earlier results are released. */
    NB_ON_ALL_NODES(&res)
    {
        where();
        whoami();
    }
    assert_int_equal(res.count, 2); /* whoami: &db only */
    assert_items_name_themselves(&res);
    nb_results_free(&res);
}

static bool only_db1(const nb_node_info *node, void *arg)
{
    (void)arg;
    return strcmp(node->short_name, "db1") == 0;
}

static bool reject_all(const nb_result *r, void *arg)
{
    (void)r;
    (void)arg;
    return false;
}

static void test_multicast_filter_and_first(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES_FN(only_db1, NULL, &res) { where(); }
    assert_int_equal(res.count, 1);
    assert_non_null(item_for(&res, DB1));
    assert_items_name_themselves(&res);
    nb_results_free(&res);

    NB_ON_NODES("&store", &res, .strategy = NB_FIRST) { where(); }
    assert_int_equal(res.code, NB_OK);
    size_t ok = 0;
    for (size_t k = 0; k < res.count; k++)
        ok += res.items[k].code == NB_OK;
    assert_true(ok >= 1);
    nb_results_free(&res);

    NB_ON_NODES("&db", &res, .strategy = NB_FIRST, .success = reject_all) { where(); }
    assert_int_equal(res.code, NB_E_NO_SUCCESS);
    assert_int_equal(nb_last_code(), NB_E_NO_SUCCESS);
    nb_results_free(&res);
}

static void test_multicast_timeout_per_node(void **state)
{
    (void)state;
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&db", &res, .timeout_ms = 300) { nap(3000); }
    assert_true(h_now_ms() - t0 < 2500);
    assert_int_equal(res.code, NB_OK); /* NB_ALL: each node carries its own code */
    assert_int_equal(res.count, 2);
    for (size_t k = 0; k < res.count; k++) {
        assert_int_equal(res.items[k].code, NB_E_TIMEOUT);
        assert_null(res.items[k].value);
    }
    nb_results_free(&res);
}

static void test_quorum(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES("&db", &res, .strategy = NB_QUORUM) { whoami(); }
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);

    NB_ON_NODES("&db", &res, .strategy = NB_QUORUM, .success = reject_all) { whoami(); }
    assert_int_equal(res.code, NB_E_QUORUM_NOT_REACHED);
    nb_results_free(&res);

    assert_int_equal(stop_db(DB2), 0);
    long long until = h_now_ms() + 10000;
    while (connected(DB2) && h_now_ms() < until)
        ;
    /* Configured quorum of &db is 2 of 2: one live node can never reach it. */
    NB_ON_NODES("&db", &res, .strategy = NB_QUORUM) { whoami(); }
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    assert_int_equal(nb_last_code(), NB_E_QUORUM_UNREACHABLE);
    nb_results_free(&res);
    /* Of the available ones, a majority (1 of 1) is enough. */
    NB_ON_NODES("&db", &res, .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE) { whoami(); }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 1);
    nb_results_free(&res);
}

/* --- Before nb_start ---------------------------------------------------------- */

static void test_before_start(void **state)
{
    (void)state;
    assert_int_equal(echo_i64(7), 7); /* local: works before nb_start */
    assert_ok();
    assert_null(whoami());
    assert_int_equal(nb_last_code(), NB_E_NOT_STARTED);
    assert_string_equal(nb_self_node(), "nonode@nohost");
}

/* --- Groups ------------------------------------------------------------------- */

static int one_db_up(void **state)
{
    return cluster_up(state, false);
}

static int two_dbs_up(void **state)
{
    return cluster_up(state, true);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "values";
    const struct CMUnitTest values[] = {
        cmocka_unit_test(test_scalar_args),      cmocka_unit_test(test_strings),
        cmocka_unit_test(test_bytes_16mib),      cmocka_unit_test(test_struct_by_value),
        cmocka_unit_test(test_struct_pointers),  cmocka_unit_test(test_nested_structs),
        cmocka_unit_test(test_mixed_args_and_void), cmocka_unit_test(test_routing_defaults),
        cmocka_unit_test(test_node_info),        cmocka_unit_test(test_pick),
    };
    const struct CMUnitTest before[] = {cmocka_unit_test(test_before_start)};
    const struct CMUnitTest failures[] = {
        cmocka_unit_test(test_timeout),           cmocka_unit_test(test_no_worker),
        cmocka_unit_test(test_bad_selector),      cmocka_unit_test(test_beyond_the_bound_waits),
        cmocka_unit_test(test_silent_node_declared_down_then_back),
        cmocka_unit_test(test_stop_from_a_body_is_refused),
        cmocka_unit_test(test_first_registered_then_failover),
        cmocka_unit_test(test_node_down_mid_call),
    };
    const struct CMUnitTest multicast[] = {
        cmocka_unit_test(test_multicast_all),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_multicast_filter_and_first),
        cmocka_unit_test(test_multicast_timeout_per_node),
        cmocka_unit_test(test_quorum),
    };
    const struct CMUnitTest security[] = {
        cmocka_unit_test(test_start_line),
        cmocka_unit_test(test_wrong_cookie),
        cmocka_unit_test(test_wrong_topology),
        cmocka_unit_test(test_garbage_closes_only_that_connection),
        cmocka_unit_test(test_generic_node),
        cmocka_unit_test(test_runtime_node_mismatch_refused),
        cmocka_unit_test(test_acceptor_proves_nothing_before_the_dialer),
        cmocka_unit_test(test_peer_names_are_escaped),
        cmocka_unit_test(test_alive_name_is_never_evicted),
        cmocka_unit_test(test_claimed_registration_time_cannot_jump_ahead),
        cmocka_unit_test(test_served_names_are_identifiers),
        cmocka_unit_test(test_extensions_are_bounded_by_the_caller),
        cmocka_unit_test(test_request_deadline_counts_from_the_callers_stamp),
    };
    int rc = -1;
    if (strcmp(which, "values") == 0) {
        rc = cmocka_run_group_tests_name("values", values, one_db_up, cluster_down);
    } else if (strcmp(which, "failures") == 0) {
        rc = cmocka_run_group_tests_name("before_start", before, NULL, NULL);
        rc |= cmocka_run_group_tests_name("failures", failures, two_dbs_up, cluster_down);
    } else if (strcmp(which, "multicast") == 0) {
        rc = cmocka_run_group_tests_name("multicast", multicast, two_dbs_up, cluster_down);
    } else if (strcmp(which, "security") == 0) {
        rc = cmocka_run_group_tests_name("security", security, one_db_up, cluster_down);
    }
    if (rc >= 0) {
        h_scratch_done(rc == 0);
        return rc;
    }
    fprintf(stderr, "usage: %s values|failures|multicast|security\n", argv[0]);
    return 2;
}
