/*
 * pingpong.c — the fastest raw TCP ping-pong (pingpong.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pingpong.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The CPUs this process may run on: the first two, or the first twice. */
static void pick_cpus(int *a, int *b)
{
    cpu_set_t set;
    *a = *b = -1;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &set))
            continue;
        if (*a < 0)
            *a = i;
        else if (*b < 0)
            *b = i;
    }
    if (*b < 0)
        *b = *a;
}

static void pin_to(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* Spinning past this without a byte, the peer blocks instead: between rounds
 * (while the other sides of the bench run) it must not hold a CPU. */
#define PEER_SPIN_NS 2000000

/* Moves len bytes; with spin, never sleeps (non-blocking calls in a loop),
 * except after spin_ns without progress when spin_ns > 0. */
static int xfer(int fd, void *buf, size_t len, bool spin, bool out, int64_t spin_ns)
{
    int64_t since = spin_ns > 0 ? bench_now_ns() : 0;
    for (size_t done = 0; done < len;) {
        bool dontwait = spin && (spin_ns == 0 || bench_now_ns() - since < spin_ns);
        ssize_t n = out ? send(fd, (char *)buf + done, len - done, dontwait ? MSG_DONTWAIT : 0)
                        : recv(fd, (char *)buf + done, len - done, dontwait ? MSG_DONTWAIT : 0);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n == 0 && !out)
            return -1;
        if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
    }
    return 0;
}

static void serve(int lfd, bench_pp_mode mode, int cpu, size_t req, size_t rep)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    pin_to(cpu);
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        _exit(1);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t cap = req > rep ? req : rep;
    char *buf = calloc(1, cap);
    bool spin = mode == BENCH_PP_SPIN;
    while (buf && xfer(fd, buf, req, spin, false, PEER_SPIN_NS) == 0 &&
           xfer(fd, buf, rep, spin, true, 0) == 0)
        ;
    _exit(0);
}

bench_pp_peer bench_pp_start(bench_pp_mode mode, size_t request_bytes, size_t reply_bytes)
{
    struct sockaddr_in a;
    int lfd = bench_loopback_listen(&a, "ping-pong");
    int mine, other;
    pick_cpus(&mine, &other);
    bench_pp_peer p = {.mode = mode, .cpu = mine, .request_bytes = request_bytes,
                       .reply_bytes = reply_bytes};
    p.pid = fork();
    if (p.pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (p.pid == 0)
        serve(lfd, mode, mode == BENCH_PP_SPIN ? other : mine, request_bytes, reply_bytes);
    close(lfd);
    p.fd = bench_loopback_connect(&a, "ping-pong");
    return p;
}

double bench_pp_round(bench_pp_peer *p, int trips)
{
    cpu_set_t saved;
    bool restore = sched_getaffinity(0, sizeof saved, &saved) == 0;
    pin_to(p->cpu);
    size_t cap = p->request_bytes > p->reply_bytes ? p->request_bytes : p->reply_bytes;
    char buf[4096];
    if (cap > sizeof buf)
        bench_die("ping-pong: messages of at most %zu bytes", sizeof buf);
    memset(buf, 0, cap);
    bool spin = p->mode == BENCH_PP_SPIN;
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < trips; i++)
        if (xfer(p->fd, buf, p->request_bytes, spin, true, 0) != 0 ||
            xfer(p->fd, buf, p->reply_bytes, spin, false, 0) != 0)
            bench_die("ping-pong round trip: %s", strerror(errno));
    double ns = (double)(bench_now_ns() - t0) / trips;
    if (restore)
        sched_setaffinity(0, sizeof saved, &saved);
    return ns;
}

void bench_pp_stop(bench_pp_peer *p)
{
    close(p->fd); /* the peer reads the end and leaves */
    int waited = 0;
    while (waitpid(p->pid, NULL, WNOHANG) == 0 && waited++ < 500)
        usleep(10000);
    if (waited > 500) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
}
