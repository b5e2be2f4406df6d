/*
 * test_rt_stream_tls.c — the TLS streams (transport psk and mtls) over real
 * loopback TCP connections, driven non-blocking by a small poll loop as the
 * connection layer drives them: handshakes, data both ways (large and in many
 * small pieces, with the socket full so writes are held and retried), and every
 * refusal with the sentence an operator would read. Certificates are made at
 * test time by scripts/make-certs.sh (the same commands docs/security.md shows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream_tls.h"
#include "tls_paths.h"

/* Every wait is bounded: a poll that sees nothing for this long fails the test. */
#define WAIT_MS 20000

static const char cookie_a[] = "correct horse battery staple, cluster one";
static const char cookie_b[] = "correct horse battery staple, cluster two";
static char certs[200];     /* the CA and node certificates */
static char other[256];     /* another CA and a certificate from it */
static char rogue_dir[256]; /* other's certificates, trusting both CAs */

/* ---- sockets -------------------------------------------------------------- */

static void nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A connected loopback TCP pair, both ends non-blocking: fds[0] dialled. With
 * small_buffers, the send buffers are shrunk so writes fill the socket. (Tiny
 * receive buffers are avoided: with loopback's 64 KiB MSS they stall TCP on
 * zero-window probes.) */
static void tcp_pair(int fds[2], bool small_buffers)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fds[0], (struct sockaddr *)&a, sizeof a), 0);
    fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    assert_true(fds[1] >= 0);
    close(l);
    if (small_buffers) {
        int sz = 32768;
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    }
    nonblocking(fds[0]);
    nonblocking(fds[1]);
}

/* Waits for ev on fd; fails the test after WAIT_MS of nothing. */
static void wait_fd(int fd, short ev)
{
    struct pollfd p = {fd, ev, 0};
    int n = poll(&p, 1, WAIT_MS);
    assert_true(n == 1);
}

/* ---- factories ------------------------------------------------------------ */

static nb__stream_factory *psk_factory(const char *cookie)
{
    nb__security sec = {
        NB__TRANSPORT_PSK, (const unsigned char *)cookie, strlen(cookie), NULL, NULL, NULL};
    nb__stream_factory *f = NULL;
    char why[256] = "";
    int rc = nb__stream_tls_factory_new(&sec, &f, why, sizeof why);
    if (rc != 0)
        fail_msg("psk factory: %s", why);
    return f;
}

/* An mtls factory for node (its files in dir, CA from ca_dir). */
static nb__stream_factory *mtls_factory(const char *ca_dir, const char *dir, const char *node)
{
    char ca[512], cert[512], key[512], why[512] = "";
    snprintf(ca, sizeof ca, "%s/ca.pem", ca_dir);
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, node);
    snprintf(key, sizeof key, "%s/%s.key", dir, node);
    nb__security sec = {NB__TRANSPORT_MTLS, NULL, 0, ca, cert, key};
    nb__stream_factory *f = NULL;
    if (nb__stream_tls_factory_new(&sec, &f, why, sizeof why) != 0)
        fail_msg("mtls factory for %s: %s", node, why);
    return f;
}

/* ---- driving handshakes --------------------------------------------------- */

typedef struct side {
    nb__stream *s;
    int fd;
    int state; /* 0 running, 1 done, -1 failed */
    char why[512];
} side;

/* Advances one side; on failure shuts its socket as the connection layer would. */
static void step(side *x, short *ev)
{
    int want = 0;
    if (x->state != 0) {
        *ev = 0;
        return;
    }
    x->state = nb__stream_handshake(x->s, &want, x->why, sizeof x->why);
    if (x->state == -1)
        shutdown(x->fd, SHUT_RDWR);
    *ev = x->state == 0 ? (short)want : 0;
}

/* Runs both handshakes until each has finished or failed. */
static void drive(side *a, side *b)
{
    for (;;) {
        short ea, eb;
        step(a, &ea);
        step(b, &eb);
        if (a->state != 0 && b->state != 0)
            return;
        struct pollfd p[2] = {{a->fd, ea, 0}, {b->fd, eb, 0}};
        int n = poll(p, 2, WAIT_MS);
        assert_true(n > 0);
    }
}

typedef struct tlink {
    int fds[2];
    side client, server;
} tlink;

/* A TCP pair with a TLS stream on each end (client dials, expecting `expected`). */
static void open_link(tlink *l, nb__stream_factory *cf, nb__stream_factory *sf,
                      const char *expected, bool small_buffers)
{
    memset(l, 0, sizeof *l);
    tcp_pair(l->fds, small_buffers);
    l->client.fd = l->fds[0];
    l->server.fd = l->fds[1];
    l->client.s = nb__stream_tls_open(cf, l->fds[0], true, expected);
    l->server.s = nb__stream_tls_open(sf, l->fds[1], false, NULL);
    assert_non_null(l->client.s);
    assert_non_null(l->server.s);
}

