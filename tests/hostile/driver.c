/*
 * driver.c — the hostile-client suite (docs/reliability.md, "Hostile peers").
 *
 * One serving node (hostile_serve, tests/cluster/node_main.c) on loopback; this
 * process is the cluster's other node and its legitimate caller: a thread calls
 * hx_add() every 5 ms for the whole run. Meanwhile, one scenario after the
 * other, a hostile client speaks the wire protocol (src/runtime/frame.h) to the
 * serving node by hand: garbage, huge headers, slowloris before and after the
 * handshake, more connections than the caps allow, descriptor exhaustion (the
 * node's RLIMIT_NOFILE lowered with prlimit), a peer that never reads its
 * replies, one that reads slowly, deep nesting, huge counts, unknown frame
 * types, names with control characters, wrong cookies.
 *
 * For every scenario it checks and prints: the scenario's own expectation (the
 * node closed what it had to close, answered what it had to answer), the
 * legitimate caller's calls (every one succeeded, and it made progress), the
 * node's RSS (/proc/PID/status VmRSS: peak growth under a generous bound), its
 * CPU (/proc/PID/stat utime+stime against the scenario's wall time: no spin),
 * and its log's growth in bytes. At the end the node must still welcome a new
 * peer and leave cleanly on SIGTERM. The last line is "hostile suite: all
 * scenarios held" or names what failed.
 *
 *   hostile_driver SERVE_EXE
 *
 * Every wait is bounded; the node is stopped by its PID (and dies with this
 * process: PR_SET_PDEATHSIG in node_main.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <nebula.h>

#include "cluster.h"
#include "hx_api.h"

enum { F_HELLO = 1, F_CHALLENGE, F_AUTH, F_WELCOME, F_REFUSE, F_REQUEST, F_REPLY, F_PING, F_INFO };
#define WIRE_VERSION 2
#define COOKIE "hostile-suite-cookie-0123456789abcdef"
/* The limits the node runs with (docs/security.md): the defaults, but for the
 * frame timeout, shortened so the suite stays short. */
#define FRAME_TIMEOUT_MS 2000
#define PER_ADDR_CAP 16 /* NB__DEFAULT_MAX_PENDING_PER_ADDR */
#define MIB (1024L * 1024L)

static char scratch[256];
static char node_log[320];
static pid_t node_pid = -1;
static int node_port;
static int failures;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hostile: FAILED: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
    failures++;
}

/* --- The node under test: its process, RSS, CPU, descriptors, log ---------- */

static long rss_kib(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)node_pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* utime + stime of the node, in milliseconds. */
static long long cpu_ms(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)node_pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold blanks */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st) * 1000 / sysconf(_SC_CLK_TCK);
}

static int node_fds(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)node_pid);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static long long log_bytes(void)
{
    struct stat st;
    return stat(node_log, &st) == 0 ? (long long)st.st_size : -1;
}

/* The RSS sampler: the peak of the current scenario. */
static atomic_long rss_peak;
static atomic_bool sampler_stop;

static void *sampler(void *arg)
{
    (void)arg;
    while (!atomic_load(&sampler_stop)) {
        long r = rss_kib();
        long p = atomic_load(&rss_peak);
        while (r > p && !atomic_compare_exchange_weak(&rss_peak, &p, r))
            ;
        sleep_ms(20);
    }
    return NULL;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof in;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&in, sizeof in) == 0 &&
        getsockname(s, (struct sockaddr *)&in, &len) == 0)
        port = ntohs(in.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static pid_t spawn_node(const char *exe)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(node_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0)
        _exit(126);
    execl(exe, exe, (char *)NULL);
    _exit(127);
}

/* SIGTERM, then SIGKILL after timeout_ms; returns the exit status or 128+sig. */
static int stop_node(int timeout_ms)
{
    if (node_pid <= 0)
        return -1;
    kill(node_pid, SIGTERM);
    int st = 0;
    long long until = now_ms() + timeout_ms;
    pid_t r;
    while ((r = waitpid(node_pid, &st, WNOHANG)) == 0 && now_ms() < until)
        sleep_ms(10);
    if (r == 0) {
        kill(node_pid, SIGKILL);
        waitpid(node_pid, &st, 0);
    }
    node_pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kill_node_at_exit(void)
{
    if (node_pid > 0) {
        kill(node_pid, SIGKILL);
        waitpid(node_pid, NULL, 0);
    }
}

/* --- The legitimate caller --------------------------------------------------- */

static atomic_long legit_ok, legit_failed;
static atomic_bool legit_stop;
static char legit_last_error[512];

static void *legit_caller(void *arg)
{
    (void)arg;
    for (int64_t i = 0; !atomic_load(&legit_stop); i++) {
        int64_t r = hx_add(i, 1);
        if (nb_last_code() == NB_OK && r == i + 1) {
            atomic_fetch_add(&legit_ok, 1);
        } else {
            snprintf(legit_last_error, sizeof legit_last_error, "%s: %s",
                     nb_code_name(nb_last_code()), nb_last_message());
            atomic_fetch_add(&legit_failed, 1);
        }
        sleep_ms(5);
    }
    return NULL;
}

/* --- A hostile client: frames by hand ----------------------------------------- */

/* A blocking socket connected to the node, or -1. Sends time out after 1 s. */
static int dial(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)node_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {1, 0};
    int one = 1;
    if (s < 0)
        return -1;
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (struct sockaddr *)&in, sizeof in) < 0) {
        close(s);
        return -1;
    }
    return s;
}

