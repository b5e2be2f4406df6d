/*
 * test_metrics.c — the figures of docs/metrics.md, counted exactly. The driver
 * is api@127.0.0.1 (the cluster of nebula.yaml) and serves /metrics on a free
 * port ($NEBULA_METRICS_LISTEN); db1 serves its own. The driver makes a known
 * number of calls (ok, timeouts, no worker, one multicast), then both
 * endpoints are scraped over HTTP and checked line by line, and each scrape is
 * passed through `promtool check metrics`.
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
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

#include "api.h"
#include "harness.h"

/* The registered cluster (libnebula exports it for the nebula command). */
const nb__cluster_def *nb__cluster(void);

static int api_port, db1_port, api_metrics, db1_metrics;
static pid_t db1_pid;

/* GET (or another method) of path on 127.0.0.1:port; returns the whole
 * response (headers and body), malloc'd, or NULL. Bounded by 5 s per read. */
static char *http(int port, const char *method, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: 0\r\n\r\n", method, path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (!buf || poll(&p, 1, 5000) != 1)
            break;
        if (len + 1 == cap && !(buf = realloc(buf, cap *= 2)))
            break;
        ssize_t got = read(fd, buf + len, cap - 1 - len);
        if (got <= 0) {
            buf[len] = '\0';
            close(fd);
            return buf;
        }
        len += (size_t)got;
    }
    free(buf);
    close(fd);
    return NULL;
}

/* The body of a 200 answer to GET /metrics (pointing into resp). */
static const char *body_of(const char *resp)
{
    assert_non_null(resp);
    if (strncmp(resp, "HTTP/1.1 200", 12) != 0)
        fail_msg("GET /metrics: %.80s", resp);
    assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
    const char *b = strstr(resp, "\r\n\r\n");
    assert_non_null(b);
    return b + 4;
}

/* The value of the series whose line starts with `series ` in text, or -1. */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static void expect(const char *text, const char *series, double want)
{
    double got = value_of(text, series);
    if (got != want)
        fail_msg("%s: want %g, got %g in:\n%s", series, want, got, text);
}

/* Passes text through `promtool check metrics` (its stdin); fails on any
 * problem it reports. */
static void promtool_check(const char *text, const char *what)
{
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s.prom", h_scratch_dir(), what);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' check metrics < '%s' > '%s.check' 2>&1", PROMTOOL, path, path);
    int st = system(cmd);
    if (st != 0) {
        snprintf(cmd, sizeof cmd, "cat '%s.check' >&2", path);
        if (system(cmd) != 0)
            fprintf(stderr, "(no promtool output)\n");
        fail_msg("promtool check metrics failed on the %s scrape (status %d)", what, st);
    }
}

/* Scrapes port until `series` reads want (bodies that outlive their caller's
 * timeout are counted when they end), at most 20 s; returns the last scrape. */
static char *scrape_until(int port, const char *series, double want)
{
    long long until = h_now_ms() + 20000;
    for (;;) {
        char *resp = http(port, "GET", "/metrics");
        if ((resp && value_of(body_of(resp), series) == want) || h_now_ms() > until)
            return resp;
        free(resp);
        poll(NULL, 0, 50);
    }
}

static int setup(void **state)
{
    (void)state;
    api_port = h_free_port();
    db1_port = h_free_port();
    int db2_port = h_free_port(), cold_port = h_free_port();
    api_metrics = h_free_port();
    db1_metrics = h_free_port();
    char addresses[512], cookie[64], listen[64], db1_listen[80];
    snprintf(addresses, sizeof addresses,
             "api@127.0.0.1=127.0.0.1:%d,db1@127.0.0.1=127.0.0.1:%d,"
             "db2@127.0.0.1=127.0.0.1:%d,cold@127.0.0.1=127.0.0.1:%d",
             api_port, db1_port, db2_port, cold_port);
    snprintf(cookie, sizeof cookie, "metrics-test-cookie-%d", (int)getpid());
    snprintf(listen, sizeof listen, "127.0.0.1:%d", api_metrics);
    snprintf(db1_listen, sizeof db1_listen, "NEBULA_METRICS_LISTEN=127.0.0.1:%d", db1_metrics);
    setenv("NEBULA_ADDRESSES", addresses, 1);
    setenv("NEBULA_COOKIE", cookie, 1);
    setenv("NEBULA_METRICS_LISTEN", listen, 1);
    unsetenv("NEBULA_METRICS");
    unsetenv("NEBULA_NODE");
    unsetenv("NEBULA_LISTEN");
    unsetenv("NEBULA_COOKIE_FILE");
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return -1;
    }
    char *argv[] = {(char *)DB1_EXE, NULL}, *env[] = {db1_listen, NULL};
    db1_pid = h_spawn(DB1_EXE, argv, env, "db1");
    if (db1_pid <= 0 || nb_await("@:\"db1@127.0.0.1\"", 20000) != 0) {
        fprintf(stderr, "db1 did not connect: %s\n", nb_last_message());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int st = db1_pid > 0 ? h_stop(db1_pid, 20000) : 0;
    nb_stop();
    return st == 0 ? 0 : -1;
}

