/*
 * work.c — the body the fault suite's driver calls, served by the &serve nodes.
 *
 * Each run appends one line to the file named by $FAULT_BODY_LOG, written with
 * one write() on an O_APPEND descriptor before the body does anything else, so
 * the line is in the kernel's hands even when the node is killed (kill -9) a
 * moment later, and lines of concurrent bodies never interleave:
 *
 *   <call id> <node> <start, CLOCK_REALTIME ms> <caller's deadline ms> <late: 0|1>
 *
 * `late` is 1 when the body started after its caller's deadline, that is after
 * the caller had given up. tests/fault/check.py reads these lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>

#include "fault_api.h"

/* Helpers of the body, compiled where it is (NB_ON is 0 on the driver). */
#if NB_ON("&serve")
static int log_fd = -1;
static int64_t node_no;

/* Opens the log once per process. A node started without $FAULT_BODY_LOG, or
 * unable to open it, aborts: a body that ran without its line would make the
 * checker's figures silently wrong. */
static void open_log(void)
{
    const char *path = getenv("FAULT_BODY_LOG");
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "work.c: $FAULT_BODY_LOG is not set\n");
        abort();
    }
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        fprintf(stderr, "work.c: %s: %s\n", path, strerror(errno));
        abort();
    }
    /* "s2@10.78.0.12" is node 2. */
    const char *self = nb_self_node();
    node_no = (self[0] == 's' && self[1] >= '1' && self[1] <= '9') ? self[1] - '0' : 0;
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

NB_API("&serve")
int64_t fault_work(int64_t id, int64_t deadline_ms, int32_t sleep_us)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    int64_t now = realtime_ms();
    pthread_once(&once, open_log);
    char line[192];
    int n = snprintf(line, sizeof line, "%" PRId64 " %s %" PRId64 " %" PRId64 " %d\n", id,
                     nb_self_node(), now, deadline_ms, now > deadline_ms);
    if (write(log_fd, line, (size_t)n) != n) {
        fprintf(stderr, "work.c: cannot log call %" PRId64 ": %s\n", id, strerror(errno));
        abort();
    }
    if (sleep_us > 0) {
        struct timespec ts = {sleep_us / 1000000, (long)(sleep_us % 1000000) * 1000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return (id & FAULT_ID_MASK) | (node_no << 56);
}
