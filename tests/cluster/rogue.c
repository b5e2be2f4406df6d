/*
 * rogue.c — a hostile peer for the security tests: it speaks the wire protocol
 * (src/runtime/frame.h) by hand, with msgpack and OpenSSL, so it can say what a
 * real node never would. It prints one line per finding on stderr (the test
 * reads its log) and exits 0 when the node under test behaved as the scenario
 * expects, 1 otherwise.
 *
 *   rogue challenge PORT FINGERPRINT
 *       HELLO as a stranger, then checks the CHALLENGE carries only the
 *       acceptor's identity and a nonce (nothing computed from the cookie), then
 *       sends an AUTH with a made-up MAC and expects REFUSE.
 *   rogue badname PORT FINGERPRINT
 *       HELLO with a name full of control characters: expects REFUSE.
 *   rogue claim PORT FINGERPRINT NAME COOKIE [API WIRE_ID REGISTERED_AT_MS]...
 *       The whole handshake as NAME with the right cookie, claiming to serve
 *       each API (its name, sent as given) as WIRE_ID since REGISTERED_AT_MS.
 *       Prints "welcome" or "refused: ...";
 *       once welcomed, answers every REQUEST with NB_E_OVERLOADED and the
 *       message in $ROGUE_MESSAGE (printing "request"), until SIGTERM. With
 *       $ROGUE_EXTEND set it answers none: it sends EXTEND for the request every
 *       50 ms instead, for 20 s or until the caller's CANCEL comes (printing
 *       "cancel after N extends"), as a server that never lets a caller go.
 *       With $ROGUE_CALL=WIRE_ID it serves nothing: it calls WIRE_ID (an API
 *       without arguments) with requests whose sent_us stamps lie about when
 *       they were made (stale_stamps below), printing each outcome.
 *
 * With $ROGUE_TRANSPORT=psk the rogue first secures its connection with TLS
 * keyed from $NEBULA_COOKIE (libnebula's own stream, stream.h), as a cookie
 * holder can: the scenarios then test what such a peer can do inside TLS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "stream.h"

enum { F_HELLO = 1, F_CHALLENGE, F_AUTH, F_WELCOME, F_REFUSE, F_REQUEST, F_REPLY, F_PING,
       F_CANCEL = 11, F_EXTEND = 12 };
#define WIRE_VERSION 2
#define NB_E_OVERLOADED_CODE 4

static int fd = -1;
static nb__stream_factory *tls_factory; /* psk: the factory of st */
static nb__stream *st;                  /* psk: the TLS stream over fd, else NULL */
static bool last_refusal_was_tie_break;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rogue: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int connect_to(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || connect(s, (struct sockaddr *)&in, sizeof in) < 0)
        return -1;
    return s;
}

/* Waits until fd is ready for `events`, at most timeout_ms. */
static bool wait_fd(short events, int timeout_ms)
{
    struct pollfd pfd = {fd, events, 0};
    return poll(&pfd, 1, timeout_ms) > 0;
}

/* psk: TLS over fd, keyed from $NEBULA_COOKIE. Returns false (said why) on failure. */
static bool secure(void)
{
    const char *cookie = getenv("NEBULA_COOKIE");
    nb__security sec = {.kind = NB__TRANSPORT_PSK, .cookie = (const unsigned char *)cookie,
                        .cookie_len = cookie ? strlen(cookie) : 0};
    char why[512] = "";
    /* The key derivation is deliberately slow (docs/security.md): done before
     * connecting, so the node's handshake timer does not run meanwhile. */
    if (!tls_factory && nb__stream_factory_new(&sec, &tls_factory, why, sizeof why) < 0) {
        say("tls: %s", why);
        return false;
    }
    if (fd < 0)
        return true;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (!(st = nb__stream_open(tls_factory, fd, true, NULL))) {
        say("tls: %s", why[0] ? why : "out of memory");
        return false;
    }
    for (;;) {
        int want = 0;
        int rc = nb__stream_handshake(st, &want, why, sizeof why);
        if (rc == 1)
            return true;
        if (rc < 0 || !wait_fd((short)want, 10000)) {
            say("tls: %s", why[0] ? why : "handshake timed out");
            return false;
        }
    }
}

