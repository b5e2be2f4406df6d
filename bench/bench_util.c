#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

#include <nebula.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CHILDREN = 64 }; /* bench/scale.c spawns 32 nodes */
static pid_t children[MAX_CHILDREN];
static int n_children;

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void stop_children(void)
{
    for (int i = 0; i < n_children; i++)
        if (children[i] > 0)
            bench_stop(children[i]);
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1); /* atexit stops the children */
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        bench_die("free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

void bench_cluster_env(const char *first, ...)
{
    char buf[1024] = "";
    size_t used = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *node = first; node != NULL; node = va_arg(ap, const char *)) {
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=127.0.0.1:%d",
                                 used ? "," : "", node, free_port());
        if (used >= sizeof buf)
            bench_die("too many nodes");
    }
    va_end(ap);
    setenv("NEBULA_ADDRESSES", buf, 1);
    setenv("NEBULA_COOKIE", "nebula-bench-cookie", 1);
    if (atexit(stop_children) != 0)
        bench_die("atexit");
}

static void track(pid_t pid)
{
    if (n_children == MAX_CHILDREN)
        bench_die("too many children");
    children[n_children++] = pid;
}

pid_t bench_spawn(const char *bin, const char *node)
{
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0) {
        /* A bench killed by a signal skips atexit: the child goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        setenv("NEBULA_NODE", node, 1);
        execl(bin, bin, (char *)NULL);
        fprintf(stderr, "bench: exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    track(pid);
    return pid;
}

void bench_stop(pid_t pid)
{
    for (int i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = 0;
    kill(pid, SIGTERM);
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int read_full(int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    for (size_t put = 0; put < len;) {
        ssize_t w = write(fd, (const char *)buf + put, len - put);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        put += (size_t)w;
    }
    return 0;
}

/* The raw protocol: a request is [u32 request length][u32 reply length][padding];
 * the reply is reply-length bytes. Exactly the bytes the caller asked for. */
static void raw_echo_serve(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap);
    uint32_t hdr[2];
    while (read_full(fd, hdr, sizeof hdr) == 0) {
        size_t need = hdr[0] > hdr[1] ? hdr[0] : hdr[1];
        if (need > cap) {
            cap = need;
            buf = realloc(buf, cap);
        }
        if (hdr[0] > sizeof hdr && read_full(fd, buf, hdr[0] - sizeof hdr) != 0)
            break;
        if (write_full(fd, buf, hdr[1]) != 0)
            break;
    }
    _exit(0);
}

int bench_loopback_listen(struct sockaddr_in *addr, const char *who)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(lfd, 1) != 0 ||
        getsockname(lfd, (struct sockaddr *)addr, &len) != 0)
        bench_die("%s peer: %s", who, strerror(errno));
    return lfd;
}

int bench_loopback_connect(const struct sockaddr_in *addr, const char *who)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0)
        bench_die("%s connect: %s", who, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bench_raw_peer bench_raw_start(void)
{
    struct sockaddr_in a;
    int lfd = bench_loopback_listen(&a, "raw");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0)
        raw_echo_serve(lfd);
    track(pid);
    close(lfd);
    return (bench_raw_peer){.pid = pid, .fd = bench_loopback_connect(&a, "raw")};
}

double bench_raw_round(bench_raw_peer *p, size_t request_bytes, size_t reply_bytes, int trips)
{
    size_t need = request_bytes > reply_bytes ? request_bytes : reply_bytes;
    if (need < 8)
        need = 8;
    if (need > p->cap) {
        p->buf = realloc(p->buf, need);
        memset(p->buf, 0, need);
        p->cap = need;
    }
    uint32_t hdr[2] = {(uint32_t)request_bytes, (uint32_t)reply_bytes};
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < trips; i++) {
        memcpy(p->buf, hdr, sizeof hdr);
        if (write_full(p->fd, p->buf, request_bytes) != 0 ||
            read_full(p->fd, p->buf, reply_bytes) != 0)
            bench_die("raw round trip: %s", strerror(errno));
    }
    return (double)(bench_now_ns() - t0) / trips;
}

void bench_raw_stop(bench_raw_peer *p)
{
    close(p->fd);
    free(p->buf);
    bench_stop(p->pid);
}

/* The pipelined peer: answers every complete request it has read with one
 * reply, all of a read's replies in one write. Requests and replies have fixed
 * sizes, so counting bytes is enough to know how many arrived. */
