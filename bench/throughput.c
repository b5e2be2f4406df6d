/*
 * bench_throughput — docs/design.md §11 row 4: calls/s with many concurrent
 * callers on one node against one serving node, small arguments.
 *
 *   nebula: CALLERS threads, each making synchronous bench_inc calls to the
 *           server node for the round's duration, all over the one connection
 *           between the two nodes;
 *   mux:    the same CALLERS threads over one raw TCP connection, same bytes
 *           per call, with the least a library of synchronous calls must do:
 *           each writes its request, a reader thread wakes it for its reply
 *           (bench_mux_round) — the floor of the thread hand-offs;
 *   pipe:   pipelined raw TCP over one connection with CALLERS requests in
 *           flight and the same bytes per call (bench_pipe_round): the
 *           transport's ceiling, with no thread per call at all;
 *   hand-off: the same CALLERS threads handing x to one answering thread in
 *           this process and sleeping until it answers x + 1, with no I/O
 *           (handoff.h): the ceiling of any library whose callers block, on
 *           this machine;
 *   Erlang: gen_server:call from as many processes between two local nodes,
 *           measured by bench/erlang when its figure is given (--erlang N or
 *           $BENCH_ERLANG_CALLS_PER_S), else the reference figure of 40 k calls/s (docs/design.md §11),
 *           printed as such.
 *
 * The rounds of each side alternate, so a noisy machine slows all alike; the
 * medians are printed as calls/s with their speed ratio.
 *
 *   bench_throughput_client SERVER_BINARY [--json FILE] [--erlang CALLS_PER_S]
 *                           [--callers N] [--ms MS] [--rounds N] [--only-nebula]
 *
 * --only-nebula runs just the nebula rounds and prints `nebula_calls N` (the
 * calls completed in all of them), for counting system calls and context
 * switches per call under perf stat or strace -c -f.
 *
 * --rtt measures one caller's round trip instead: per round, TRIPS blocking
 * bench_inc calls on one thread, the blocking raw TCP ping-pong of
 * bench_util.h, and the two fastest ping-pongs of pingpong.h (both ends
 * busy-polling on CPUs of their own; both ends blocking on one CPU), the
 * same bytes each way; the fastest raw variant of the round is its baseline
 * (row "remote round trip / fastest raw TCP ping-pong").
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>
#include "bench_util.h"
#include "bench_api.h"
#include "handoff.h"
#include "pingpong.h"

#if NB_ON("@client")

enum { MAX_CALLERS = 256, MAX_ROUNDS = 64 };
#define ERLANG_REFERENCE_CALLS_PER_S 40000.0

/* One caller's count, alone on its cache line. */
typedef struct caller {
    pthread_t thread;
    int64_t calls;
    int64_t first;   /* the argument of its first call */
    char pad[40];
} caller;

static atomic_bool go, stop;

static void *caller_main(void *arg)
{
    caller *me = arg;
    while (!atomic_load(&go))
        nanosleep(&(struct timespec){0, 100 * 1000}, NULL);
    int64_t x = me->first;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (bench_inc(x) != x + 1 || nb_last_code() != NB_OK)
            bench_die("bench_inc: %s", nb_last_message());
        x++;
        me->calls++;
    }
    return NULL;
}

/* One round of n synchronous callers for ms milliseconds: aggregate ns per call. */
static double nebula_round(caller *callers, int n, int ms)
{
    atomic_store(&go, false);
    atomic_store(&stop, false);
    for (int i = 0; i < n; i++) {
        callers[i].calls = 0;
        callers[i].first = (int64_t)i << 32;
        if (pthread_create(&callers[i].thread, NULL, caller_main, &callers[i]) != 0)
            bench_die("pthread_create");
    }
    int64_t t0 = bench_now_ns();
    atomic_store(&go, true);
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
    atomic_store(&stop, true);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(callers[i].thread, NULL);
        total += callers[i].calls;
    }
    int64_t elapsed = bench_now_ns() - t0;
    if (total == 0)
        bench_die("no call completed in a round");
    return (double)elapsed / (double)total;
}

enum { TRIPS = 2000 };

