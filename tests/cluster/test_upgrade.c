/*
 * test_upgrade.c — a rolling upgrade under load (docs/upgrades.md), with real
 * processes on loopback.
 *
 * The driver is node old@127.0.0.1 built from build v1 (upgrade_v1/). It starts
 * u1, u2 and u3 from build v1, then 8 threads that call stable_add (an API both
 * builds declare alike) without pause, and then upgrades the servers one at a
 * time: stop the v1 process (nb_stop: GOODBYE, drain), start the v2 process
 * under the same name and port, wait until it is connected. Every call of
 * stable_add must succeed, with the right result: zero failed calls. Around
 * each step the changed API (changed_scale, a new parameter in v2) and the
 * added one (added_square, v2 only) are called from this v1 caller and from a
 * v2 caller (upgrade_probe.c, node new@127.0.0.1), each served by the nodes of
 * its own signature and told which nodes serve another one when none serves
 * its own.
 *
 * Nothing here waits a fixed time or checks a duration: every wait is for an
 * event (a node connected, calls made, a process exited), each bounded.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

#include "harness.h"
#include "upg.h"

enum { U1, U2, U3, OLD, NEW, N_NODES };
static const char *const names[N_NODES] = {"u1@127.0.0.1", "u2@127.0.0.1", "u3@127.0.0.1",
                                           "old@127.0.0.1", "new@127.0.0.1"};
static const char *const v1_exes[3] = {V1_U1_EXE, V1_U2_EXE, V1_U3_EXE};
static const char *const v2_exes[3] = {V2_U1_EXE, V2_U2_EXE, V2_U3_EXE};
static pid_t pids[3];

#define STOP_TIMEOUT_MS 60000
#define WAIT_MS 60000
#define CALLERS 8

/* --- The load: CALLERS threads calling stable_add ------------------------- */

static struct {
    atomic_bool stop;
    atomic_long calls, failed;
    pthread_mutex_t mu;
    char first_failure[600];   /* under mu */
    pthread_t threads[CALLERS];
} load = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *caller(void *arg)
{
    int64_t base = (int64_t)(intptr_t)arg * 1000000;
    for (int64_t k = 0; !atomic_load(&load.stop); k++) {
        int64_t v = stable_add(base, k);
        if (nb_last_code() != NB_OK || v != base + k) {
            pthread_mutex_lock(&load.mu);
            if (!load.first_failure[0])
                snprintf(load.first_failure, sizeof load.first_failure, "%s: %s (got %lld)",
                         nb_code_name(nb_last_code()), nb_last_message(), (long long)v);
            pthread_mutex_unlock(&load.mu);
            atomic_fetch_add(&load.failed, 1);
        }
        atomic_fetch_add(&load.calls, 1);
    }
    return NULL;
}

