/*
 * handshake.c — from a secured stream to an authenticated peer (docs/design.md
 * §8; the frames are described in frame.h).
 *
 *   dialer                                          acceptor
 *   HELLO [version, name, fingerprint, boot]                 ->
 *                <-  CHALLENGE [version, name, fingerprint, boot, nonce_a]
 *   AUTH [nonce_d, mac_d, served methods]                    ->
 *                <-  WELCOME [mac_a, served methods]
 *
 * The dialer proves it knows the cookie first, by a MAC over both fresh nonces
 * and both names; the acceptor checks it, in constant time, before it sends
 * anything computed from the cookie, and then proves it knows the cookie too.
 * So a stranger who connects learns nothing it could test cookie guesses
 * against offline: only "refused". A peer with another protocol version,
 * another topology fingerprint or a wrong cookie is refused with a REFUSE frame
 * and a log line on both sides saying why. Everything the peer says that
 * reaches a log line or a message is escaped first (nb__escape), and a peer
 * name must be a plain token (printable ASCII, no blanks or quotes). Where the
 * stream proves a name (mtls: nb__stream_peer_identity), the name claimed in
 * HELLO/CHALLENGE must be that one.
 *
 * Layering: a session module. conn.c calls it only through the hooks
 * (nb__hs_on_secured); dispatch.c hands it the frames of a connection not yet up.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "config.h"
#include "conn.h"
#include "cookie.h"
#include "handshake.h"
#include "log.h"
#include "membership.h"
#include "metrics.h"
#include "stream.h"

/* c->hs_step values. */
enum {
    HS_NONE = 0,     /* the stream is not secured yet */
    HS_WAIT_HELLO,   /* inbound, waiting for the dialer's HELLO */
    HS_WAIT_CHALLENGE, /* outbound, HELLO sent */
    HS_WAIT_AUTH,    /* inbound, CHALLENGE sent */
    HS_WAIT_WELCOME, /* outbound, AUTH sent */
    HS_UP            /* authenticated; calls may use it */
};

/* Copies a MessagePack string into buf; false when o is not a fitting string. */
static bool get_str(const msgpack_object *o, char *buf, size_t size)
{
    /* An empty str has a NULL ptr in msgpack-c, which memchr and memcpy may
     * not be given even for 0 bytes (found by fuzz_handshake). */
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size ||
        (o->via.str.size && memchr(o->via.str.ptr, '\0', o->via.str.size)))
        return false;
    if (o->via.str.size)
        memcpy(buf, o->via.str.ptr, o->via.str.size);
    buf[o->via.str.size] = '\0';
    return true;
}

static bool get_bin32(const msgpack_object *o, unsigned char *out)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != 32)
        return false;
    memcpy(out, o->via.bin.ptr, 32);
    return true;
}

/* The peer's name for a log line: known names are plain tokens already. */
static const char *peer_label(const nb__conn *c)
{
    return c->peer_name ? c->peer_name : "a peer";
}

/* Sends REFUSE and fills ctx->why so the connection closes; logs at warning
 * level unless the refusal is part of normal operation. why is this node's own
 * text (peer strings in it are escaped already). */
static int refuse(nb__conn *c, nb__reader_ctx *ctx, bool benign, const char *why)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_str_with_body(&pk, why, strlen(why));
    if (benign)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    nb__frame_end(&sb, NB__F_REFUSE, 0);
    nb__conn_send(c, &sb);
    /* A refused peer usually tries again, and again: one line per window. */
    static nb__log_limit refusals = NB__LOG_LIMIT_INIT;
    if (benign)
        nb__log(NB__LOG_DEBUG, "refused %s at %s: %s", peer_label(c), c->addr, why);
    else
        nb__log_limited(&refusals, why, NB__LOG_WARN, "refused %s at %s: %s", peer_label(c),
                        c->addr, why);
    snprintf(ctx->why, sizeof ctx->why, "refused: %s", why);
    if (!benign)
        nb__metrics_refusal(c->peer_name, why);
    return -1;
}

/* Under mtls there is no cookie: the certificates, each checked against the
 * name its holder claims (read_identity), are the proof, so the MAC fields go
 * out zero and are not checked. Under psk the cookie is proven twice, by TLS and
 * by these MACs; under plain by these MACs alone. */
static bool cookie_proves(void)
{
    return nb__cfg.transport != NB__TRANSPORT_MTLS;
}

