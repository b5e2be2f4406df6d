/*
 * fuzz_handshake — the handshake (handshake.c) as a peer drives it: the frames
 * of a connection not yet authenticated, handed to nb__hs_on_frame exactly as
 * the dispatcher does, on both sides (this node accepted the connection, or
 * dialled it and sent HELLO).
 *
 * The runtime around it is the real one, set up by hand and without threads:
 * nb__cfg for a two-node topology ("a@h" is this node, "b@h" the other, a
 * cookie, transport plain), membership and node information started, and one
 * connection made of a socketpair and the plain stream; what the handshake
 * sends goes to the socketpair and is drained.
 *
 * Input: byte 0 chooses the side (bit 0: dialled) and, for the acceptor,
 * whether the peer's AUTH gets a correct MAC spliced in (bit 1: the fuzzer
 * cannot compute HMACs, so without it nothing past the cookie check would be
 * reached); then frames, each [type][length: 2 bytes, big-endian][payload].
 *
 * Checked for every input:
 *   - a frame refused says why (ctx.why is set), and nothing is handed on
 *     after a refusal (the connection would be closed);
 *   - a peer name kept on the connection is a plain token (no control bytes,
 *     blanks or quotes can reach a log line through it);
 *   - a connection that came up has a peer name and, for the dialler, is the
 *     node it dialled;
 *   - nothing leaks (libFuzzer's leak check, every input).
 */
#include <fcntl.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "handshake.h"
#include "log.h"
#include "membership.h"
#include "nodeinfo.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_handshake: check failed: %s (%s:%d)\n", #cond, __FILE__,        \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const tags_a[] = {"a"};
static const char *const tags_b[] = {"b"};
static const nb__node_def nodes[] = {
    {"a@h", "a", "h", "127.0.0.1:1", 1, tags_a, 1, NULL},
    {"b@h", "b", "h", "127.0.0.1:2", 2, tags_b, 1, NULL},
};
static const nb__cluster_def def = {
    .abi_version = NB__ABI_VERSION, .fingerprint = "f00d", .nodes = nodes, .n_nodes = 2,
    .self = 0, .self_name = "a@h", .port = 1, .default_timeout_ms = 1000,
    .nodes_info_refresh_interval_ms = 1000, .heartbeat_interval_ms = 250, .transport = 2,
};
static unsigned char cookie[] = "fuzz-cookie-0123456789abcdef";
static nb__stream_factory *plain;

static void on_closed(nb__conn *c, const char *why)
{
    (void)c, (void)why;
}
static int on_frame(nb__conn *c, const nb__frame_header *h, unsigned char *p, unsigned char **o,
                    nb__reader_ctx *ctx)
{
    (void)c, (void)h, (void)p, (void)o, (void)ctx;
    return 0;
}
static int on_secured(nb__conn *c, nb__reader_ctx *ctx)
{
    (void)c, (void)ctx;
    return 0;
}
static void run_job(struct nb__job *job)
{
    (void)job;
}
static bool run_job_holding(struct nb__job *job, nb__conn *c)
{
    (void)job, (void)c;
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    nb__log_init(NB__LOG_ERROR);
    nb__cfg.def = &def;
    nb__cfg.self_name = strdup("a@h");
    nb__cfg.self_index = 0;
    nb__cfg.transport = NB__TRANSPORT_PLAIN;
    nb__cfg.cookie = cookie;
    nb__cfg.cookie_len = sizeof cookie - 1;
    nb__cfg.heartbeat_ms = 250;
    nb__cfg.refresh_ms = 1000;
    nb__cfg.max_frame = NB__FRAME_DEFAULT_MAX;
    nb__cfg.started_mono_ms = nb__mono_ms();
    nb__security sec = {.kind = NB__TRANSPORT_PLAIN};
    char why[256];
    if (nb__stream_factory_new(&sec, &plain, why, sizeof why) < 0 || nb__info_start() < 0) {
        fprintf(stderr, "fuzz_handshake: setup: %s\n", why);
        abort();
    }
    static const nb__conn_hooks hooks = {on_frame, on_secured, on_closed, run_job,
                                         run_job_holding};
    nb__conn_layer_start(&hooks, plain);
    return 0;
}