static void test_counts(void **state)
{
    (void)state;
    const nb_call db1 = {.node = "@:\"db1@127.0.0.1\""};
    for (int64_t i = 0; i < 5; i++) {
        assert_int_equal(echo_i64__with(&db1, i), i);
        assert_int_equal(nb_last_code(), NB_OK);
    }
    /* An asynchronous call counts when awaited, as a remote call. */
    assert_int_equal(echo_i64__await(echo_i64__async_with(&db1, 7)), 7);
    assert_int_equal(nb_last_code(), NB_OK);
    for (int i = 0; i < 2; i++) {
        nap__with(&(nb_call){.timeout_ms = 100}, 600);
        assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
    }
    for (int i = 0; i < 3; i++) {
        cold_ping();
        assert_int_equal(nb_last_code(), NB_E_NO_WORKER);
    }
    nb_results res;
    NB_ON_NODES("&db", &res) { whoami(); }
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);
    /* Resolved here, on the fast path: never counted. */
    for (int64_t i = 0; i < 4; i++)
        assert_int_equal(echo_i64(i), i);

    char *resp = http(api_metrics, "GET", "/metrics");
    const char *t = body_of(resp);
    expect(t, "nebula_calls_total{api=\"echo_i64\",code=\"NB_OK\",target=\"remote\"}", 6);
    expect(t, "nebula_calls_total{api=\"nap\",code=\"NB_E_TIMEOUT\",target=\"remote\"}", 2);
    expect(t, "nebula_calls_total{api=\"nap\",code=\"NB_OK\",target=\"remote\"}", 0);
    expect(t, "nebula_calls_total{api=\"cold_ping\",code=\"NB_E_NO_WORKER\",target=\"remote\"}", 3);
    expect(t, "nebula_calls_total{api=\"whoami\",code=\"NB_OK\",target=\"multicast\"}", 1);
    expect(t, "nebula_calls_total{api=\"whoami\",code=\"NB_OK\",target=\"remote\"}", 0);
    expect(t, "nebula_call_duration_seconds_count{api=\"echo_i64\",target=\"remote\"}", 6);
    expect(t, "nebula_call_duration_seconds_bucket{api=\"echo_i64\",target=\"remote\",le=\"+Inf\"}",
           6);
    expect(t, "nebula_call_duration_seconds_count{api=\"nap\",target=\"remote\"}", 2);
    /* Both timed out after 100 ms: none is in a bucket below 0.1 s. */
    expect(t, "nebula_call_duration_seconds_bucket{api=\"nap\",target=\"remote\",le=\"0.05\"}", 0);
    expect(t, "nebula_peer_up{peer=\"db1@127.0.0.1\"}", 1);
    expect(t, "nebula_peer_up{peer=\"db2@127.0.0.1\"}", 0);
    expect(t, "nebula_peer_up{peer=\"cold@127.0.0.1\"}", 0);
    assert_int_equal(value_of(t, "nebula_peer_up{peer=\"api@127.0.0.1\"}"), -1); /* itself */
    char info[256];
    snprintf(info, sizeof info,
             "nebula_build_info{node=\"api@127.0.0.1\",version=\"%s\",fingerprint=\"%s\"}",
             NB_VERSION, nb__cluster()->fingerprint);
    expect(t, info, 1);
    /* The api node serves echo_i64 itself but answered no peer. */
    expect(t, "nebula_served_total{api=\"echo_i64\",code=\"NB_OK\"}", 0);
    promtool_check(t, "api");
    free(resp);

    /* db1 answered 6 echo_i64 and 1 whoami; the naps end 600 ms after they
     * started, their callers gone (they sent CANCEL): served, as cancelled. */
    resp = scrape_until(db1_metrics, "nebula_served_total{api=\"nap\",code=\"NB_E_CANCELLED\"}", 2);
    t = body_of(resp);
    expect(t, "nebula_served_total{api=\"echo_i64\",code=\"NB_OK\"}", 6);
    expect(t, "nebula_served_total{api=\"whoami\",code=\"NB_OK\"}", 1);
    expect(t, "nebula_served_total{api=\"nap\",code=\"NB_E_CANCELLED\"}", 2);
    expect(t, "nebula_served_total{api=\"nap\",code=\"NB_OK\"}", 0);
    expect(t, "nebula_serve_duration_seconds_count{api=\"echo_i64\"}", 6);
    expect(t, "nebula_serve_duration_seconds_count{api=\"nap\"}", 2);
    /* Each nap body slept 600 ms. */
    expect(t, "nebula_serve_duration_seconds_bucket{api=\"nap\",le=\"0.5\"}", 0);
    expect(t, "nebula_serve_duration_seconds_bucket{api=\"nap\",le=\"1\"}", 2);
    expect(t, "nebula_calls_total{api=\"echo_i64\",code=\"NB_OK\",target=\"remote\"}", 0);
    expect(t, "nebula_peer_up{peer=\"api@127.0.0.1\"}", 1);
    promtool_check(t, "db1");
    free(resp);
}

