/*
 * probe.c — a short-lived node run by the security tests, built as api (from
 * nebula.yaml, or from other.yaml for another topology fingerprint) and run as a
 * generic node under another name. argv[1] says what it checks:
 *
 *   refused   it must never see db1: nb_await fails and a call finds no worker.
 *             Exit 0 when so.
 *   generic   it must reach db1 and run every call remotely (even the &store ones
 *             its binary has bodies for), then serve until SIGTERM. Exit 0 when so.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula.h>

#include "api.h"

static int fail(const char *what)
{
    fprintf(stderr, "probe: FAILED: %s (%s: %s)\n", what, nb_code_name(nb_last_code()),
            nb_last_message());
    return 1;
}

static int refused(void)
{
    if (nb_await("@db1", 1500) == 0)
        return fail("db1 accepted this node");
    fprintf(stderr, "probe: await: %s\n", nb_last_message());
    char *w = whoami();
    if (w || nb_last_code() != NB_E_NO_WORKER)
        return fail("a call found a worker");
    /* The caller is told why (the test reads this line). */
    fprintf(stderr, "probe: call: %s\n", nb_last_message());
    fprintf(stderr, "probe: refused as expected\n");
    return 0;
}

static int generic(sigset_t *set)
{
    if (nb_await("@db1", 10000) != 0)
        return fail("db1 not reachable");
    char *w = where();
    if (!w || strcmp(w, nb_self_node()) == 0)
        return fail("a &store call ran locally on a generic node");
    free(w);
    char *e = echo_str("generic");
    if (!e || strcmp(e, "generic") != 0)
        return fail("echo_str");
    free(e);
    fprintf(stderr, "probe: generic-ok\n");
    int sig;
    sigwait(set, &sig);
    return 0;
}

int main(int argc, char **argv)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (argc < 2)
        return 2;
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "probe: nb_start: %s\n", nb_last_message());
        return 2;
    }
    int rc = strcmp(argv[1], "refused") == 0 ? refused() : generic(&set);
    nb_stop();
    return rc;
}