static void close_link(tlink *l)
{
    nb__stream_free(l->client.s);
    nb__stream_free(l->server.s);
    close(l->fds[0]);
    close(l->fds[1]);
}

/* Reads from a side whose handshake finished until the stream fails or ends;
 * returns what read() returned last and leaves the reason in x->why. No byte may
 * arrive on these links. */
static ssize_t read_until_failure(side *x)
{
    for (;;) {
        char buf[256];
        ssize_t n = nb__stream_read(x->s, buf, sizeof buf, x->why, sizeof x->why);
        assert_true(n <= 0);
        if (n == 0 || errno != EAGAIN)
            return n;
        wait_fd(x->fd, POLLIN);
    }
}

/* ---- moving data ---------------------------------------------------------- */

typedef struct flow {
    nb__stream *w, *r; /* writer and reader streams */
    int wfd, rfd;
    const unsigned char *src;
    size_t len, sent, got;
    unsigned char *dst;
    size_t piece;     /* 0: one big iov; else pieces of at most this many bytes */
    unsigned iovs;    /* iov entries per writev (small-piece mode) */
    size_t held_seen; /* writev calls after which bytes were held */
    size_t max_write; /* the most bytes one writev took */
    bool flushed;
} flow;

/* One writev of what is left (or a push of held bytes). Returns the events the
 * writer must wait for, or 0 when it can go on. */
static short write_once(flow *f);

/* Writes until the socket is full: in small pieces, up to 4000 writev calls
 * before the reader gets a turn, so many small records fill the socket too. */
static short write_some(flow *f)
{
    for (int k = 0; k < (f->piece ? 4000 : 1); k++) {
        short ev = write_once(f);
        if (ev != 0 || f->flushed)
            return ev;
    }
    return 0;
}

static short write_once(flow *f)
{
    if (f->sent == f->len) {
        if (nb__stream_unsent(f->w) == 0) {
            f->flushed = true;
            return 0;
        }
        ssize_t n = nb__stream_writev(f->w, NULL, 0);
        assert_true(n == 0 || (n < 0 && errno == EAGAIN));
        return nb__stream_unsent(f->w) ? POLLOUT : 0;
    }
    struct iovec iov[8];
    int cnt = 0;
    size_t at = f->sent;
    if (f->piece == 0) {
        iov[cnt++] = (struct iovec){(void *)(f->src + at), f->len - at};
    } else {
        for (unsigned k = 0; k < f->iovs && at < f->len; k++) {
            /* Pieces of varying size, so records and pieces never line up. */
            size_t n = 1 + (at * 7 + k) % f->piece;
            if (n > f->len - at)
                n = f->len - at;
            iov[cnt++] = (struct iovec){(void *)(f->src + at), n};
            at += n;
        }
    }
    ssize_t n = nb__stream_writev(f->w, iov, cnt);
    if (n < 0) {
        assert_int_equal(errno, EAGAIN);
        assert_true(nb__stream_unsent(f->w) > 0); /* EAGAIN only while bytes are held */
        return POLLOUT;
    }
    f->sent += (size_t)n;
    if ((size_t)n > f->max_write)
        f->max_write = (size_t)n;
    if (nb__stream_unsent(f->w) > 0) {
        f->held_seen++;
        return POLLOUT;
    }
    return 0;
}

/* Reads what is there. Returns POLLIN when the reader must wait for the socket. */
static short read_some(flow *f)
{
    char why[256];
    for (;;) {
        size_t room = f->len - f->got;
        if (room == 0)
            return 0;
        /* Odd read sizes leave decrypted bytes behind: pending() must say so. */
        if (room > 7001)
            room = 7001;
        ssize_t n = nb__stream_read(f->r, f->dst + f->got, room, why, sizeof why);
        if (n > 0) {
            assert_memory_equal(f->dst + f->got, f->src + f->got, (size_t)n);
            f->got += (size_t)n;
            continue;
        }
        if (n == 0)
            fail_msg("the stream ended after %zu of %zu bytes", f->got, f->len);
        if (errno != EAGAIN)
            fail_msg("read failed after %zu bytes: %s", f->got, why);
        if (nb__stream_pending(f->r))
            fail_msg("read said EAGAIN but pending() says bytes are waiting");
        return POLLIN;
    }
}

/* Moves every flow to completion at once (both directions may run together). */
static void run_flows(flow *fl, int n)
{
    for (;;) {
        struct pollfd p[8];
        int np = 0;
        bool all_done = true;
        for (int i = 0; i < n; i++) {
            short we = fl[i].flushed ? 0 : write_some(&fl[i]);
            short re = read_some(&fl[i]);
            if (!fl[i].flushed || fl[i].got < fl[i].len)
                all_done = false;
            if (we)
                p[np++] = (struct pollfd){fl[i].wfd, we, 0};
            if (re)
                p[np++] = (struct pollfd){fl[i].rfd, re, 0};
        }
        if (all_done)
            return;
        bool progress_possible = false;
        for (int i = 0; i < n; i++)
            progress_possible |= !fl[i].flushed && nb__stream_unsent(fl[i].w) == 0;
        if (progress_possible)
            continue; /* the writer has more to give before anything needs waiting for */
        assert_true(np > 0);
        assert_true(poll(p, (nfds_t)np, WAIT_MS) > 0);
    }
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    return p;
}