/* True when the peer's MAC is the one expected (or no cookie is in use). */
static bool mac_ok(const unsigned char *want, const unsigned char *got)
{
    return !cookie_proves() || CRYPTO_memcmp(want, got, NB__MAC_SIZE) == 0;
}

/* MAC over both nonces and both names, dialer's first (see frame.h). */
static void hs_mac(const char *label, const unsigned char *nonce_a, const unsigned char *nonce_d,
                   const char *dialer, const char *acceptor, unsigned char *mac)
{
    if (!cookie_proves()) {
        memset(mac, 0, NB__MAC_SIZE);
        return;
    }
    nb__mac_part parts[] = {{nonce_a, NB__NONCE_SIZE},
                            {nonce_d, NB__NONCE_SIZE},
                            {dialer, strlen(dialer)},
                            {acceptor, strlen(acceptor)}};
    nb__cookie_mac(nb__cfg.cookie, nb__cfg.cookie_len, label, parts, 4, mac);
}

/* Packs the identity part shared by HELLO and CHALLENGE. */
static void pack_identity(msgpack_packer *pk, size_t extra)
{
    const char *fp = nb__cfg.def->fingerprint;
    msgpack_pack_array(pk, 4 + extra);
    msgpack_pack_uint32(pk, NB__WIRE_VERSION);
    msgpack_pack_str_with_body(pk, nb__cfg.self_name, strlen(nb__cfg.self_name));
    msgpack_pack_str_with_body(pk, fp, strlen(fp));
    msgpack_pack_uint64(pk, nb__cfg.boot_id);
}

int nb__hs_on_secured(nb__conn *c, nb__reader_ctx *ctx)
{
    if (!c->outbound) {
        c->hs_step = HS_WAIT_HELLO;
        return 0;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    pack_identity(&pk, 0);
    nb__frame_end(&sb, NB__F_HELLO, 0);
    c->hs_step = HS_WAIT_CHALLENGE;
    if (nb__conn_send(c, &sb) < 0) {
        snprintf(ctx->why, sizeof ctx->why, "cannot send HELLO to %s", c->addr);
        return -1;
    }
    return 0;
}

/* Reads the identity of HELLO (4 fields) or CHALLENGE (5, the last the
 * acceptor's nonce) into c; refuses a peer we cannot talk to. */
static int read_identity(nb__conn *c, const msgpack_object *o, size_t n_fields,
                         nb__reader_ctx *ctx)
{
    char name[256], fp[128], why[512], esc[300], esc_fp[300];
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n_fields)
        return refuse(c, ctx, false, "malformed handshake frame");
    const msgpack_object *f = o->via.array.ptr;
    if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[0].via.u64 != NB__WIRE_VERSION) {
        snprintf(why, sizeof why, "protocol version mismatch: this node speaks version %d",
                 NB__WIRE_VERSION);
        return refuse(c, ctx, false, why);
    }
    if (!get_str(&f[1], name, sizeof name) || !get_str(&f[2], fp, sizeof fp) ||
        f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        (n_fields == 5 && !get_bin32(&f[4], c->nonce_peer)))
        return refuse(c, ctx, false, "malformed handshake frame");
    if (!nb__is_plain_token(name, strlen(name))) {
        snprintf(why, sizeof why, "\"%s\" is not a usable node name",
                 nb__escape(name, strlen(name), esc, sizeof esc));
        return refuse(c, ctx, false, why);
    }
    /* A stream that proves a name (mtls) must prove this one: a valid
     * certificate for another node never stands for the name claimed here. */
    const char *proven = nb__stream_peer_identity(c->stream);
    if (!proven && !cookie_proves())
        return refuse(c, ctx, false, "the peer's certificate proves no node name");
    if (proven && strcmp(proven, name) != 0) {
        snprintf(why, sizeof why, "the peer claims to be %s but its certificate is for %s", name,
                 nb__escape(proven, strlen(proven), esc, sizeof esc));
        return refuse(c, ctx, false, why);
    }
    free(c->peer_name);
    c->peer_name = strdup(name);
    c->peer_boot = f[3].via.u64;
    if (!c->peer_name)
        return refuse(c, ctx, false, "out of memory");
    if (strcmp(fp, nb__cfg.def->fingerprint) != 0) {
        snprintf(why, sizeof why,
                 "topology fingerprint mismatch: %s has %s, %s has %s (built from another "
                 "nebula.yaml: its nodes, tags or transport differ)",
                 name, nb__escape(fp, strlen(fp), esc_fp, sizeof esc_fp), nb__cfg.self_name,
                 nb__cfg.def->fingerprint);
        return refuse(c, ctx, false, why);
    }
    if (strcmp(name, nb__cfg.self_name) == 0) {
        snprintf(why, sizeof why, "%s is this node's own name", name);
        return refuse(c, ctx, false, why);
    }
    c->peer_index = -1;
    for (size_t i = 0; i < nb__cfg.def->n_nodes; i++)
        if (strcmp(nb__cfg.def->nodes[i].name, name) == 0)
            c->peer_index = (int)i;
    return 0;
}

