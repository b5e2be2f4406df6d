/*
 * test_cancel.c — cancellation, time extensions, fair serving and deadlines that
 * hold across a pause (docs/cancellation.md), with real processes on loopback.
 * The driver is drv@127.0.0.1; srv1 and srv2 serve cancel_api/; peer@127.0.0.1
 * (cancel_peer.c) is a second caller, greedy or lost mid-call. Each body records
 * what it saw in its own process; the driver reads that back through other APIs.
 *
 *   test_cancel cancel   a body sees nb_cancelled() after its caller's timeout and
 *                        after its caller's node is lost; an abandoned NB_FIRST
 *                        straggler still queued never runs; local calls never see it
 *   test_cancel extend   nb_request_more_time(): the limits at every level, the
 *                        caller's deadline moved, the limit past which it stands,
 *                        multicast members
 *   test_cancel fair     a greedy peer with 128 slow calls against a polite one
 *   test_cancel pause    a serving node paused (SIGSTOP): calls that timed out
 *                        meanwhile never start after it resumes, and new calls go
 *                        to the other node until the paused one is heard again
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

#include "cancel_api.h"
#include "harness.h"

enum { DRV, SRV1, SRV2, PEER, N_NODES };
static const char *const names[N_NODES] = {"drv@127.0.0.1", "srv1@127.0.0.1", "srv2@127.0.0.1",
                                           "peer@127.0.0.1"};
static pid_t pids[N_NODES];

#define STOP_TIMEOUT_MS 20000
#define WAIT_MS 15000 /* the bound of every wait for something to happen */

static void choose_addresses(void)
{
    h_cluster_env(names, N_NODES, NULL, "cancel");
}

/* Starts node i (SRV1, SRV2, or PEER with its mode) and, for a server, waits
 * until this node sees it. */
static void start(int i, const char *mode, const char *token)
{
    const char *exe = i == SRV1 ? SRV1_EXE : i == SRV2 ? SRV2_EXE : PEER_EXE;
    char *argv[] = {(char *)exe, (char *)mode, (char *)token, NULL};
    const char *log = i == SRV1 ? "srv1" : i == SRV2 ? "srv2" : "peer";
    pids[i] = i == PEER ? h_spawn(exe, argv, NULL, log)
                        : h_start_node(exe, argv, names[i], log, 20000);
    assert_true(pids[i] > 0);
}

static int stop(int i)
{
    return h_stop_node(&pids[i], names[i], STOP_TIMEOUT_MS);
}

static int cluster_up(void **state)
{
    (void)state;
    choose_addresses();
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return -1;
    }
    /* srv1 first: it registers its APIs first, so the default route picks it. */
    start(SRV1, NULL, NULL);
    start(SRV2, NULL, NULL);
    return 0;
}

static int cluster_down(void **state)
{
    (void)state;
    if (pids[PEER] > 0) {
        h_kill(pids[PEER]);
        pids[PEER] = 0;
    }
    int rc = stop(SRV1) | stop(SRV2);
    nb_stop();
    return rc;
}

static const nb_call on_srv1 = {.node = "@srv1"};
static const nb_call on_srv2 = {.node = "@srv2"};

static void assert_ok(void)
{
    if (nb_last_code() != NB_OK)
        fail_msg("%s: %s", nb_code_name(nb_last_code()), nb_last_message());
}

static void assert_code(nb_code want)
{
    if (nb_last_code() != want)
        fail_msg("expected %s, got %s: %s", nb_code_name(want), nb_code_name(nb_last_code()),
                 nb_last_message());
}

/* Polls seen_cancel(token) on srv1 until it is no longer `from` (bounded). */
static int64_t seen_after(int64_t token, int64_t from)
{
    long long until = h_now_ms() + WAIT_MS;
    int64_t v;
    do {
        v = seen_cancel__with(&on_srv1, token);
        assert_ok();
    } while (v == from && h_now_ms() < until);
    return v;
}

/* --- cancel ---------------------------------------------------------------- */

static void test_local_never_cancelled(void **state)
{
    (void)state;
    assert_false(nb_cancelled());
    assert_false(nb_request_more_time());
    assert_int_equal(local_probe(), 0); /* a local body: neither */
    assert_ok();
}

static void test_timeout_cancels_body(void **state)
{
    (void)state;
    nb_call r = {.node = "@srv1", .timeout_ms = 300};
    watch_cancel__with(&r, 1, 20000);
    assert_code(NB_E_TIMEOUT);
    /* The body would poll for 20 s more unless it is told. */
    assert_int_equal(seen_after(1, 1), 2);
}

static void test_lost_caller_cancels_body(void **state)
{
    (void)state;
    start(PEER, "hang", "2");
    assert_int_equal(seen_after(2, 0), 1); /* its body runs */
    h_kill(pids[PEER]);
    pids[PEER] = 0;
    assert_int_equal(seen_after(2, 1), 2);
}

