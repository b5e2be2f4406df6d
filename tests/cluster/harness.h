/*
 * harness.h — real node processes on loopback for the cluster tests.
 *
 * Every child is registered the moment it is forked and is killed and reaped at
 * exit (atexit and on SIGABRT from a failed assertion), so no test leaves a
 * process behind. Waits are bounded; nothing here sleeps for a fixed time to let
 * something happen.
 */
#ifndef CLUSTER_HARNESS_H
#define CLUSTER_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

/* A free TCP port on 127.0.0.1 (bound to port 0, read back, released). */
int h_free_port(void);

/* A fresh scratch directory for this run's logs (static storage). */
const char *h_scratch_dir(void);

/* Removes the scratch directory and its logs (call when every test passed;
 * after a failure they are kept, and their path is printed). */
void h_scratch_done(bool passed);

/* Starts exe with argv (argv[0] included, NULL-terminated) and the current
 * environment plus `env` ("K=V" strings, NULL-terminated; may be NULL). Its
 * stderr and stdout go to <scratch>/<log_name>.log. Returns the pid or -1. */
pid_t h_spawn(const char *exe, char *const argv[], char *const env[], const char *log_name);

/* SIGTERM, then SIGKILL if it has not exited within timeout_ms; reaps it.
 * Returns its exit status (0..255), 128+signal when killed by one, -1 if unknown. */
int h_stop(pid_t pid, int timeout_ms);

/* SIGKILL and reap. */
void h_kill(pid_t pid);

/* Waits for pid to exit by itself within timeout_ms (then kills it); returns as
 * h_stop does. */
int h_wait(pid_t pid, int timeout_ms);

/* True when <scratch>/<log_name>.log contains `needle`, waiting up to timeout_ms
 * for it to appear. */
bool h_log_contains(const char *log_name, const char *needle, int timeout_ms);

/* Milliseconds on the monotonic clock. */
long long h_now_ms(void);

/* Sends SIGSTOP and waits (bounded) until the process is really stopped: kill()
 * returns before the target has taken the signal. Returns 0, or -1 at timeout. */
int h_sigstop(pid_t pid, int timeout_ms);

/* --- With libnebula (harness_nodes.c): this process is a node of the cluster --- */

/*
 * Points this process, and every child it spawns after, at a loopback cluster
 * of the n nodes names[0..n): $NEBULA_ADDRESSES gets names[i]=127.0.0.1:<a free
 * port> (stored in ports_out[i] when ports_out is not NULL), $NEBULA_COOKIE
 * "<tag>-test-cookie-<pid>", and the variables that would override them are
 * unset. Call before nb_start().
 */
void h_cluster_env(const char *const names[], int n, int ports_out[], const char *tag);

/*
 * Spawns a node as h_spawn does (env NULL) and waits up to wait_ms until this
 * process's node sees it connected: nb_await on exactly node_name. Returns its
 * pid, or -1 after printing why (the child is then stopped).
 */
pid_t h_start_node(const char *exe, char *const argv[], const char *node_name,
                   const char *log_name, int wait_ms);

/*
 * Stops *pid (nothing when it is <= 0) as h_stop does and sets *pid to 0.
 * Returns 0 when it exited with status 0 (no sanitizer report, no crash),
 * otherwise prints name and the status and returns -1.
 */
int h_stop_node(pid_t *pid, const char *name, int timeout_ms);

#endif /* CLUSTER_HARNESS_H */