/* ---- psk ------------------------------------------------------------------ */

static void test_psk_handshake_and_small_messages(void **state)
{
    (void)state;
    /* Two factories, as two processes would make them from one cookie. */
    nb__stream_factory *f = psk_factory(cookie_a), *f2 = psk_factory(cookie_a);
    tlink l;
    open_link(&l, f, f2, NULL, false);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, 1);
    assert_int_equal(l.server.state, 1);
    assert_null(nb__stream_peer_identity(l.client.s)); /* psk proves the cluster, not a name */
    assert_null(nb__stream_peer_identity(l.server.s));
    /* A ping and a pong. */
    const char ping[] = "ping", pong[] = "pong!";
    flow fl[2] = {
        {.w = l.client.s,
         .r = l.server.s,
         .wfd = l.fds[0],
         .rfd = l.fds[1],
         .src = (const unsigned char *)ping,
         .len = 4,
         .dst = malloc(4)},
        {.w = l.server.s,
         .r = l.client.s,
         .wfd = l.fds[1],
         .rfd = l.fds[0],
         .src = (const unsigned char *)pong,
         .len = 5,
         .dst = malloc(5)},
    };
    run_flows(fl, 2);
    free(fl[0].dst);
    free(fl[1].dst);
    /* goodbye: the peer reads the orderly end. */
    nb__stream_goodbye(l.client.s);
    char buf[8], why[128];
    ssize_t n;
    while ((n = nb__stream_read(l.server.s, buf, sizeof buf, why, sizeof why)) < 0 &&
           errno == EAGAIN)
        wait_fd(l.fds[1], POLLIN);
    assert_int_equal(n, 0);
    close_link(&l);
    nb__stream_tls_factory_free(f);
    nb__stream_tls_factory_free(f2);
}

/* Megabytes both ways at once through full sockets: writes are held and
 * retried, reads leave decrypted bytes pending; every byte arrives in order. */
static void test_psk_large_both_ways(void **state)
{
    (void)state;
    nb__stream_factory *f = psk_factory(cookie_a);
    tlink l;
    open_link(&l, f, f, NULL, true);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, 1);
    size_t n = (size_t)6 << 20;
    unsigned char *up = pattern(n, 1), *down = pattern(n + 333, 2);
    flow fl[2] = {
        {.w = l.client.s,
         .r = l.server.s,
         .wfd = l.fds[0],
         .rfd = l.fds[1],
         .src = up,
         .len = n,
         .dst = malloc(n)},
        {.w = l.server.s,
         .r = l.client.s,
         .wfd = l.fds[1],
         .rfd = l.fds[0],
         .src = down,
         .len = n + 333,
         .dst = malloc(n + 333)},
    };
    run_flows(fl, 2);
    assert_memory_equal(fl[0].dst, up, n);
    assert_memory_equal(fl[1].dst, down, n + 333);
    assert_true(fl[0].held_seen > 0); /* the retry path did run */
    assert_true(fl[1].held_seen > 0);
    assert_true(fl[0].max_write > 16384); /* several records per call */
    free(fl[0].dst);
    free(fl[1].dst);
    free(up);
    free(down);
    close_link(&l);
    nb__stream_tls_factory_free(f);
}

/* Thousands of small writes of several iov pieces each, coalesced into records. */
static void test_psk_many_small_writes(void **state)
{
    (void)state;
    nb__stream_factory *f = psk_factory(cookie_a);
    tlink l;
    open_link(&l, f, f, NULL, true);
    drive(&l.client, &l.server);
    size_t n = 600000;
    unsigned char *src = pattern(n, 3);
    flow fl = {.w = l.client.s,
               .r = l.server.s,
               .wfd = l.fds[0],
               .rfd = l.fds[1],
               .src = src,
               .len = n,
               .dst = malloc(n),
               .piece = 40,
               .iovs = 3};
    run_flows(&fl, 1);
    assert_memory_equal(fl.dst, src, n);
    assert_true(fl.held_seen > 0);
    free(fl.dst);
    free(src);
    close_link(&l);
    nb__stream_tls_factory_free(f);
}

/* One direction of one stream, run by its own thread: the writer role or the
 * reader role. cmocka is not thread-safe: failures are recorded, checked later. */
typedef struct role {
    nb__stream *s;
    int fd;
    bool writer;
    const unsigned char *src;
    unsigned char *dst;
    size_t len;
    const char *failure; /* NULL: all bytes moved (and matched, for a reader) */
} role;

