/*
 * transport.c — the event loop: one epoll set, a bounded pool of loop threads,
 * the listening socket and the timers. It calls the layers above only through
 * the nb__loop_hooks they hand to nb__loop_start (see transport.h).
 *
 * Every descriptor but the stop eventfd is registered EPOLLONESHOT, so each event
 * is handled by exactly one thread and re-armed by it when done. The stop eventfd
 * is level-triggered and never read: once written, every thread sees it and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "status.h"
#include "transport.h"

enum { TAG_LISTEN = 1, TAG_TIMER, TAG_JOBS, TAG_WATCH, TAG_STOP };

/* The timer's period: fine enough for the first reconnection backoff step. */
#define MIN_THREADS 2

static struct {
    int epfd, listen_fd, timer_fd, jobs_fd, watch_fd, stop_fd;
    atomic_bool watching;      /* the jobs timer is set */
    pthread_mutex_t mu;        /* threads[] */
    pthread_t *threads;
    size_t n_threads, max_threads;
    atomic_int idle;           /* threads waiting in epoll_wait (or about to) */
    nb__loop_hooks hooks;      /* set before the first thread starts, then read-only */
    /* listen_mu: listen_fd while threads run. Held by the thread accepting and
     * by nb__loop_stop_listening, so a socket is never accepted on after (or
     * while) it is closed, nor its descriptor number once reused. */
    pthread_mutex_t listen_mu;
    /* Under listen_mu too. spare_fd: a descriptor held open on /dev/null, given
     * up for a moment when the process runs out of descriptors so that the
     * connection waiting can be accepted and closed at once (see on_accept).
     * paused_until_ms: when accepting is paused (the listening socket is not
     * re-armed), the monotonic time the timer resumes it; 0 when not paused. */
    int spare_fd;
    int64_t paused_until_ms;
} L = {.epfd = -1, .listen_fd = -1, .timer_fd = -1, .jobs_fd = -1, .watch_fd = -1, .stop_fd = -1,
       .mu = PTHREAD_MUTEX_INITIALIZER, .listen_mu = PTHREAD_MUTEX_INITIALIZER, .spare_fd = -1};

/* How long accepting pauses after the process ran out of descriptors or memory:
 * long enough that a full backlog does not keep a thread busy failing accept(),
 * short enough that peers retrying (they back off for longer) see no gap. */
#define ACCEPT_PAUSE_MS 100
/* Connections accepted per wake-up: a flood of connects cannot hold one loop
 * thread in the accept loop for ever (the other threads serve meanwhile). */
#define ACCEPT_BATCH 256

int nb__loop_add(int fd, uint64_t data, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(L.epfd, EPOLL_CTL_ADD, fd, &ev);
}

void nb__loop_mod(int fd, uint64_t data, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    if (epoll_ctl(L.epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        nb__log(NB__LOG_DEBUG, "epoll_ctl(MOD, %d): %s", fd, strerror(errno));
}

void nb__loop_del(int fd)
{
    epoll_ctl(L.epfd, EPOLL_CTL_DEL, fd, NULL);
}

void nb__socket_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Writes "ip:port" of ss into buf. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    snprintf(buf, size, "%s:%d", host, port);
}

int nb__resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || !colon[1])
        return -1;
    char host[256];
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Reopens the spare descriptor; called with listen_mu held. */
static void spare_open(void)
{
    if (L.spare_fd < 0)
        L.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* accept() failed with errno err and nothing was accepted: whatever is waiting
 * in the backlog stays there, and the listening socket stays readable, so
 * re-arming it at once would make the loop spin at full speed writing the same
 * warning (measured: 1.67 M lines in 10 s). Out of descriptors, the spare one is
 * given up for a moment to accept the waiting connection and close it (the
 * peer sees the connection end instead of hanging in the backlog; libuv and
 * nginx do the same); in every case accepting pauses for ACCEPT_PAUSE_MS.
 * Called with listen_mu held. */
static void accept_failed(int err)
{
    static nb__log_limit accept_errors = NB__LOG_LIMIT_INIT;
    unsigned shed = 0;
    if ((err == EMFILE || err == ENFILE) && L.spare_fd >= 0) {
        close(L.spare_fd);
        L.spare_fd = -1;
        int fd;
        while (shed < ACCEPT_BATCH && (fd = accept4(L.listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
            close(fd);
            shed++;
        }
        spare_open();
    }
    L.paused_until_ms = nb__mono_ms() + ACCEPT_PAUSE_MS;
    nb__log_limited(&accept_errors, strerror(err), NB__LOG_WARN,
                    "accept: %s; not accepting for %d ms%s", strerror(err), ACCEPT_PAUSE_MS,
                    shed ? " (connections waiting were closed)" : "");
}

static void on_accept(void)
{
    pthread_mutex_lock(&L.listen_mu);
    if (L.listen_fd < 0) { /* stopped listening meanwhile */
        pthread_mutex_unlock(&L.listen_mu);
        return;
    }
    for (int n = 0; n < ACCEPT_BATCH; n++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(L.listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                accept_failed(errno);
            break;
        }
        nb__socket_nodelay(fd);
        char addr[64];
        format_addr(&ss, addr, sizeof addr);
        L.hooks.on_accept(fd, addr);
    }
    if (L.paused_until_ms == 0) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_LISTEN};
        epoll_ctl(L.epfd, EPOLL_CTL_MOD, L.listen_fd, &ev);
    }
    pthread_mutex_unlock(&L.listen_mu);
}

/* The timer: resumes accepting once a pause is over. */
static void accept_resume_due(int64_t now)
{
    pthread_mutex_lock(&L.listen_mu);
    if (L.listen_fd >= 0 && L.paused_until_ms != 0 && now >= L.paused_until_ms) {
        L.paused_until_ms = 0;
        spare_open();
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_LISTEN};
        epoll_ctl(L.epfd, EPOLL_CTL_MOD, L.listen_fd, &ev);
    }
    pthread_mutex_unlock(&L.listen_mu);
}

