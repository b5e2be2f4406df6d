/*
 * bench_routing — the side-by-side figures of docs/design.md §11, rows 1 and 2:
 *
 *   resolved-local call  ÷ plain C call (both out of line)      goal <= 1.2
 *       independent calls (acc += f(i, 1)) and a dependency chain (acc = f(acc, i)),
 *       where each call waits for the previous one's result: latency, not throughput
 *   remote round trip    ÷ raw blocking TCP ping-pong, same bytes goal <= 1.3
 *
 * One binary per node (built by nebulac). The client spawns the server node and a
 * raw TCP echo peer, then alternates the two sides of each pair round after round,
 * so a noisy machine slows both sides alike; it prints medians and their ratio.
 *
 *   bench_routing_client SERVER_BINARY [--json FILE]     the table above
 *   bench_routing_client SERVER_BINARY --only-local [--rounds N]
 *       just the two resolved-local rows (no remote call is made)
 *   bench_routing_client SERVER_BINARY --only-rtt [--rounds N] [--step]
 *       prints "raw_rtt_ns V" and "nebula_rtt_ns V" per round (N, default 7);
 *       with --step each round first waits for a line on stdin. bench/run.sh uses
 *       it to put Erlang gen_server:call rounds between ours.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>
#include "bench_util.h"
#include "bench_api.h"
#include "plain.h"

#if NB_ON("@client")

enum { ROUNDS = 7, LOCAL_CALLS = 20 * 1000 * 1000, LOCAL_SLICES = 200, TRIPS = 4000 };

static volatile int sink;

/* ns spent on n calls of one side: independent calls, or (chain) each one's
 * argument the previous one's result. */
static int64_t local_slice(int use_router, int chain, int n)
{
    int64_t t0 = bench_now_ns();
    int acc = 0;
    if (chain && use_router)
        for (int i = 0; i < n; i++)
            acc = bench_add(acc, i);
    else if (chain)
        for (int i = 0; i < n; i++)
            acc = plain_add(acc, i);
    else if (use_router)
        for (int i = 0; i < n; i++)
            acc += bench_add(i, 1);
    else
        for (int i = 0; i < n; i++)
            acc += plain_add(i, 1);
    sink = acc;
    return bench_now_ns() - t0;
}

/* One round of both sides, alternating in slices of 100 000 calls (a fraction
 * of a millisecond); each side's figure is its fastest slice. A call takes ~2
 * ns: on a shared machine most slices of either side are stretched by
 * preemption, a busy sibling hyperthread or a migration, which only ever add
 * time, while the fastest slice of each side ran undisturbed. (Sums of long
 * slices, as for the remote rows, swung 1.0-1.6 on a loaded 2-core VM.) */
static void local_round(int chain, double *plain, double *routed)
{
    int64_t best_plain = INT64_MAX, best_routed = INT64_MAX;
    enum { PER_SLICE = LOCAL_CALLS / LOCAL_SLICES };
    for (int s = 0; s < LOCAL_SLICES; s++) {
        int64_t a = local_slice(0, chain, PER_SLICE), b = local_slice(1, chain, PER_SLICE);
        best_plain = a < best_plain ? a : best_plain;
        best_routed = b < best_routed ? b : best_routed;
    }
    *plain = (double)best_plain / PER_SLICE;
    *routed = (double)best_routed / PER_SLICE;
}

static double nebula_round(void)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < TRIPS; i++) {
        if (bench_inc(i) != i + 1 || nb_last_code() != NB_OK)
            bench_die("bench_inc: %s", nb_last_message());
    }
    return (double)(bench_now_ns() - t0) / TRIPS;
}

static double nebula_echo_round(void *buf, size_t len, int trips)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < trips; i++) {
        nb_bytes r = bench_echo((nb_bytes){buf, len});
        if (r.len != len || nb_last_code() != NB_OK)
            bench_die("bench_echo: %s", nb_last_message());
        free(r.data);
    }
    return (double)(bench_now_ns() - t0) / trips;
}

/* The default run: rows 1 and 2 of section 11 and the echo sizes, as a table.
 * raw and json stay the caller's. */