static void pipe_serve(int lfd, size_t request_bytes, size_t reply_bytes)
{
    int fd = accept(lfd, NULL, NULL);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t in_cap = 1 << 16;
    unsigned char *in = malloc(in_cap);
    unsigned char *out = calloc(in_cap / request_bytes + 2, reply_bytes);
    uint64_t got = 0, answered = 0;
    for (;;) {
        ssize_t n = read(fd, in, in_cap);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (uint64_t)n;
        uint64_t complete = got / request_bytes;
        if (complete > answered &&
            write_full(fd, out, (size_t)(complete - answered) * reply_bytes) != 0)
            break;
        answered = complete;
    }
    _exit(0);
}

bench_pipe_peer bench_pipe_start(size_t request_bytes, size_t reply_bytes)
{
    struct sockaddr_in a;
    int lfd = bench_loopback_listen(&a, "pipe");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0)
        pipe_serve(lfd, request_bytes, reply_bytes);
    track(pid);
    close(lfd);
    return (bench_pipe_peer){.pid = pid, .fd = bench_loopback_connect(&a, "pipe"),
                             .request_bytes = request_bytes, .reply_bytes = reply_bytes};
}

double bench_pipe_round(bench_pipe_peer *p, int window, int64_t duration_ns)
{
    size_t rcap = 1 << 16, wlen = (size_t)window * p->request_bytes;
    if (p->cap < rcap + wlen) {
        free(p->buf);
        p->cap = rcap + wlen;
        p->buf = calloc(1, p->cap);
        if (!p->buf)
            bench_die("pipe: out of memory");
    }
    unsigned char *rbuf = p->buf, *wbuf = p->buf + rcap;
    int64_t t0 = bench_now_ns(), stop = t0 + duration_ns;
    uint64_t got = 0, replies = 0, sent = (uint64_t)window;
    bool sending = true;
    if (write_full(p->fd, wbuf, wlen) != 0)
        bench_die("pipe write: %s", strerror(errno));
    /* Every reply read makes room for one more request, until the time is up;
     * then what is still in flight is drained, so the next round starts clean. */
    while (replies < sent) {
        ssize_t n = read(p->fd, rbuf, rcap);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            bench_die("pipe read: %s", n < 0 ? strerror(errno) : "peer closed");
        }
        got += (uint64_t)n;
        uint64_t k = got / p->reply_bytes - replies;
        replies += k;
        if (sending && k > 0 && bench_now_ns() >= stop)
            sending = false;
        if (sending && k > 0) {
            if (write_full(p->fd, wbuf, (size_t)k * p->request_bytes) != 0)
                bench_die("pipe write: %s", strerror(errno));
            sent += k;
        }
    }
    return (double)(bench_now_ns() - t0) / (double)replies;
}

/* The 32-thread raw mux (bench_mux_round): callers queue themselves in request
 * order under the write mutex, the reader wakes them in that order. */
typedef struct mux_waiter {
    atomic_uint done; /* a futex word */
    struct mux_waiter *next;
} mux_waiter;

typedef struct mux {
    bench_pipe_peer *p;
    pthread_mutex_t mu; /* the socket's write side and the queue of waiters */
    mux_waiter *head, *tail;
    uint64_t sent;      /* under mu */
    atomic_bool stop, drained;
    atomic_long calls;
} mux;