static void *role_main(void *arg)
{
    role *r = arg;
    size_t done = 0;
    char why[256];
    while (done < r->len || (r->writer && nb__stream_unsent(r->s) > 0)) {
        struct pollfd p = {r->fd, r->writer ? POLLOUT : POLLIN, 0};
        if (r->writer) {
            size_t n = r->len - done;
            if (n > 3000 + done % 50000)
                n = 3000 + done % 50000; /* records and writes never line up */
            struct iovec iov[2] = {{(void *)(r->src + done), n / 3},
                                   {(void *)(r->src + done + n / 3), n - n / 3}};
            ssize_t w = nb__stream_writev(r->s, iov, done < r->len ? 2 : 0);
            if (w < 0 && errno != EAGAIN) {
                r->failure = "writev failed";
                return NULL;
            }
            if (w > 0)
                done += (size_t)w;
            if (w > 0 && nb__stream_unsent(r->s) == 0)
                continue;
        } else {
            ssize_t n = nb__stream_read(r->s, r->dst + done, r->len - done, why, sizeof why);
            if (n > 0) {
                if (memcmp(r->dst + done, r->src + done, (size_t)n) != 0) {
                    r->failure = "wrong bytes read";
                    return NULL;
                }
                done += (size_t)n;
                continue;
            }
            if (n == 0 || errno != EAGAIN) {
                r->failure = "read failed";
                return NULL;
            }
            if (nb__stream_pending(r->s))
                continue;
        }
        if (poll(&p, 1, WAIT_MS) != 1) {
            r->failure = "a wait timed out";
            return NULL;
        }
    }
    return NULL;
}

/* Each stream read by one thread while another writes it, both ways at once:
 * the stream serialises its SSL object itself (run under TSan too). */
static void test_psk_reader_and_writer_threads(void **state)
{
    (void)state;
    nb__stream_factory *f = psk_factory(cookie_a);
    tlink l;
    open_link(&l, f, f, NULL, true);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, 1);
    size_t n = (size_t)3 << 20;
    unsigned char *up = pattern(n, 5), *down = pattern(n, 6);
    unsigned char *got_up = malloc(n), *got_down = malloc(n);
    role roles[4] = {
        {l.client.s, l.fds[0], true, up, NULL, n, NULL},
        {l.server.s, l.fds[1], false, up, got_up, n, NULL},
        {l.server.s, l.fds[1], true, down, NULL, n, NULL},
        {l.client.s, l.fds[0], false, down, got_down, n, NULL},
    };
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, role_main, &roles[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        if (roles[i].failure != NULL)
            fail_msg("role %d: %s", i, roles[i].failure);
    assert_memory_equal(got_up, up, n);
    assert_memory_equal(got_down, down, n);
    free(up), free(down), free(got_up), free(got_down);
    close_link(&l);
    nb__stream_tls_factory_free(f);
}

static void test_psk_wrong_cookie(void **state)
{
    (void)state;
    nb__stream_factory *fa = psk_factory(cookie_a), *fb = psk_factory(cookie_b);
    tlink l;
    open_link(&l, fa, fb, NULL, false);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, -1);
    assert_int_equal(l.server.state, -1);
    print_message("server: %s\nclient: %s\n", l.server.why, l.client.why);
    assert_non_null(strstr(l.server.why, "does not know the cluster cookie"));
    assert_non_null(strstr(l.client.why, "does not know the cluster cookie"));
    close_link(&l);
    nb__stream_tls_factory_free(fa);
    nb__stream_tls_factory_free(fb);
}