/* A peer with the wrong cookie is counted as a refusal, with reason cookie. */
static void test_refusal(void **state)
{
    (void)state;
    char env_cookie[128];
    snprintf(env_cookie, sizeof env_cookie, "NEBULA_COOKIE=not-the-cluster-cookie-%d",
             (int)getpid());
    char *env[] = {"NEBULA_NODE=probe@127.0.0.1", env_cookie,
                   "NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1", "NEBULA_METRICS_LISTEN=off", NULL};
    char *argv[] = {(char *)PROBE_EXE, (char *)"refused", NULL};
    pid_t pid = h_spawn(PROBE_EXE, argv, env, "probe_cookie");
    assert_true(pid > 0);
    assert_int_equal(h_wait(pid, 30000), 0);
    char *resp = http(db1_metrics, "GET", "/metrics");
    const char *t = body_of(resp);
    /* Under psk TLS refuses before any name is said; otherwise the probe
     * named itself, a name the topology does not configure. */
    const char *peer = nb__cluster()->transport == 0 ? "unknown" : "unconfigured";
    char series[160];
    snprintf(series, sizeof series, "nebula_peer_refusals_total{peer=\"%s\",reason=\"cookie\"}",
             peer);
    if (value_of(t, series) < 1)
        fail_msg("no %s in:\n%s", series, t);
    promtool_check(t, "db1_refusal");
    free(resp);
}

/* Nothing but GET and HEAD of /metrics. */
static void test_http_surface(void **state)
{
    (void)state;
    char *resp = http(api_metrics, "GET", "/");
    assert_non_null(resp);
    assert_int_equal(strncmp(resp, "HTTP/1.1 404", 12), 0);
    free(resp);
    resp = http(api_metrics, "POST", "/metrics");
    assert_non_null(resp);
    assert_int_equal(strncmp(resp, "HTTP/1.1 405", 12), 0);
    free(resp);
    resp = http(api_metrics, "HEAD", "/metrics");
    assert_non_null(resp);
    assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
    free(resp);
}

/* A metrics_listen that cannot be bound fails nb_start, saying why. */
static void test_port_in_use(void **state)
{
    (void)state;
    char env_listen[80];
    snprintf(env_listen, sizeof env_listen, "NEBULA_METRICS_LISTEN=127.0.0.1:%d", db1_metrics);
    char *env[] = {env_listen, NULL};
    char *argv[] = {(char *)DB2_EXE, NULL};
    pid_t pid = h_spawn(DB2_EXE, argv, env, "db2_port_in_use");
    assert_true(pid > 0);
    assert_int_equal(h_wait(pid, 30000), 2);
    assert_true(h_log_contains("db2_port_in_use", "metrics_listen: cannot serve /metrics on", 0));
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_http_surface),
        cmocka_unit_test(test_port_in_use),
    };
    int failed = cmocka_run_group_tests_name("metrics", tests, setup, teardown);
    h_scratch_done(failed == 0);
    return failed;
}