static void *hog_srv2(void *arg)
{
    (void)arg;
    nb_call r = {.node = "@srv2", .timeout_ms = 10000};
    solo_run__with(&r, 3, 1500);
    return (void *)(intptr_t)nb_last_code();
}

static void test_straggler_dropped(void **state)
{
    (void)state;
    /* srv2's solo module (one body at a time) is busy for 1.5 s. */
    pthread_t hog;
    assert_int_equal(pthread_create(&hog, NULL, hog_srv2, NULL), 0);
    long long until = h_now_ms() + WAIT_MS;
    while (count_of__with(&on_srv2, 3) == 0 && h_now_ms() < until)
        ;
    assert_int_equal(count_of__with(&on_srv2, 3), 1);
    /* NB_FIRST on both: srv1 answers at once, srv2's request waits in its queue
     * and is abandoned; its 8 s timeout would let it run after the hog. */
    nb_results res = {0};
    nb_call first = {.nodes = "&srv", .strategy = NB_FIRST, .results = &res, .timeout_ms = 8000};
    solo_run__with(&first, 4, 0);
    assert_ok();
    assert_int_equal(res.count, 2);
    nb_results_free(&res);
    void *hog_code;
    pthread_join(hog, &hog_code);
    assert_int_equal((intptr_t)hog_code, NB_OK);
    /* One body at a time: once token 5 has run on srv2, token 4 has had its turn. */
    nb_call r = {.node = "@srv2", .timeout_ms = 10000};
    solo_run__with(&r, 5, 0);
    assert_ok();
    assert_int_equal(count_of__with(&on_srv2, 4), 0);
    assert_int_equal(count_of__with(&on_srv1, 4), 1);
}

/* --- extend ---------------------------------------------------------------- */

static int64_t try_with(int64_t (*fn)(const nb_call *, int64_t), int ext, int64_t n)
{
    nb_call r = {.node = "@srv1", .max_time_extensions = ext};
    int64_t v = fn(&r, n);
    assert_ok();
    return v;
}

static void test_extension_limits(void **state)
{
    (void)state;
    /* Topology (cancel.yaml: 3), per call, per module; the call wins, then the module. */
    assert_int_equal(try_with(extend_try__with, 0, 5), 3);
    assert_int_equal(try_with(extend_try__with, 1, 5), 1);
    assert_int_equal(try_with(extend_try__with, 7, 5), 5);
    assert_int_equal(try_with(extend_try__with, NB_NO_EXTENSIONS, 5), 0);
    assert_int_equal(try_with(ext_module_try__with, 0, 5), 2);
    assert_int_equal(try_with(ext_module_try__with, 4, 5), 4);
    assert_int_equal(try_with(ext_module_try__with, NB_NO_EXTENSIONS, 5), 0);
    assert_int_equal(try_with(ext_none_try__with, 0, 5), 0);
    assert_int_equal(try_with(ext_none_try__with, 2, 5), 2);
    /* A block's option reaches the calls inside it. */
    int64_t v = -1;
    NB_ON_NODE("@srv2", .max_time_extensions = 1) { v = extend_try(5); }
    assert_ok();
    assert_int_equal(v, 1);
}

static void test_extension_moves_deadline(void **state)
{
    (void)state;
    /* 3 steps of 300 ms under a 500 ms timeout: only the extensions let it end. */
    nb_call r = {.node = "@srv1", .timeout_ms = 500};
    assert_int_equal(extend_sleep__with(&r, 10, 3, 300), 3);
    assert_ok();
}

static void test_extension_limit_stands(void **state)
{
    (void)state;
    /* Two extensions granted (at 300 and 600 ms), the third refused: the deadline
     * stays at 600 + 500 ms, before the body's 1200 ms are up. */
    nb_call r = {.node = "@srv1", .timeout_ms = 500, .max_time_extensions = 2};
    extend_sleep__with(&r, 11, 4, 300);
    assert_code(NB_E_TIMEOUT);
    assert_int_equal(granted_of__with(&on_srv1, 11), 2);
    nb_call none = {.node = "@srv1", .timeout_ms = 500, .max_time_extensions = NB_NO_EXTENSIONS};
    extend_sleep__with(&none, 12, 2, 300);
    assert_code(NB_E_TIMEOUT);
    assert_int_equal(granted_of__with(&on_srv1, 12), 0);
}

static void test_extension_multicast(void **state)
{
    (void)state;
    nb_results res = {0};
    nb_call all = {.nodes = "&srv", .results = &res, .timeout_ms = 500};
    extend_sleep__with(&all, 13, 3, 300);
    assert_ok();
    assert_int_equal(res.count, 2);
    for (size_t k = 0; k < res.count; k++) {
        if (res.items[k].code != NB_OK)
            fail_msg("%s: %s", res.items[k].node, nb_code_name(res.items[k].code));
        assert_int_equal(*(int64_t *)res.items[k].value, 3);
    }
    nb_results_free(&res);
}