static bool send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void put_header(unsigned char h[16], uint32_t len, int type, uint64_t id)
{
    memset(h, 0, 16);
    for (int i = 0; i < 4; i++)
        h[i] = (unsigned char)(len >> (24 - 8 * i));
    h[4] = WIRE_VERSION;
    h[5] = (unsigned char)type;
    for (int i = 0; i < 8; i++)
        h[8 + i] = (unsigned char)(id >> (56 - 8 * i));
}

static bool send_frame(int fd, int type, uint64_t id, const void *payload, size_t len)
{
    unsigned char h[16];
    put_header(h, (uint32_t)len, type, id);
    return send_all(fd, h, sizeof h) && (!len || send_all(fd, payload, len));
}

static bool read_all(int fd, void *buf, size_t n, long long until)
{
    char *p = buf;
    while (n > 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int left = (int)(until - now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return false;
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Reads the next frame other than PING and INFO (heartbeats and node
 * information, sent unasked) within timeout_ms; *payload is
 * malloc'd (free it). Returns its type, or -1 (closed, timed out). */
static int recv_frame(int fd, unsigned char **payload, size_t *len, uint64_t *id, int timeout_ms)
{
    long long until = now_ms() + timeout_ms;
    for (;;) {
        unsigned char h[16];
        *payload = NULL;
        if (!read_all(fd, h, sizeof h, until))
            return -1;
        *len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        *id = 0;
        for (int i = 0; i < 8; i++)
            *id = *id << 8 | h[8 + i];
        if (*len > (size_t)64 * MIB || !(*payload = malloc(*len ? *len : 1)))
            return -1;
        if (!read_all(fd, *payload, *len, until)) {
            free(*payload);
            *payload = NULL;
            return -1;
        }
        if (h[5] != F_PING && h[5] != F_INFO)
            return h[5];
        free(*payload);
    }
}

/* True when the node closes fd within timeout_ms (whatever it sends first is
 * read and dropped). */
static bool closed_within(int fd, int timeout_ms)
{
    long long until = now_ms() + timeout_ms;
    char buf[65536];
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        long long left = until - now_ms();
        /* Polled at least once, without waiting when the time is up. */
        if (poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0)
            return false;
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

/* Like the runtime's MAC (cookie.c): label with its NUL, then length-prefixed parts. */
static void hs_mac(const char *cookie, const char *label, const unsigned char *na,
                   const unsigned char *nd, const char *dialer, const char *acceptor,
                   unsigned char *out)
{
    unsigned char msg[2048];
    size_t off = strlen(label) + 1;
    memcpy(msg, label, off);
    const void *parts[4] = {na, nd, dialer, acceptor};
    size_t lens[4] = {32, 32, strlen(dialer), strlen(acceptor)};
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 4; k++)
            msg[off + (size_t)k] = (unsigned char)(lens[i] >> (24 - 8 * k));
        memcpy(msg + off + 4, parts[i], lens[i]);
        off += 4 + lens[i];
    }
    unsigned int n = 32;
    HMAC(EVP_sha256(), cookie, (int)strlen(cookie), msg, off, out, &n);
}

static void hello_payload(msgpack_sbuffer *sb, const char *name)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint32(&pk, WIRE_VERSION);
    msgpack_pack_str_with_body(&pk, name, strlen(name));
    const char *fp = nb__cluster()->fingerprint;
    msgpack_pack_str_with_body(&pk, fp, strlen(fp));
    msgpack_pack_uint64(&pk, 777);
}

/* HELLO as `name`, then AUTH with the cookie (or a wrong one). Returns the
 * connection once WELCOMEd, else -1 (closed). */
static int handshake_as(const char *name, const char *cookie)
{
    int fd = dial();
    if (fd < 0)
        return -1;
    msgpack_sbuffer sb;
    hello_payload(&sb, name);
    bool ok = send_frame(fd, F_HELLO, 0, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    unsigned char *p = NULL;
    size_t len;
    uint64_t id;
    if (!ok || recv_frame(fd, &p, &len, &id, 3000) != F_CHALLENGE) {
        free(p);
        close(fd);
        return -1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    char acceptor[256] = "";
    unsigned char na[32], nd[32], md[32];
    ok = msgpack_unpack_next(&up, (const char *)p, len, &off) == MSGPACK_UNPACK_SUCCESS &&
         up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size == 5 &&
         up.data.via.array.ptr[1].type == MSGPACK_OBJECT_STR &&
         up.data.via.array.ptr[4].type == MSGPACK_OBJECT_BIN &&
         up.data.via.array.ptr[4].via.bin.size == 32;
    if (ok) {
        snprintf(acceptor, sizeof acceptor, "%.*s", (int)up.data.via.array.ptr[1].via.str.size,
                 up.data.via.array.ptr[1].via.str.ptr);
        memcpy(na, up.data.via.array.ptr[4].via.bin.ptr, 32);
    }
    msgpack_unpacked_destroy(&up);
    free(p);
    if (!ok) {
        close(fd);
        return -1;
    }
    RAND_bytes(nd, sizeof nd);
    hs_mac(cookie, "nebula-dialer", na, nd, name, acceptor, md);
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_bin_with_body(&pk, nd, 32);
    msgpack_pack_bin_with_body(&pk, md, 32);
    msgpack_pack_array(&pk, 0);
    ok = send_frame(fd, F_AUTH, 0, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    int type = ok ? recv_frame(fd, &p, &len, &id, 3000) : -1;
    free(p);
    if (type != F_WELCOME) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A generic peer's name, new for every connection (one name, one connection). */
static int handshake(const char *what)
{
    static int n;
    char name[64];
    snprintf(name, sizeof name, "hx-%s-%d@127.0.0.1", what, ++n);
    return handshake_as(name, COOKIE);
}

static uint64_t wire_id(const char *method)
{
    const nb__cluster_def *def = nb__cluster();
    for (size_t i = 0; i < def->n_methods; i++)
        if (strcmp(def->methods[i]->name, method) == 0)
            return def->methods[i]->wire_id;
    return 0;
}

/* REQUEST hx_echo(bytes of n) into sb (destroy it), through pk: wire id,
 * timeout and arguments, then room for `extra` elements the caller packs. */
static void echo_request(msgpack_sbuffer *sb, msgpack_packer *pk, const char *data, size_t n,
                         uint32_t extra)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(pk, 3 + extra);
    msgpack_pack_uint64(pk, wire_id("hx_echo"));
    msgpack_pack_uint32(pk, 30000);
    msgpack_pack_array(pk, 1);
    msgpack_pack_bin_with_body(pk, data, n);
}

/* --- Scenarios: each returns true when the node did what it must -------------- */

/* Opens n connections, each sending what make() writes for it, and checks the
 * node closes every one within timeout_ms. */
static bool each_closed(int n, bool (*send_it)(int fd, int i), int timeout_ms)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    int opened = 0, closed = 0;
    for (int i = 0; fds && i < n; i++) {
        fds[i] = dial();
        if (fds[i] >= 0) {
            opened++;
            send_it(fds[i], i);
        }
    }
    for (int i = 0; fds && i < n; i++) {
        if (fds[i] >= 0) {
            closed += closed_within(fds[i], timeout_ms);
            close(fds[i]);
        }
    }
    free(fds);
    if (opened == 0 || closed != opened)
        fail("%d of %d connections closed by the node", closed, opened);
    return opened > 0 && closed == opened;
}

static bool send_garbage(int fd, int i)
{
    unsigned char buf[4096];
    RAND_bytes(buf, sizeof buf);
    buf[4] = (unsigned char)(i & 1 ? WIRE_VERSION : buf[4]); /* half of them pass the version */
    return send_all(fd, buf, sizeof buf);
}

static bool sc_garbage(void)
{
    return each_closed(100, send_garbage, 3000);
}

static bool send_huge_header(int fd, int i)
{
    unsigned char h[16];
    put_header(h, i & 1 ? 0xffffffffu : 0x7fffffffu, i & 2 ? F_HELLO : F_REQUEST, 0);
    return send_all(fd, h, sizeof h);
}

static bool sc_huge_headers(void)
{
    return each_closed(100, send_huge_header, 3000);
}

/* 64 connections that say nothing: beyond the per-address cap the node closes
 * them at once; the ones it keeps it closes at the handshake deadline. */
static bool sc_pending_cap(void)
{
    enum { N = 64 };
    int fds[N], open_after = 0;
    for (int i = 0; i < N; i++)
        fds[i] = dial();
    long long until = now_ms() + 1000;
    for (int i = 0; i < N; i++) {
        if (fds[i] < 0)
            continue;
        int left = (int)(until - now_ms());
        if (!closed_within(fds[i], left > 0 ? left : 0))
            open_after++;
        else {
            close(fds[i]);
            fds[i] = -1;
        }
    }
    bool all_closed = true;
    for (int i = 0; i < N; i++) {
        if (fds[i] >= 0) {
            all_closed &= closed_within(fds[i], 5000);
            close(fds[i]);
        }
    }
    printf("hostile: pending_cap: %d of %d silent connections kept (cap %d per address)\n",
           open_after, N, PER_ADDR_CAP);
    if (open_after > PER_ADDR_CAP || open_after == 0)
        fail("the node kept %d silent connections (cap %d per address)", open_after, PER_ADDR_CAP);
    if (!all_closed)
        fail("a silent connection outlived the handshake deadline");
    return open_after <= PER_ADDR_CAP && open_after > 0 && all_closed;
}

/* A HELLO header one byte every 100 ms, from 12 connections. */
static bool sc_slowloris_pre(void)
{
    enum { N = 12 };
    int fds[N];
    bool gone[N] = {false};
    unsigned char h[16];
    put_header(h, 100, F_HELLO, 0);
    for (int i = 0; i < N; i++)
        fds[i] = dial();
    long long start = now_ms();
    int left = N;
    for (int k = 0; left > 0 && now_ms() - start < 6000; k++) {
        for (int i = 0; i < N; i++) {
            if (fds[i] < 0 || gone[i])
                continue;
            if (k < 15)
                send(fds[i], h + k, 1, MSG_NOSIGNAL);
            if (closed_within(fds[i], 0))
                gone[i] = true, left--;
        }
        sleep_ms(100);
    }
    long long took = now_ms() - start;
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    printf("hostile: slowloris_pre: %d of %d trickling connections closed after %lld ms\n",
           N - left, N, took);
    if (left)
        fail("%d trickling connection(s) before the handshake still open after %lld ms", left,
             took);
    return left == 0;
}

/* Descriptors: the node's soft RLIMIT_NOFILE lowered to 6 above what it uses,
 * then 200 connections at once; accepting must pause, not spin. */
static bool sc_fd_exhaustion(void)
{
    enum { N = 200 };
    struct rlimit old, low;
    if (prlimit(node_pid, RLIMIT_NOFILE, NULL, &old) != 0) {
        fail("prlimit: %s", strerror(errno));
        return false;
    }
    int used = node_fds();
    low = (struct rlimit){(rlim_t)used + 6, old.rlim_max};
    if (prlimit(node_pid, RLIMIT_NOFILE, &low, NULL) != 0) {
        fail("prlimit: %s", strerror(errno));
        return false;
    }
    int fds[N], opened = 0;
    for (int i = 0; i < N; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)node_port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fds[i] >= 0 && (connect(fds[i], (struct sockaddr *)&in, sizeof in) == 0 ||
                            errno == EINPROGRESS))
            opened++;
    }
    /* Held while the node is at its limit: it must neither spin nor flood the log. */
    sleep_ms(2500);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    prlimit(node_pid, RLIMIT_NOFILE, &old, NULL);
    /* Serving new peers again, within a bounded time. */
    long long until = now_ms() + 6000;
    int fd = -1;
    while (fd < 0 && now_ms() < until) {
        fd = handshake("after-emfile");
        if (fd < 0)
            sleep_ms(100);
    }
    printf("hostile: fd_exhaustion: limit %d descriptors (%d in use), %d connects\n",
           (int)low.rlim_cur, used, opened);
    if (fd < 0)
        fail("no new peer welcomed after the descriptor limit was lifted");
    else
        close(fd);
    return fd >= 0;
}

/* After the handshake: a REQUEST announcing 1000 bytes, trickled a byte every
 * 200 ms; the frame timeout must close it. */
static bool sc_slowloris_post(void)
{
    int fd = handshake("slow");
    if (fd < 0) {
        fail("handshake refused");
        return false;
    }
    unsigned char h[16];
    put_header(h, 1000, F_REQUEST, 1);
    send_all(fd, h, sizeof h);
    long long start = now_ms();
    bool closed = false;
    while (!closed && now_ms() - start < FRAME_TIMEOUT_MS + 4000) {
        send(fd, "\x93", 1, MSG_NOSIGNAL);
        closed = closed_within(fd, 200);
    }
    long long took = now_ms() - start;
    close(fd);
    printf("hostile: slowloris_post: trickled frame closed after %lld ms (frame timeout %d ms)\n",
           took, FRAME_TIMEOUT_MS);
    if (!closed)
        fail("a frame trickled after the handshake was held for %lld ms", took);
    return closed;
}

/* A peer sending 1 MiB echo requests as fast as it can and never reading. */
static bool sc_never_reads(void)
{
    int fd = handshake("deaf");
    if (fd < 0) {
        fail("handshake refused");
        return false;
    }
    int small = 64 * 1024; /* a small receive buffer: the node's queue fills, not ours */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    char *data = calloc(1, (size_t)MIB);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    echo_request(&sb, &pk, data, (size_t)MIB, 0);
    long long start = now_ms();
    long sent = 0;
    bool stuck = false; /* a send timed out (1 s): the node stopped reading us */
    while (!stuck && now_ms() - start < 8000) {
        unsigned char h[16];
        put_header(h, (uint32_t)sb.size, F_REQUEST, (uint64_t)sent + 1);
        if (send_all(fd, h, sizeof h) && send_all(fd, sb.data, sb.size))
            sent++;
        else
            stuck = true;
    }
    bool closed = closed_within(fd, 5000);
    long long took = now_ms() - start;
    msgpack_sbuffer_destroy(&sb);
    free(data);
    close(fd);
    printf("hostile: never_reads: %ld requests of 1 MiB sent, connection closed by the node: %s "
           "(after %lld ms)\n", sent, closed ? "yes" : "no", took);
    if (!closed)
        fail("a peer that never reads was kept for %lld ms", took);
    return closed;
}

typedef struct slow_reader {
    int fd, n;
    msgpack_sbuffer *req;
    atomic_bool done;
} slow_reader;

/* The slow reader's sending side: its requests, then a PING every 200 ms as a
 * real peer's heartbeat (the node's silence detection would rightly close a
 * peer that says nothing for 1 s). */
static void *send_requests(void *arg)
{
    slow_reader *s = arg;
    struct timeval tv = {10, 0};
    setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    long long next_ping = now_ms() + 200;
    for (int i = 0; i < s->n; i++) {
        unsigned char h[16];
        put_header(h, (uint32_t)s->req->size, F_REQUEST, (uint64_t)i + 1);
        if (!send_all(s->fd, h, sizeof h) || !send_all(s->fd, s->req->data, s->req->size))
            return NULL;
        if (now_ms() >= next_ping) {
            next_ping = now_ms() + 200;
            if (!send_frame(s->fd, F_PING, 0, NULL, 0))
                return NULL;
        }
    }
    while (!atomic_load(&s->done) && send_frame(s->fd, F_PING, 0, NULL, 0))
        sleep_ms(200);
    return NULL;
}

/* 48 requests of 1 MiB, replies read at about 12 MiB/s: back-pressure, not
 * drops: every reply arrives, whole. */
static bool sc_slow_reader(void)
{
    enum { N = 48 };
    int fd = handshake("slowreader");
    if (fd < 0) {
        fail("handshake refused");
        return false;
    }
    char *data = malloc((size_t)MIB);
    memset(data, 0x5a, (size_t)MIB);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    echo_request(&sb, &pk, data, (size_t)MIB, 0);
    slow_reader s = {fd, N, &sb, false};
    pthread_t t;
    pthread_create(&t, NULL, send_requests, &s);
    int good = 0;
    long long start = now_ms();
    for (int i = 0; i < N; i++) {
        unsigned char *p = NULL;
        size_t len;
        uint64_t id;
        int type = recv_frame(fd, &p, &len, &id, 15000);
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        if (type == F_REPLY &&
            msgpack_unpack_next(&up, (const char *)p, len, &off) == MSGPACK_UNPACK_SUCCESS &&
            up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size == 3 &&
            up.data.via.array.ptr[0].via.u64 == 0 &&
            up.data.via.array.ptr[1].type == MSGPACK_OBJECT_BIN &&
            up.data.via.array.ptr[1].via.bin.size == MIB &&
            memcmp(up.data.via.array.ptr[1].via.bin.ptr, data, (size_t)MIB) == 0)
            good++;
        else if (type == F_REPLY && up.data.type == MSGPACK_OBJECT_ARRAY &&
                 up.data.via.array.size == 3 && up.data.via.array.ptr[2].type == MSGPACK_OBJECT_STR)
            printf("hostile: slow_reader: reply %llu: code %llu: %.*s\n", (unsigned long long)id,
                   (unsigned long long)up.data.via.array.ptr[0].via.u64,
                   (int)up.data.via.array.ptr[2].via.str.size,
                   up.data.via.array.ptr[2].via.str.ptr);
        msgpack_unpacked_destroy(&up);
        free(p);
        if (type < 0)
            break;
        sleep_ms(80); /* about 12 MiB/s */
    }
    long long took = now_ms() - start;
    atomic_store(&s.done, true);
    shutdown(fd, SHUT_RDWR);
    pthread_join(t, NULL);
    close(fd);
    msgpack_sbuffer_destroy(&sb);
    free(data);
    printf("hostile: slow_reader: %d of %d replies of 1 MiB arrived whole in %lld ms\n", good, N,
           took);
    if (good != N)
        fail("a slow reader got %d of %d replies", good, N);
    return good == N;
}

/* Sends one REQUEST with this payload after a handshake; the node must close.
 * A PING every 100 ms meanwhile keeps the peer from looking silent, so the
 * close can only be the node's answer to the request. */
static bool request_closes(const char *what, const unsigned char *payload, size_t len)
{
    int fd = handshake(what);
    if (fd < 0) {
        fail("%s: handshake refused", what);
        return false;
    }
    send_frame(fd, F_REQUEST, 1, payload, len);
    bool closed = false;
    for (int i = 0; i < 50 && !closed; i++)
        closed = closed_within(fd, 100) || !send_frame(fd, F_PING, 0, NULL, 0);
    close(fd);
    if (!closed)
        fail("%s: the node did not close the connection", what);
    return closed;
}

/* [wire_id, 1000, args] with args = depth nested one-element arrays. */
static bool sc_deep_nesting(void)
{
    enum { DEPTH = 100000 };
    unsigned char *p = malloc(DEPTH + 16);
    size_t n = 0;
    p[n++] = 0x93;
    p[n++] = 0x01;
    p[n++] = 0xcd, p[n++] = 0x03, p[n++] = 0xe8;
    memset(p + n, 0x91, DEPTH);
    n += DEPTH;
    p[n++] = 0xc0;
    bool ok = request_closes("deep", p, n);
    /* And before the handshake: a HELLO of nested arrays, as large as allowed. */
    int fd = dial();
    bool pre = false;
    if (fd >= 0) {
        memset(p, 0x91, 60000);
        p[60000] = 0xc0;
        send_frame(fd, F_HELLO, 0, p, 60001);
        pre = closed_within(fd, 3000);
        close(fd);
    }
    free(p);
    if (!pre)
        fail("deep nesting in a HELLO did not close the connection");
    return ok && pre;
}

static bool sc_huge_counts(void)
{
    /* An array32 claiming 4 billion elements in 5 bytes. */
    static const unsigned char claim[] = {0x93, 0x01, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff};
    bool ok = request_closes("count", claim, sizeof claim);
    /* An honest-looking frame of 8 MiB of one-byte elements: its unpacked tree
     * would take 24 times its size; the decode budget refuses it. */
    size_t elems = 8 * (size_t)MIB;
    unsigned char *p = malloc(elems + 16);
    size_t n = 0;
    p[n++] = 0x93;
    p[n++] = 0x01;
    p[n++] = 0x01;
    p[n++] = 0xdd;
    for (int i = 0; i < 4; i++)
        p[n++] = (unsigned char)(elems >> (24 - 8 * i));
    memset(p + n, 0x00, elems);
    n += elems;
    ok &= request_closes("budget", p, n);
    free(p);
    return ok;
}

/* REQUEST payloads of the wrong shape around its optional elements (frame.h):
 * a stamp that is no unsigned integer, and more elements than a receiver
 * accepts. Each closes its connection. */
static bool sc_request_shape(void)
{
    bool ok = true;
    for (int variant = 0; variant < 3; variant++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        echo_request(&sb, &pk, "x", 1, variant == 2 ? 6 : 2);
        msgpack_pack_uint32(&pk, 0);
        if (variant == 0)
            msgpack_pack_str_with_body(&pk, "\x1b[2J", 4); /* the stamp as a string */
        else if (variant == 1)
            msgpack_pack_int64(&pk, -1); /* a negative stamp */
        else
            for (int k = 0; k < 5; k++) /* 9 elements: one past the 8 accepted */
                msgpack_pack_uint64(&pk, 1);
        const char *what[] = {"stamp-string", "stamp-negative", "nine-elements"};
        ok &= request_closes(what[variant], (const unsigned char *)sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
    }
    return ok;
}

static bool sc_unknown_types(void)
{
    bool ok = true;
    int types[] = {0, 77, 200, 255};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        int fd = dial();
        bool closed = fd >= 0 && send_frame(fd, types[i], 0, NULL, 0) && closed_within(fd, 3000);
        if (fd >= 0)
            close(fd);
        fd = handshake("type");
        bool closed_up = fd >= 0 && send_frame(fd, types[i], 0, NULL, 0) && closed_within(fd, 3000);
        if (fd >= 0)
            close(fd);
        if (!closed || !closed_up)
            fail("frame type %d did not close the connection (before: %d, after the handshake: "
                 "%d)", types[i], closed, closed_up);
        ok &= closed && closed_up;
    }
    return ok;
}

/* 100 HELLOs whose names carry escape sequences and newlines: refused, and no
 * raw control byte, no forged line, reaches the node's log. */
static bool sc_control_names(void)
{
    long long before = log_bytes();
    int welcomed = 0;
    for (int i = 0; i < 100; i++) {
        char name[96];
        snprintf(name, sizeof name, "evil\x1b[31m\nWARN forged-%d\r\x07@127.0.0.1", i);
        int fd = handshake_as(name, COOKIE);
        if (fd >= 0) {
            welcomed++;
            close(fd);
        }
    }
    /* The log since: printable ASCII and newlines only, no line forged. */
    FILE *f = fopen(node_log, "r");
    bool clean = f != NULL;
    if (f) {
        fseek(f, before, SEEK_SET);
        int ch, prev = '\n';
        while ((ch = fgetc(f)) != EOF) {
            if (ch != '\n' && (ch < 0x20 || ch >= 0x7f))
                clean = false;
            if (prev == '\n' && ch == 'W') {
                char rest[16] = "";
                if (fgets(rest, sizeof rest, f) && strncmp(rest, "ARN forged", 10) == 0)
                    clean = false;
                ch = '\n';
            }
            prev = ch;
        }
        fclose(f);
    }
    if (welcomed)
        fail("%d handshake(s) with control characters in the name were welcomed", welcomed);
    if (!clean)
        fail("a raw control byte or a forged line reached the node's log");
    return welcomed == 0 && clean;
}

static bool sc_wrong_cookie(void)
{
    int welcomed = 0;
    for (int i = 0; i < 300; i++) {
        char name[64];
        snprintf(name, sizeof name, "hx-guess-%d@127.0.0.1", i);
        int fd = handshake_as(name, "not-the-cookie-not-the-cookie-42");
        if (fd >= 0) {
            welcomed++;
            close(fd);
        }
    }
    if (welcomed)
        fail("%d handshake(s) with a wrong cookie were welcomed", welcomed);
    return welcomed == 0;
}

/* --- The runner ---------------------------------------------------------------- */

/* Sanitizer builds are slower and hold more memory (ASan's quarantine, kept
 * small for the node below; TSan's shadow memory): their bounds are
 * multiplied (tests/hostile/CMakeLists.txt). */
#ifdef HOSTILE_SANITIZED
#define SLACK HOSTILE_SANITIZED
#else
#define SLACK 1
#endif

typedef struct scenario {
    const char *name;
    bool (*run)(void);
    double max_cpu;          /* node CPU over the scenario's wall time, in cores */
    long max_rss_growth_kib; /* peak RSS over the RSS before */
    long long max_log_bytes; /* log growth */
    bool gives_back;         /* the peer leaves: RSS back near where it was */
} scenario;

static void run(const scenario *s)
{
    long ok0 = atomic_load(&legit_ok), failed0 = atomic_load(&legit_failed);
    long long cpu0 = cpu_ms(), log0 = log_bytes(), t0 = now_ms();
    long rss0 = rss_kib();
    atomic_store(&rss_peak, rss0);
    bool held = s->run();
    /* At least a few legitimate calls after the scenario too: they must still work. */
    long long until = now_ms() + 3000;
    while (atomic_load(&legit_ok) < ok0 + 20 && now_ms() < until)
        sleep_ms(10);
    long long wall = now_ms() - t0, cpu = cpu_ms() - cpu0, logd = log_bytes() - log0;
    long rss1 = rss_kib(), peak = atomic_load(&rss_peak);
    /* Memory given back once the peer has gone: within 16 MiB of the RSS
     * before, waited for (bounded: the connection is freed when its last
     * job lets go of it). */
    long back = 16 * 1024 * SLACK;
    until = now_ms() + 3000;
    while (s->gives_back && rss1 - rss0 > back && now_ms() < until) {
        sleep_ms(50);
        rss1 = rss_kib();
    }
    long ok = atomic_load(&legit_ok) - ok0, failed = atomic_load(&legit_failed) - failed0;
    double cores = wall > 0 ? (double)cpu / (double)wall : 0;
    bool pass = held;
    if (failed > 0 || ok < 20) {
        fail("%s: the legitimate caller: %ld ok, %ld failed (last: %s)", s->name, ok, failed,
             legit_last_error);
        pass = false;
    }
    /* The kernel counts CPU time in ticks (10 ms): 100 ms of slack. */
    if (cpu > SLACK * s->max_cpu * (double)wall + 100) {
        fail("%s: the node used %.2f cores (bound %.2f)", s->name, cores, SLACK * s->max_cpu);
        pass = false;
    }
    if (peak - rss0 > SLACK * s->max_rss_growth_kib) {
        fail("%s: the node's RSS grew by %ld KiB (bound %ld KiB)", s->name, peak - rss0,
             SLACK * s->max_rss_growth_kib);
        pass = false;
    }
    if (s->gives_back && rss1 - rss0 > back) {
        fail("%s: the node kept %ld KiB after the peer left (bound %ld KiB)", s->name,
             rss1 - rss0, back);
        pass = false;
    }
    if (logd > s->max_log_bytes) {
        fail("%s: the node's log grew by %lld bytes (bound %lld)", s->name, logd, s->max_log_bytes);
        pass = false;
    }
    printf("hostile: %-15s wall %5lld ms  node cpu %5lld ms (%.2f cores)  rss %ld -> peak %ld -> "
           "%ld KiB  log +%lld B  legit ok %ld failed %ld  %s\n",
           s->name, wall, cpu, cores, rss0, peak, rss1, logd, ok, failed, pass ? "held" : "FAILED");
    fflush(stdout);
}

/* The legitimate caller's big call: a 24 MiB echo, larger than the cap on
 * queued bytes both ways, completes (back-pressure never stalls one frame). */
static bool sc_big_call(void)
{
    size_t len = (size_t)24 * MIB;
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 2654435761u >> 13);
    /* Its own timeout: 24 MiB each way on a loaded machine, under a sanitizer,
     * takes seconds; the point is that it completes. */
    nb_bytes out = hx_echo__with(&(nb_call){.timeout_ms = 60000}, (nb_bytes){data, len});
    bool ok = nb_last_code() == NB_OK && out.len == len && memcmp(out.data, data, len) == 0;
    if (!ok)
        fail("a 24 MiB call: %s: %s", nb_code_name(nb_last_code()), nb_last_message());
    free(out.data);
    free(data);
    return ok;
}

