/*
 * driver.c — the fault suite's caller node: N threads (32 by default) call
 * fault_work() on the &serve nodes without pause for a bounded time, each call
 * with its own timeout, while tests/fault/run_fault_suite.sh breaks the network
 * or the serving processes underneath. Every call is recorded; at the end the
 * records go to one file that tests/fault/check.py reads.
 *
 *   driver --scenario N --seconds S --timeout-ms T --out FILE [--threads 32]
 *
 * Routing: the first half of the threads use the default route (every call to
 * the first-registered serving node, the next one when it drops); the other half
 * spread their calls round-robin over the connected serving nodes with a pick
 * function. A call that failed in under 10 ms is followed by a 10 ms pause, so
 * a thread facing NB_E_NO_WORKER does not spin.
 *
 * Call ids: scenario << 48 | thread << 32 | sequence, unique across a whole
 * suite run. Each call passes its id and its deadline (CLOCK_REALTIME ms: the
 * time of the call plus T) to the body, which logs both (api/work.c).
 *
 * Output, one line per call issued, after a header line:
 *   # scenario N timeout_ms T threads K
 *   <id> <outcome> <node 1..9, 0 if none> <duration us> <start ms> <value ok 1|0>
 * <outcome> is the code's name (NB_OK, NB_E_TIMEOUT, ...), or NONE for a call
 * still without an outcome when the driver gave up waiting for it (T + 5 s
 * after the load stopped). <value ok> is 0 when an NB_OK value is not the one
 * the body returns for that id: a forged or misdecoded value.
 *
 * On stdout: "default route: sN@ ..." (the node of a first call made by the
 * default route, before the load), "load started at <CLOCK_REALTIME ms>: ...",
 * then one line per second with the counts so far.
 * Exit status: 0, 2 (setup failed: nb_start, the serving nodes never came up),
 * 3 (some call never got an outcome: its thread is left, and nb_stop skipped).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np */
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>

#include "fault_api.h"

#define CHUNK 4096         /* records per chunk */
#define MAX_CHUNKS 2048    /* per thread: 8 M calls, far beyond a scenario */
#define MAX_THREADS 256

typedef struct rec {
    int64_t id;
    int64_t start_ms;  /* CLOCK_REALTIME */
    int64_t dur_us;
    int code;
    int node;
    int value_ok;
} rec;

/* One thread's records. Only the thread writes them; `issued` and `done` are
 * published with release stores after the record they count is written, so the
 * main thread can read records [0, done) as complete and [done, issued) as
 * calls without an outcome, even while a stuck thread still runs. */
typedef struct worker {
    pthread_t tid;
    int index;
    rec *chunks[MAX_CHUNKS];
    _Atomic size_t issued;
    _Atomic size_t done;
    unsigned rr;        /* round-robin position of the pick function */
    unsigned seed;
} worker;

static int scenario, seconds = 5, timeout_ms = 800, nthreads = 32;
static const char *out_path;
static atomic_bool stop_flag;
static _Atomic long n_ok, n_err;
static worker workers[MAX_THREADS];

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool has_tag(const nb_node_info *n, const char *tag)
{
    for (size_t i = 0; i < n->n_tags; i++)
        if (strcmp(n->tags[i], tag) == 0)
            return true;
    return false;
}

/* The next connected serving node after the last one this thread picked. */
static int pick_round_robin(const nb_node_info *nodes, size_t n, void *arg)
{
    worker *w = arg;
    for (size_t k = 0; k < n; k++) {
        size_t i = (w->rr + 1 + k) % n;
        if (nodes[i].connected && has_tag(&nodes[i], "serve")) {
            w->rr = (unsigned)i;
            return (int)i;
        }
    }
    return -1;
}

