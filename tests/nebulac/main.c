/*
 * main.c — the two nodes of every corpus idiom. b serves until SIGTERM; a waits
 * for b, calls corpus_value(20) directly and through corpus_value__with, and
 * exits 0 only when both answers came from b (41: 2 * 20 + 1) with NB_OK.
 */
#define _POSIX_C_SOURCE 200809L /* sigset_t, sigwait under -std=c99 */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <nebula.h>

#include "corpus.h"

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return 2;
    }
    if (strncmp(nb_self_node(), "b@", 2) == 0) {
        int sig;
        fprintf(stderr, "node b ready\n");
        sigwait(&set, &sig);
        nb_stop();
        return 0;
    }
    if (nb_await("&serve", 10000) != 0) {
        fprintf(stderr, "b never came up: %s\n", nb_last_message());
        nb_stop();
        return 3;
    }
    int direct = corpus_value(20);
    nb_code code1 = nb_last_code();
    int with = corpus_value__with(NULL, 20);
    nb_code code2 = nb_last_code();
    printf("corpus_value(20) -> %d (%s), corpus_value__with -> %d (%s)\n", direct, nb_code_name(code1),
           with, nb_code_name(code2));
    nb_stop();
    /* corpus_tail is defined after the API in every idiom: code after a body survives. */
    return direct == 41 && with == 41 && code1 == NB_OK && code2 == NB_OK && corpus_tail == 7 ? 0 : 1;
}