/* Writes n bytes through the TLS stream, waiting for the socket as needed. */
static bool tls_write_all(const void *buf, size_t n)
{
    struct iovec iov = {(void *)buf, n};
    while (iov.iov_len > 0 || nb__stream_unsent(st) > 0) {
        ssize_t w = nb__stream_writev(st, &iov, iov.iov_len ? 1 : 0);
        if (w < 0 && errno != EAGAIN)
            return false;
        if (w > 0) {
            iov.iov_base = (char *)iov.iov_base + w;
            iov.iov_len -= (size_t)w;
        }
        if ((w <= 0 || nb__stream_unsent(st) > 0) && !wait_fd(POLLOUT, 10000))
            return false;
    }
    return true;
}

/* Reads up to n bytes through the TLS stream within timeout_ms. */
static ssize_t tls_read(void *buf, size_t n, int timeout_ms)
{
    char why[256];
    for (;;) {
        ssize_t r = nb__stream_read(st, buf, n, why, sizeof why);
        if (r >= 0 || errno != EAGAIN)
            return r;
        if (!wait_fd(POLLIN, timeout_ms))
            return -1;
    }
}

/* (Re)connects to port, through TLS when $ROGUE_TRANSPORT is psk. 0 or -1. */
static int open_conn(int port)
{
    nb__stream_free(st);
    st = NULL;
    if (fd >= 0)
        close(fd);
    fd = -1;
    const char *t = getenv("ROGUE_TRANSPORT");
    bool tls = t && strcmp(t, "psk") == 0;
    if (tls && !secure()) /* makes the factory only */
        return -1;
    fd = connect_to(port);
    if (fd < 0) {
        say("cannot connect: %s", strerror(errno));
        return -1;
    }
    return tls && !secure() ? -1 : 0;
}

