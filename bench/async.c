/*
 * bench_async — asynchronous calls (docs/async.md) against their baselines, one
 * thread on the client node, side by side in one run:
 *
 *   async:  one thread keeping WINDOW bench_pinc calls in flight (f__async /
 *           f__await on a ring of futures) over the one connection to the
 *           server node;
 *   sync:   the same thread making the same calls one at a time (bench_pinc);
 *   pipe:   pipelined raw TCP with the same window and the same bytes per call
 *           (bench_pipe_round): the transport's ceiling.
 *
 * With --only async|sync it runs just one round of that side and prints
 * "calls N": how bench/README.md counts the system calls per call (strace).
 *
 *   bench_async_client SERVER_BINARY [--json FILE] [--window N] [--ms MS] [--rounds N]
 *                      [--only async|sync]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>
#include "bench_util.h"

/* Room for the window: beyond max_concurrent_calls the server would hold the
 * connection (back-pressure, docs/async.md), and the bench would measure that. */
NB_MODULE(.max_concurrent_calls = 1024);

/* Served by the server node: returns its argument + 1 (bench_inc's bytes). */
NB_API("@server")
int64_t bench_pinc(int64_t x)
{
    return x + 1;
}

#if NB_ON("@client")

enum { MAX_WINDOW = 1024, MAX_ROUNDS = 64 };

/* Aggregate ns per call of one thread keeping `window` calls in flight. */
static double async_round(int window, int64_t duration_ns)
{
    static nb_future *ring[MAX_WINDOW];
    static int64_t arg[MAX_WINDOW];
    int64_t calls = 0, x = 0;
    int64_t t0 = bench_now_ns(), until = t0 + duration_ns;
    for (int k = 0; k < window; k++) {
        arg[k] = x;
        ring[k] = bench_pinc__async(x++);
    }
    int k = 0;
    for (;; k = (k + 1) % window) {
        if (bench_pinc__await(ring[k]) != arg[k] + 1 || nb_last_code() != NB_OK)
            bench_die("bench_pinc__await: %s", nb_last_message());
        calls++;
        if ((calls & 63) == 0 && bench_now_ns() >= until)
            break;
        arg[k] = x;
        ring[k] = bench_pinc__async(x++);
    }
    /* The rest of the ring is still in flight: awaited and counted too. */
    for (int j = (k + 1) % window; j != k; j = (j + 1) % window, calls++)
        if (bench_pinc__await(ring[j]) != arg[j] + 1 || nb_last_code() != NB_OK)
            bench_die("bench_pinc__await: %s", nb_last_message());
    return (double)(bench_now_ns() - t0) / (double)calls;
}

/* Aggregate ns per call of the same thread calling one at a time. */
static double sync_round(int64_t duration_ns)
{
    int64_t calls = 0, x = 0;
    int64_t t0 = bench_now_ns(), until = t0 + duration_ns;
    do {
        for (int i = 0; i < 64; i++, x++, calls++)
            if (bench_pinc(x) != x + 1 || nb_last_code() != NB_OK)
                bench_die("bench_pinc: %s", nb_last_message());
    } while (bench_now_ns() < until);
    return (double)(bench_now_ns() - t0) / (double)calls;
}

static int int_arg(const char *s, int lo, int hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        bench_die("%s must be %d..%d", what, lo, hi);
    return (int)v;
}

int main(int argc, char **argv)
{
    const char *server = getenv("BENCH_SERVER"), *json = NULL, *only = NULL;
    int window = 256, ms = 1000, rounds = 5, positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--json") == 0 && next)
            json = argv[++i];
        else if (strcmp(argv[i], "--window") == 0 && next)
            window = int_arg(argv[++i], 1, MAX_WINDOW, "--window");
        else if (strcmp(argv[i], "--ms") == 0 && next)
            ms = int_arg(argv[++i], 10, 60000, "--ms");
        else if (strcmp(argv[i], "--only") == 0 && next)
            only = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && next)
            rounds = int_arg(argv[++i], 1, MAX_ROUNDS, "--rounds");
        else if (argv[i][0] != '-' && !positional++)
            server = argv[i];
        else
            server = NULL, i = argc;
    }
    if (!server)
        bench_die("usage: %s SERVER_BINARY [--json FILE] [--window N] [--ms MS] [--rounds N]",
                  argv[0]);
    bench_cluster_env("client@127.0.0.1", "server@127.0.0.1", (char *)NULL);
    pid_t child = bench_spawn(server, "server@127.0.0.1");
    if (nb_start(NULL) != 0)
        bench_die("nb_start: %s", nb_last_message());
    if (nb_await("@server", 20000) != 0)
        bench_die("server not up: %s", nb_last_message());
    bench_pipe_peer pipe = bench_pipe_start(BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES);

    int64_t round_ns = (int64_t)ms * 1000000LL;
    if (only) {
        double ns = strcmp(only, "sync") == 0 ? sync_round(round_ns) : async_round(window, round_ns);
        printf("calls %.0f\n", (double)round_ns / ns);
        bench_pipe_stop(&pipe);
        nb_stop();
        bench_stop(child);
        return 0;
    }
    async_round(window, round_ns / 10); /* warm-up */
    sync_round(round_ns / 10);
    bench_pipe_round(&pipe, window, round_ns / 10);

    double as[MAX_ROUNDS], sy[MAX_ROUNDS], raw[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        as[r] = async_round(window, round_ns);
        sy[r] = sync_round(round_ns);
        raw[r] = bench_pipe_round(&pipe, window, round_ns);
    }
    char name[2][96];
    snprintf(name[0], sizeof name[0], "1 thread: %d async in flight / sync calls", window);
    snprintf(name[1], sizeof name[1], "1 thread: %d async in flight / pipelined raw TCP", window);
    bench_row rows[2] = {
        bench_make_row(name[0], "ns", as, sy, rounds, 10.0),
        bench_make_row(name[1], "ns", as, raw, rounds, 0),
    };
    bench_print_rates(rows, 2, json);
    bench_pipe_stop(&pipe);
    nb_stop();
    bench_stop(child);
    return 0;
}

#else /* the server node: serve until told to stop */

int main(void)
{
    return bench_serve();
}
#endif
