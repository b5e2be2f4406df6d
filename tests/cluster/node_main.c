/*
 * node_main.c — main() of every serving node the tests spawn (the cluster
 * tests' db1, db2 and replicas, the hostile suite's node, the fault suite's
 * s1..s3, which it kills and stops on purpose): start, say "ready", serve until
 * SIGTERM, then leave cleanly.
 * Exits 0 only when nb_stop returned, so a sanitizer's leak report at exit fails
 * the test that stopped it. It also dies with the driver that spawned it, so a
 * driver killed by a test timeout leaves no node behind.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <nebula.h>

int main(void)
{
    pid_t driver = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver)
        return 3; /* the driver is already gone */
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
    fprintf(stderr, "node %s ready\n", nb_self_node());
    int sig;
    sigwait(&set, &sig);
    nb_stop();
    fprintf(stderr, "node stopped\n");
    return 0;
}
