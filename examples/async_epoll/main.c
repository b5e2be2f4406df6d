/*
 * main.c — an epoll event loop that keeps thousands of calls in flight.
 *
 * Built as loop@127.0.0.1 it calls kv_mix on the &kv node asynchronously: it
 * starts --in-flight calls (kv_mix__async), puts each future's descriptor
 * (nb_future_fd) in one epoll set beside a timerfd that ticks every 250 ms, and
 * whenever a descriptor is readable takes the value (kv_mix__await, which does
 * not wait then) and starts the next call in its place, until --calls calls are
 * done. No thread is parked on a call; the loop only ever sleeps in epoll_wait.
 *
 * Built as kv@127.0.0.1 it serves kv_mix until SIGTERM.
 *
 *   async_epoll_kv &
 *   async_epoll_loop [--calls N] [--in-flight W]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>

#include <nebula.h>

#include "kv.h"

#if NB_ON("@loop")

#define TICK_TAG UINT64_MAX

/* kv_mix's body runs on the &kv node only; the loop checks every value with
 * its own copy. */
static uint64_t mix_here(uint64_t key)
{
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    return key ^ (key >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct slot {
    nb_future *fut;
    uint64_t key;
} slot;

/* Starts kv_mix(key) in slot s and watches its descriptor. Returns 0 or -1. */
static int start_call(int ep, slot *slots, uint64_t s, uint64_t key)
{
    slots[s].key = key;
    slots[s].fut = kv_mix__async(key);
    int fd = nb_future_fd(slots[s].fut);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s};
    if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fprintf(stderr, "watching a future: %s\n", fd < 0 ? nb_last_message() : strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long calls = 200000, window = 4096;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--calls") == 0)
            calls = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--in-flight") == 0)
            window = strtol(argv[i + 1], NULL, 10);
    }
    if (calls < 1 || window < 1 || window > 65536) {
        fprintf(stderr, "usage: %s [--calls N] [--in-flight 1..65536]\n", argv[0]);
        return 2;
    }
    if (window > calls)
        window = calls;
    /* One eventfd per future in flight: room for them. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < (rlim_t)window + 64) {
        nofile.rlim_cur = (rlim_t)window + 64 > nofile.rlim_max ? nofile.rlim_max
                                                                 : (rlim_t)window + 64;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (nb_start(NULL) != 0 || nb_await("&kv", 10000) != 0) {
        fprintf(stderr, "start: %s\n", nb_last_message());
        nb_stop();
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct itimerspec every = {{0, 250000000}, {0, 250000000}};
    struct epoll_event tev = {.events = EPOLLIN, .data.u64 = TICK_TAG};
    slot *slots = calloc((size_t)window, sizeof *slots);
    if (ep < 0 || tick < 0 || !slots || timerfd_settime(tick, 0, &every, NULL) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, tick, &tev) < 0) {
        perror("setup");
        return 1;
    }

    double t0 = now_s();
    long started = 0, done = 0, failed = 0, wrong = 0, ticks = 0;
    for (; started < window; started++)
        if (start_call(ep, slots, (uint64_t)started, (uint64_t)started) < 0)
            return 1;
    while (done < calls) {
        struct epoll_event evs[512];
        int n = epoll_wait(ep, evs, 512, 1000);
        for (int k = 0; k < n; k++) {
            uint64_t s = evs[k].data.u64;
            if (s == TICK_TAG) {
                uint64_t expirations;
                if (read(tick, &expirations, sizeof expirations) > 0)
                    ticks++;
                continue;
            }
            /* Readable: the outcome is in, so this does not wait. It closes the
             * descriptor, which also takes it out of the epoll set. */
            uint64_t v = kv_mix__await(slots[s].fut);
            if (nb_last_code() != NB_OK) {
                if (failed++ < 5)
                    fprintf(stderr, "kv_mix(%" PRIu64 "): %s\n", slots[s].key, nb_last_message());
            } else if (v != mix_here(slots[s].key)) {
                wrong++;
            }
            done++;
            if (started < calls && start_call(ep, slots, s, (uint64_t)started++) < 0)
                return 1;
        }
    }
    double secs = now_s() - t0;
    printf("calls %ld, in flight %ld, failed %ld, wrong %ld, %.2f s, %.0f calls/s, "
           "%ld loop ticks meanwhile\n",
           done, window, failed, wrong, secs, (double)done / secs, ticks);
    close(tick);
    close(ep);
    free(slots);
    nb_stop();
    return failed == 0 && wrong == 0 ? 0 : 1;
}

#else /* the &kv node: serve until SIGTERM */

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    nb_stop();
    return 0;
}
#endif
