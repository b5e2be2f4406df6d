/*
 * test_rt_transport.c — many callers sharing one connection, as a user sees
 * them: every call gets its own reply exactly once, a timed-out call's late
 * reply is dropped, and a serving node that dies fails the calls in flight at
 * once. Two real nodes on loopback: this process is the client, a forked child
 * the server, both from one hand-written topology (the way nebulac would
 * generate it); the method exists on both sides, its body only on the server.
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
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

enum { CALLERS = 32, CALLS_EACH = 300 };

typedef struct i64_args {
    int64_t x;
} i64_args;

static const nb__field i64_fields[] = {
    {"x", offsetof(i64_args, x), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
};
static const nb__type i64_args_type = {"i64_args", sizeof(i64_args), 1, i64_fields};

static void inc_body(void *args, void *ret)
{
    *(int64_t *)ret = ((i64_args *)args)->x + 1;
}

static void sleep_body(void *args, void *ret)
{
    int64_t ms = ((i64_args *)args)->x;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    *(int64_t *)ret = ms;
}

static const uint32_t on_server[] = {1};
/* Not const: the server process gives them their bodies. */
static nb__method m_inc = {"t_inc", "int64_t t_inc(int64_t x)", 0x7e57000000000001ULL,
                           "@server", NULL, &i64_args_type,
                           {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}, NULL, on_server, 1};
static nb__method m_sleep = {"t_sleep", "int64_t t_sleep(int64_t ms)", 0x7e57000000000002ULL,
                             "@server", NULL, &i64_args_type,
                             {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}, NULL, on_server, 1};
static const nb__method *const methods[] = {&m_inc, &m_sleep};

static const char *const no_tags[] = {"t"};
static const nb__node_def nodes[] = {
    {"client@127.0.0.1", "client", "127.0.0.1", NULL, 0, no_tags, 1, NULL},
    {"server@127.0.0.1", "server", "127.0.0.1", NULL, 0, no_tags, 1, NULL},
};
static nb__cluster_def cluster = {
    .abi_version = NB__ABI_VERSION,
    .fingerprint = "test-transport",
    .nodes = nodes,
    .n_nodes = 2,
    .port = 4370,
    .default_timeout_ms = 10000,
    .heartbeat_interval_ms = 200,
    .methods = methods,
    .n_methods = 2,
};

static pid_t server = -1;
static int server_pipe = -1; /* closing it tells the server to stop */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The forked server node: serves until its pipe closes. */
static void run_server(int fd)
{
    m_inc.local = inc_body;
    m_sleep.local = sleep_body;
    cluster.self = 1;
    cluster.self_name = "server@127.0.0.1";
    nb__register_cluster(&cluster);
    nb_options o = {.node = "server@127.0.0.1", .cookie = "transport-test-cookie"};
    if (nb_start(&o) != 0) {
        fprintf(stderr, "server: nb_start: %s\n", nb_last_message());
        _exit(1);
    }
    char c;
    while (read(fd, &c, 1) > 0)
        ;
    nb_stop();
    _exit(0);
}

static int cluster_up(void **state)
{
    (void)state;
    char addrs[128];
    snprintf(addrs, sizeof addrs, "client@127.0.0.1=127.0.0.1:%d,server@127.0.0.1=127.0.0.1:%d",
             free_port(), free_port());
    setenv("NEBULA_ADDRESSES", addrs, 1);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    server = fork();
    if (server == 0) {
        close(fds[1]);
        run_server(fds[0]);
    }
    close(fds[0]);
    server_pipe = fds[1];
    cluster.self = 0;
    cluster.self_name = "client@127.0.0.1";
    nb__register_cluster(&cluster);
    nb_options o = {.node = "client@127.0.0.1", .cookie = "transport-test-cookie"};
    if (nb_start(&o) != 0 || nb_await("@server", 20000) != 0) {
        fprintf(stderr, "client: %s\n", nb_last_message());
        return -1;
    }
    return 0;
}

static int cluster_down(void **state)
{
    (void)state;
    nb_stop();
    if (server_pipe >= 0)
        close(server_pipe);
    if (server > 0) {
        int status;
        for (int i = 0; i < 500 && waitpid(server, &status, WNOHANG) == 0; i++)
            usleep(10000);
        kill(server, SIGKILL);
        waitpid(server, &status, 0);
    }
    return 0;
}

