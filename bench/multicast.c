/*
 * bench_multicast — docs/design.md §11, rows 5 to 7, on a driver and eight
 * serving nodes on loopback (multicast.yaml):
 *
 *   multicast NB_ALL over 8 nodes ÷ one unicast              goal <= 3
 *   route around a killed serving node                        the next call succeeds,
 *                                                             no timeout spent
 *   detection of a silent (SIGSTOPped) peer                   goal <= 2 s
 *
 * The unicast and multicast rounds alternate with their raw TCP counterparts
 * (one blocking ping-pong, and one request written to each of 8 echo peers then
 * the 8 replies read, the same bytes as nebula's frames), so a noisy machine
 * slows all alike; medians and their ratios are printed. On a machine with
 * fewer cores than servers the raw fan-out itself costs several ping-pongs: the
 * multicast ÷ raw fan-out row says what the library adds. The last two rows are
 * destructive and run after: KILLS times the serving node of a default call
 * (the first-registered one) is SIGKILLed and reaped, and the next call is
 * timed against a normal call measured just before; then STOPS other servers
 * are SIGSTOPped in turn, and a call pinned to each times how long until it
 * ends with NB_E_NODE_DOWN (the peer declared down).
 *
 *   bench_multicast_driver [--json FILE]   (the servers are found beside it)
 *   bench_multicast_driver --only multicast|unicast N
 *       makes just N calls of one kind and prints ns per call: for strace or
 *       perf attached to the driver (its pid is printed first).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nebula.h>
#include "bench_util.h"
#include "multicast_api.h"

#if NB_ON("@driver")

enum { N_SERVERS = 8, ROUNDS = 11, UNICASTS = 1000, MULTICASTS = 200 };
enum { KILLS = 3, STOPS = 3, SAMPLES = 201 };

static pid_t pids[N_SERVERS + 1]; /* by server number; 0 once stopped */

/* "sN@127.0.0.1" (static storage per server). */
static const char *server_name(int i)
{
    static char names[N_SERVERS + 1][32];
    snprintf(names[i], sizeof names[i], "s%d@127.0.0.1", i);
    return names[i];
}

/* The selector naming exactly server i (static storage per server). */
static const char *exactly(int i)
{
    static char sels[N_SERVERS + 1][48];
    snprintf(sels[i], sizeof sels[i], "@:\"%s\"", server_name(i));
    return sels[i];
}

static int server_number(const char *name)
{
    return name && name[0] == 's' ? atoi(name + 1) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v (the caller's array) in place and returns its median. */
static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --- Row 5: multicast NB_ALL over 8 nodes ÷ one unicast ------------------- */

static double unicast_round(void)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < UNICASTS; i++)
        if (mc_inc(i) != i + 1 || nb_last_code() != NB_OK)
            bench_die("mc_inc: %s", nb_last_message());
    return (double)(bench_now_ns() - t0) / UNICASTS;
}

/* Every server answered x + 1 (res is borrowed). */
static void check_results(const nb_results *res, int64_t want)
{
    if (res->code != NB_OK || res->count != N_SERVERS)
        bench_die("multicast: %s, %zu results: %s", nb_code_name(res->code), res->count,
                  nb_last_message());
    for (size_t k = 0; k < res->count; k++)
        if (res->items[k].code != NB_OK || *(const int64_t *)res->items[k].value != want)
            bench_die("multicast: %s answered %s", res->items[k].node,
                      nb_code_name(res->items[k].code));
}

static double multicast_round(void)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < MULTICASTS; i++) {
        nb_results res;
        NB_ON_NODES("&server", &res) {
            mc_inc(i);
        }
        check_results(&res, i + 1);
        nb_results_free(&res);
    }
    return (double)(bench_now_ns() - t0) / MULTICASTS;
}

/* The same bytes over raw TCP, for scale: one blocking ping-pong next to a
 * fan-out that writes one request to each of 8 echo peers, then reads the 8
 * replies. This is what the transport itself costs on this machine. peers are
 * borrowed. */
