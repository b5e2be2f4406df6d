/*
 * serve_main.c — main() of the fault suite's serving nodes (s1, s2, s3): start,
 * say so, serve until SIGTERM, then leave cleanly. The suite kills it (kill -9)
 * and stops it (SIGSTOP) on purpose; it dies with the script that started it
 * (PR_SET_PDEATHSIG), so a killed run leaves no node behind.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <nebula.h>

int main(void)
{
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 3; /* the script is already gone */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before nb_start, so the runtime's threads inherit the mask and the
     * signal is taken by sigwait below. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s: %s\n", nb_code_name(nb_last_code()), nb_last_message());
        return 2;
    }
    fprintf(stderr, "node %s serving\n", nb_self_node());
    int sig;
    sigwait(&set, &sig);
    nb_stop();
    fprintf(stderr, "node stopped\n");
    return 0;
}
