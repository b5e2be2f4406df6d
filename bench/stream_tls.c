/*
 * stream_tls.c — what TLS costs one connection's round trip, below the
 * runtime: ping-pong of 64-byte messages over loopback TCP through raw
 * sockets (transport plain moves bytes this way), a psk stream and an mtls
 * stream, side by side in one run. Rounds alternate between the three, so a
 * busy machine slows all alike; each figure is the median of the rounds.
 *
 *   bench_stream_tls [--rounds N] [--count N] [--tsv FILE]
 *
 * The mtls certificates are made by scripts/make-certs.sh in a temporary
 * directory. --tsv writes "figure<TAB>value_ns<TAB>baseline_ns" rows for
 * bench/run.sh: round trips, and the calling thread's CPU time per round trip
 * (steadier than wall-clock time on a busy machine).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "stream_tls.h"

#define MSG 64
#define WAIT_MS 10000

static void die(const char *what)
{
    fprintf(stderr, "bench_stream_tls: error: %s\n", what);
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CPU time (user + system) this thread has used. */
static double thread_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void wait_fd(int fd, short ev)
{
    struct pollfd p = {fd, ev, 0};
    if (poll(&p, 1, WAIT_MS) != 1)
        die("a wait timed out");
}

/* One end: a raw non-blocking socket (s == NULL) or a stream over it. */
typedef struct end {
    int fd;
    nb__stream *s;
} end;

/* Writes all of buf, pushing held bytes out. */
static void write_all(end *e, const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n || (e->s && nb__stream_unsent(e->s) > 0)) {
        ssize_t w;
        if (e->s == NULL) {
            w = send(e->fd, buf + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        } else {
            struct iovec iov = {(void *)(buf + done), n - done};
            w = nb__stream_writev(e->s, &iov, done < n ? 1 : 0);
        }
        if (w < 0 && errno != EAGAIN)
            die("write failed");
        if (w > 0)
            done += (size_t)w;
        if (w < 0 || (e->s && nb__stream_unsent(e->s) > 0))
            wait_fd(e->fd, POLLOUT);
    }
}

/* Reads exactly n bytes; returns 0 at the end of the stream. */
static int read_all(end *e, char *buf, size_t n)
{
    size_t got = 0;
    char why[256];
    while (got < n) {
        ssize_t r = e->s ? nb__stream_read(e->s, buf + got, n - got, why, sizeof why)
                         : recv(e->fd, buf + got, n - got, MSG_DONTWAIT);
        if (r == 0)
            return 0;
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (errno != EAGAIN)
            return 0;
        if (e->s == NULL || !nb__stream_pending(e->s))
            wait_fd(e->fd, POLLIN);
    }
    return 1;
}

static void *echo_main(void *arg)
{
    end *e = arg;
    char buf[MSG];
    while (read_all(e, buf, MSG))
        write_all(e, buf, MSG);
    return NULL;
}

static void tcp_pair(int fds[2])
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0)
        die("cannot listen on loopback");
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fds[0], (struct sockaddr *)&a, sizeof a) != 0)
        die("cannot connect on loopback");
    fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    close(l);
    int one = 1;
    for (int i = 0; i < 2; i++) {
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
}

/* Both handshakes, driven from this thread. */
static void handshake(end *c, end *s)
{
    int done_c = 0, done_s = 0;
    char why[512];
    while (!done_c || !done_s) {
        struct pollfd p[2];
        int n = 0, want = 0;
        if (!done_c) {
            int r = nb__stream_handshake(c->s, &want, why, sizeof why);
            if (r < 0)
                die(why);
            done_c = r;
            if (!r)
                p[n++] = (struct pollfd){c->fd, (short)want, 0};
        }
        if (!done_s) {
            int r = nb__stream_handshake(s->s, &want, why, sizeof why);
            if (r < 0)
                die(why);
            done_s = r;
            if (!r)
                p[n++] = (struct pollfd){s->fd, (short)want, 0};
        }
        if (n > 0 && poll(p, (nfds_t)n, WAIT_MS) <= 0)
            die("the handshake timed out");
    }
}

typedef struct mode {
    const char *name;
    nb__stream_factory *fc, *fs;
    end client, server;
    pthread_t echo;
    double *ns;     /* per round: ns per round trip */
    double *cpu_ns; /* per round: the caller thread's CPU ns per round trip */
} mode;

static void mode_start(mode *m)
{
    int fds[2];
    tcp_pair(fds);
    m->client = (end){fds[0], NULL};
    m->server = (end){fds[1], NULL};
    if (m->fc != NULL) {
        m->client.s = nb__stream_tls_open(m->fc, fds[0], true, NULL);
        m->server.s = nb__stream_tls_open(m->fs, fds[1], false, NULL);
        if (!m->client.s || !m->server.s)
            die("out of memory");
        handshake(&m->client, &m->server);
    }
    if (pthread_create(&m->echo, NULL, echo_main, &m->server) != 0)
        die("cannot start the echo thread");
}

static double mode_round(mode *m, int count, double *cpu)
{
    char buf[MSG];
    memset(buf, 'x', sizeof buf);
    double t0 = now_ns(), c0 = thread_cpu_ns();
    for (int i = 0; i < count; i++) {
        write_all(&m->client, buf, MSG);
        if (!read_all(&m->client, buf, MSG))
            die("the echo stopped");
    }
    *cpu = (thread_cpu_ns() - c0) / count;
    return (now_ns() - t0) / count;
}