static int64_t call(nb__method *m, int64_t x, int timeout_ms)
{
    i64_args a = {x};
    int64_t r = 0;
    nb__invoke(m, timeout_ms ? &(nb_call){.timeout_ms = timeout_ms} : NULL, &a, &r);
    return r;
}

typedef struct caller {
    pthread_t thread;
    int index;
    int ok, wrong;
    nb_code last_failure;
    int64_t arg;         /* for slow callers: the sleep */
    int64_t took_ms;
} caller;

static void *many_calls(void *p)
{
    caller *me = p;
    for (int i = 0; i < CALLS_EACH; i++) {
        int64_t x = (int64_t)me->index * 1000000 + i;
        int64_t r = call(&m_inc, x, 0);
        if (nb_last_code() != NB_OK)
            me->last_failure = nb_last_code();
        else if (r == x + 1)
            me->ok++;
        else
            me->wrong++;
    }
    return NULL;
}

/* 32 threads at once over the one connection: no reply is lost, duplicated or
 * given to the wrong caller. */
static void test_many_callers_each_get_their_own_reply(void **state)
{
    (void)state;
    caller c[CALLERS];
    memset(c, 0, sizeof c);
    for (int i = 0; i < CALLERS; i++) {
        c[i].index = i;
        assert_int_equal(pthread_create(&c[i].thread, NULL, many_calls, &c[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(c[i].thread, NULL);
        assert_int_equal(c[i].last_failure, NB_OK);
        assert_int_equal(c[i].wrong, 0);
        assert_int_equal(c[i].ok, CALLS_EACH);
    }
}

static void *fast_calls_while_slow(void *p)
{
    caller *me = p;
    me->ok = 0;
    for (int i = 0; i < 50; i++)
        if (call(&m_inc, i, 0) == i + 1 && nb_last_code() == NB_OK)
            me->ok++;
    return NULL;
}

/* A call that times out ends with NB_E_TIMEOUT at its deadline; its reply,
 * arriving later, is dropped, and calls around it are unaffected. */
static void test_timeout_then_late_reply_is_dropped(void **state)
{
    (void)state;
    caller fast;
    memset(&fast, 0, sizeof fast);
    assert_int_equal(pthread_create(&fast.thread, NULL, fast_calls_while_slow, &fast), 0);
    int64_t t0 = now_ms();
    int64_t r = call(&m_sleep, 400, 100);
    int64_t took = now_ms() - t0;
    assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
    assert_int_equal(r, 0);
    assert_true(took >= 90 && took < 350);
    pthread_join(fast.thread, NULL);
    assert_int_equal(fast.ok, 50);
    usleep(500 * 1000); /* the late reply comes and goes */
    assert_int_equal(call(&m_inc, 41, 0), 42);
    assert_int_equal(nb_last_code(), NB_OK);
}

static void *slow_call(void *p)
{
    caller *me = p;
    int64_t t0 = now_ms();
    call(&m_sleep, me->arg, 20000);
    me->last_failure = nb_last_code();
    me->took_ms = now_ms() - t0;
    return NULL;
}

/* The serving node dies with calls in flight: each ends with NB_E_NODE_DOWN at
 * once, not at its 20 s timeout. */
static void test_node_down_fails_calls_in_flight(void **state)
{
    (void)state;
    caller c[8];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 8; i++) {
        c[i].arg = 5000;
        assert_int_equal(pthread_create(&c[i].thread, NULL, slow_call, &c[i]), 0);
    }
    usleep(300 * 1000);
    kill(server, SIGKILL);
    for (int i = 0; i < 8; i++) {
        pthread_join(c[i].thread, NULL);
        assert_int_equal(c[i].last_failure, NB_E_NODE_DOWN);
        assert_true(c[i].took_ms < 3000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_callers_each_get_their_own_reply),
        cmocka_unit_test(test_timeout_then_late_reply_is_dropped),
        cmocka_unit_test(test_node_down_fails_calls_in_flight),
    };
    return cmocka_run_group_tests(tests, cluster_up, cluster_down);
}
