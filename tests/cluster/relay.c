/*
 * relay.c — an on-path box for the transport tests (test_transport.c): it
 * listens on 127.0.0.1:LISTEN, and for every connection it accepts dials
 * 127.0.0.1:TARGET and copies bytes both ways until either side closes.
 *
 *   relay LISTEN TARGET record FILE   appends every byte it forwards, in both
 *                                     directions, to FILE (what a wiretap sees)
 *   relay LISTEN TARGET flip MINLEN   once armed by SIGUSR1, flips one byte
 *                                     (the 65th) of the next chunk of at least
 *                                     MINLEN bytes going from TARGET back to the
 *                                     dialler (a reply), then disarms
 *
 * It logs "relay: listening", "relay: armed" and "relay: flipped ..." on stderr so
 * the test can wait for each step. It dies with the test that spawned it.
 * One thread per connection: the runtime may reconnect while a test runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int target_port;
static int record_fd = -1;
static size_t flip_min;
static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set by the signal handler, taken by a pump thread: a lock-free atomic, which
 * is safe in a handler and between threads (a sig_atomic_t is only the first). */
static atomic_int armed;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&armed, 1);
    static const char msg[] = "relay: armed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Forwards one chunk from `from` to `to`; `reply` is true for TARGET -> dialler.
 * Returns -1 when either side is done. */
static int forward(int from, int to, bool reply)
{
    unsigned char buf[65536];
    ssize_t n = recv(from, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    if (record_fd >= 0) {
        pthread_mutex_lock(&record_lock);
        ssize_t w = write(record_fd, buf, (size_t)n);
        pthread_mutex_unlock(&record_lock);
        if (w != n)
            return -1;
    }
    if (reply && flip_min > 0 && (size_t)n >= flip_min && atomic_exchange(&armed, 0)) {
        /* Byte 64: inside the first record's sealed body when the chunk starts
         * at a record (a reply does), not in a record header, so what is
         * tested is the integrity check itself. */
        buf[64] ^= 0x01;
        fprintf(stderr, "relay: flipped byte 64 of a %zd-byte reply chunk\n", n);
    }
    return write_all(to, buf, (size_t)n);
}

static void *pump(void *arg)
{
    int client = (int)(intptr_t)arg;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)target_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (server < 0 || connect(server, (struct sockaddr *)&in, sizeof in) != 0) {
        fprintf(stderr, "relay: cannot reach the target: %s\n", strerror(errno));
        if (server >= 0)
            close(server);
        close(client);
        return NULL;
    }
    struct pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents && forward(client, server, false) != 0)
            break;
        if (p[1].revents && forward(server, client, true) != 0)
            break;
    }
    close(server);
    close(client);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[3], "record") != 0 && strcmp(argv[3], "flip") != 0)) {
        fprintf(stderr, "usage: %s LISTEN TARGET record FILE | flip MINLEN\n", argv[0]);
        return 2;
    }
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 3;
    int listen_port = atoi(argv[1]);
    target_port = atoi(argv[2]);
    if (strcmp(argv[3], "record") == 0) {
        record_fd = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (record_fd < 0) {
            perror(argv[4]);
            return 2;
        }
    } else {
        flip_min = (size_t)atol(argv[4]);
        if (flip_min < 65) {
            fprintf(stderr, "relay: MINLEN must be at least 65\n");
            return 2;
        }
        struct sigaction sa = {.sa_handler = on_usr1};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in in = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)listen_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (ls < 0 || bind(ls, (struct sockaddr *)&in, sizeof in) != 0 || listen(ls, 16) != 0) {
        perror("relay: listen");
        return 2;
    }
    fprintf(stderr, "relay: listening on %d for %d\n", listen_port, target_port);
    for (;;) {
        int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            perror("relay: accept");
            return 1;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, pump, (void *)(intptr_t)c) != 0) {
            close(c);
            continue;
        }
        pthread_detach(t);
    }
}