/* Bytes that are not TLS: a plain node's HELLO frame head, and random bytes. */
static void plaintext_against(bool tls_is_server, const unsigned char *bytes, size_t n)
{
    nb__stream_factory *f = psk_factory(cookie_a);
    int fds[2];
    tcp_pair(fds, false);
    int tls_fd = tls_is_server ? fds[1] : fds[0], raw_fd = tls_is_server ? fds[0] : fds[1];
    side x = {.s = nb__stream_tls_open(f, tls_fd, !tls_is_server, NULL), .fd = tls_fd};
    assert_int_equal(send(raw_fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
    for (;;) {
        short ev;
        step(&x, &ev);
        if (x.state != 0)
            break;
        wait_fd(tls_fd, ev);
    }
    assert_int_equal(x.state, -1);
    print_message("%s: %s\n", tls_is_server ? "server" : "client", x.why);
    assert_non_null(strstr(x.why, "does not speak TLS"));
    nb__stream_free(x.s);
    close(fds[0]);
    close(fds[1]);
    nb__stream_tls_factory_free(f);
}

static void test_plaintext_peer_refused(void **state)
{
    (void)state;
    /* A HELLO frame head of the plain wire format: length, version 1, type 1. */
    static const unsigned char hello[] = {0,    0,   0,   60,  1,   1,   0,   0,    0,
                                          0,    0,   0,   0,   0,   0,   0,   0x95, 1,
                                          0xa9, 'a', '@', '1', '2', '7', '.', '0'};
    plaintext_against(true, hello, sizeof hello);
    plaintext_against(false, hello, sizeof hello);
    unsigned char *noise = pattern(300, 9);
    plaintext_against(true, noise, 300);
    plaintext_against(false, noise, 300);
    free(noise);
}

/* A peer that hangs up instead of answering: the reason says so. */
static void test_peer_hangs_up(void **state)
{
    (void)state;
    nb__stream_factory *f = psk_factory(cookie_a);
    for (int server = 0; server < 2; server++) {
        int fds[2];
        tcp_pair(fds, false);
        int tls_fd = server ? fds[1] : fds[0];
        side x = {.s = nb__stream_tls_open(f, tls_fd, !server, NULL), .fd = tls_fd};
        close(server ? fds[0] : fds[1]);
        for (;;) {
            short ev;
            step(&x, &ev);
            if (x.state != 0)
                break;
            wait_fd(tls_fd, ev);
        }
        assert_int_equal(x.state, -1);
        print_message("%s: %s\n", server ? "server" : "client", x.why);
        assert_true(strstr(x.why, "closed the connection") != NULL ||
                    strstr(x.why, "the connection failed during the TLS handshake") != NULL);
        nb__stream_free(x.s);
        close(tls_fd);
    }
    nb__stream_tls_factory_free(f);
}

/* ---- an on-path relay ------------------------------------------------------ */

typedef struct relay {
    int a, b;          /* relay ends: a faces the client, b the server (blocking) */
    volatile int flip; /* set: change one byte of the next client-to-server chunk */
    pthread_mutex_t mu;
    unsigned char *seen; /* every byte that crossed, both ways */
    size_t n_seen, cap;
    pthread_t thread;
} relay;

static void relay_record(relay *r, const unsigned char *p, size_t n)
{
    pthread_mutex_lock(&r->mu);
    if (r->n_seen + n > r->cap) {
        r->cap = (r->n_seen + n) * 2;
        r->seen = realloc(r->seen, r->cap);
    }
    memcpy(r->seen + r->n_seen, p, n);
    r->n_seen += n;
    pthread_mutex_unlock(&r->mu);
}

static void *relay_main(void *arg)
{
    relay *r = arg;
    for (;;) {
        struct pollfd p[2] = {{r->a, POLLIN, 0}, {r->b, POLLIN, 0}};
        if (poll(p, 2, WAIT_MS) <= 0)
            return NULL;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            unsigned char buf[65536];
            ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
            int to = i == 0 ? r->b : r->a;
            if (n <= 0) {
                shutdown(to, SHUT_WR);
                return NULL;
            }
            if (i == 0 && __atomic_load_n(&r->flip, __ATOMIC_ACQUIRE) && n > 20) {
                buf[12] ^= 0x01; /* inside the first record's ciphertext */
                __atomic_store_n(&r->flip, 0, __ATOMIC_RELEASE);
            }
            relay_record(r, buf, (size_t)n);
            for (ssize_t o = 0; o < n;) {
                ssize_t w = send(to, buf + o, (size_t)(n - o), MSG_NOSIGNAL);
                if (w <= 0)
                    return NULL;
                o += w;
            }
        }
    }
}

/* client <-> relay <-> server: the bytes on the path are encrypted, and one
 * changed byte makes the reader fail with EPROTO, never deliver other bytes. */
static void flipped_byte_case(nb__stream_factory *cf, nb__stream_factory *sf,
                              const char *hidden_name)
{
    int c[2], s[2];
    tcp_pair(c, false);
    tcp_pair(s, false);
    relay r = {.a = c[1], .b = s[0]};
    pthread_mutex_init(&r.mu, NULL);
    int fl = fcntl(r.a, F_GETFL);
    fcntl(r.a, F_SETFL, fl & ~O_NONBLOCK);
    fl = fcntl(r.b, F_GETFL);
    fcntl(r.b, F_SETFL, fl & ~O_NONBLOCK);
    assert_int_equal(pthread_create(&r.thread, NULL, relay_main, &r), 0);
    side client = {.s = nb__stream_tls_open(cf, c[0], true, NULL), .fd = c[0]};
    side server = {.s = nb__stream_tls_open(sf, s[1], false, NULL), .fd = s[1]};
    drive(&client, &server);
    assert_int_equal(client.state, 1);
    assert_int_equal(server.state, 1);

    /* First a message that crosses intact: its marker must not be readable on the path. */
    static const char marker[] = "NEBULA-PAYLOAD-MARKER-0123456789";
    flow ok = {.w = client.s,
               .r = server.s,
               .wfd = c[0],
               .rfd = s[1],
               .src = (const unsigned char *)marker,
               .len = sizeof marker - 1,
               .dst = malloc(sizeof marker)};
    run_flows(&ok, 1);
    free(ok.dst);
    pthread_mutex_lock(&r.mu);
    assert_true(r.n_seen > sizeof marker);
    assert_null(memmem(r.seen, r.n_seen, marker, sizeof marker - 1));
    /* TLS 1.3 encrypts the certificates too: no node name crosses in clear. */
    if (hidden_name != NULL)
        assert_null(memmem(r.seen, r.n_seen, hidden_name, strlen(hidden_name)));
    pthread_mutex_unlock(&r.mu);

    /* Then one with a byte changed on the way. */
    __atomic_store_n(&r.flip, 1, __ATOMIC_RELEASE);
    static const char second[] = "a result the caller must never see as another value";
    struct iovec iov = {(void *)second, sizeof second - 1};
    assert_int_equal(nb__stream_writev(client.s, &iov, 1), (ssize_t)(sizeof second - 1));
    ssize_t n = read_until_failure(&server);
    assert_int_equal(n, -1);
    assert_int_equal(errno, EPROTO);
    print_message("reader: %s\n", server.why);
    assert_non_null(strstr(server.why, "integrity"));

    shutdown(c[0], SHUT_RDWR);
    shutdown(s[1], SHUT_RDWR);
    pthread_join(r.thread, NULL);
    nb__stream_free(client.s);
    nb__stream_free(server.s);
    close(c[0]), close(c[1]), close(s[0]), close(s[1]);
    free(r.seen);
    pthread_mutex_destroy(&r.mu);
}

static void test_flipped_byte_fails_the_read(void **state)
{
    (void)state;
    nb__stream_factory *f = psk_factory(cookie_a);
    flipped_byte_case(f, f, NULL);
    nb__stream_tls_factory_free(f);
    nb__stream_factory *fa = mtls_factory(certs, certs, "api@h1");
    nb__stream_factory *fb = mtls_factory(certs, certs, "db@h2");
    flipped_byte_case(fa, fb, "api@h1");
    flipped_byte_case(fa, fb, "db@h2");
    nb__stream_tls_factory_free(fa);
    nb__stream_tls_factory_free(fb);
}

/* ---- mtls ----------------------------------------------------------------- */

static void test_mtls_ok(void **state)
{
    (void)state;
    nb__stream_factory *fa = mtls_factory(certs, certs, "api@h1");
    nb__stream_factory *fb = mtls_factory(certs, certs, "db@h2");
    tlink l;
    open_link(&l, fa, fb, "db@h2", true);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, 1);
    assert_int_equal(l.server.state, 1);
    assert_string_equal(nb__stream_peer_identity(l.client.s), "db@h2");
    assert_string_equal(nb__stream_peer_identity(l.server.s), "api@h1");
    size_t n = (size_t)1 << 20;
    unsigned char *src = pattern(n, 4);
    flow fl = {.w = l.server.s,
               .r = l.client.s,
               .wfd = l.fds[1],
               .rfd = l.fds[0],
               .src = src,
               .len = n,
               .dst = malloc(n)};
    run_flows(&fl, 1);
    free(fl.dst);
    free(src);
    close_link(&l);
    nb__stream_tls_factory_free(fa);
    nb__stream_tls_factory_free(fb);
}