static bool write_all(const void *buf, size_t n)
{
    if (st)
        return tls_write_all(buf, n);
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool send_frame(int type, uint64_t call_id, const msgpack_sbuffer *payload)
{
    unsigned char h[16] = {0};
    uint32_t len = payload ? (uint32_t)payload->size : 0;
    h[0] = (unsigned char)(len >> 24);
    h[1] = (unsigned char)(len >> 16);
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    h[4] = WIRE_VERSION;
    h[5] = (unsigned char)type;
    for (int i = 0; i < 8; i++)
        h[8 + i] = (unsigned char)(call_id >> (56 - 8 * i));
    return write_all(h, sizeof h) && (!len || write_all(payload->data, len));
}

/* A frame's payload being packed: payload_begin, pack into .pk, payload_send. */
typedef struct packing {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} packing;

static void payload_begin(packing *p)
{
    msgpack_sbuffer_init(&p->sb);
    msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

/* Sends the payload as a frame of `type` and releases it. */
static bool payload_send(packing *p, int type, uint64_t call_id)
{
    bool ok = send_frame(type, call_id, &p->sb);
    msgpack_sbuffer_destroy(&p->sb);
    return ok;
}

static bool read_all(void *buf, size_t n, int timeout_ms)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r;
        if (st) {
            r = tls_read(p, n, timeout_ms);
        } else {
            struct pollfd pfd = {fd, POLLIN, 0};
            if (poll(&pfd, 1, timeout_ms) <= 0)
                return false;
            r = recv(fd, p, n, 0);
        }
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Reads one frame; *payload is malloc'd (free it). Returns its type, or -1. */
static int recv_frame(unsigned char **payload, size_t *len, uint64_t *call_id, int timeout_ms)
{
    unsigned char h[16];
    if (!read_all(h, sizeof h, timeout_ms))
        return -1;
    *len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    *call_id = 0;
    for (int i = 0; i < 8; i++)
        *call_id = *call_id << 8 | h[8 + i];
    if (*len > (1u << 20))
        return -1;
    *payload = malloc(*len ? *len : 1);
    if (!*payload || !read_all(*payload, *len, timeout_ms))
        return -1;
    return h[5];
}

/* Like the runtime's MAC (cookie.c): label with its NUL, then length-prefixed parts. */
static void mac(const char *cookie, const char *label, const unsigned char *na,
                const unsigned char *nd, const char *dialer, const char *acceptor,
                unsigned char *out)
{
    unsigned char msg[2048];
    size_t off = strlen(label) + 1;
    memcpy(msg, label, off);
    const void *parts[4] = {na, nd, dialer, acceptor};
    size_t lens[4] = {32, 32, strlen(dialer), strlen(acceptor)};
    for (int i = 0; i < 4; i++) {
        msg[off] = (unsigned char)(lens[i] >> 24);
        msg[off + 1] = (unsigned char)(lens[i] >> 16);
        msg[off + 2] = (unsigned char)(lens[i] >> 8);
        msg[off + 3] = (unsigned char)lens[i];
        memcpy(msg + off + 4, parts[i], lens[i]);
        off += 4 + lens[i];
    }
    unsigned int n = 32;
    HMAC(EVP_sha256(), cookie, (int)strlen(cookie), msg, off, out, &n);
}

static bool send_hello(const char *name, const char *fp)
{
    packing pl;
    payload_begin(&pl);
    msgpack_pack_array(&pl.pk, 4);
    msgpack_pack_uint32(&pl.pk, WIRE_VERSION);
    msgpack_pack_str_with_body(&pl.pk, name, strlen(name));
    msgpack_pack_str_with_body(&pl.pk, fp, strlen(fp));
    msgpack_pack_uint64(&pl.pk, 12345);
    return payload_send(&pl, F_HELLO, 0);
}

/* Waits for a frame of type `want`; prints a REFUSE's reason. Returns the
 * unpacked payload in up (destroy it) or false. */
static bool expect(int want, msgpack_unpacked *up, uint64_t *call_id)
{
    unsigned char *p = NULL;
    size_t len;
    uint64_t id = 0;
    int type;
    do {
        free(p);
        p = NULL;
        type = recv_frame(&p, &len, &id, 10000);
    } while (type == F_PING || (type > F_REFUSE && want <= F_REFUSE && type != want));
    if (type < 0) {
        free(p);
        say("connection closed while waiting for frame type %d", want);
        return false;
    }
    msgpack_unpacked_init(up);
    size_t off = 0;
    bool ok = msgpack_unpack_next(up, (const char *)p, len, &off) == MSGPACK_UNPACK_SUCCESS;
    /* Strings and bins of up point into the frame: keep it until the next one. */
    static unsigned char *last;
    free(last);
    last = p;
    if (call_id)
        *call_id = id;
    if (ok && type == F_REFUSE && up->data.type == MSGPACK_OBJECT_ARRAY &&
        up->data.via.array.size >= 1 && up->data.via.array.ptr[0].type == MSGPACK_OBJECT_STR) {
        const msgpack_object_str *s = &up->data.via.array.ptr[0].via.str;
        say("refused: %.*s", (int)s->size, s->ptr);
        last_refusal_was_tie_break = memmem(s->ptr, s->size, "simultaneous", 12) != NULL;
    }
    if (!ok || type != want) {
        if (type != F_REFUSE)
            say("got frame type %d, expected %d", type, want);
        msgpack_unpacked_destroy(up);
        return false;
    }
    return true;
}

static int scenario_challenge(const char *fp)
{
    msgpack_unpacked up;
    if (!send_hello("rogue@127.0.0.1", fp) || !expect(F_CHALLENGE, &up, NULL))
        return 1;
    const msgpack_object *o = &up.data;
    /* [version, name, fingerprint, boot, nonce]: identity and a fresh nonce only. */
    bool only_nonce = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 5 &&
                      o->via.array.ptr[4].type == MSGPACK_OBJECT_BIN &&
                      o->via.array.ptr[4].via.bin.size == 32;
    int bins = 0;
    for (uint32_t i = 0; o->type == MSGPACK_OBJECT_ARRAY && i < o->via.array.size; i++)
        bins += o->via.array.ptr[i].type == MSGPACK_OBJECT_BIN;
    say("challenge fields=%u bins=%d", o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0,
        bins);
    msgpack_unpacked_destroy(&up);
    if (!only_nonce || bins != 1) {
        say("FAILED: the challenge carries more than identity and a nonce");
        return 1;
    }
    /* A made-up proof: refused, and nothing from the cookie comes back. */
    packing pl;
    unsigned char nonce[32], fake[32];
    RAND_bytes(nonce, sizeof nonce);
    RAND_bytes(fake, sizeof fake);
    payload_begin(&pl);
    msgpack_pack_array(&pl.pk, 3);
    msgpack_pack_bin_with_body(&pl.pk, nonce, 32);
    msgpack_pack_bin_with_body(&pl.pk, fake, 32);
    msgpack_pack_array(&pl.pk, 0);
    payload_send(&pl, F_AUTH, 0);
    if (expect(F_WELCOME, &up, NULL)) {
        say("FAILED: welcomed without the cookie");
        msgpack_unpacked_destroy(&up);
        return 1;
    }
    say("challenge-ok");
    return 0;
}

static int scenario_badname(const char *fp)
{
    msgpack_unpacked up;
    if (!send_hello("evil\x1b[31m\nWARN forged line@127.0.0.1", fp))
        return 1;
    if (expect(F_CHALLENGE, &up, NULL)) {
        msgpack_unpacked_destroy(&up);
        say("FAILED: a name with control characters was accepted");
        return 1;
    }
    say("badname-ok");
    return 0;
}

/* $ROGUE_EXTEND: keeps call id alive with an EXTEND every 50 ms, never replying,
 * until its CANCEL comes (or 20 s pass). */
static void extend_forever(uint64_t id)
{
    int sent = 0;
    for (int i = 0; i < 400; i++) {
        send_frame(F_EXTEND, id, NULL);
        sent++;
        unsigned char *p = NULL;
        size_t len;
        uint64_t got;
        int type = recv_frame(&p, &len, &got, 50);
        free(p);
        if (type == F_PING)
            send_frame(F_PING, 0, NULL);
        if (type == F_CANCEL && got == id) {
            say("cancel after %d extends", sent);
            return;
        }
    }
    say("no cancel after %d extends", sent);
}

static void serve(void)
{
    const char *text = getenv("ROGUE_MESSAGE");
    if (!text)
        text = "overloaded";
    for (;;) {
        unsigned char *p = NULL;
        size_t len;
        uint64_t id;
        int type = recv_frame(&p, &len, &id, 60000);
        free(p);
        if (type < 0)
            return;
        if (type == F_PING) {
            send_frame(F_PING, 0, NULL);
            continue;
        }
        if (type != F_REQUEST)
            continue;
        say("request");
        if (getenv("ROGUE_EXTEND")) {
            extend_forever(id);
            continue;
        }
        packing pl;
        payload_begin(&pl);
        msgpack_pack_array(&pl.pk, 3);
        msgpack_pack_uint32(&pl.pk, NB_E_OVERLOADED_CODE);
        msgpack_pack_nil(&pl.pk);
        msgpack_pack_str_with_body(&pl.pk, text, strlen(text));
        payload_send(&pl, F_REPLY, id);
    }
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Sends call `id` of wire_id (no arguments) stamped sent_us, and prints
 * "LABEL: code N: MESSAGE" from its REPLY (answering PINGs meanwhile). */
static void call_stamped(const char *label, uint64_t wire_id, uint64_t id, uint32_t timeout_ms,
                         uint64_t sent_us)
{
    packing pl;
    payload_begin(&pl);
    msgpack_pack_array(&pl.pk, 5);
    msgpack_pack_uint64(&pl.pk, wire_id);
    msgpack_pack_uint32(&pl.pk, timeout_ms);
    msgpack_pack_array(&pl.pk, 0);
    msgpack_pack_uint32(&pl.pk, 0);
    msgpack_pack_uint64(&pl.pk, sent_us);
    bool sent = payload_send(&pl, F_REQUEST, id);
    for (int i = 0; sent && i < 100; i++) {
        unsigned char *p = NULL;
        size_t len;
        uint64_t got;
        int type = recv_frame(&p, &len, &got, 5000);
        if (type == F_PING)
            send_frame(F_PING, 0, NULL);
        if (type == F_REPLY && got == id) {
            msgpack_unpacked up;
            msgpack_unpacked_init(&up);
            size_t off = 0;
            const msgpack_object *o = &up.data;
            if (msgpack_unpack_next(&up, (const char *)p, len, &off) == MSGPACK_UNPACK_SUCCESS &&
                o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3 &&
                o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                const msgpack_object *m = &o->via.array.ptr[2];
                say("%s: code %d: %.*s", label, (int)o->via.array.ptr[0].via.u64,
                    m->type == MSGPACK_OBJECT_STR ? (int)m->via.str.size : 0,
                    m->type == MSGPACK_OBJECT_STR ? m->via.str.ptr : "");
            } else {
                say("%s: malformed reply", label);
            }
            msgpack_unpacked_destroy(&up);
            free(p);
            return;
        }
        free(p);
        if (type < 0)
            break;
    }
    say("%s: no reply", label);
}

/* $ROGUE_CALL: requests whose stamps say they waited (docs/cancellation.md,
 * "Deadlines that hold across a pause"), and stamps far off either way. */
static void stale_stamps(uint64_t wire_id)
{
    uint64_t t0 = mono_us();
    call_stamped("fresh", wire_id, 1, 2000, t0);
    /* 400 ms on: a request stamped as made 10 us after the first has waited
     * 400 ms somewhere, more than its 300 ms timeout. */
    for (int i = 0; i < 4; i++) {
        usleep(100 * 1000);
        send_frame(F_PING, 0, NULL);
    }
    call_stamped("stale", wire_id, 2, 300, t0 + 10);
    call_stamped("honest", wire_id, 3, 2000, mono_us());
    /* A stamp from the far future lowers this connection's base: it runs, and
     * every honest request of this peer after it looks late. */
    call_stamped("future stamp", wire_id, 4, 2000, UINT64_MAX);
    call_stamped("after a future stamp", wire_id, 5, 2000, mono_us());
    call_stamped("zero stamp", wire_id, 6, 2000, 0);
    say("stamps done");
}

static int scenario_claim(const char *fp, const char *name, const char *cookie, int argc,
                          char **argv)
{
    msgpack_unpacked up;
    if (!send_hello(name, fp) || !expect(F_CHALLENGE, &up, NULL))
        return 1;
    const msgpack_object *o = &up.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 5 ||
        o->via.array.ptr[1].type != MSGPACK_OBJECT_STR ||
        o->via.array.ptr[4].type != MSGPACK_OBJECT_BIN || o->via.array.ptr[4].via.bin.size != 32) {
        msgpack_unpacked_destroy(&up);
        say("malformed challenge");
        return 1;
    }
    char acceptor[256];
    unsigned char na[32], nd[32], md[32];
    snprintf(acceptor, sizeof acceptor, "%.*s", (int)o->via.array.ptr[1].via.str.size,
             o->via.array.ptr[1].via.str.ptr);
    memcpy(na, o->via.array.ptr[4].via.bin.ptr, 32);
    msgpack_unpacked_destroy(&up);
    RAND_bytes(nd, sizeof nd);
    mac(cookie, "nebula-dialer", na, nd, name, acceptor, md);
    packing pl;
    payload_begin(&pl);
    msgpack_pack_array(&pl.pk, 3);
    msgpack_pack_bin_with_body(&pl.pk, nd, 32);
    msgpack_pack_bin_with_body(&pl.pk, md, 32);
    msgpack_pack_array(&pl.pk, (uint32_t)(argc / 3));
    for (int i = 0; i + 2 < argc; i += 3) {
        msgpack_pack_array(&pl.pk, 3);
        msgpack_pack_uint64(&pl.pk, strtoull(argv[i + 1], NULL, 0));
        msgpack_pack_str_with_body(&pl.pk, argv[i], strlen(argv[i]));
        msgpack_pack_uint64(&pl.pk, strtoull(argv[i + 2], NULL, 0));
    }
    payload_send(&pl, F_AUTH, 0);
    if (!expect(F_WELCOME, &up, NULL))
        return 1; /* refused: the line above says why */
    msgpack_unpacked_destroy(&up);
    say("welcome");
    const char *call = getenv("ROGUE_CALL");
    if (call)
        stale_stamps(strtoull(call, NULL, 0));
    else
        serve();
    return 0;
}

/* A claim can meet the node's own dial to that name in progress (both sides
 * dialling at once), which the tie-break settles against the claim: try again,
 * a bounded number of times. Returns the last attempt's status. */
static int claim_with_retries(int port, char **argv, int argc)
{
    int rc = 1;
    for (int attempt = 0; attempt < 20; attempt++) {
        char log_name[64];
        snprintf(log_name, sizeof log_name, "attempt %d", attempt + 1);
        say("%s", log_name);
        rc = scenario_claim(argv[3], argv[4], argv[5], argc - 6, argv + 6);
        if (rc == 0 || !last_refusal_was_tie_break)
            return rc;
        usleep(50 * 1000);
        if (open_conn(port) < 0)
            return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: rogue challenge|badname|claim PORT FINGERPRINT ...\n");
        return 2;
    }
    if (open_conn(atoi(argv[2])) < 0)
        return 1;
    if (strcmp(argv[1], "challenge") == 0)
        return scenario_challenge(argv[3]);
    if (strcmp(argv[1], "badname") == 0)
        return scenario_badname(argv[3]);
    if (strcmp(argv[1], "claim") == 0 && argc >= 6)
        return claim_with_retries(atoi(argv[2]), argv, argc);
    return 2;
}