/* One thread's blocking calls: mean ns per round trip. */
static double nebula_rtt(int trips)
{
    int64_t x = 1;
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < trips; i++, x++)
        if (bench_inc(x) != x + 1 || nb_last_code() != NB_OK)
            bench_die("bench_inc: %s", nb_last_message());
    return (double)(bench_now_ns() - t0) / trips;
}

/* The round trip against the raw ping-pongs, rounds in turn (see --rtt). */
static void rtt_run(int rounds, const char *json)
{
    bench_raw_peer raw = bench_raw_start();
    bench_pp_peer spin = bench_pp_start(BENCH_PP_SPIN, BENCH_INC_REQUEST_BYTES,
                                        BENCH_INC_REPLY_BYTES);
    bench_pp_peer one = bench_pp_start(BENCH_PP_ONE_CPU, BENCH_INC_REQUEST_BYTES,
                                       BENCH_INC_REPLY_BYTES);
    nebula_rtt(TRIPS / 4); /* warm-up */
    bench_raw_round(&raw, BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES, TRIPS / 4);
    bench_pp_round(&spin, TRIPS / 4);
    bench_pp_round(&one, TRIPS / 4);
    double nb[MAX_ROUNDS], blk[MAX_ROUNDS], sp[MAX_ROUNDS], oc[MAX_ROUNDS], fast[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        blk[r] = bench_raw_round(&raw, BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES, TRIPS);
        sp[r] = bench_pp_round(&spin, TRIPS);
        oc[r] = bench_pp_round(&one, TRIPS);
        nb[r] = nebula_rtt(TRIPS);
        fast[r] = blk[r] < sp[r] ? blk[r] : sp[r];
        fast[r] = oc[r] < fast[r] ? oc[r] : fast[r];
        printf("round %d: nebula %.1f us, raw TCP blocking %.1f us, spinning %.1f us, "
               "one CPU %.1f us\n", r + 1, nb[r] / 1000, blk[r] / 1000, sp[r] / 1000,
               oc[r] / 1000);
    }
    bench_row rows[4] = {
        bench_make_row("remote round trip / raw TCP ping-pong, blocking", "us", nb, blk,
                       rounds, 0),
        bench_make_row("remote round trip / raw TCP ping-pong, both ends spinning", "us", nb,
                       sp, rounds, 0),
        bench_make_row("remote round trip / raw TCP ping-pong, one CPU", "us", nb, oc, rounds, 0),
        bench_make_row("remote round trip / fastest raw TCP ping-pong", "us", nb, fast, rounds,
                       1.3),
    };
    bench_print(rows, 4, json);
    bench_pp_stop(&one);
    bench_pp_stop(&spin);
    bench_raw_stop(&raw);
}

typedef struct options {
    const char *server, *json;
    double erlang;      /* measured calls/s, 0: not measured */
    int callers, ms, rounds;
    bool only_nebula, rtt;
} options;

static int int_arg(const char *s, int lo, int hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        bench_die("%s must be %d..%d", what, lo, hi);
    return (int)v;
}

