/*
 * routing_replica.c — main() of the routing tests' replicas (r1..r5): as
 * node_main.c (start, serve until SIGTERM, leave cleanly, exit 0 only when
 * nb_stop returned), and it also dies with the driver that spawned it, so a
 * driver killed by a test timeout leaves no replica behind.
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