/* A client certificate from another CA: the server refuses it, and the client
 * (done with its TLS 1.3 handshake first) learns why on its first read. */
static void test_mtls_other_ca_refused(void **state)
{
    (void)state;
    /* A rogue whose certificate comes from another CA but who trusts ours. */
    nb__stream_factory *rogue = mtls_factory(rogue_dir, rogue_dir, "api@h1");
    nb__stream_factory *fb = mtls_factory(certs, certs, "db@h2");
    tlink l;
    open_link(&l, rogue, fb, "db@h2", false);
    drive(&l.client, &l.server);
    assert_int_equal(l.server.state, -1);
    print_message("server: %s\n", l.server.why);
    assert_non_null(strstr(l.server.why, "not signed by the configured CA"));
    if (l.client.state == 1)
        assert_int_equal(read_until_failure(&l.client), -1);
    print_message("client: %s\n", l.client.why);
    assert_non_null(strstr(l.client.why, "refused our certificate"));
    close_link(&l);

    /* And a server certificate from another CA is refused by the client at once. */
    nb__stream_factory *rogue_server = mtls_factory(rogue_dir, rogue_dir, "db@h2");
    open_link(&l, fb, rogue_server, "db@h2", false);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, -1);
    assert_non_null(strstr(l.client.why, "not signed by the configured CA"));
    assert_int_equal(l.server.state, -1);
    assert_non_null(strstr(l.server.why, "refused our certificate"));
    close_link(&l);
    nb__stream_tls_factory_free(rogue);
    nb__stream_tls_factory_free(rogue_server);
    nb__stream_tls_factory_free(fb);
}

