/*
 * main.c — one program for every node of every layout.
 *
 * Each node opens what its tags call for, then starts the cluster runtime. The
 * api node runs the scripted session (session.c); every other node serves
 * until SIGTERM or SIGINT. Which is which is decided per node at build time.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_sigmask, sigwait */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "health.h"
#include "session.h"
#include "users.h"

#if !NB_ON("&api")
/* Blocks SIGTERM and SIGINT in this thread and, by inheritance, in the threads
 * nb_start() creates, so that serve_until_stopped() alone receives them. The
 * set is the caller's, filled here. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* set is borrowed: the signals block_stop_signals() blocked. */
static void serve_until_stopped(const sigset_t *set)
{
    int sig;
    sigwait(set, &sig);
    printf("%s: stopping on signal %d\n", nb_self_node(), sig);
}
#endif

/* argv is borrowed. The api node takes one option, --failover (see session.h). */
int main(int argc, char **argv)
{
    node_health_start();
    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
#if NB_ON("&db")
    /* Only &db nodes open the database; the others have no SQLite at all. */
    if (users_store_open(getenv("SHOP_DB")) != 0)
        return 1;
#endif
#if !NB_ON("&api")
    sigset_t stop;
    block_stop_signals(&stop);
#endif
    int status = 1;
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s (%s)\n", nb_last_message(), nb_code_name(nb_last_code()));
    } else {
#if NB_ON("&api")
        status = session_run(argc > 1 && strcmp(argv[1], "--failover") == 0);
#else
        (void)argc, (void)argv; /* only the api node takes options */
        printf("%s: serving\n", nb_self_node());
        serve_until_stopped(&stop);
        status = 0;
#endif
        nb_stop();
    }
#if NB_ON("&db")
    users_store_close();
#endif
    return status;
}