static const scenario scenarios[] = {
    {"big_call", sc_big_call, 0.9, 160 * 1024, 4096, true},
    {"garbage", sc_garbage, 0.5, 32 * 1024, 4096, false},
    {"huge_headers", sc_huge_headers, 0.5, 32 * 1024, 4096, false},
    {"pending_cap", sc_pending_cap, 0.5, 32 * 1024, 4096, false},
    {"slowloris_pre", sc_slowloris_pre, 0.5, 32 * 1024, 4096, false},
    {"fd_exhaustion", sc_fd_exhaustion, 0.5, 32 * 1024, 4096, false},
    {"slowloris_post", sc_slowloris_post, 0.5, 32 * 1024, 4096, false},
    {"never_reads", sc_never_reads, 0.9, 96 * 1024, 4096, true},
    {"slow_reader", sc_slow_reader, 0.9, 96 * 1024, 4096, true},
    {"deep_nesting", sc_deep_nesting, 0.5, 32 * 1024, 4096, false},
    {"huge_counts", sc_huge_counts, 0.9, 64 * 1024, 4096, true},
    {"request_shape", sc_request_shape, 0.5, 32 * 1024, 4096, false},
    {"unknown_types", sc_unknown_types, 0.5, 32 * 1024, 4096, false},
    {"control_names", sc_control_names, 0.5, 32 * 1024, 4096, false},
    {"wrong_cookie", sc_wrong_cookie, 0.5, 32 * 1024, 4096, false},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hostile_driver SERVE_EXE [SCENARIO...]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    snprintf(scratch, sizeof scratch, "%s/nebula-hostile-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(node_log, sizeof node_log, "%s/serve.log", scratch);
    int port_self = free_port();
    node_port = free_port();
    char addresses[256], timeout[32];
    snprintf(addresses, sizeof addresses, "serve@127.0.0.1=127.0.0.1:%d,caller@127.0.0.1=127.0.0.1:%d",
             node_port, port_self);
    snprintf(timeout, sizeof timeout, "%d", FRAME_TIMEOUT_MS);
    setenv("NEBULA_ADDRESSES", addresses, 1);
    setenv("NEBULA_COOKIE", COOKIE, 1);
    setenv("NEBULA_FRAME_TIMEOUT_MS", timeout, 1);
    unsetenv("NEBULA_NODE");
    /* Under ASan: a small quarantine, so the node's RSS says what it holds. */
    char asan[512];
    snprintf(asan, sizeof asan, "%s%squarantine_size_mb=16",
             getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
             getenv("ASAN_OPTIONS") ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    atexit(kill_node_at_exit);
    node_pid = spawn_node(argv[1]);
    if (node_pid < 0 || nb_start(NULL) != 0 || nb_await("&serve", 20000) != 0) {
        printf("hostile: FAILED: setup: %s\n", nb_last_message());
        return 1;
    }
    printf("hostile: serving node pid %d on port %d, log %s\n", (int)node_pid, node_port, node_log);
    pthread_t legit, samp;
    pthread_create(&legit, NULL, legit_caller, NULL);
    pthread_create(&samp, NULL, sampler, NULL);
    long long t0 = now_ms();
    for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++) {
        bool chosen = argc == 2;
        for (int k = 2; k < argc; k++)
            chosen |= strcmp(argv[k], scenarios[i].name) == 0;
        if (chosen)
            run(&scenarios[i]);
    }
    /* After everything: a new peer is welcomed, and the node leaves cleanly. */
    int fd = handshake("last");
    if (fd < 0)
        fail("after the suite, a new peer is not welcomed");
    else
        close(fd);
    atomic_store(&legit_stop, true);
    pthread_join(legit, NULL);
    atomic_store(&sampler_stop, true);
    pthread_join(samp, NULL);
    printf("hostile: legitimate calls: %ld ok, %ld failed; suite %lld ms\n",
           atomic_load(&legit_ok), atomic_load(&legit_failed), now_ms() - t0);
    nb_stop();
    int st = stop_node(10000);
    if (st != 0)
        fail("the serving node exited with status %d", st);
    if (failures == 0) {
        printf("hostile suite: all scenarios held\n");
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            return 1;
        return 0;
    }
    printf("hostile suite: %d check(s) FAILED; the node's log is kept in %s\n", failures, node_log);
    return 1;
}
