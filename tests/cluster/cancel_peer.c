/*
 * cancel_peer.c — main() of peer@127.0.0.1, the second caller of test_cancel.c.
 *
 *   cancel_peer greedy   128 threads, each calling slow_fair(200) on srv1 over and
 *                        over (10 s timeout; 5 ms pause after a failure) until
 *                        killed: a peer that wants every slot and queue place
 *   cancel_peer hang T   one call watch_cancel(T, 20000) on srv1 with a 30 s
 *                        timeout; the test kills this process during it
 *
 * It dies with the driver that spawned it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>

#include "cancel_api.h"

#define GREEDY_THREADS 128

static void *greedy(void *arg)
{
    (void)arg;
    nb_call on_srv1 = {.node = "@srv1", .timeout_ms = 10000};
    for (;;) {
        slow_fair__with(&on_srv1, 200);
        if (nb_last_code() != NB_OK) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pid_t driver = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver)
        return 3;
    if (argc < 2 || nb_start(NULL) != 0) {
        fprintf(stderr, "usage: cancel_peer greedy|hang TOKEN (or nb_start failed: %s)\n",
                nb_last_message());
        return 2;
    }
    if (nb_await("@srv1", 20000) != 0) {
        fprintf(stderr, "srv1 is not up: %s\n", nb_last_message());
        return 2;
    }
    if (strcmp(argv[1], "greedy") == 0) {
        for (int i = 0; i < GREEDY_THREADS; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, greedy, NULL) != 0)
                return 2;
        }
        fprintf(stderr, "greedy running\n");
        pause();
    } else if (strcmp(argv[1], "hang") == 0 && argc == 3) {
        fprintf(stderr, "calling\n");
        nb_call on_srv1 = {.node = "@srv1", .timeout_ms = 30000};
        watch_cancel__with(&on_srv1, atoll(argv[2]), 20000);
        fprintf(stderr, "returned %s\n", nb_code_name(nb_last_code()));
    }
    nb_stop();
    return 0;
}
