/*
 * upgrade_probe.c — a build-v2 caller for the rolling-upgrade test
 * (test_upgrade.c): node new@127.0.0.1, built from upgrade_v2/. It waits for
 * u1..u3, makes one call of each API and checks what the driver expects:
 *
 *   upgrade_probe CHANGED ADDED
 *     CHANGED  ok           changed_scale(4, 3) returns 12
 *              other:NODES  NB_E_NO_WORKER naming NODES ("a, b") as serving
 *                           changed_scale only with another signature
 *     ADDED    ok           added_square(5) returns 25
 *              none         NB_E_NO_WORKER: connected nodes do not serve it
 *
 * stable_add is checked every time. Exits 0 when everything was as expected,
 * 1 otherwise (saying what on stderr), 2 when the cluster did not come up.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <nebula.h>

#include "upg.h"

static int failures;

static void check(int ok, const char *what)
{
    fprintf(stderr, "%s: %s", ok ? "ok" : "FAILED", what);
    if (!ok) {
        fprintf(stderr, " (last outcome %s: %s)", nb_code_name(nb_last_code()),
                nb_last_message());
        failures++;
    }
    fputc('\n', stderr);
}

/* True when the last call failed with NB_E_NO_WORKER and its message holds s. */
static int no_worker_saying(const char *s)
{
    return nb_last_code() == NB_E_NO_WORKER && strstr(nb_last_message(), s) != NULL;
}

int main(int argc, char **argv)
{
    pid_t driver = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver)
        return 3;
    if (argc != 3) {
        fprintf(stderr, "usage: upgrade_probe CHANGED ADDED\n");
        return 2;
    }
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return 2;
    }
    static const char *const servers[] = {"@:\"u1@127.0.0.1\"", "@:\"u2@127.0.0.1\"",
                                          "@:\"u3@127.0.0.1\""};
    for (int i = 0; i < 3; i++) {
        if (nb_await(servers[i], 30000) != 0) {
            fprintf(stderr, "nb_await: %s\n", nb_last_message());
            nb_stop();
            return 2;
        }
    }

    int64_t v = stable_add(2, 3);
    check(nb_last_code() == NB_OK && v == 5, "stable_add(2, 3) == 5 (unchanged API)");

    char want[512];
    if (strcmp(argv[1], "ok") == 0) {
        v = changed_scale(4, 3);
        check(nb_last_code() == NB_OK && v == 12, "changed_scale(4, 3) == 12");
    } else if (strncmp(argv[1], "other:", 6) == 0) {
        v = changed_scale(4, 3);
        snprintf(want, sizeof want, "; %s serve%s changed_scale only with another signature",
                 argv[1] + 6, strchr(argv[1] + 6, ',') ? "" : "s");
        check(v == 0 && no_worker_saying(want) && no_worker_saying("rebuilt"),
              "changed_scale(4, 3): NB_E_NO_WORKER naming the nodes with the other signature");
    } else {
        check(0, "CHANGED: expected ok or other:NODES");
    }

    if (strcmp(argv[2], "ok") == 0) {
        v = added_square(5);
        check(nb_last_code() == NB_OK && v == 25, "added_square(5) == 25");
    } else {
        v = added_square(5);
        check(v == 0 && no_worker_saying("does not serve it"),
              "added_square(5): NB_E_NO_WORKER, the connected nodes do not serve it");
    }
    nb_stop();
    return failures ? 1 : 0;
}