/* Waits until the callers have made n more calls (bounded). */
static void wait_progress(long n)
{
    long target = atomic_load(&load.calls) + n;
    long long give_up = h_now_ms() + WAIT_MS;
    while (atomic_load(&load.calls) < target) {
        if (h_now_ms() > give_up)
            fail_msg("the callers made no progress: %ld calls", atomic_load(&load.calls));
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
}

/* --- Servers and the v2 caller --------------------------------------------- */

static void start_server(int i, const char *exe)
{
    char *argv[] = {(char *)exe, NULL};
    char log[32];
    static int generation;
    snprintf(log, sizeof log, "u%d-%d", i + 1, ++generation);
    pids[i] = h_start_node(exe, argv, names[i], log, WAIT_MS);
    assert_true(pids[i] > 0);
}

/* Stops server i with nb_stop (SIGTERM) and checks it exited cleanly. */
static void stop_server(int i)
{
    int st = h_stop(pids[i], STOP_TIMEOUT_MS);
    pids[i] = 0;
    if (st != 0)
        fail_msg("%s exited with status %d", names[i], st);
}

/* Runs the v2 caller with its expectations (see upgrade_probe.c). */
static void probe_v2(const char *changed, const char *added)
{
    static int n;
    char log[32];
    snprintf(log, sizeof log, "probe-%d", ++n);
    char *argv[] = {(char *)PROBE_V2_EXE, (char *)changed, (char *)added, NULL};
    pid_t pid = h_spawn(PROBE_V2_EXE, argv, NULL, log);
    assert_true(pid > 0);
    int st = h_wait(pid, WAIT_MS * 2);
    if (st != 0)
        fail_msg("the v2 caller (%s %s) exited with %d: see %s/%s.log", changed, added, st,
                 h_scratch_dir(), log);
}

/* Runs the v1 nebula command with args (NULL-terminated); returns its exit
 * status, its output in <scratch>/<log>.log. */
static int cli_v1(const char *log, const char *const *args)
{
    char *argv[8] = {(char *)CLI_V1_EXE};
    for (int i = 0; args[i] && i < 6; i++)
        argv[i + 1] = (char *)args[i];
    pid_t pid = h_spawn(CLI_V1_EXE, argv, NULL, log);
    assert_true(pid > 0);
    return h_wait(pid, WAIT_MS);
}

/* --- The test ---------------------------------------------------------------- */

static void assert_code(nb_code want)
{
    if (nb_last_code() != want)
        fail_msg("expected %s, got %s: %s", nb_code_name(want), nb_code_name(nb_last_code()),
                 nb_last_message());
}

/* This v1 caller reaches node i with the unchanged API, whatever its build. */
static void stable_on(int i)
{
    char sel[64];
    snprintf(sel, sizeof sel, "@:\"%s\"", names[i]);
    nb_call on = {.node = sel};
    assert_int_equal(stable_add__with(&on, 20, 22), 42);
    assert_code(NB_OK);
}

static void test_rolling_upgrade(void **state)
{
    (void)state;
    /* All v1: each caller's changed_scale is served by nodes of its own build
     * only; v2's added_square by none yet. */
    assert_int_equal(changed_scale(4), 40);
    assert_code(NB_OK);
    probe_v2("other:u1@127.0.0.1, u2@127.0.0.1, u3@127.0.0.1", "none");

    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_create(&load.threads[i], NULL, caller, (void *)(intptr_t)i), 0);
    wait_progress(200);

    for (int i = U1; i <= U3; i++) {
        stop_server(i);            /* under load: it was serving stable_add */
        wait_progress(100);        /* the others carry it */
        start_server(i, v2_exes[i]);
        wait_progress(100);
        stable_on(i);              /* v1 caller, v2 node */
        if (i < U3) {
            /* v1 nodes remain for the v1 signature; the v2 caller finds the
             * upgraded ones for its own, and the added API. */
            assert_int_equal(changed_scale(4), 40);
            assert_code(NB_OK);
        }
        probe_v2("ok", "ok");
    }

    /* All v2: the v1 caller of the changed API is told why. */
    assert_int_equal(changed_scale(4), 0);
    assert_code(NB_E_NO_WORKER);
    const char *why = "; u1@127.0.0.1, u2@127.0.0.1, u3@127.0.0.1 serve changed_scale only with "
                      "another signature (rebuilt from another version of its declaration)";
    if (!strstr(nb_last_message(), why))
        fail_msg("the message does not say why: %s", nb_last_message());
    /* The v1 nebula command says the same, and marks those nodes. */
    assert_int_equal(cli_v1("cli-call", (const char *[]){"call", "changed_scale", "4", NULL}), 2);
    assert_true(h_log_contains("cli-call", why, 0));
    assert_int_equal(cli_v1("cli-apis", (const char *[]){"apis", NULL}), 0);
    assert_true(h_log_contains("cli-apis", "u1@127.0.0.1 (connected, another signature), "
                               "u2@127.0.0.1 (connected, another signature), "
                               "u3@127.0.0.1 (connected, another signature)", 0));
    assert_true(h_log_contains("cli-apis", "u1@127.0.0.1 (connected), u2@127.0.0.1 (connected), "
                               "u3@127.0.0.1 (connected)", 0));

    wait_progress(100);
    atomic_store(&load.stop, true);
    for (int i = 0; i < CALLERS; i++)
        pthread_join(load.threads[i], NULL);
    fprintf(stderr, "stable_add: %ld calls during the upgrade, %ld failed%s%s\n",
            atomic_load(&load.calls), atomic_load(&load.failed),
            load.first_failure[0] ? "; first: " : "", load.first_failure);
    assert_int_equal(atomic_load(&load.failed), 0);
}

/* --- Setup ---------------------------------------------------------------------- */

static int cluster_up(void **state)
{
    (void)state;
    h_cluster_env(names, N_NODES, NULL, "upgrade");
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return -1;
    }
    /* One at a time, so u1 registered first and takes the default calls. */
    for (int i = U1; i <= U3; i++)
        start_server(i, v1_exes[i]);
    return 0;
}

static int cluster_down(void **state)
{
    (void)state;
    atomic_store(&load.stop, true);
    int rc = 0;
    for (int i = U1; i <= U3; i++)
        if (pids[i] > 0 && h_stop(pids[i], STOP_TIMEOUT_MS) != 0)
            rc = -1;
    nb_stop();
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rolling_upgrade)};
    int rc = cmocka_run_group_tests_name("upgrade", tests, cluster_up, cluster_down);
    h_scratch_done(rc == 0);
    return rc;
}