/* A valid certificate of our CA, but for another node than the one dialled. */
static void test_mtls_other_name(void **state)
{
    (void)state;
    nb__stream_factory *fa = mtls_factory(certs, certs, "api@h1");
    nb__stream_factory *fc = mtls_factory(certs, certs, "cache@h3");
    tlink l;
    open_link(&l, fa, fc, "db@h2", false); /* dials db@h2, cache@h3 answers */
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, -1);
    print_message("client: %s\n", l.client.why);
    assert_string_equal(l.client.why, "certificate names cache@h3, expected db@h2");
    assert_int_equal(l.server.state, -1);
    assert_non_null(strstr(l.server.why, "refused our certificate"));
    close_link(&l);

    /* Inbound, the stream reports the name the certificate proves, whatever the
     * peer may claim later: the connection layer compares the two. */
    open_link(&l, fc, fa, NULL, false);
    drive(&l.client, &l.server);
    assert_int_equal(l.server.state, 1);
    assert_string_equal(nb__stream_peer_identity(l.server.s), "cache@h3");
    assert_string_equal(nb__stream_peer_identity(l.client.s), "api@h1");
    close_link(&l);
    nb__stream_tls_factory_free(fa);
    nb__stream_tls_factory_free(fc);
}

/* The SAN URI wins over the CN; the CN serves when there is no URI; a
 * certificate naming no node is refused. */
static void test_mtls_name_precedence(void **state)
{
    (void)state;
    nb__stream_factory *fa = mtls_factory(certs, certs, "api@h1");
    const struct {
        const char *dir, *node, *identity;
    } cases[] = {
        {"san", "san@h4", "san@h4"}, /* CN says cn@h9, SAN says san@h4 */
        {"cn", "cn@h5", "cn@h5"},    /* no SAN */
        {"bad", "bad@h6", NULL},     /* CN "not a node name", no SAN */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", certs, cases[i].dir);
        nb__stream_factory *fx;
        if (cases[i].identity != NULL) {
            fx = mtls_factory(certs, dir, cases[i].node);
        } else {
            /* Our own factory refuses such a certificate at start... */
            char ca[600], cert[600], key[600], why[512] = "";
            snprintf(ca, sizeof ca, "%s/ca.pem", certs);
            snprintf(cert, sizeof cert, "%s/%s.pem", dir, cases[i].node);
            snprintf(key, sizeof key, "%s/%s.key", dir, cases[i].node);
            nb__security sec = {NB__TRANSPORT_MTLS, NULL, 0, ca, cert, key};
            assert_int_equal(nb__stream_tls_factory_new(&sec, &fx, why, sizeof why), -1);
            print_message("factory: %s\n", why);
            assert_non_null(strstr(why, "no node name"));
            continue;
        }
        tlink l;
        open_link(&l, fx, fa, NULL, false);
        drive(&l.client, &l.server);
        assert_int_equal(l.server.state, 1);
        assert_string_equal(nb__stream_peer_identity(l.server.s), cases[i].identity);
        close_link(&l);
        nb__stream_tls_factory_free(fx);
    }
    nb__stream_tls_factory_free(fa);
}

/* A psk node and an mtls node do not talk, and say why. */
static void test_transport_mismatch(void **state)
{
    (void)state;
    nb__stream_factory *fp = psk_factory(cookie_a);
    nb__stream_factory *fm = mtls_factory(certs, certs, "db@h2");
    tlink l;
    open_link(&l, fp, fm, NULL, false);
    drive(&l.client, &l.server);
    assert_int_equal(l.client.state, -1);
    print_message("psk client: %s\nmtls server: %s\n", l.client.why, l.server.why);
    assert_non_null(strstr(l.client.why, "transport: mtls"));
    close_link(&l);
    open_link(&l, fm, fp, NULL, false);
    drive(&l.client, &l.server);
    assert_int_equal(l.server.state, -1);
    print_message("mtls client: %s\npsk server: %s\n", l.client.why, l.server.why);
    assert_non_null(strstr(l.server.why, "transport: mtls"));
    close_link(&l);
    nb__stream_tls_factory_free(fp);
    nb__stream_tls_factory_free(fm);
}