static double raw_fanout_round(bench_raw_peer *peers, int trips)
{
    unsigned char req[BENCH_INC_REQUEST_BYTES] = {0}, rep[BENCH_INC_REPLY_BYTES];
    uint32_t hdr[2] = {BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES};
    memcpy(req, hdr, sizeof hdr);
    int64_t t0 = bench_now_ns();
    for (int k = 0; k < trips; k++) {
        for (int i = 0; i < N_SERVERS; i++)
            if (send(peers[i].fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req)
                bench_die("raw fan-out send: %s", strerror(errno));
        for (int i = 0; i < N_SERVERS; i++)
            if (recv(peers[i].fd, rep, sizeof rep, MSG_WAITALL) != (ssize_t)sizeof rep)
                bench_die("raw fan-out recv: %s", strerror(errno));
    }
    return (double)(bench_now_ns() - t0) / trips;
}

/* --- Row 6: route around a killed serving node -------------------------------- */

/* The median latency of a default call (to the first-registered server), ns. */
static double normal_call_ns(void)
{
    double v[SAMPLES];
    for (int k = 0; k < SAMPLES; k++) {
        int64_t t0 = bench_now_ns();
        char *who = mc_where();
        v[k] = (double)(bench_now_ns() - t0);
        if (!who)
            bench_die("mc_where: %s", nb_last_message());
        free(who);
    }
    return median_of(v, SAMPLES);
}

typedef struct kill_outcome {
    double next_call_ns; /* from the reaped kill to the first call that succeeded */
    int failed_first;    /* calls that ended NB_E_NODE_DOWN before it */
    bool other_node;     /* it ran on another server */
} kill_outcome;

/* SIGKILLs the server default calls go to, reaps it, then times the next call. */
static kill_outcome kill_serving_node(void)
{
    char *serving = mc_where();
    int victim = server_number(serving);
    if (victim < 1 || victim > N_SERVERS || pids[victim] <= 0)
        bench_die("mc_where answered %s (%s)", serving ? serving : "NULL", nb_last_message());
    kill(pids[victim], SIGKILL);
    bench_stop(pids[victim]); /* reaps it: the process is gone, its sockets closed */
    pids[victim] = 0;
    kill_outcome out = {0};
    int64_t t0 = bench_now_ns();
    char *who = NULL;
    while (!who && out.failed_first < 100) {
        who = mc_where();
        if (!who && nb_last_code() != NB_E_NODE_DOWN)
            bench_die("the call after the kill ended %s: %s", nb_code_name(nb_last_code()),
                      nb_last_message());
        out.failed_first += who == NULL;
    }
    out.next_call_ns = (double)(bench_now_ns() - t0);
    if (!who)
        bench_die("no call succeeded after killing %s", serving);
    out.other_node = strcmp(who, serving) != 0;
    free(who);
    free(serving);
    return out;
}

/* --- Row 7: detection of a silent peer ---------------------------------------- */

/* SIGSTOPs server i and times a call pinned to it until it ends NB_E_NODE_DOWN. */
static double silent_peer_detection_ms(int i)
{
    nb_call pinned = {.node = exactly(i), .timeout_ms = 30000};
    int64_t t0 = bench_now_ns();
    kill(pids[i], SIGSTOP);
    /* A signal takes effect asynchronously: wait until every thread of it has
     * stopped, so the call below cannot be answered. */
    int st;
    if (waitpid(pids[i], &st, WUNTRACED) != pids[i] || !WIFSTOPPED(st))
        bench_die("%s did not stop", server_name(i));
    char *who = mc_where__with(&pinned);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    nb_code code = nb_last_code();
    kill(pids[i], SIGCONT);
    if (who || code != NB_E_NODE_DOWN)
        bench_die("a call to the stopped %s ended %s", server_name(i), nb_code_name(code));
    return ms;
}

/* --- Main ----------------------------------------------------------------------- */

/* Starts the eight servers found beside this executable and waits for them. */
static void start_servers(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        bench_die("cannot find this executable's directory");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    for (int i = 1; i <= N_SERVERS; i++) {
        char bin[PATH_MAX + 32];
        snprintf(bin, sizeof bin, "%s/bench_multicast_s%d", self, i);
        pids[i] = bench_spawn(bin, server_name(i));
    }
    if (nb_start(NULL) != 0)
        bench_die("nb_start: %s", nb_last_message());
    for (int i = 1; i <= N_SERVERS; i++)
        if (nb_await(exactly(i), 20000) != 0)
            bench_die("%s not up: %s", server_name(i), nb_last_message());
}

/* This process's CPU time (every thread's, user and system), ns. */
static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Row 5, with the raw TCP pair of the same shape measured in the same rounds,
 * by wall-clock time and by the driver's own CPU time per call (steadier on a
 * busy machine: it leaves out the time spent waiting for a core). */