/* --- fair ------------------------------------------------------------------ */

static void test_fair_serving(void **state)
{
    (void)state;
    start(PEER, "greedy", NULL);
    /* Every slot of srv1 (max_concurrent_calls 64) is the greedy peer's. */
    long long until = h_now_ms() + 30000;
    while (fair_running__with(&on_srv1) < 64 && h_now_ms() < until)
        ;
    assert_int_equal(fair_running__with(&on_srv1), 64);
    assert_true(h_log_contains("peer", "greedy running", WAIT_MS));
    int ok = 0, n = 50;
    nb_call r = {.node = "@srv1", .timeout_ms = 3000};
    for (int i = 0; i < n; i++) {
        slow_fair__with(&r, 10);
        ok += nb_last_code() == NB_OK;
        if (nb_last_code() != NB_OK)
            fprintf(stderr, "polite call %d: %s: %s\n", i, nb_code_name(nb_last_code()),
                    nb_last_message());
    }
    fprintf(stderr, "polite peer: %d of %d calls succeeded against 128 greedy ones\n", ok, n);
    assert_true(ok * 10 >= n * 9);
    h_kill(pids[PEER]);
    pids[PEER] = 0;
}

/* --- pause ----------------------------------------------------------------- */

#define PAUSED_CALLS 8

static void *call_paused(void *arg)
{
    nb_call r = {.node = "@srv1", .timeout_ms = 300};
    counted__with(&r, (int64_t)(intptr_t)arg, 0);
    return (void *)(intptr_t)nb_last_code();
}

static char *default_node(void)
{
    nb_call r = {.default_route = true, .timeout_ms = 300};
    return serving_node__with(&r);
}

static void test_pause(void **state)
{
    (void)state;
    char *s = default_node();
    assert_ok();
    assert_string_equal(s, names[SRV1]);
    free(s);
    assert_int_equal(h_sigstop(pids[SRV1], WAIT_MS), 0);
    pthread_t t[PAUSED_CALLS];
    for (int i = 0; i < PAUSED_CALLS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, call_paused, (void *)(intptr_t)(100 + i)), 0);
    for (int i = 0; i < PAUSED_CALLS; i++) {
        void *code;
        pthread_join(t[i], &code);
        assert_int_equal((intptr_t)code, NB_E_TIMEOUT);
    }
    /* srv1 let calls time out and has said nothing since: the default route
     * takes srv2 (srv1 is not yet declared down: that takes 1 s of silence). */
    s = default_node();
    assert_ok();
    assert_string_equal(s, names[SRV2]);
    free(s);
    assert_int_equal(kill(pids[SRV1], SIGCONT), 0);
    /* Heard again, srv1 is the default route once more. */
    long long until = h_now_ms() + WAIT_MS;
    do {
        s = default_node();
        bool back = nb_last_code() == NB_OK && strcmp(s, names[SRV1]) == 0;
        free(s);
        if (back)
            break;
    } while (h_now_ms() < until);
    assert_true(h_now_ms() < until);
    /* Each request reached srv1 before its CANCEL: a call sent after both has
     * been answered, so they have been read; none of them started. */
    nb_call r = {.node = "@srv1", .timeout_ms = 5000};
    counted__with(&r, 99, 0);
    assert_ok();
    for (int i = 0; i < PAUSED_CALLS; i++)
        assert_int_equal(count_of__with(&on_srv1, 100 + i), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest cancel[] = {
        cmocka_unit_test(test_local_never_cancelled),
        cmocka_unit_test(test_timeout_cancels_body),
        cmocka_unit_test(test_lost_caller_cancels_body),
        cmocka_unit_test(test_straggler_dropped),
    };
    const struct CMUnitTest extend[] = {
        cmocka_unit_test(test_extension_limits),
        cmocka_unit_test(test_extension_moves_deadline),
        cmocka_unit_test(test_extension_limit_stands),
        cmocka_unit_test(test_extension_multicast),
    };
    const struct CMUnitTest fair[] = {cmocka_unit_test(test_fair_serving)};
    const struct CMUnitTest pause[] = {cmocka_unit_test(test_pause)};
    const char *group = argc > 1 ? argv[1] : "";
    int rc;
    if (strcmp(group, "cancel") == 0)
        rc = cmocka_run_group_tests_name("cancel", cancel, cluster_up, cluster_down);
    else if (strcmp(group, "extend") == 0)
        rc = cmocka_run_group_tests_name("extend", extend, cluster_up, cluster_down);
    else if (strcmp(group, "fair") == 0)
        rc = cmocka_run_group_tests_name("fair", fair, cluster_up, cluster_down);
    else if (strcmp(group, "pause") == 0)
        rc = cmocka_run_group_tests_name("pause", pause, cluster_up, cluster_down);
    else {
        fprintf(stderr, "usage: test_cancel cancel|extend|fair|pause\n");
        return 2;
    }
    h_scratch_done(rc == 0);
    return rc;
}
