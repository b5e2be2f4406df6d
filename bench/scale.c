/*
 * bench_scale — how a cluster's cost grows with its size on one machine: for
 * scale{8,16,32}.yaml, a driver node and N member nodes on loopback, with the
 * default heartbeat and node-info refresh intervals.
 *
 *   mesh:  from spawning the N members until every one of them sees every
 *          other member and the driver connected (each member writes the
 *          monotonic time at which it saw its full mesh to a file);
 *   idle:  the members' CPU time over an idle window (utime + stime from
 *          /proc/PID/stat), as a percentage of one CPU per node, and their
 *          resident memory (VmRSS);
 *   rtt:   the mean round trip of scale_ping(x) from the driver to n1 with
 *          every member up.
 *
 * The members run one executable built as n1; n2..nN run it under their own
 * name as generic nodes (NEBULA_ALLOW_RUNTIME_NODE_MISMATCH: they serve
 * nothing but keep the mesh, heartbeats and node info like any node).
 *
 *   bench_scale<N>_driver MEMBER_BINARY [--idle-ms MS]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nebula.h>
#include "bench_util.h"

NB_API("@n1")
int64_t scale_ping(int64_t x)
{
    return x + 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

#if NB_ON("@driver")

enum { MAX_NODES = 64 };

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        bench_die("free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

/* utime + stime of pid in clock ticks, or -1. */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

/* VmRSS of pid in KiB, or -1. */
static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    int idle_ms = 5000;
    if (argc < 2)
        bench_die("usage: %s MEMBER_BINARY [--idle-ms MS]", argv[0]);
    if (argc >= 4 && strcmp(argv[2], "--idle-ms") == 0)
        idle_ms = atoi(argv[3]);
    /* The members n1..nSCALE_NODES of this build's topology. */
    const char *names[MAX_NODES];
    int n_members = 0;
    char addresses[4096] = "";
    size_t used = 0;
    used += (size_t)snprintf(addresses + used, sizeof addresses - used,
                             "driver@127.0.0.1=127.0.0.1:%d", free_port());
    for (int i = 1; i < MAX_NODES; i++) {
        static char buf[MAX_NODES][32];
        snprintf(buf[i], sizeof buf[i], "n%d@127.0.0.1", i);
        if (i > SCALE_NODES)
            break;
        names[n_members++] = buf[i];
        used += (size_t)snprintf(addresses + used, sizeof addresses - used, ",%s=127.0.0.1:%d",
                                 buf[i], free_port());
    }
    char dir[] = "/tmp/nebula-scale-XXXXXX";
    if (!mkdtemp(dir))
        bench_die("mkdtemp: %s", strerror(errno));
    setenv("NEBULA_ADDRESSES", addresses, 1);
    setenv("NEBULA_COOKIE", "nebula-bench-scale-cookie", 1);
    setenv("NEBULA_ALLOW_RUNTIME_NODE_MISMATCH", "1", 1);
    setenv("SCALE_DIR", dir, 1);
    setenv("NEBULA_LOG", "1", 1); /* the members' mismatch warning, N times: not needed */

    if (nb_start(NULL) != 0)
        bench_die("nb_start: %s", nb_last_message());
    pid_t pids[MAX_NODES];
    int64_t t0 = mono_ms();
    for (int i = 0; i < n_members; i++)
        pids[i] = bench_spawn(argv[1], names[i]);
    /* Each member writes <dir>/<name> with the time it saw its full mesh. */
    int64_t mesh_at = 0;
    for (int i = 0; i < n_members; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        long long at = -1;
        for (int64_t until = mono_ms() + 120000; at < 0 && mono_ms() < until; sleep_ms(5)) {
            FILE *f = fopen(path, "r");
            if (f) {
                if (fscanf(f, "%lld", &at) != 1)
                    at = -1;
                fclose(f);
            }
        }
        if (at < 0)
            bench_die("%s did not see its full mesh within 120 s", names[i]);
        if (at > mesh_at)
            mesh_at = at;
        unlink(path);
    }
    rmdir(dir);
    if (nb_await("@n1", 20000) != 0)
        bench_die("n1: %s", nb_last_message());

    /* Idle: settle, then measure. */
    sleep_ms(1000);
    long long before[MAX_NODES];
    for (int i = 0; i < n_members; i++)
        before[i] = cpu_ticks(pids[i]);
    int64_t w0 = mono_ms();
    sleep_ms(idle_ms);
    double window_s = (double)(mono_ms() - w0) / 1000.0, cpu = 0;
    long rss = 0;
    long tick = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < n_members; i++) {
        long long after = cpu_ticks(pids[i]);
        if (before[i] < 0 || after < 0)
            bench_die("reading /proc for %s", names[i]);
        cpu += (double)(after - before[i]) / (double)tick;
        rss += rss_kib(pids[i]);
    }

    /* The round trip with everyone up. */
    enum { TRIPS = 2000 };
    for (int i = 0; i < 200; i++)
        scale_ping(i);
    int64_t r0 = bench_now_ns();
    for (int64_t i = 0; i < TRIPS; i++)
        if (scale_ping(i) != i + 1 || nb_last_code() != NB_OK)
            bench_die("scale_ping: %s", nb_last_message());
    double rtt_us = (double)(bench_now_ns() - r0) / TRIPS / 1000.0;

    printf("scale_nodes %d mesh_ms %lld idle_cpu_pct_per_node %.3f rss_kib_per_node %ld "
           "rtt_us %.1f\n",
           n_members, (long long)(mesh_at - t0), 100.0 * cpu / window_s / n_members,
           rss / n_members, rtt_us);
    fflush(stdout);
    nb_stop();
    for (int i = 0; i < n_members; i++)
        bench_stop(pids[i]);
    return 0;
}

#else /* a member: write when the full mesh is seen, then idle until SIGTERM */

#include <signal.h>

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "member: nb_start: %s\n", nb_last_message());
        return 1;
    }
    const char *dir = getenv("SCALE_DIR");
    for (int64_t until = mono_ms() + 120000; mono_ms() < until; sleep_ms(2)) {
        size_t n;
        nb_node_info *info = nb_nodes_info(&n);
        size_t up = 0;
        for (size_t i = 0; i < n; i++)
            up += info[i].connected || strcmp(info[i].long_name, nb_self_node()) == 0;
        nb_nodes_info_free(info, n);
        if (n > 0 && up == n) {
            char path[256], tmp[272];
            snprintf(path, sizeof path, "%s/%s", dir ? dir : "/tmp", nb_self_node());
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            FILE *f = fopen(tmp, "w");
            if (f) {
                fprintf(f, "%lld\n", (long long)mono_ms());
                fclose(f);
                rename(tmp, path); /* whole, or not there */
            }
            break;
        }
    }
    int sig;
    sigwait(&set, &sig);
    nb_stop();
    return 0;
}
#endif
