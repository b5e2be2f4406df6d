/*
 * harness_nodes.c — the cluster tests' nodes as this process's node sees them:
 * the loopback environment, starting a node and waiting until it is connected,
 * stopping it and checking it exited cleanly. See harness.h.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <nebula.h>

void h_cluster_env(const char *const names[], int n, int ports_out[], const char *tag)
{
    static char addresses[2048], cookie[96];
    size_t off = 0;
    for (int i = 0; i < n && off < sizeof addresses; i++) {
        int port = h_free_port();
        if (ports_out)
            ports_out[i] = port;
        off += (size_t)snprintf(addresses + off, sizeof addresses - off, "%s%s=127.0.0.1:%d",
                                i ? "," : "", names[i], port);
    }
    if (off >= sizeof addresses) {
        fprintf(stderr, "h_cluster_env: %d nodes do not fit in $NEBULA_ADDRESSES\n", n);
        abort();
    }
    snprintf(cookie, sizeof cookie, "%s-test-cookie-%d", tag, (int)getpid());
    setenv("NEBULA_ADDRESSES", addresses, 1);
    setenv("NEBULA_COOKIE", cookie, 1);
    unsetenv("NEBULA_NODE");
    unsetenv("NEBULA_LISTEN");
    unsetenv("NEBULA_COOKIE_FILE");
    unsetenv("NEBULA_ALLOW_RUNTIME_NODE_MISMATCH");
}

pid_t h_start_node(const char *exe, char *const argv[], const char *node_name,
                   const char *log_name, int wait_ms)
{
    pid_t pid = h_spawn(exe, argv, NULL, log_name);
    if (pid <= 0) {
        fprintf(stderr, "cannot start %s (%s)\n", node_name, exe);
        return -1;
    }
    char sel[160];
    snprintf(sel, sizeof sel, "@:\"%s\"", node_name);
    if (nb_await(sel, wait_ms) != 0) {
        fprintf(stderr, "%s did not connect: %s\n", node_name, nb_last_message());
        h_kill(pid);
        return -1;
    }
    return pid;
}

int h_stop_node(pid_t *pid, const char *name, int timeout_ms)
{
    if (*pid <= 0)
        return 0;
    int st = h_stop(*pid, timeout_ms);
    *pid = 0;
    if (st != 0) {
        fprintf(stderr, "%s exited with status %d\n", name, st);
        return -1;
    }
    return 0;
}