/* Acceptor: HELLO names the dialer; the answer carries a fresh nonce and
 * nothing computed from the cookie. */
static int on_hello(nb__conn *c, const msgpack_object *o, nb__reader_ctx *ctx)
{
    if (read_identity(c, o, 4, ctx) < 0)
        return -1;
    if (nb__random_bytes(c->nonce_self, sizeof c->nonce_self) < 0)
        return refuse(c, ctx, false, "no random bytes for a nonce");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    pack_identity(&pk, 1);
    msgpack_pack_bin_with_body(&pk, c->nonce_self, sizeof c->nonce_self);
    nb__frame_end(&sb, NB__F_CHALLENGE, 0);
    c->hs_step = HS_WAIT_AUTH;
    return nb__conn_send(c, &sb);
}

/* Dialer: the acceptor is who we dialled; prove the cookie first. */
static int on_challenge(nb__conn *c, const msgpack_object *o, nb__reader_ctx *ctx)
{
    if (read_identity(c, o, 5, ctx) < 0)
        return -1;
    const char *expected = nb__cfg.def->nodes[c->dial_index].name;
    char why[512];
    if (c->peer_index != c->dial_index) {
        snprintf(why, sizeof why, "expected %s at %s, found %s", expected, c->addr, c->peer_name);
        return refuse(c, ctx, false, why);
    }
    if (nb__random_bytes(c->nonce_self, sizeof c->nonce_self) < 0)
        return refuse(c, ctx, false, "no random bytes for a nonce");
    unsigned char mac[NB__MAC_SIZE];
    hs_mac("nebula-dialer", c->nonce_peer, c->nonce_self, nb__cfg.self_name, c->peer_name, mac);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_bin_with_body(&pk, c->nonce_self, sizeof c->nonce_self);
    msgpack_pack_bin_with_body(&pk, mac, sizeof mac);
    nb__members_pack_served(&pk);
    nb__frame_end(&sb, NB__F_AUTH, 0);
    c->hs_step = HS_WAIT_WELCOME;
    return nb__conn_send(c, &sb);
}

/* Acceptor: the dialer's proof; only now does the acceptor prove its own. */
static int on_auth(nb__conn *c, const msgpack_object *o, nb__reader_ctx *ctx)
{
    unsigned char want[NB__MAC_SIZE], got[NB__MAC_SIZE];
    char why[512];
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
        !get_bin32(&o->via.array.ptr[0], c->nonce_peer) || !get_bin32(&o->via.array.ptr[1], got))
        return refuse(c, ctx, false, "malformed AUTH frame");
    hs_mac("nebula-dialer", c->nonce_self, c->nonce_peer, c->peer_name, nb__cfg.self_name, want);
    if (!mac_ok(want, got)) {
        snprintf(why, sizeof why, "wrong cookie: %s and %s do not share the cluster cookie",
                 c->peer_name, nb__cfg.self_name);
        return refuse(c, ctx, false, why);
    }
    const msgpack_object *methods = &o->via.array.ptr[2];
    if (!nb__members_served_ok(methods)) {
        snprintf(why, sizeof why, "malformed list of served methods from %s", c->peer_name);
        return refuse(c, ctx, false, why);
    }
    if (c->peer_index < 0 && methods->type == MSGPACK_OBJECT_ARRAY && methods->via.array.size) {
        snprintf(why, sizeof why, "%s is not in the topology, so it may join only as a generic "
                 "node, but it claims to serve %u method(s)", c->peer_name,
                 methods->via.array.size);
        return refuse(c, ctx, false, why);
    }
    bool benign;
    if (nb__members_claim(c, why, sizeof why, &benign) < 0)
        return refuse(c, ctx, benign, why);
    unsigned char mac[NB__MAC_SIZE];
    hs_mac("nebula-acceptor", c->nonce_self, c->nonce_peer, c->peer_name, nb__cfg.self_name, mac);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, mac, sizeof mac);
    nb__members_pack_served(&pk);
    nb__frame_end(&sb, NB__F_WELCOME, 0);
    c->hs_step = HS_UP;
    nb__conn_authenticated(c);
    if (nb__conn_send(c, &sb) < 0)
        return -1;
    if (nb__members_establish(c, methods, ctx->why, sizeof ctx->why) < 0)
        return refuse(c, ctx, false, ctx->why);
    return 0;
}

