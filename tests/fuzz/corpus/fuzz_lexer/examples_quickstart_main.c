#define _POSIX_C_SOURCE 200809L /* sigwait, strdup */
/* One program, built once per node: the api node drives, the others serve. */
#include <signal.h>
#include <stdio.h>

#include <nebula.h>
#include "jobs.h"
#include "users.h"

#if NB_ON("@api")
static int drive(void)
{
    if (nb_await("&db", 10000) != 0 || nb_await("@worker", 10000) != 0) {
        fprintf(stderr, "cluster not up: %s\n", nb_last_message());
        return 1;
    }
    user_t *u = users_find(2); /* a remote call that reads like a local one */
    if (nb_last_code() != NB_OK) {
        fprintf(stderr, "users_find: %s\n", nb_last_message());
        return 1;
    }
    printf("users_find(2) -> %s\n", u ? u->name : "(none)");
    nb_free_user_t(u);

    user_t *nobody = users_find(42);
    printf("users_find(42) -> %s\n", nobody ? nobody->name : "NULL");

    char text[] = "hello, cluster";
    uint64_t sum = jobs_checksum((nb_bytes){text, sizeof text - 1});
    printf("jobs_checksum -> %016llx (%s)\n", (unsigned long long)sum,
           nb_code_name(nb_last_code()));
    return 0;
}
#endif

int main(void)
{
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return 1;
    }
    int status = 0;
#if NB_ON("@api")
    status = drive();
#else
    /* Serve until asked to stop. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
#endif
    nb_stop();
    return status;
}