static void *mux_caller(void *arg)
{
    mux *m = arg;
    mux_waiter me;
    unsigned char req[256] = {0};
    while (!atomic_load(&m->stop)) {
        atomic_store(&me.done, 0);
        me.next = NULL;
        pthread_mutex_lock(&m->mu);
        if (m->tail)
            m->tail->next = &me;
        else
            m->head = &me;
        m->tail = &me;
        m->sent++;
        if (write_full(m->p->fd, req, m->p->request_bytes) != 0)
            bench_die("mux write: %s", strerror(errno));
        pthread_mutex_unlock(&m->mu);
        while (atomic_load(&me.done) == 0)
            syscall(SYS_futex, &me.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        atomic_fetch_add(&m->calls, 1);
    }
    return NULL;
}

/* Wakes the caller of every complete reply, in order, until drained is set and
 * every request sent has been answered. */
static void *mux_reader(void *arg)
{
    mux *m = arg;
    uint64_t got = 0, answered = 0;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        bool finished = atomic_load(&m->drained) && answered == m->sent;
        pthread_mutex_unlock(&m->mu);
        if (finished)
            return NULL;
        struct pollfd pfd = {.fd = m->p->fd, .events = POLLIN};
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        ssize_t n = read(m->p->fd, m->p->buf, m->p->cap);
        if (n <= 0)
            bench_die("mux read: %s", n < 0 ? strerror(errno) : "peer closed");
        got += (uint64_t)n;
        for (; answered < got / m->p->reply_bytes; answered++) {
            pthread_mutex_lock(&m->mu);
            mux_waiter *w = m->head;
            m->head = w->next;
            if (!m->head)
                m->tail = NULL;
            pthread_mutex_unlock(&m->mu);
            atomic_store(&w->done, 1);
            syscall(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        }
    }
}

double bench_mux_round(bench_pipe_peer *p, int threads, int64_t duration_ns)
{
    enum { MAX_THREADS = 256 };
    if (threads > MAX_THREADS || p->request_bytes > 256)
        bench_die("mux: too many threads or too large a request");
    if (p->cap < (1 << 16)) {
        free(p->buf);
        p->cap = 1 << 16;
        if (!(p->buf = calloc(1, p->cap)))
            bench_die("mux: out of memory");
    }
    mux m = {.p = p, .mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_t reader, callers[MAX_THREADS];
    int64_t t0 = bench_now_ns();
    pthread_create(&reader, NULL, mux_reader, &m);
    for (int i = 0; i < threads; i++)
        pthread_create(&callers[i], NULL, mux_caller, &m);
    nanosleep(&(struct timespec){duration_ns / 1000000000, duration_ns % 1000000000}, NULL);
    atomic_store(&m.stop, true);
    for (int i = 0; i < threads; i++)
        pthread_join(callers[i], NULL);
    int64_t elapsed = bench_now_ns() - t0;
    atomic_store(&m.drained, true);
    pthread_join(reader, NULL);
    return (double)elapsed / (double)atomic_load(&m.calls);
}

void bench_pipe_stop(bench_pipe_peer *p)
{
    close(p->fd);
    free(p->buf);
    bench_stop(p->pid);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[64];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

bench_row bench_make_row(const char *name, const char *unit, const double *value,
                         const double *baseline, int rounds, double goal)
{
    bench_row r = {.unit = unit, .goal = goal};
    snprintf(r.name, sizeof r.name, "%s", name);
    r.value = median(value, rounds);
    r.baseline = median(baseline, rounds);
    r.ratio = r.value / r.baseline;
    return r;
}

void bench_print(const bench_row *rows, size_t n, const char *json)
{
    printf("%-48s %12s %12s %7s %7s\n", "figure (median of rounds)", "value", "baseline", "ratio",
           "goal");
    for (size_t i = 0; i < n; i++) {
        double div = strcmp(rows[i].unit, "us") == 0 ? 1000.0 : 1.0;
        char goal[16] = "-";
        if (rows[i].goal > 0)
            snprintf(goal, sizeof goal, "<=%.1f", rows[i].goal);
        printf("%-48s %9.2f %-2s %9.2f %-2s %7.2f %7s\n", rows[i].name, rows[i].value / div,
               rows[i].unit, rows[i].baseline / div, rows[i].unit, rows[i].ratio, goal);
    }
    if (json == NULL)
        return;
    FILE *f = fopen(json, "w");
    if (f == NULL)
        bench_die("%s: %s", json, strerror(errno));
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  {\"figure\": \"%s\", \"value_ns\": %.3f, \"baseline_ns\": %.3f, "
                   "\"ratio\": %.4f, \"goal\": %.2f}%s\n",
                rows[i].name, rows[i].value, rows[i].baseline, rows[i].ratio, rows[i].goal,
                i + 1 < n ? "," : "");
    fputs("]\n", f);
    fclose(f);
}

void bench_print_rates(const bench_row *rows, size_t n, const char *json)
{
    printf("%-52s %13s %13s %7s %7s\n", "figure (median of rounds)", "calls/s", "baseline/s",
           "speed", "goal");
    for (size_t i = 0; i < n; i++) {
        char goal[16] = "-";
        if (rows[i].goal > 0)
            snprintf(goal, sizeof goal, ">=%.1f", rows[i].goal);
        printf("%-52s %13.0f %13.0f %7.2f %7s\n", rows[i].name, 1e9 / rows[i].value,
               1e9 / rows[i].baseline, rows[i].baseline / rows[i].value, goal);
    }
    if (json == NULL)
        return;
    FILE *f = fopen(json, "w");
    if (f == NULL)
        bench_die("%s: %s", json, strerror(errno));
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  {\"figure\": \"%s\", \"calls_per_s\": %.0f, \"baseline_per_s\": %.0f, "
                   "\"speed\": %.4f, \"goal_min\": %.2f, \"value_ns\": %.3f, "
                   "\"baseline_ns\": %.3f}%s\n",
                rows[i].name, 1e9 / rows[i].value, 1e9 / rows[i].baseline,
                rows[i].baseline / rows[i].value, rows[i].goal, rows[i].value, rows[i].baseline,
                i + 1 < n ? "," : "");
    fputs("]\n", f);
    fclose(f);
}

int bench_serve(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "bench server: nb_start: %s\n", nb_last_message());
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    nb_stop();
    return 0;
}