static options parse_args(int argc, char **argv)
{
    options o = {.server = getenv("BENCH_SERVER"), .callers = 32, .ms = 1000, .rounds = 5};
    const char *erl = getenv("BENCH_ERLANG_CALLS_PER_S");
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--json") == 0 && next)
            o.json = argv[++i];
        else if (strcmp(argv[i], "--erlang") == 0 && next)
            erl = argv[++i];
        else if (strcmp(argv[i], "--callers") == 0 && next)
            o.callers = int_arg(argv[++i], 1, MAX_CALLERS, "--callers");
        else if (strcmp(argv[i], "--ms") == 0 && next)
            o.ms = int_arg(argv[++i], 10, 60000, "--ms");
        else if (strcmp(argv[i], "--rounds") == 0 && next)
            o.rounds = int_arg(argv[++i], 1, MAX_ROUNDS, "--rounds");
        else if (strcmp(argv[i], "--only-nebula") == 0)
            o.only_nebula = true;
        else if (strcmp(argv[i], "--rtt") == 0)
            o.rtt = true;
        else if (argv[i][0] != '-' && !positional++)
            o.server = argv[i];
        else
            bench_die("usage: %s SERVER_BINARY [--json FILE] [--erlang CALLS_PER_S] "
                      "[--callers N] [--ms MS] [--rounds N]", argv[0]);
    }
    if (!o.server)
        bench_die("usage: %s SERVER_BINARY [--json FILE] [--erlang CALLS_PER_S]", argv[0]);
    if (erl && *erl && (o.erlang = strtod(erl, NULL)) <= 0)
        bench_die("the Erlang figure must be a positive calls/s");
    return o;
}

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    bench_cluster_env("client@127.0.0.1", "server@127.0.0.1", (char *)NULL);
    pid_t server = bench_spawn(o.server, "server@127.0.0.1");
    if (nb_start(NULL) != 0)
        bench_die("nb_start: %s", nb_last_message());
    if (nb_await("@server", 20000) != 0)
        bench_die("server not up: %s", nb_last_message());
    static caller callers[MAX_CALLERS];
    if (o.rtt) {
        rtt_run(o.rounds, o.json);
        nb_stop();
        bench_stop(server);
        return 0;
    }
    if (o.only_nebula) {
        nebula_round(callers, o.callers, 100);
        int64_t calls = 0;
        for (int r = 0; r < o.rounds; r++) {
            nebula_round(callers, o.callers, o.ms);
            for (int i = 0; i < o.callers; i++)
                calls += callers[i].calls;
        }
        printf("nebula_calls %lld\n", (long long)calls);
        nb_stop();
        bench_stop(server);
        return 0;
    }
    bench_pipe_peer pipe = bench_pipe_start(BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES);

    /* A short warm-up of each side: connections, thread stacks, caches. */
    nebula_round(callers, o.callers, 100);
    bench_pipe_round(&pipe, o.callers, 50 * 1000000LL);
    bench_mux_round(&pipe, o.callers, 50 * 1000000LL);
    bench_handoff_round(o.callers, 50 * 1000000LL);

    double nb[MAX_ROUNDS], mux[MAX_ROUNDS], raw[MAX_ROUNDS], erl[MAX_ROUNDS], hand[MAX_ROUNDS];
    double erlang = o.erlang > 0 ? o.erlang : ERLANG_REFERENCE_CALLS_PER_S;
    int64_t round_ns = (int64_t)o.ms * 1000000LL;
    for (int r = 0; r < o.rounds; r++) {
        raw[r] = bench_pipe_round(&pipe, o.callers, round_ns);
        mux[r] = bench_mux_round(&pipe, o.callers, round_ns);
        nb[r] = nebula_round(callers, o.callers, o.ms);
        hand[r] = bench_handoff_round(o.callers, round_ns);
        erl[r] = 1e9 / erlang;
    }

    char name[5][96];
    snprintf(name[0], sizeof name[0], "%d callers: nebula / Erlang gen_server%s", o.callers,
             o.erlang > 0 ? "" : " (ref.)");
    snprintf(name[1], sizeof name[1], "%d callers: nebula / raw TCP, thread per call", o.callers);
    snprintf(name[2], sizeof name[2], "%d callers: nebula / pipelined raw TCP", o.callers);
    snprintf(name[3], sizeof name[3], "%d callers: nebula / thread hand-off ceiling", o.callers);
    snprintf(name[4], sizeof name[4], "%d callers: thread hand-off ceiling / Erlang%s",
             o.callers, o.erlang > 0 ? "" : " (ref.)");
    bench_row rows[5] = {
        bench_make_row(name[0], "ns", nb, erl, o.rounds, 5.0),
        bench_make_row(name[1], "ns", nb, mux, o.rounds, 0),
        bench_make_row(name[2], "ns", nb, raw, o.rounds, 0),
        bench_make_row(name[3], "ns", nb, hand, o.rounds, 0),
        bench_make_row(name[4], "ns", hand, erl, o.rounds, 0),
    };
    bench_print_rates(rows, 5, o.json);
    if (o.erlang <= 0)
        printf("(ref.): no Erlang measurement given (--erlang or $BENCH_ERLANG_CALLS_PER_S); "
               "the baseline is the reference figure of %.0f calls/s\n",
               ERLANG_REFERENCE_CALLS_PER_S);
    bench_pipe_stop(&pipe);
    nb_stop();
    bench_stop(server);
    return 0;
}

#else /* the server node: serve until told to stop */

int main(void)
{
    return bench_serve();
}
#endif