static void test_factory_errors(void **state)
{
    (void)state;
    char why[512], cert[512], key[512], ca[512];
    nb__stream_factory *f = (nb__stream_factory *)1;
    nb__security sec = {NB__TRANSPORT_PSK, (const unsigned char *)"", 0, NULL, NULL, NULL};
    assert_int_equal(nb__stream_tls_factory_new(&sec, &f, why, sizeof why), -1);
    assert_null(f);
    assert_non_null(strstr(why, "cookie"));

    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(cert, sizeof cert, "%s/missing.pem", certs);
    snprintf(key, sizeof key, "%s/api@h1.key", certs);
    sec = (nb__security){NB__TRANSPORT_MTLS, NULL, 0, ca, cert, key};
    assert_int_equal(nb__stream_tls_factory_new(&sec, &f, why, sizeof why), -1);
    print_message("%s\n", why);
    assert_non_null(strstr(why, "cannot read the certificate"));
    assert_non_null(strstr(why, "No such file"));

    snprintf(cert, sizeof cert, "%s/db@h2.pem", certs);
    assert_int_equal(nb__stream_tls_factory_new(&sec, &f, why, sizeof why), -1);
    print_message("%s\n", why);
    assert_non_null(strstr(why, "does not belong to the certificate"));

    /* A certificate from another CA than the node's own. */
    snprintf(cert, sizeof cert, "%s/api@h1.pem", other);
    snprintf(key, sizeof key, "%s/api@h1.key", other);
    assert_int_equal(nb__stream_tls_factory_new(&sec, &f, why, sizeof why), -1);
    print_message("%s\n", why);
    assert_non_null(strstr(why, "does not chain to the CA"));

    sec.ca_path = NULL;
    assert_int_equal(nb__stream_tls_factory_new(&sec, &f, why, sizeof why), -1);
    assert_non_null(strstr(why, "needs a CA file"));
}

/* ---- paths ---------------------------------------------------------------- */

static void test_path_expansion(void **state)
{
    (void)state;
    char *p = nb__tls_path_expand("/etc/nb/{short}/{node}-{host}.pem", NULL, "db@db.example");
    assert_string_equal(p, "/etc/nb/db/db@db.example-db.example.pem");
    free(p);
    p = nb__tls_path_expand("certs/{unknown}{short", "", "a@h");
    assert_string_equal(p, "certs/{unknown}{short"); /* empty override: the template */
    free(p);
    p = nb__tls_path_expand("certs/{short}.pem", "/run/secrets/{host}.pem", "a@h");
    assert_string_equal(p, "/run/secrets/h.pem");
    free(p);
    p = nb__tls_path_expand(NULL, "/only/override.pem", "a@h");
    assert_string_equal(p, "/only/override.pem");
    free(p);
    assert_null(nb__tls_path_expand(NULL, NULL, "a@h"));
    assert_null(nb__tls_path_expand(NULL, "", "a@h"));
}

/* ---- setup ---------------------------------------------------------------- */

static int make_certs(const char *dir, const char *env, const char *nodes)
{
    const char *src = getenv("NEBULA_SOURCE_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/scripts/make-certs.sh %s %s", env, src ? src : "..", dir,
             nodes);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* belt and braces: the stream's own writes never raise it */
    const char *tmp = getenv("TMPDIR");
    snprintf(certs, sizeof certs, "%s/nb-tls-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(certs) == NULL)
        return -1;
    snprintf(other, sizeof other, "%s/other", certs);
    char dir[512], cmd[2048];
    int rc = make_certs(certs, "", "api@h1 db@h2 cache@h3");
    rc |= make_certs(other, "", "api@h1 db@h2");
    snprintf(rogue_dir, sizeof rogue_dir, "%s/rogue", certs);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && cat %s/ca.pem %s/ca.pem >%s/ca.pem && cp %s/api@h1.* "
             "%s/db@h2.* %s/",
             rogue_dir, other, certs, rogue_dir, other, other, rogue_dir);
    rc |= system(cmd);
    /* Same CA as `certs` (the script reuses a CA it finds in DIR). */
    snprintf(dir, sizeof dir, "%s/san", certs);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/san %s/cn %s/bad && for d in san cn bad; do cp %s/ca.pem "
             "%s/ca.key %s/$d/; done",
             certs, certs, certs, certs, certs, certs);
    rc |= system(cmd);
    rc |= make_certs(dir, "CERT_CN=cn@h9", "san@h4");
    snprintf(dir, sizeof dir, "%s/cn", certs);
    rc |= make_certs(dir, "CERT_NO_SAN=1", "cn@h5");
    snprintf(dir, sizeof dir, "%s/bad", certs);
    rc |= make_certs(dir, "CERT_NO_SAN=1 CERT_CN='not a node name'", "bad@h6");
    return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", certs);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_expansion),
        cmocka_unit_test(test_psk_handshake_and_small_messages),
        cmocka_unit_test(test_psk_large_both_ways),
        cmocka_unit_test(test_psk_many_small_writes),
        cmocka_unit_test(test_psk_reader_and_writer_threads),
        cmocka_unit_test(test_psk_wrong_cookie),
        cmocka_unit_test(test_plaintext_peer_refused),
        cmocka_unit_test(test_peer_hangs_up),
        cmocka_unit_test(test_flipped_byte_fails_the_read),
        cmocka_unit_test(test_mtls_ok),
        cmocka_unit_test(test_mtls_other_ca_refused),
        cmocka_unit_test(test_mtls_other_name),
        cmocka_unit_test(test_mtls_name_precedence),
        cmocka_unit_test(test_transport_mismatch),
        cmocka_unit_test(test_factory_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