static void mode_stop(mode *m)
{
    if (m->client.s)
        nb__stream_goodbye(m->client.s);
    shutdown(m->client.fd, SHUT_WR);
    pthread_join(m->echo, NULL);
    nb__stream_free(m->client.s);
    nb__stream_free(m->server.s);
    close(m->client.fd);
    close(m->server.fd);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static nb__stream_factory *factory(const nb__security *sec)
{
    nb__stream_factory *f;
    char why[512];
    if (nb__stream_tls_factory_new(sec, &f, why, sizeof why) != 0)
        die(why);
    return f;
}

int main(int argc, char **argv)
{
    int rounds = 7, count = 20000;
    const char *tsv = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--tsv") == 0 && i + 1 < argc)
            tsv = argv[++i];
        else
            die("usage: bench_stream_tls [--rounds N] [--count N] [--tsv FILE]");
    }
    if (rounds < 1 || count < 1)
        die("--rounds and --count must be at least 1");
    signal(SIGPIPE, SIG_IGN);

    char dir[] = "/tmp/nb-bench-certs-XXXXXX", cmd[1024];
    if (mkdtemp(dir) == NULL)
        die("cannot make a temporary directory");
    snprintf(cmd, sizeof cmd, "%s/scripts/make-certs.sh %s c@h s@h", NEBULA_SOURCE_DIR, dir);
    if (system(cmd) != 0)
        die("scripts/make-certs.sh failed");
    char ca[256], cc[256], ck[256], sc[256], sk[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cc, sizeof cc, "%s/c@h.pem", dir);
    snprintf(ck, sizeof ck, "%s/c@h.key", dir);
    snprintf(sc, sizeof sc, "%s/s@h.pem", dir);
    snprintf(sk, sizeof sk, "%s/s@h.key", dir);
    static const char cookie[] = "a benchmark cookie of enough length";
    nb__security psk = {
        NB__TRANSPORT_PSK, (const unsigned char *)cookie, sizeof cookie - 1, NULL, NULL, NULL};
    nb__security mc = {NB__TRANSPORT_MTLS, NULL, 0, ca, cc, ck};
    nb__security ms = {NB__TRANSPORT_MTLS, NULL, 0, ca, sc, sk};
    nb__stream_factory *fpsk = factory(&psk);
    mode modes[3] = {
        {.name = "plain"},
        {.name = "psk", .fc = fpsk, .fs = fpsk},
        {.name = "mtls", .fc = factory(&mc), .fs = factory(&ms)},
    };
    for (int m = 0; m < 3; m++) {
        modes[m].ns = calloc((size_t)rounds, sizeof(double));
        modes[m].cpu_ns = calloc((size_t)rounds, sizeof(double));
        mode_start(&modes[m]);
        double cpu;
        mode_round(&modes[m], count / 10 + 1, &cpu); /* warm-up */
    }
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int m = 0; m < 3; m++) {
            modes[m].ns[r] = mode_round(&modes[m], count, &modes[m].cpu_ns[r]);
            printf(" %s %.2f us", modes[m].name, modes[m].ns[r] / 1000);
        }
        printf("\n");
        fflush(stdout);
    }
    double med[3], cpu[3];
    for (int m = 0; m < 3; m++) {
        mode_stop(&modes[m]);
        med[m] = median(modes[m].ns, rounds);
        cpu[m] = median(modes[m].cpu_ns, rounds);
    }
    printf("64-byte ping-pong over loopback, median of %d rounds of %d round trips:\n", rounds,
           count);
    printf("  raw TCP (plain) %8.2f us  (caller CPU %.2f us)\n", med[0] / 1000, cpu[0] / 1000);
    printf("  psk stream      %8.2f us  = %.2f x raw TCP  (caller CPU %.2f us = %.2f x)\n",
           med[1] / 1000, med[1] / med[0], cpu[1] / 1000, cpu[1] / cpu[0]);
    printf("  mtls stream     %8.2f us  = %.2f x raw TCP  (caller CPU %.2f us = %.2f x)\n",
           med[2] / 1000, med[2] / med[0], cpu[2] / 1000, cpu[2] / cpu[0]);
    if (tsv != NULL) {
        FILE *fp = fopen(tsv, "w");
        if (fp == NULL)
            die("cannot write the --tsv file");
        fprintf(fp, "stream ping-pong psk / raw TCP\t%.0f\t%.0f\n", med[1], med[0]);
        fprintf(fp, "stream ping-pong mtls / raw TCP\t%.0f\t%.0f\n", med[2], med[0]);
        fprintf(fp, "stream ping-pong caller CPU psk / raw TCP\t%.0f\t%.0f\n", cpu[1], cpu[0]);
        fprintf(fp, "stream ping-pong caller CPU mtls / raw TCP\t%.0f\t%.0f\n", cpu[2], cpu[0]);
        fclose(fp);
    }
    nb__stream_tls_factory_free(modes[1].fc);
    nb__stream_tls_factory_free(modes[2].fc);
    nb__stream_tls_factory_free(modes[2].fs);
    for (int m = 0; m < 3; m++) {
        free(modes[m].ns);
        free(modes[m].cpu_ns);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