/* Dialer: the acceptor's proof. */
static int on_welcome(nb__conn *c, const msgpack_object *o, nb__reader_ctx *ctx)
{
    unsigned char want[NB__MAC_SIZE], got[NB__MAC_SIZE];
    char why[512];
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 ||
        !get_bin32(&o->via.array.ptr[0], got))
        return refuse(c, ctx, false, "malformed WELCOME frame");
    hs_mac("nebula-acceptor", c->nonce_peer, c->nonce_self, nb__cfg.self_name, c->peer_name, want);
    if (!mac_ok(want, got)) {
        snprintf(why, sizeof why, "wrong cookie: %s and %s do not share the cluster cookie",
                 c->peer_name, nb__cfg.self_name);
        return refuse(c, ctx, false, why);
    }
    c->hs_step = HS_UP;
    nb__conn_authenticated(c);
    if (nb__members_establish(c, &o->via.array.ptr[1], ctx->why, sizeof ctx->why) < 0)
        return refuse(c, ctx, false, ctx->why);
    return 0;
}

/* The peer refused us: log its reason (escaped), once, and close. */
static int on_refuse(nb__conn *c, const msgpack_object *o, nb__reader_ctx *ctx)
{
    char reason[512] = "no reason given";
    bool benign = false;
    if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 2) {
        const msgpack_object *r = &o->via.array.ptr[0];
        if (r->type == MSGPACK_OBJECT_STR)
            nb__escape(r->via.str.ptr, r->via.str.size, reason, sizeof reason);
        benign = o->via.array.ptr[1].type == MSGPACK_OBJECT_BOOLEAN &&
                 o->via.array.ptr[1].via.boolean;
    }
    static nb__log_limit refused_us = NB__LOG_LIMIT_INIT;
    if (benign)
        nb__log(NB__LOG_DEBUG, "%s at %s refused this node: %s",
                c->peer_name ? c->peer_name : "the peer", c->addr, reason);
    else
        nb__log_limited(&refused_us, reason, NB__LOG_WARN, "%s at %s refused this node: %s",
                        c->peer_name ? c->peer_name : "the peer", c->addr, reason);
    snprintf(ctx->why, sizeof ctx->why, "refused by the peer: %s", reason);
    if (!benign)
        nb__metrics_refusal(c->outbound ? nb__cfg.def->nodes[c->dial_index].name : c->peer_name,
                            reason);
    return -1;
}

int nb__hs_on_frame(nb__conn *c, const nb__frame_header *h, const unsigned char *payload,
                    nb__reader_ctx *ctx)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = -1;
    if (nb__unpack_peer(&up, payload, h->length) != 0) {
        snprintf(ctx->why, sizeof ctx->why, "malformed handshake payload from %s", c->addr);
    } else if (h->type == NB__F_REFUSE) {
        rc = on_refuse(c, &up.data, ctx);
    } else if (h->type == NB__F_HELLO && c->hs_step == HS_WAIT_HELLO) {
        rc = on_hello(c, &up.data, ctx);
    } else if (h->type == NB__F_CHALLENGE && c->hs_step == HS_WAIT_CHALLENGE) {
        rc = on_challenge(c, &up.data, ctx);
    } else if (h->type == NB__F_AUTH && c->hs_step == HS_WAIT_AUTH) {
        rc = on_auth(c, &up.data, ctx);
    } else if (h->type == NB__F_WELCOME && c->hs_step == HS_WAIT_WELCOME) {
        rc = on_welcome(c, &up.data, ctx);
    } else {
        snprintf(ctx->why, sizeof ctx->why, "unexpected frame type %u during the handshake with %s",
                 h->type, c->addr);
    }
    msgpack_unpacked_destroy(&up);
    if (rc < 0 && !ctx->why[0])
        snprintf(ctx->why, sizeof ctx->why, "handshake with %s failed", c->addr);
    return rc;
}