/* A connection as conn.c makes one, OPEN over one end of a socketpair. */
static nb__conn *conn_make(int fd, bool outbound)
{
    nb__conn *c = calloc(1, sizeof *c);
    FZ_CHECK(c != NULL);
    c->fd = fd;
    c->stream = nb__stream_open(plain, fd, outbound, NULL);
    FZ_CHECK(c->stream != NULL);
    atomic_init(&c->refs, 1);
    c->outbound = outbound;
    c->dial_index = outbound ? 1 : -1;
    c->peer_index = -1;
    snprintf(c->addr, sizeof c->addr, "127.0.0.1:9");
    c->created_ms = nb__mono_ms();
    atomic_init(&c->last_rx_ms, c->created_ms);
    c->max_frame = NB__FRAME_HANDSHAKE_MAX;
    c->phase = NB__CONN_OPEN;
    c->open_for_writes = true;
    c->next_call_id = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->wmu, NULL);
    pthread_mutex_init(&c->pmu, NULL);
    return c;
}

/* Reads and drops what the handshake wrote to the other end. */
static void drain(int fd)
{
    char buf[4096];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* The dialer's MAC as handshake.c computes it (cookie.c: label with its NUL,
 * then length-prefixed parts), for bit 1 of the first byte. */
static void dialer_mac(const nb__conn *c, const unsigned char *nonce_d, unsigned char *out)
{
    unsigned char msg[1024];
    const char *label = "nebula-dialer";
    size_t off = strlen(label) + 1;
    memcpy(msg, label, off);
    const char *dialer = c->peer_name ? c->peer_name : "";
    const void *parts[4] = {c->nonce_self, nonce_d, dialer, "a@h"};
    size_t lens[4] = {32, 32, strlen(dialer), 3};
    for (int i = 0; i < 4; i++) {
        if (off + 4 + lens[i] > sizeof msg)
            return;
        for (int k = 0; k < 4; k++)
            msg[off + (size_t)k] = (unsigned char)(lens[i] >> (24 - 8 * k));
        memcpy(msg + off + 4, parts[i], lens[i]);
        off += 4 + lens[i];
    }
    unsigned int n = 32;
    HMAC(EVP_sha256(), cookie, (int)(sizeof cookie - 1), msg, off, out, &n);
}

/* An AUTH payload [nonce_d, mac_d, methods] whose MAC is made right: the bytes
 * are the fuzzer's with the 32 bytes of the MAC (the second bin 32, when the
 * payload starts 93 c4 20 <32> c4 20) overwritten. */
static void splice_mac(const nb__conn *c, unsigned char *p, size_t len)
{
    if (len >= 3 + 32 + 2 + 32 && p[0] == 0x93 && p[1] == 0xc4 && p[2] == 0x20 &&
        p[35] == 0xc4 && p[36] == 0x20)
        dialer_mac(c, p + 3, p + 37);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool outbound = data[0] & 1, good_mac = data[0] & 2;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    FZ_CHECK(nb__members_start() == 0);
    nb__conn *c = conn_make(sv[0], outbound);
    nb__reader_ctx ctx = {.can_run = false};
    int rc = nb__hs_on_secured(c, &ctx);
    drain(sv[1]);
    size_t at = 1;
    while (rc == 0 && size - at >= 3) {
        nb__frame_header h = {0, NB__WIRE_VERSION, data[at], 0, 0};
        size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        h.length = (uint32_t)len;
        unsigned char *p = malloc(len ? len : 1);
        FZ_CHECK(p != NULL);
        memcpy(p, data + at, len);
        at += len;
        if (good_mac && h.type == NB__F_AUTH)
            splice_mac(c, p, len);
        ctx.why[0] = '\0';
        rc = nb__hs_on_frame(c, &h, p, &ctx);
        free(p);
        drain(sv[1]);
        FZ_CHECK(rc == 0 || ctx.why[0] != '\0');
        FZ_CHECK(!c->peer_name || nb__is_plain_token(c->peer_name, strlen(c->peer_name)));
        if (atomic_load(&c->up)) {
            FZ_CHECK(c->peer_name != NULL);
            FZ_CHECK(!outbound || c->peer_index == 1);
        }
    }
    /* Membership let go of the connection's references (nb__members_stop),
     * then the connection's own: everything is freed. */
    nb__members_stop();
    nb__conn_unref(c);
    close(sv[1]);
    return 0;
}