static void multicast_rows(bench_row *rows)
{
    bench_raw_peer raw[N_SERVERS];
    for (int i = 0; i < N_SERVERS; i++)
        raw[i] = bench_raw_start();
    double uni[ROUNDS], multi[ROUNDS], raw1[ROUNDS], raw8[ROUNDS];
    double cuni[ROUNDS], cmulti[ROUNDS], craw8[ROUNDS];
    unicast_round(); /* warm up both paths */
    multicast_round();
    for (int r = 0; r < ROUNDS; r++) {
        int64_t c0 = cpu_ns();
        uni[r] = unicast_round();
        int64_t c1 = cpu_ns();
        multi[r] = multicast_round();
        int64_t c2 = cpu_ns();
        raw1[r] =
            bench_raw_round(&raw[0], BENCH_INC_REQUEST_BYTES, BENCH_INC_REPLY_BYTES, UNICASTS);
        int64_t c3 = cpu_ns();
        raw8[r] = raw_fanout_round(raw, MULTICASTS);
        int64_t c4 = cpu_ns();
        cuni[r] = (double)(c1 - c0) / UNICASTS;
        cmulti[r] = (double)(c2 - c1) / MULTICASTS;
        craw8[r] = (double)(c4 - c3) / MULTICASTS;
    }
    for (int i = 0; i < N_SERVERS; i++)
        bench_raw_stop(&raw[i]);
    rows[0] = bench_make_row("multicast NB_ALL over 8 nodes / one unicast", "us", multi, uni,
                             ROUNDS, 3.0);
    rows[1] =
        bench_make_row("raw TCP fan-out to 8 peers / raw ping-pong", "us", raw8, raw1, ROUNDS, 0);
    rows[2] = bench_make_row("multicast NB_ALL over 8 / raw TCP fan-out to 8", "us", multi, raw8,
                             ROUNDS, 0);
    rows[3] = bench_make_row("caller CPU: multicast over 8 / unicast", "us", cmulti, cuni, ROUNDS,
                             0);
    rows[4] = bench_make_row("caller CPU: multicast over 8 / raw fan-out", "us", cmulti, craw8,
                             ROUNDS, 0);
}

typedef struct failover_summary {
    int failed_first; /* calls that ended NB_E_NODE_DOWN before one succeeded */
    bool all_moved;   /* every next success ran on another node */
    double worst_ns;  /* the longest wait for that success */
} failover_summary;

static bench_row failover_row(failover_summary *sum)
{
    double next[KILLS], normal[KILLS];
    *sum = (failover_summary){.all_moved = true};
    for (int k = 0; k < KILLS; k++) {
        normal[k] = normal_call_ns();
        kill_outcome o = kill_serving_node();
        next[k] = o.next_call_ns;
        sum->failed_first += o.failed_first;
        sum->all_moved = sum->all_moved && o.other_node;
        if (o.next_call_ns > sum->worst_ns)
            sum->worst_ns = o.next_call_ns;
    }
    return bench_make_row("next call after SIGKILL of its node / normal", "us", next, normal, KILLS,
                          0);
}

static double detection_ms(void)
{
    double ms[STOPS];
    int done = 0;
    for (int i = N_SERVERS; i >= 1 && done < STOPS; i--)
        if (pids[i] > 0)
            ms[done++] = silent_peer_detection_ms(i);
    if (done < STOPS)
        bench_die("not enough servers left to stop");
    return median_of(ms, STOPS);
}

/* --only KIND N: N calls of one kind, nothing else measured. */
static void only(const char *kind, int n)
{
    printf("driver pid %d\n", (int)getpid());
    fflush(stdout);
    int64_t t0 = bench_now_ns();
    if (strcmp(kind, "multicast") == 0) {
        for (int k = 0; k < n; k += MULTICASTS)
            multicast_round();
    } else if (strcmp(kind, "unicast") == 0) {
        for (int k = 0; k < n; k += UNICASTS)
            unicast_round();
    } else {
        bench_die("--only multicast|unicast N");
    }
    printf("%s: %.1f us per call\n", kind, (double)(bench_now_ns() - t0) / n / 1000.0);
}

int main(int argc, char **argv)
{
    const char *json = argc > 2 && strcmp(argv[1], "--json") == 0 ? argv[2] : NULL;
    const char *only_kind = argc > 3 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    bench_cluster_env("driver@127.0.0.1", server_name(1), server_name(2), server_name(3),
                      server_name(4), server_name(5), server_name(6), server_name(7),
                      server_name(8), (const char *)NULL);
    start_servers();
    if (only_kind) {
        only(only_kind, atoi(argv[3]));
        nb_stop();
        for (int i = 1; i <= N_SERVERS; i++)
            bench_stop(pids[i]);
        return 0;
    }

    bench_row rows[6];
    multicast_rows(rows);
    failover_summary fo;
    rows[5] = failover_row(&fo);
    bench_print(rows, 6, json);
    /* A call's timeout is 10 s here: a success within a second spent none. */
    printf("  after each of %d kills the next call succeeded on another node: %s; a timeout "
           "spent: %s (slowest %.0f us); calls that ended NB_E_NODE_DOWN at once first: %d\n",
           KILLS, fo.all_moved ? "yes" : "NO", fo.worst_ns < 1e9 ? "no" : "YES",
           fo.worst_ns / 1000.0, fo.failed_first);

    double ms = detection_ms();
    printf("%-48s %9.0f ms %12s %7s %7s\n", "detection of a silent (SIGSTOPped) peer", ms, "", "",
           "<=2000ms");

    nb_stop();
    for (int i = 1; i <= N_SERVERS; i++)
        if (pids[i] > 0)
            bench_stop(pids[i]);
    return 0;
}

#else /* a server: serve until told to stop */

int main(void)
{
    return bench_serve();
}
#endif