static void full_run(bench_raw_peer *raw, const char *json)
{
    double plain[ROUNDS], routed[ROUNDS], plain_ch[ROUNDS], routed_ch[ROUNDS], rawrt[ROUNDS],
        nbrt[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        local_round(0, &plain[r], &routed[r]);
        local_round(1, &plain_ch[r], &routed_ch[r]);
        /* Same bytes each way as nebula's frames for bench_inc. */
        rawrt[r] = bench_raw_round(raw, BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES, TRIPS);
        nbrt[r] = nebula_round();
    }
    bench_row rows[9];
    size_t n = 0;
    rows[n++] = bench_make_row("resolved-local call / plain C call", "ns", routed, plain, ROUNDS, 1.2);
    rows[n++] = bench_make_row("resolved-local chain acc=f(acc,i) / plain C", "ns", routed_ch,
                               plain_ch, ROUNDS, 1.2);
    rows[n++] = bench_make_row("remote round trip / raw TCP ping-pong", "us", nbrt, rawrt, ROUNDS, 1.3);

    static const size_t sizes[] = {64, 4096, 65536, 1 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t len = sizes[s];
        int trips = len >= 65536 ? 200 : 2000;
        void *buf = calloc(1, len);
        double a[ROUNDS], b[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            b[r] = bench_raw_round(raw, len + BENCH_ECHO_REQUEST_OVERHEAD,
                                   len + BENCH_ECHO_REPLY_OVERHEAD, trips);
            a[r] = nebula_echo_round(buf, len, trips);
        }
        free(buf);
        char name[96];
        snprintf(name, sizeof name, "echo %zu B round trip / raw TCP ping-pong", len);
        rows[n++] = bench_make_row(name, "us", a, b, ROUNDS, 0);
    }
    bench_print(rows, n, json);
}

/* --only-local: the resolved-local rows alone, over `rounds` rounds. */
static void local_run(int rounds)
{
    double plain[rounds], routed[rounds], plain_ch[rounds], routed_ch[rounds];
    for (int r = 0; r < rounds; r++) {
        local_round(0, &plain[r], &routed[r]);
        local_round(1, &plain_ch[r], &routed_ch[r]);
    }
    bench_row rows[2] = {
        bench_make_row("resolved-local call / plain C call", "ns", routed, plain, rounds, 1.2),
        bench_make_row("resolved-local chain acc=f(acc,i) / plain C", "ns", routed_ch, plain_ch,
                       rounds, 1.2),
    };
    bench_print(rows, 2, NULL);
}

/* --only-rtt: one line per side and round, for a driver that puts the rounds of
 * another system (bench/erlang) between ours. With `step`, each round waits for a
 * line on stdin and end of input ends the run early. raw stays the caller's. */
static void rtt_run(bench_raw_peer *raw, int rounds, int step)
{
    char line[64];
    for (int r = 0; r < rounds; r++) {
        if (step && fgets(line, sizeof line, stdin) == NULL)
            break;
        double raw_ns = bench_raw_round(raw, BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES, TRIPS);
        double nb_ns = nebula_round();
        printf("raw_rtt_ns %.1f\nnebula_rtt_ns %.1f\n", raw_ns, nb_ns);
        fflush(stdout);
    }
}

typedef struct bench_args {
    const char *server_bin;
    const char *json;
    int only_rtt, only_local, step, rounds;
} bench_args;

/* The strings in the result point into argv or the environment: nothing to free. */
static bench_args parse_args(int argc, char **argv)
{
    bench_args a = {.server_bin = getenv("BENCH_SERVER"), .rounds = ROUNDS};
    int i = 1;
    if (argc > 1 && strncmp(argv[1], "--", 2) != 0)
        a.server_bin = argv[i++];
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            a.json = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            a.rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only-rtt") == 0)
            a.only_rtt = 1;
        else if (strcmp(argv[i], "--only-local") == 0)
            a.only_local = 1;
        else if (strcmp(argv[i], "--step") == 0)
            a.step = 1;
        else
            a.server_bin = NULL;
    }
    if (a.server_bin == NULL || a.rounds < 1)
        bench_die("usage: %s SERVER_BINARY [--json FILE] | [--only-rtt [--rounds N] [--step]]",
                  argv[0]);
    return a;
}

int main(int argc, char **argv)
{
    bench_args args = parse_args(argc, argv);
    bench_cluster_env("client@127.0.0.1", "server@127.0.0.1", (char *)NULL);
    pid_t server = bench_spawn(args.server_bin, "server@127.0.0.1");
    if (nb_start(NULL) != 0)
        bench_die("nb_start: %s", nb_last_message());
    if (nb_await("@server", 20000) != 0)
        bench_die("server not up: %s", nb_last_message());
    bench_raw_peer raw = bench_raw_start();

    if (args.only_local) {
        local_run(args.rounds);
    } else if (args.only_rtt) {
        /* An untimed round first, as the Erlang client warms up before it measures. */
        nebula_round();
        rtt_run(&raw, args.rounds, args.step);
    } else {
        full_run(&raw, args.json);
    }
    bench_raw_stop(&raw);
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
