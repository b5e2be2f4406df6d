/*
 * test_rt_metrics.c — the counters of metrics.c without a cluster: sums over
 * threads that have exited, shard reuse, the off switch, refusal labels, and
 * the text format's shape (the cluster test passes real scrapes through
 * promtool).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <nebula.h>

#include "metrics.h"

static const char *const tags[] = {"t"};
static const nb__node_def nodes[] = {
    {"a@127.0.0.1", "a", "127.0.0.1", NULL, 4370, tags, 1, NULL},
    {"b@127.0.0.1", "b", "127.0.0.1", NULL, 4371, tags, 1, NULL},
};
static const nb__type no_args = {"no_args", 1, 0, NULL};
static const nb__method m_ping = {"ping", "void ping(void)", 1, "&t", NULL, &no_args,
                                  {NB__K_VOID, 0, 0, NULL, NULL}, NULL, NULL, 0};
static const nb__method m_quote = {"quote\"d", "void quote(void)", 2, "&t", NULL, &no_args,
                                   {NB__K_VOID, 0, 0, NULL, NULL}, NULL, NULL, 0};
static const nb__method m_unknown = {"unregistered", "void u(void)", 3, "&t", NULL, &no_args,
                                     {NB__K_VOID, 0, 0, NULL, NULL}, NULL, NULL, 0};
static const nb__method *const methods[] = {&m_ping, &m_quote};
static const nb__cluster_def cluster = {
    .abi_version = NB__ABI_VERSION,
    .fingerprint = "0123456789abcdef",
    .nodes = nodes,
    .n_nodes = 2,
    .self = -1,
    .self_name = "nonode@nohost",
    .methods = methods,
    .n_methods = 2,
};

static char *render(void)
{
    size_t len;
    char *text = nb__metrics_render(NULL, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

/* The value of the line starting with `series `, or -1. */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

#define PING_OK "nebula_calls_total{api=\"ping\",code=\"NB_OK\",target=\"remote\"}"
#define PING_TIMEOUT "nebula_calls_total{api=\"ping\",code=\"NB_E_TIMEOUT\",target=\"remote\"}"

static void *count_calls(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        nb__metrics_call(&m_ping, NB__MT_REMOTE, i % 4 ? NB_OK : NB_E_TIMEOUT,
                         nb__metrics_start());
    return NULL;
}

static void run_threads(int n, long calls_each)
{
    pthread_t t[8];
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, count_calls, (void *)calls_each), 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* Counts of threads that exited stay; the next threads add to them. */
static void test_sums_over_exited_threads(void **state)
{
    (void)state;
    run_threads(8, 1000);
    char *t = render();
    assert_int_equal(value_of(t, PING_OK), 6000);
    assert_int_equal(value_of(t, PING_TIMEOUT), 2000);
    assert_int_equal(
        value_of(t, "nebula_call_duration_seconds_count{api=\"ping\",target=\"remote\"}"), 8000);
    free(t);
    run_threads(4, 100);
    t = render();
    assert_int_equal(value_of(t, PING_OK), 6300);
    assert_int_equal(value_of(t, PING_TIMEOUT), 2100);
    free(t);
}

static void test_off_counts_nothing(void **state)
{
    (void)state;
    char *before = render();
    nb__metrics_enable(false);
    assert_int_equal(nb__metrics_start(), 0);
    run_threads(2, 50);
    nb__metrics_served(&m_ping, NB_OK);
    nb__metrics_refusal("a@127.0.0.1", "wrong cookie: ...");
    nb__metrics_enable(true);
    char *after = render();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* A method the cluster did not register is not counted, and nothing breaks. */
static void test_unregistered_method(void **state)
{
    (void)state;
    nb__metrics_call(&m_unknown, NB__MT_REMOTE, NB_OK, nb__metrics_start());
    char *t = render();
    assert_null(strstr(t, "unregistered"));
    free(t);
}

static void test_refusal_labels(void **state)
{
    (void)state;
    nb__metrics_refusal("a@127.0.0.1", "wrong cookie: a and b do not share the cluster cookie");
    nb__metrics_refusal("a@127.0.0.1", "topology fingerprint mismatch: a has 1, b has 2");
    nb__metrics_refusal("x@evil\"\n", "the peer does not know the cluster cookie");
    nb__metrics_refusal(NULL, "the peer does not speak TLS: its first bytes are no TLS handshake");
    nb__metrics_refusal(NULL, "the connection failed during the TLS handshake: reset");
    char *t = render();
    assert_int_equal(value_of(t, "nebula_peer_refusals_total{peer=\"a@127.0.0.1\",reason=\"cookie\"}"), 1);
    assert_int_equal(
        value_of(t, "nebula_peer_refusals_total{peer=\"a@127.0.0.1\",reason=\"fingerprint\"}"), 1);
    /* A peer's claimed name never becomes a label. */
    assert_int_equal(value_of(t, "nebula_peer_refusals_total{peer=\"unconfigured\",reason=\"cookie\"}"), 1);
    assert_null(strstr(t, "evil"));
    assert_int_equal(value_of(t, "nebula_peer_refusals_total{peer=\"unknown\",reason=\"transport\"}"), 1);
    /* A broken connection is no refusal. */
    assert_int_equal(value_of(t, "nebula_peer_refusals_total{peer=\"unknown\",reason=\"other\"}"), -1);
    free(t);
}

/* Label values are escaped; histograms are cumulative and end with +Inf. */
static void test_text_shape(void **state)
{
    (void)state;
    nb__metrics_served(&m_quote, NB_OK);
    nb__metrics_serve_time(&m_quote, nb__metrics_start() - 2000000); /* 2 ms ago */
    char *t = render();
    assert_int_equal(value_of(t, "nebula_served_total{api=\"quote\\\"d\",code=\"NB_OK\"}"), 1);
    assert_int_equal(
        value_of(t, "nebula_serve_duration_seconds_bucket{api=\"quote\\\"d\",le=\"0.001\"}"), 0);
    assert_int_equal(
        value_of(t, "nebula_serve_duration_seconds_bucket{api=\"quote\\\"d\",le=\"0.0025\"}"), 1);
    assert_int_equal(
        value_of(t, "nebula_serve_duration_seconds_bucket{api=\"quote\\\"d\",le=\"+Inf\"}"), 1);
    assert_int_equal(value_of(t, "nebula_build_info{node=\"nonode@nohost\",version=\"" NB_VERSION
                                 "\",fingerprint=\"0123456789abcdef\"}"), 1);
    /* Every family is announced once, with HELP and TYPE. */
    const char *families[] = {"nebula_build_info", "nebula_calls_total",
                              "nebula_call_duration_seconds", "nebula_served_total",
                              "nebula_serve_duration_seconds", "nebula_peer_up",
                              "nebula_peer_refusals_total"};
    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        char type[96];
        snprintf(type, sizeof type, "# TYPE %s ", families[i]);
        const char *at = strstr(t, type);
        assert_non_null(at);
        assert_null(strstr(at + 1, type));
    }
    free(t);
}

int main(void)
{
    nb__register_cluster(&cluster);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sums_over_exited_threads),
        cmocka_unit_test(test_off_counts_nothing),
        cmocka_unit_test(test_unregistered_method),
        cmocka_unit_test(test_refusal_labels),
        cmocka_unit_test(test_text_shape),
    };
    return cmocka_run_group_tests_name("rt_metrics", tests, NULL, NULL);
}