static void on_timer(void)
{
    uint64_t expirations;
    if (read(L.timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        nb__log(NB__LOG_DEBUG, "timerfd read: %s", strerror(errno));
    int64_t now = nb__mono_ms();
    accept_resume_due(now);
    L.hooks.on_tick(now);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_TIMER};
    epoll_ctl(L.epfd, EPOLL_CTL_MOD, L.timer_fd, &ev);
}

/* One kick, one thread: the eventfd counts kicks (EFD_SEMAPHORE) and each
 * wake-up takes one, so n kicks wake n threads one after the other. */
static void on_jobs(void)
{
    uint64_t one;
    if (read(L.jobs_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        nb__log(NB__LOG_DEBUG, "jobs eventfd read: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_JOBS};
    epoll_ctl(L.epfd, EPOLL_CTL_MOD, L.jobs_fd, &ev);
    L.hooks.on_jobs();
}

void nb__loop_kick_jobs(unsigned n)
{
    uint64_t v = n;
    if (n > 0 && write(L.jobs_fd, &v, sizeof v) < 0)
        nb__log(NB__LOG_ERROR, "cannot wake a worker: %s", strerror(errno));
}

void nb__loop_watch_jobs(void)
{
    if (atomic_exchange(&L.watching, true))
        return;
    struct itimerspec its = {{0, 0}, {0, NB__JOBS_WATCH_MS * 1000000L}};
    if (timerfd_settime(L.watch_fd, 0, &its, NULL) < 0) {
        nb__log(NB__LOG_ERROR, "cannot start the jobs timer: %s", strerror(errno));
        atomic_store(&L.watching, false);
    }
}

static void on_watch(void)
{
    uint64_t expirations;
    if (read(L.watch_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        nb__log(NB__LOG_DEBUG, "jobs timerfd read: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_WATCH};
    epoll_ctl(L.epfd, EPOLL_CTL_MOD, L.watch_fd, &ev);
    atomic_store(&L.watching, false);
    if (L.hooks.on_watch())
        nb__loop_watch_jobs();
}

static void *loop_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct epoll_event ev;
        atomic_fetch_add(&L.idle, 1);
        int n = epoll_wait(L.epfd, &ev, 1, -1);
        atomic_fetch_sub(&L.idle, 1);
        if (n <= 0)
            continue;
        switch (ev.data.u64) {
        case TAG_STOP:
            return NULL;
        case TAG_LISTEN:
            on_accept();
            break;
        case TAG_TIMER:
            on_timer();
            break;
        case TAG_JOBS:
            on_jobs();
            break;
        case TAG_WATCH:
            on_watch();
            break;
        default:
            L.hooks.on_event(ev.data.u64, ev.events);
        }
    }
}

/* Adds one loop thread; returns 0 or -1. Called with L.mu held. */
static int spawn_locked(void)
{
    if (L.n_threads >= L.max_threads)
        return -1;
    if (pthread_create(&L.threads[L.n_threads], NULL, loop_thread, NULL) != 0)
        return -1;
    L.n_threads++;
    return 0;
}

void nb__loop_before_body(void)
{
    if (atomic_load(&L.idle) > 0)
        return;
    pthread_mutex_lock(&L.mu);
    if (atomic_load(&L.idle) == 0 && spawn_locked() < 0 && L.n_threads >= L.max_threads)
        nb__log(NB__LOG_DEBUG, "all %zu loop threads are busy", L.n_threads);
    pthread_mutex_unlock(&L.mu);
}

static int listen_on(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (nb__resolve(addr, &ss, &len) < 0) {
        nb__fail(NB_E_CONFIG, "cannot resolve the listen address %s", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
        nb__fail(NB_E_SYSTEM, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    L.listen_fd = fd;
    L.paused_until_ms = 0;
    spare_open();
    return nb__loop_add(fd, TAG_LISTEN, EPOLLIN | EPOLLONESHOT);
}

static int timer_start(void)
{
    L.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (L.timer_fd < 0)
        return -1;
    struct itimerspec its = {{0, NB__TICK_MS * 1000000L}, {0, NB__TICK_MS * 1000000L}};
    if (timerfd_settime(L.timer_fd, 0, &its, NULL) < 0)
        return -1;
    return nb__loop_add(L.timer_fd, TAG_TIMER, EPOLLIN | EPOLLONESHOT);
}

static int loop_fds(void)
{
    L.epfd = epoll_create1(EPOLL_CLOEXEC);
    L.jobs_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
    L.watch_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    L.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (L.epfd < 0 || L.jobs_fd < 0 || L.watch_fd < 0 || L.stop_fd < 0)
        return -1;
    if (nb__loop_add(L.jobs_fd, TAG_JOBS, EPOLLIN | EPOLLONESHOT) < 0 ||
        nb__loop_add(L.watch_fd, TAG_WATCH, EPOLLIN | EPOLLONESHOT) < 0 ||
        nb__loop_add(L.stop_fd, TAG_STOP, EPOLLIN) < 0)
        return -1;
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int nb__loop_start(const nb__loop_hooks *hooks, const char *listen_addr, size_t extra_threads)
{
    L.hooks = *hooks;
    atomic_store(&L.idle, 0);
    atomic_store(&L.watching, false);
    if (loop_fds() < 0) {
        nb__fail(NB_E_SYSTEM, "cannot create the event loop: %s", strerror(errno));
        nb__loop_stop();
        return -1;
    }
    if (listen_addr && listen_on(listen_addr) < 0) {
        nb__loop_stop();
        return -1;
    }
    if (timer_start() < 0) {
        nb__fail(NB_E_SYSTEM, "cannot create the membership timer: %s", strerror(errno));
        nb__loop_stop();
        return -1;
    }
    L.max_threads = MIN_THREADS + extra_threads;
    L.threads = calloc(L.max_threads, sizeof *L.threads);
    pthread_mutex_lock(&L.mu);
    int rc = 0;
    for (int i = 0; i < MIN_THREADS && rc == 0; i++)
        rc = L.threads ? spawn_locked() : -1;
    pthread_mutex_unlock(&L.mu);
    if (rc < 0) {
        nb__fail(NB_E_SYSTEM, "cannot start the loop threads");
        nb__loop_stop();
        return -1;
    }
    return 0;
}

void nb__loop_stop_listening(void)
{
    pthread_mutex_lock(&L.listen_mu);
    if (L.listen_fd >= 0) {
        nb__loop_del(L.listen_fd);
        close_fd(&L.listen_fd);
    }
    close_fd(&L.spare_fd);
    pthread_mutex_unlock(&L.listen_mu);
}

void nb__loop_stop(void)
{
    if (L.stop_fd >= 0) {
        uint64_t one = 1;
        if (write(L.stop_fd, &one, sizeof one) < 0)
            nb__log(NB__LOG_ERROR, "cannot stop the loop threads: %s", strerror(errno));
    }
    pthread_mutex_lock(&L.mu);
    size_t n = L.n_threads;
    pthread_mutex_unlock(&L.mu);
    /* No thread is spawned any more: growth happens only before a body, and every
     * body has finished (nb_stop drained them) before the loop stops. */
    for (size_t i = 0; i < n; i++)
        pthread_join(L.threads[i], NULL);
    free(L.threads);
    L.threads = NULL;
    L.n_threads = 0;
    nb__loop_stop_listening();
    close_fd(&L.timer_fd);
    close_fd(&L.jobs_fd);
    close_fd(&L.watch_fd);
    close_fd(&L.stop_fd);
    close_fd(&L.epfd);
}