static void *run(void *arg)
{
    worker *w = arg;
    bool by_pick = w->index >= nthreads / 2;
    for (uint32_t seq = 0; !atomic_load_explicit(&stop_flag, memory_order_relaxed); seq++) {
        size_t i = atomic_load_explicit(&w->issued, memory_order_relaxed);
        if (i / CHUNK >= MAX_CHUNKS)
            break;
        if (w->chunks[i / CHUNK] == NULL) {
            w->chunks[i / CHUNK] = calloc(CHUNK, sizeof(rec));
            if (w->chunks[i / CHUNK] == NULL)
                break;
        }
        rec *r = &w->chunks[i / CHUNK][i % CHUNK];
        r->id = (int64_t)scenario << 48 | (int64_t)w->index << 32 | seq;
        r->start_ms = realtime_ms();
        int64_t deadline = r->start_ms + timeout_ms;
        int32_t sleep_us = (int32_t)(rand_r(&w->seed) % 4000);
        atomic_store_explicit(&w->issued, i + 1, memory_order_release);

        int64_t t0 = mono_us();
        int64_t v;
        if (by_pick)
            v = fault_work__with(&(nb_call){.pick = pick_round_robin, .arg = w,
                                            .timeout_ms = timeout_ms},
                                 r->id, deadline, sleep_us);
        else
            v = fault_work__with(&(nb_call){.timeout_ms = timeout_ms}, r->id, deadline,
                                 sleep_us);
        nb_code code = nb_last_code();
        r->dur_us = mono_us() - t0;
        r->code = code;
        r->node = code == NB_OK ? (int)((v >> 56) & 0xf) : 0;
        r->value_ok = code != NB_OK || ((v & FAULT_ID_MASK) == r->id && r->node >= 1);
        atomic_store_explicit(&w->done, i + 1, memory_order_release);
        if (code == NB_OK) {
            atomic_fetch_add_explicit(&n_ok, 1, memory_order_relaxed);
        } else {
            atomic_fetch_add_explicit(&n_err, 1, memory_order_relaxed);
            if (r->dur_us < 10000) {
                struct timespec ts = {0, 10 * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
    }
    return NULL;
}

static int write_records(bool *all_done)
{
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        fprintf(stderr, "driver: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    fprintf(f, "# scenario %d timeout_ms %d threads %d\n", scenario, timeout_ms, nthreads);
    *all_done = true;
    for (int t = 0; t <= nthreads; t++) { /* the probe call's worker too */
        worker *w = &workers[t];
        size_t issued = atomic_load_explicit(&w->issued, memory_order_acquire);
        size_t done = atomic_load_explicit(&w->done, memory_order_acquire);
        for (size_t i = 0; i < issued; i++) {
            const rec *r = &w->chunks[i / CHUNK][i % CHUNK];
            if (i < done)
                fprintf(f, "%" PRId64 " %s %d %" PRId64 " %" PRId64 " %d\n", r->id,
                        nb_code_name((nb_code)r->code), r->node, r->dur_us, r->start_ms,
                        r->value_ok);
            else
                fprintf(f, "%" PRId64 " NONE 0 -1 %" PRId64 " 1\n", r->id, r->start_ms);
        }
        if (done != issued)
            *all_done = false;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "driver: writing %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: driver --scenario N --seconds S --timeout-ms T --out FILE "
                    "[--threads K]\n");
    return 2;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--scenario") == 0)
            scenario = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout_ms = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            nthreads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--out") == 0)
            out_path = argv[i + 1];
        else
            return usage();
    }
    if (argc % 2 == 0 || out_path == NULL || scenario < 0 || scenario > 255 || seconds < 1 ||
        timeout_ms < 1 || nthreads < 2 || nthreads >= MAX_THREADS)
        return usage();

    /* Dies with the script that started it, so a killed run leaves no load. */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 2;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "driver: nb_start: %s: %s\n", nb_code_name(nb_last_code()),
                nb_last_message());
        return 2;
    }
    static const char *const serving[] = {"@s1", "@s2", "@s3"};
    for (size_t i = 0; i < sizeof serving / sizeof *serving; i++) {
        if (nb_await(serving[i], 15000) != 0) {
            fprintf(stderr, "driver: %s did not come up in 15 s: %s\n", serving[i],
                    nb_last_message());
            nb_stop();
            return 2;
        }
    }

    /* One call by the default route, to say which node it uses now: the
     * script aims its faults at that node. It is a call like the others
     * (thread index nthreads), recorded with them. */
    worker *probe = &workers[nthreads];
    probe->index = nthreads;
    probe->chunks[0] = calloc(CHUNK, sizeof(rec));
    if (probe->chunks[0] == NULL)
        return 2;
    rec *r = &probe->chunks[0][0];
    r->id = (int64_t)scenario << 48 | (int64_t)nthreads << 32;
    r->start_ms = realtime_ms();
    atomic_store_explicit(&probe->issued, 1, memory_order_release);
    int64_t t0 = mono_us();
    int64_t v = fault_work__with(&(nb_call){.timeout_ms = timeout_ms}, r->id,
                                 r->start_ms + timeout_ms, 0);
    r->dur_us = mono_us() - t0;
    r->code = nb_last_code();
    r->node = r->code == NB_OK ? (int)((v >> 56) & 0xf) : 0;
    r->value_ok = r->code != NB_OK || ((v & FAULT_ID_MASK) == r->id && r->node >= 1);
    atomic_store_explicit(&probe->done, 1, memory_order_release);
    if (r->code != NB_OK || !r->value_ok) {
        fprintf(stderr, "driver: the default route's first call failed: %s: %s\n",
                nb_code_name(nb_last_code()), nb_last_message());
        nb_stop();
        return 2;
    }
    printf("default route: s%d@ (call %" PRId64 ")\n", r->node, r->id);

    for (int t = 0; t < nthreads; t++) {
        workers[t].index = t;
        workers[t].seed = (unsigned)(t * 7919 + scenario);
        if (pthread_create(&workers[t].tid, NULL, run, &workers[t]) != 0) {
            fprintf(stderr, "driver: pthread_create failed\n");
            atomic_store(&stop_flag, true);
            for (int k = 0; k < t; k++)
                pthread_join(workers[k].tid, NULL);
            nb_stop();
            return 2;
        }
    }
    printf("load started at %" PRId64 " ms: %d threads, timeout %d ms, %d s\n", realtime_ms(),
           nthreads, timeout_ms, seconds);
    fflush(stdout);
    for (int s = 1; s <= seconds; s++) {
        sleep(1);
        printf("t=%ds ok=%ld errors=%ld\n", s, atomic_load(&n_ok), atomic_load(&n_err));
        fflush(stdout);
    }
    atomic_store(&stop_flag, true);

    /* Every call ends within its timeout: give them that and 5 s more. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000 + 5;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int stuck = 0;
    for (int t = 0; t < nthreads; t++) {
        if (pthread_timedjoin_np(workers[t].tid, NULL, &until) != 0) {
            stuck++;
            fprintf(stderr, "driver: thread %d still in a call %d ms after its timeout\n", t,
                    5000);
        }
    }
    bool all_done;
    if (write_records(&all_done) != 0)
        return 2;
    if (stuck > 0 || !all_done) {
        /* nb_stop would end the stuck calls now, with an outcome long after their
         * deadline; the checker counts them as calls without an outcome. */
        fprintf(stderr, "driver: %d thread(s) stuck in a call, exiting without nb_stop\n",
                stuck);
        fflush(NULL);
        _exit(3);
    }
    printf("load stopped: ok=%ld errors=%ld\n", atomic_load(&n_ok), atomic_load(&n_err));
    nb_stop();
    for (int t = 0; t <= nthreads; t++)
        for (size_t c = 0; c < MAX_CHUNKS && workers[t].chunks[c] != NULL; c++)
            free(workers[t].chunks[c]);
    return 0;
}
