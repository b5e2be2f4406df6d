/*
 * stream_tls.c — TLS 1.3 byte streams over non-blocking sockets (OpenSSL 3).
 *
 * User-space TLS: this machine's kernels offer no kTLS (docs/security.md has
 * the measurement), and records here are small, so the copy kTLS would save is
 * not where the time goes.
 *
 * Locking. One mutex per stream (tls_stream.mu) guards the SSL object, the
 * held-write buffer and the inbox: a reader and a writer may run at once
 * (stream.h), and an SSL object is not safe for that. Every critical section
 * is one non-blocking OpenSSL call (or one recv) plus bookkeeping; nothing
 * waits on the network while holding it. The mutex is the innermost lock of
 * the process: nothing is called with it held that takes another lock of ours.
 *
 * OpenSSL's error queue is per thread, so the reader and the writer each see
 * only their own errors; every call makes sure it is empty first.
 *
 * Cost. A small record costs OpenSSL 3.0 about 7,000 instructions to write and
 * 5,000 to read, most of it the per-record cipher setup of its provider layer
 * (docs/security.md, "What TLS costs a call"); this file keeps its own share
 * small: an empty socket is answered without calling OpenSSL (fill_inbox), the
 * error queue is peeked rather than cleared, and the message callback is
 * dropped after the handshake.
 */
#include "stream_tls.h"

#include "log.h" /* nb__escape: names from peer certificates */

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define PSK_LEN 32
#define PSK_IDENTITY "nebula-psk-v1"
#define PSK_HKDF_SALT "nebula cluster cookie"
#define PSK_HKDF_INFO "nebula psk v1"
#define PSK_SCRYPT_SALT "nebula cookie stretch v1"
#define PSK_SCRYPT_N 16384 /* with r = 8, p = 1: 16 MiB per derivation */
#define CIPHER_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
/* The largest TLS record payload: one SSL_write of at most this is one record. */
#define RECORD_MAX 16384
/* The largest TLS 1.3 record on the wire: header, payload, content type, tag
 * and padding (RFC 8446 5.2 allows 256 bytes of expansion). */
#define WIRE_RECORD_MAX (5 + RECORD_MAX + 256)
/* A read that returned at least this many bytes marks a stream as carrying
 * bulk data: its next read goes to OpenSSL directly (tls_read). */
#define BULK_READ 4096
#define NAME_MAX_LEN 255

/* The factory of both TLS kinds. Its first member is the kind (stream_tls.h). */
typedef struct nb__tls_factory {
    nb__transport_kind kind;
    SSL_CTX *ctx;               /* both roles: TLS_method() */
    unsigned char psk[PSK_LEN]; /* psk only: HKDF(scrypt(cookie)); wiped on free */
} nb__tls_factory;

typedef struct tls_stream {
    nb__stream base;
    nb__tls_factory *f;
    bool outbound;
    char *expected;     /* outbound mtls: the name the server must prove, or NULL */
    pthread_mutex_t mu; /* guards every field below; identity is written during the
                         * handshake only and read without it afterwards;
                         * held_len is also read without it by the writer */
    SSL *ssl;
    /* Bytes one SSL_write took but could not flush (WANT_WRITE): OpenSSL wants
     * the very same bytes again on the retry, so they are kept here. */
    unsigned char held[RECORD_MAX];
    size_t held_len;
    unsigned char scratch[RECORD_MAX]; /* small iov pieces coalesced into one record */
    /* Bytes tls_read took from the socket itself, not yet handed to OpenSSL;
     * the BIO hands them out before it reads the socket again (tls_read). */
    unsigned char inbox[WIRE_RECORD_MAX];
    size_t in_off, in_len;
    int in_err;                        /* that read's errno, for the BIO to report */
    bool in_eof;                       /* that read found the end of the stream */
    bool bulk;                         /* the last read returned >= BULK_READ bytes */
    bool read_starved;                 /* the last read found only part of a record */
    bool got_handshake;                /* a TLS handshake message arrived from the peer */
    bool goodbye_sent;
    char identity[NAME_MAX_LEN + 1]; /* mtls: the name the peer's certificate proves */
    char reason[640];                /* why the verification refused the peer, once set */
} tls_stream;

/* ---- small helpers ------------------------------------------------------- */

static void say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* True when s[0..n) is a node name short@host: [a-z_][a-z0-9_]* '@' [A-Za-z0-9._-]+. */
static bool is_node_name(const unsigned char *s, size_t n)
{
    const unsigned char *at = memchr(s, '@', n);
    if (at == NULL || at == s || n > NAME_MAX_LEN || at + 1 == s + n)
        return false;
    for (const unsigned char *p = s; p < at; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || *p == '_' || (p > s && *p >= '0' && *p <= '9');
        if (!ok)
            return false;
    }
    for (const unsigned char *p = at + 1; p < s + n; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* The text of OpenSSL's most specific queued error, for messages. */
static const char *ssl_error_text(unsigned long e)
{
    const char *r = ERR_reason_error_string(e);
    return r ? r : "unknown TLS error";
}

/* ---- a socket BIO that never raises SIGPIPE ------------------------------ */

/*
 * The BIO's data is the stream (called with its mutex held, from inside
 * OpenSSL). It writes with MSG_NOSIGNAL: OpenSSL's own socket BIO cannot, and a
 * library must not change the process's SIGPIPE disposition. It reads the
 * stream's inbox first (bytes tls_read took from the socket itself), then the
 * socket.
 */
static int sock_write(BIO *b, const char *buf, int len)
{
    tls_stream *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(s->base.fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int sock_read(BIO *b, char *buf, int len)
{
    tls_stream *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (s->in_off < s->in_len) {
        size_t n = s->in_len - s->in_off;
        if (n > (size_t)len)
            n = (size_t)len;
        memcpy(buf, s->inbox + s->in_off, n);
        s->in_off += n;
        return (int)n;
    }
    if (s->in_err != 0) { /* what tls_read's own read of the socket met */
        errno = s->in_err;
        s->in_err = 0;
        return -1;
    }
    if (s->in_eof)
        return 0;
    ssize_t n = recv(s->base.fd, buf, (size_t)len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    /* Writes go straight to the socket: there is nothing to flush. */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int sock_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *sock_method;
static pthread_once_t sock_method_once = PTHREAD_ONCE_INIT;

static void sock_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nebula socket");
    if (m == NULL)
        return;
    BIO_meth_set_write(m, sock_write);
    BIO_meth_set_read(m, sock_read);
    BIO_meth_set_ctrl(m, sock_ctrl);
    BIO_meth_set_create(m, sock_create);
    sock_method = m; /* lives as long as the process */
}

/* ---- psk: the key and the session carrying it --------------------------- */

/*
 * key = HKDF-SHA-256(ikm = scrypt(cookie), salt, info "nebula psk v1").
 *
 * Why scrypt first: a TLS 1.3 client's first message carries a binder, an HMAC
 * keyed from the PSK, so whoever records one handshake can test cookie guesses
 * offline (RFC 8446, appendix E.7). Cookies are long and random by policy; the
 * stretching makes every guess at a human-chosen one cost ~16 MiB and tens of
 * milliseconds instead of a microsecond. It runs once per factory (node start).
 */
static int derive_psk(const unsigned char *cookie, size_t cookie_len, unsigned char *key)
{
    unsigned char stretched[PSK_LEN];
    if (EVP_PBE_scrypt((const char *)cookie, cookie_len, (const unsigned char *)PSK_SCRYPT_SALT,
                       sizeof PSK_SCRYPT_SALT - 1, PSK_SCRYPT_N, 8, 1, 64u << 20, stretched,
                       sizeof stretched) != 1)
        return -1;
    cookie = stretched;
    cookie_len = sizeof stretched;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (kctx == NULL) {
        OPENSSL_cleanse(stretched, sizeof stretched);
        return -1;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)cookie, cookie_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)PSK_HKDF_SALT,
                                          sizeof PSK_HKDF_SALT - 1),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)PSK_HKDF_INFO,
                                          sizeof PSK_HKDF_INFO - 1),
        OSSL_PARAM_construct_end(),
    };
    int rc = EVP_KDF_derive(kctx, key, PSK_LEN, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(kctx);
    OPENSSL_cleanse(stretched, sizeof stretched);
    return rc;
}

/* A new session holding the PSK (ownership passes to OpenSSL), or NULL. Both our
 * suites hash with SHA-256, so the session names TLS_AES_128_GCM_SHA256 and
 * either suite can be negotiated with it. */
static SSL_SESSION *psk_session(SSL *ssl)
{
    tls_stream *s = SSL_get_app_data(ssl);
    static const unsigned char aes128gcm[] = {0x13, 0x01};
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm);
    SSL_SESSION *sess = SSL_SESSION_new();
    if (cipher == NULL || sess == NULL || !SSL_SESSION_set1_master_key(sess, s->f->psk, PSK_LEN) ||
        !SSL_SESSION_set_cipher(sess, cipher) ||
        !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
        SSL_SESSION_free(sess);
        return NULL;
    }
    return sess;
}

static int psk_use(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                   SSL_SESSION **sess)
{
    if (md != NULL && md != EVP_sha256()) {
        *sess = NULL; /* a suite with another hash: offer nothing, the handshake fails */
        return 1;
    }
    *sess = psk_session(ssl);
    *id = (const unsigned char *)PSK_IDENTITY;
    *idlen = sizeof PSK_IDENTITY - 1;
    return *sess != NULL;
}

static int psk_find(SSL *ssl, const unsigned char *identity, size_t identity_len,
                    SSL_SESSION **sess)
{
    *sess = NULL; /* an unknown identity: no PSK, and with no certificate the handshake fails */
    if (identity_len == sizeof PSK_IDENTITY - 1 &&
        memcmp(identity, PSK_IDENTITY, identity_len) == 0)
        *sess = psk_session(ssl);
    return 1;
}

/* ---- mtls: the name a certificate proves --------------------------------- */

/*
 * Finds the node name cert proves: its SAN URI nebula://short@host, else its
 * subject CN short@host. Writes it to out (NAME_MAX_LEN + 1 bytes) and returns
 * true, or writes why not to reason (cap bytes) and returns false. A certificate
 * naming two different nodes is refused rather than guessed at.
 */
static bool certificate_name(X509 *cert, const char *whose, char *out, char *reason, size_t cap)
{
    static const char scheme[] = "nebula://";
    const size_t sl = sizeof scheme - 1;
    char shown[160]; /* enough of a hostile name to recognise it */
    bool found = false;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type != GEN_URI)
            continue;
        const unsigned char *u = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
        size_t n = (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier);
        if (n < sl || strncasecmp((const char *)u, scheme, sl) != 0)
            continue;
        nb__escape((const char *)u, n, shown, sizeof shown);
        if (!is_node_name(u + sl, n - sl)) {
            snprintf(reason, cap, "%s has the URI \"%s\", not nebula://short@host", whose, shown);
            GENERAL_NAMES_free(sans);
            return false;
        }
        if (found && (strlen(out) != n - sl || memcmp(out, u + sl, n - sl) != 0)) {
            snprintf(reason, cap, "%s names two nodes (%s and \"%s\")", whose, out, shown);
            GENERAL_NAMES_free(sans);
            return false;
        }
        memcpy(out, u + sl, n - sl);
        out[n - sl] = '\0';
        found = true;
    }
    GENERAL_NAMES_free(sans);
    if (found)
        return true;
    X509_NAME *subject = X509_get_subject_name(cert);
    int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at < 0) {
        snprintf(reason, cap,
                 "%s names no node: it needs a SAN URI nebula://short@host or a "
                 "subject CN short@host",
                 whose);
        return false;
    }
    if (X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0) {
        snprintf(reason, cap, "%s has two subject CNs and no nebula:// URI", whose);
        return false;
    }
    const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    const unsigned char *d = ASN1_STRING_get0_data(cn);
    size_t n = (size_t)ASN1_STRING_length(cn);
    if (!is_node_name(d, n)) {
        nb__escape((const char *)d, n, shown, sizeof shown);
        snprintf(reason, cap,
                 "%s has the CN \"%s\", which is no node name short@host, and no "
                 "nebula:// URI",
                 whose, shown);
        return false;
    }
    memcpy(out, d, n);
    out[n] = '\0';
    return true;
}

/* OpenSSL's verification callback: the chain to the CA first, then the name. */
static int verify_peer(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tls_stream *s = SSL_get_app_data(ssl);
    if (s->f->kind == NB__TRANSPORT_PSK) {
        /* Only a peer that ignored our key sends a certificate: never accept one. */
        if (s->reason[0] == '\0')
            snprintf(s->reason, sizeof s->reason,
                     "the peer does not know the cluster cookie: it answered with a certificate "
                     "instead (is it configured with transport: mtls?)");
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    int depth = X509_STORE_CTX_get_error_depth(store);
    if (!preverify_ok) {
        int err = X509_STORE_CTX_get_error(store);
        if (s->reason[0] != '\0')
            return 0;
        switch (err) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            snprintf(s->reason, sizeof s->reason,
                     "the peer's certificate is not signed by the configured CA (%s)",
                     X509_verify_cert_error_string(err));
            break;
        default:
            snprintf(s->reason, sizeof s->reason, "the peer's certificate failed verification: %s",
                     X509_verify_cert_error_string(err));
        }
        return 0;
    }
    if (depth != 0)
        return 1;
    char name[NAME_MAX_LEN + 1];
    if (!certificate_name(X509_STORE_CTX_get_current_cert(store), "the peer's certificate", name,
                          s->reason, sizeof s->reason)) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    if (s->expected != NULL && strcmp(name, s->expected) != 0) {
        snprintf(s->reason, sizeof s->reason, "certificate names %s, expected %s", name,
                 s->expected);
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    memcpy(s->identity, name, strlen(name) + 1);
    return 1;
}

/* Notes which handshake messages came from the peer: a failure before the first
 * one means the peer does not speak TLS at all. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg)
{
    (void)version, (void)buf, (void)len, (void)arg;
    if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE) {
        tls_stream *s = SSL_get_app_data(ssl);
        if (s != NULL)
            s->got_handshake = true;
    }
}

/* ---- the factory ---------------------------------------------------------- */

/* Our certificate must chain to our own CA, or every peer refuses it: say so at
 * start rather than on every connection. */
static int check_own_chain(SSL_CTX *ctx, const nb__security *sec, char *why, size_t whylen)
{
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(ctx, &chain);
    X509_STORE_CTX *v = X509_STORE_CTX_new();
    if (v == NULL || X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(ctx),
                                         SSL_CTX_get0_certificate(ctx), chain) != 1) {
        X509_STORE_CTX_free(v);
        say(why, whylen, "out of memory checking the certificate %s", sec->cert_path);
        return -1;
    }
    int ok = X509_verify_cert(v) == 1;
    if (!ok)
        say(why, whylen, "the certificate %s does not chain to the CA %s (%s)", sec->cert_path,
            sec->ca_path, X509_verify_cert_error_string(X509_STORE_CTX_get_error(v)));
    X509_STORE_CTX_free(v);
    return ok ? 0 : -1;
}

static int load_mtls(SSL_CTX *ctx, const nb__security *sec, char *why, size_t whylen)
{
    struct {
        const char *path, *what;
    } files[] = {{sec->ca_path, "CA"}, {sec->cert_path, "certificate"}, {sec->key_path, "key"}};
    for (size_t i = 0; i < 3; i++) {
        if (files[i].path == NULL || files[i].path[0] == '\0') {
            say(why, whylen, "transport mtls needs a %s file (tls: { ca, cert, key })",
                files[i].what);
            return -1;
        }
        FILE *fp = fopen(files[i].path, "r");
        if (fp == NULL) {
            say(why, whylen, "cannot read the %s %s: %s", files[i].what, files[i].path,
                strerror(errno));
            return -1;
        }
        fclose(fp);
    }
    if (SSL_CTX_load_verify_locations(ctx, sec->ca_path, NULL) != 1) {
        say(why, whylen, "cannot load the CA %s: %s", sec->ca_path,
            ssl_error_text(ERR_peek_last_error()));
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, sec->cert_path) != 1) {
        say(why, whylen, "cannot load the certificate %s: %s", sec->cert_path,
            ssl_error_text(ERR_peek_last_error()));
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, sec->key_path, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            say(why, whylen, "the key %s does not belong to the certificate %s", sec->key_path,
                sec->cert_path);
        else
            say(why, whylen, "cannot load the key %s: %s", sec->key_path, ssl_error_text(e));
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        say(why, whylen, "the key %s does not belong to the certificate %s", sec->key_path,
            sec->cert_path);
        return -1;
    }
    /* Our own certificate must name a node and chain to the CA, or every peer
     * would refuse it: say so now, at start, rather than on every connection. */
    char name[NAME_MAX_LEN + 1], whose[300];
    snprintf(whose, sizeof whose, "the certificate %s", sec->cert_path);
    if (!certificate_name(SSL_CTX_get0_certificate(ctx), whose, name, why, whylen))
        return -1;
    return check_own_chain(ctx, sec, why, whylen);
}

int nb__stream_tls_factory_new(const nb__security *sec, nb__stream_factory **out, char *why,
                               size_t whylen)
{
    *out = NULL;
    if (sec->kind != NB__TRANSPORT_PSK && sec->kind != NB__TRANSPORT_MTLS) {
        say(why, whylen, "the TLS streams serve transport psk and mtls only");
        return -1;
    }
    if (sec->kind == NB__TRANSPORT_PSK && (sec->cookie == NULL || sec->cookie_len == 0)) {
        say(why, whylen, "transport psk needs the cluster cookie, and it is empty");
        return -1;
    }
    pthread_once(&sock_method_once, sock_method_init);
    nb__tls_factory *f = calloc(1, sizeof *f);
    SSL_CTX *ctx = f ? SSL_CTX_new(TLS_method()) : NULL;
    if (ctx == NULL || sock_method == NULL) {
        say(why, whylen, "out of memory for the TLS context");
        SSL_CTX_free(ctx);
        free(f);
        return -1;
    }
    f->kind = sec->kind;
    f->ctx = ctx;
    ERR_clear_error();
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, CIPHER_SUITES);
    /* No tickets: every connection proves the cookie or the certificate anew. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* psk_dhe_ke only: the PSK authenticates, an ephemeral ECDHE keys each
     * connection (forward secrecy). This is OpenSSL's default; said here so it
     * stays so. */
    SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
    /* Partial writes: one record per SSL_write, retried from our own copy.
     * No auto chain: every node holds the CA already; send only the cert file. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_NO_AUTO_CHAIN);
    /* Read whole bursts from the socket at once rather than header then body. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_msg_callback(ctx, on_message);
    /* What an unauthenticated peer can make us buffer: our chains are a few KiB. */
    SSL_CTX_set_max_cert_list(ctx, 32 * 1024);
    int rc = 0;
    if (sec->kind == NB__TRANSPORT_PSK) {
        if (derive_psk(sec->cookie, sec->cookie_len, f->psk) < 0) {
            say(why, whylen, "cannot derive the TLS key from the cookie: %s",
                ssl_error_text(ERR_peek_last_error()));
            rc = -1;
        }
        SSL_CTX_set_psk_use_session_callback(ctx, psk_use);
        SSL_CTX_set_psk_find_session_callback(ctx, psk_find);
    } else {
        rc = load_mtls(ctx, sec, why, whylen);
    }
    ERR_clear_error();
    if (rc < 0) {
        nb__stream_tls_factory_free((nb__stream_factory *)f);
        return -1;
    }
    *out = (nb__stream_factory *)f;
    return 0;
}

void nb__stream_tls_factory_free(nb__stream_factory *fac)
{
    nb__tls_factory *f = (nb__tls_factory *)fac;
    if (f == NULL)
        return;
    SSL_CTX_free(f->ctx);
    OPENSSL_cleanse(f->psk, sizeof f->psk);
    free(f);
}

/* ---- failures in words ---------------------------------------------------- */

/* The sentence for a TLS alert the peer sent us (desc: its code). */
static void explain_alert(const tls_stream *s, int desc, bool in_handshake, char *why,
                          size_t whylen)
{
    const char *name = SSL_alert_desc_string_long(desc);
    bool psk = s->f->kind == NB__TRANSPORT_PSK;
    switch (desc) {
    case SSL3_AD_BAD_RECORD_MAC:
        say(why, whylen,
            "the peer found a record of ours corrupted (TLS alert %s): bytes were "
            "changed on the path",
            name);
        return;
    case TLS1_AD_DECRYPT_ERROR:
    case SSL_AD_ILLEGAL_PARAMETER:
        /* OpenSSL answers a PSK binder that does not verify with one of these. */
        if (psk && in_handshake) {
            say(why, whylen,
                "the peer does not know the cluster cookie (it refused our key: "
                "TLS alert %s)",
                name);
            return;
        }
        break;
    case SSL3_AD_HANDSHAKE_FAILURE:
        say(why, whylen, "the peer refused the TLS handshake (alert %s): %s", name,
            psk ? "it does not know the cluster cookie, or is configured with transport: mtls"
                : "it may name another node than the peer expects, or use transport: psk");
        return;
    case TLS1_AD_UNKNOWN_CA:
        say(why, whylen,
            "the peer refused our certificate (TLS alert %s): it is not signed by the "
            "peer's CA",
            name);
        return;
    case SSL3_AD_BAD_CERTIFICATE:
    case SSL3_AD_UNSUPPORTED_CERTIFICATE:
    case SSL3_AD_CERTIFICATE_REVOKED:
    case SSL3_AD_CERTIFICATE_EXPIRED:
    case SSL3_AD_CERTIFICATE_UNKNOWN:
    case TLS1_AD_ACCESS_DENIED:
        say(why, whylen, "the peer refused our certificate (TLS alert %s)%s", name,
            desc == SSL3_AD_BAD_CERTIFICATE ? ": it may name another node than the peer expects"
                                            : "");
        return;
    case TLS13_AD_CERTIFICATE_REQUIRED:
        say(why, whylen,
            "the peer requires a certificate (TLS alert %s): it is configured with "
            "transport: mtls",
            name);
        return;
    case TLS1_AD_PROTOCOL_VERSION:
        say(why, whylen, "the peer does not speak TLS 1.3 (TLS alert %s)", name);
        return;
    }
    say(why, whylen, "the peer ended the TLS session (alert %s)", name);
}

/*
 * Writes why a TLS call failed (ssl_err from SSL_get_error; saved_errno the
 * errno right after the call) and returns the errno the caller reports.
 * Called with s->mu held, on the failing thread (OpenSSL's queue is per thread).
 */
static int explain(tls_stream *s, int ssl_err, int saved_errno, bool in_handshake, char *why,
                   size_t whylen)
{
    unsigned long e = ERR_peek_error();
    int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
    int err = EPROTO;
    if (s->reason[0] != '\0') {
        say(why, whylen, "%s", s->reason);
    } else if (ssl_err == SSL_ERROR_SYSCALL && saved_errno != 0) {
        say(why, whylen, "the connection failed%s: %s",
            in_handshake ? " during the TLS handshake" : "", strerror(saved_errno));
        err = saved_errno;
    } else if ((ssl_err == SSL_ERROR_SYSCALL && e == 0) ||
               reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        say(why, whylen, "the peer closed the connection %s",
            in_handshake ? (s->got_handshake ? "during the TLS handshake"
                                             : "without answering the TLS handshake (does it "
                                               "use another transport?)")
                         : "without ending the TLS session");
        err = ECONNRESET;
    } else if (reason >= SSL_AD_REASON_OFFSET) {
        explain_alert(s, reason - SSL_AD_REASON_OFFSET, in_handshake, why, whylen);
    } else if (reason == SSL_R_BINDER_DOES_NOT_VERIFY) {
        say(why, whylen,
            "the peer does not know the cluster cookie (its TLS key proof does not "
            "verify)");
    } else if (in_handshake && !s->got_handshake) {
        say(why, whylen,
            "the peer does not speak TLS: its first bytes are no TLS handshake (%s); "
            "is it configured with transport: plain?",
            ssl_error_text(e));
    } else if (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC) {
        say(why, whylen, "a TLS record failed its integrity check: bytes were changed on the path");
    } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        say(why, whylen,
            "the peer presented no certificate (is it configured with transport: psk?)");
    } else if (in_handshake && s->f->kind == NB__TRANSPORT_PSK &&
               (reason == SSL_R_NO_SHARED_CIPHER ||
                reason == SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM ||
                reason == SSL_R_NO_CERTIFICATE_SET)) {
        say(why, whylen,
            "the peer offered no cluster-cookie key (is it configured with "
            "transport: mtls?)");
    } else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
        say(why, whylen, "the peer does not speak TLS 1.3");
    } else if (e != 0) {
        say(why, whylen, "TLS %s failed: %s", in_handshake ? "handshake" : "session",
            ssl_error_text(e));
    } else {
        say(why, whylen, "TLS %s failed (error %d)", in_handshake ? "handshake" : "session",
            ssl_err);
    }
    ERR_clear_error();
    return err;
}

/* ---- the stream operations ------------------------------------------------ */

static int tls_handshake(nb__stream *base, int *want, char *why, size_t whylen)
{
    tls_stream *s = (tls_stream *)base;
    pthread_mutex_lock(&s->mu);
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(s->ssl);
    int saved_errno = errno;
    int rc = 1;
    if (r != 1) {
        int e = SSL_get_error(s->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            rc = 0;
        } else {
            errno = explain(s, e, saved_errno, true, why, whylen);
            rc = -1;
        }
    } else if (s->f->kind == NB__TRANSPORT_PSK && !SSL_session_reused(s->ssl)) {
        /* Belt and braces: a completed handshake without our key proves nothing. */
        say(why, whylen, "the peer completed TLS without the cluster cookie key");
        errno = EPROTO;
        rc = -1;
    } else if (SSL_get_negotiated_group(s->ssl) == 0) {
        /* Nor one without an ephemeral exchange: no forward secrecy. */
        say(why, whylen, "the peer completed TLS without an ephemeral key exchange");
        errno = EPROTO;
        rc = -1;
    } else if (s->f->kind == NB__TRANSPORT_MTLS && s->identity[0] == '\0') {
        say(why, whylen, "the peer's certificate was not checked for a node name");
        errno = EPROTO;
        rc = -1;
    } else {
        /* on_message has told what it is for (a peer that never answered the
         * handshake); OpenSSL would otherwise call it twice per record. */
        SSL_set_msg_callback(s->ssl, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Before each record read or written, the thread's OpenSSL error queue must be
 * empty, or SSL_get_error would blame this stream for another's stale error.
 * It almost always is already: peeking costs a fraction of clearing, which
 * walks every slot of the queue (measured with callgrind: about 800
 * instructions per call with OpenSSL 3.0, twice per round trip). */
static void clear_stale_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

/*
 * Reads the socket into the inbox when OpenSSL holds no whole record, so that
 * an empty socket costs one recv() and no call into OpenSSL: a reader asks
 * until the socket is empty (conn.c drains it before running a batch), and a
 * failed SSL_read_ex costs several times a recv() in user space (about 2,000
 * instructions with the error handling, measured with callgrind with OpenSSL
 * 3.0, against some 50 here). Returns 1 when the inbox holds bytes or the
 * socket's end or error for the BIO to report, 0 when the socket was empty
 * (errno EAGAIN or EINTR). s->mu held.
 *
 * A stream carrying bulk data skips this (s->bulk): its records are read
 * whole and large, an empty socket is rare between them, and the inbox would
 * add a copy of every byte. Both ways hand OpenSSL the same bytes in order:
 * the BIO empties the inbox before it reads the socket.
 */
static int fill_inbox(tls_stream *s)
{
    if (s->in_off < s->in_len || s->in_err != 0 || s->in_eof || s->bulk)
        return 1;
    if (!s->read_starved && SSL_has_pending(s->ssl))
        return 1; /* a whole record (or more) is already inside OpenSSL */
    ssize_t n = recv(s->base.fd, s->inbox, sizeof s->inbox, MSG_DONTWAIT);
    if (n > 0) {
        s->in_off = 0;
        s->in_len = (size_t)n;
    } else if (n == 0) {
        s->in_eof = true; /* OpenSSL tells a close_notify from a cut connection */
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    } else {
        s->in_err = errno;
    }
    return 1;
}

static ssize_t tls_read(nb__stream *base, void *buf, size_t len, char *why, size_t whylen)
{
    tls_stream *s = (tls_stream *)base;
    size_t got = 0;
    pthread_mutex_lock(&s->mu);
    if (!fill_inbox(s)) {
        int err = errno == EINTR ? EINTR : EAGAIN;
        pthread_mutex_unlock(&s->mu);
        errno = err;
        return -1;
    }
    clear_stale_errors();
    errno = 0;
    int r = SSL_read_ex(s->ssl, buf, len, &got);
    int saved_errno = errno;
    ssize_t rc = (ssize_t)got;
    if (r == 1) {
        s->read_starved = false;
        s->bulk = got >= BULK_READ;
    } else {
        int e = SSL_get_error(s->ssl, r);
        rc = -1;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            /* SSL_get_error says WANT only when the error queue is empty:
             * there is nothing to clear. */
            s->read_starved = true;
            saved_errno = EAGAIN;
        } else {
            if (e == SSL_ERROR_ZERO_RETURN)
                rc = 0; /* the peer's close_notify: the orderly end */
            else
                saved_errno = explain(s, e, saved_errno, false, why, whylen);
            ERR_clear_error();
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (rc < 0)
        errno = saved_errno;
    return rc;
}

/*
 * One SSL_write of p[0..n) (n <= RECORD_MAX) with s->mu held. Returns the bytes
 * taken: n when written or held for the retry, or -1 with errno when OpenSSL
 * failed without taking them.
 */
static ssize_t write_record(tls_stream *s, const unsigned char *p, size_t n)
{
    size_t done = 0;
    clear_stale_errors();
    errno = 0;
    int r = SSL_write_ex(s->ssl, p, n, &done);
    int saved_errno = errno;
    if (r == 1)
        return (ssize_t)done;
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        /* OpenSSL has sealed the record; the retry must offer the same bytes. */
        if (p != s->held)
            memcpy(s->held, p, n);
        s->held_len = n;
        return (ssize_t)n;
    }
    char why[200];
    errno = e == SSL_ERROR_SYSCALL && saved_errno != 0
                ? saved_errno
                : explain(s, e, saved_errno, false, why, sizeof why);
    ERR_clear_error();
    return -1;
}

/* Writes the held record again; 0 when it is out (or there is none), -1 with
 * errno (EAGAIN: still not). s->mu held. */
static int push_held(tls_stream *s)
{
    while (s->held_len > 0) {
        size_t n = s->held_len;
        s->held_len = 0;
        ssize_t w = write_record(s, s->held, n);
        if (w < 0) {
            s->held_len = n;
            return -1;
        }
        if (s->held_len > 0) { /* held again: the socket is still full */
            errno = EAGAIN;
            return -1;
        }
        if ((size_t)w < n) { /* a partial write of the retried record: keep the rest */
            memmove(s->held, s->held + w, n - (size_t)w);
            s->held_len = n - (size_t)w;
        }
    }
    return 0;
}

static ssize_t tls_writev(nb__stream *base, const struct iovec *iov, int iovcnt)
{
    tls_stream *s = (tls_stream *)base;
    ssize_t taken = 0;
    int i = 0;
    size_t off = 0; /* bytes of iov[i] already taken */
    pthread_mutex_lock(&s->mu);
    if (push_held(s) < 0)
        goto out_err;
    while (i < iovcnt) {
        if (iov[i].iov_len == off) {
            i++, off = 0;
            continue;
        }
        const unsigned char *p;
        size_t n;
        size_t left = iov[i].iov_len - off;
        if (left >= RECORD_MAX || i == iovcnt - 1) {
            /* A big piece, or the last one: written in place, no copy. */
            p = (const unsigned char *)iov[i].iov_base + off;
            n = left < RECORD_MAX ? left : RECORD_MAX;
        } else {
            /* Small pieces (a frame head and its body) become one record. */
            n = 0;
            int j = i;
            size_t o = off;
            while (j < iovcnt && n < RECORD_MAX) {
                size_t take = iov[j].iov_len - o;
                if (take > RECORD_MAX - n)
                    take = RECORD_MAX - n;
                memcpy(s->scratch + n, (const unsigned char *)iov[j].iov_base + o, take);
                n += take;
                o += take;
                if (o == iov[j].iov_len)
                    j++, o = 0;
            }
            p = s->scratch;
        }
        ssize_t w = write_record(s, p, n);
        if (w < 0)
            goto out_err;
        taken += w;
        /* Advance through iov by w bytes. */
        size_t adv = (size_t)w;
        while (adv > 0) {
            size_t take = iov[i].iov_len - off;
            if (take > adv)
                take = adv;
            off += take;
            adv -= take;
            if (off == iov[i].iov_len)
                i++, off = 0;
        }
        if (s->held_len > 0)
            break; /* the socket is full: the rest waits for the next call */
    }
    pthread_mutex_unlock(&s->mu);
    return taken;
out_err:;
    int err = errno;
    pthread_mutex_unlock(&s->mu);
    if (taken > 0)
        return taken; /* the failure shows again on the next call */
    errno = err;
    return -1;
}

/* Read without the mutex: only the writer changes held_len (in tls_writev),
 * and only the writer asks (stream.h); the connection layer hands the writer
 * role from thread to thread under its own lock. */
static size_t tls_unsent(const nb__stream *base)
{
    return ((const tls_stream *)base)->held_len;
}

static bool tls_pending(nb__stream *base)
{
    tls_stream *s = (tls_stream *)base;
    pthread_mutex_lock(&s->mu);
    /* Decrypted bytes waiting, or (read-ahead) whole records not yet opened;
     * but a part of a record after a read came back empty needs the socket. */
    bool p = s->in_off < s->in_len || SSL_pending(s->ssl) > 0 ||
             (!s->read_starved && SSL_has_pending(s->ssl));
    pthread_mutex_unlock(&s->mu);
    return p;
}

static const char *tls_peer_identity(const nb__stream *base)
{
    const tls_stream *s = (const tls_stream *)base;
    return s->identity[0] != '\0' ? s->identity : NULL;
}

static void tls_goodbye(nb__stream *base)
{
    tls_stream *s = (tls_stream *)base;
    pthread_mutex_lock(&s->mu);
    if (!s->goodbye_sent && SSL_is_init_finished(s->ssl)) {
        s->goodbye_sent = true;
        ERR_clear_error();
        (void)SSL_shutdown(s->ssl); /* one try: a full socket just loses the notice */
        ERR_clear_error();
    }
    pthread_mutex_unlock(&s->mu);
}

static void tls_free(nb__stream *base)
{
    tls_stream *s = (tls_stream *)base;
    SSL_free(s->ssl);
    pthread_mutex_destroy(&s->mu);
    free(s->expected);
    OPENSSL_cleanse(s->held, sizeof s->held);
    OPENSSL_cleanse(s->scratch, sizeof s->scratch);
    free(s);
}

static const nb__stream_ops tls_ops = {
    .handshake = tls_handshake,
    .read = tls_read,
    .writev = tls_writev,
    .unsent = tls_unsent,
    .pending = tls_pending,
    .peer_identity = tls_peer_identity,
    .goodbye = tls_goodbye,
    .free = tls_free,
};

nb__stream *nb__stream_tls_open(nb__stream_factory *fac, int fd, bool outbound,
                                const char *expected_peer)
{
    nb__tls_factory *f = (nb__tls_factory *)fac;
    tls_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->base.ops = &tls_ops;
    s->base.fd = fd;
    s->f = f;
    s->outbound = outbound;
    if (outbound && expected_peer != NULL && f->kind == NB__TRANSPORT_MTLS) {
        s->expected = strdup(expected_peer);
        if (s->expected == NULL)
            goto fail;
    }
    s->ssl = SSL_new(f->ctx);
    BIO *bio = s->ssl ? BIO_new(sock_method) : NULL;
    if (bio == NULL)
        goto fail;
    BIO_set_data(bio, s);
    SSL_set_bio(s->ssl, bio, bio); /* the SSL owns the BIO; the BIO never closes fd */
    SSL_set_app_data(s->ssl, s);
    /* mtls: both sides demand a certificate. psk: a client verifies with no
     * trust anchors, so a server that answers with any certificate instead of
     * our key is refused; a psk server without a certificate cannot complete a
     * handshake that skips the key. */
    if (f->kind == NB__TRANSPORT_MTLS)
        SSL_set_verify(s->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
    else
        SSL_set_verify(s->ssl, outbound ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, verify_peer);
    if (outbound)
        SSL_set_connect_state(s->ssl);
    else
        SSL_set_accept_state(s->ssl);
    pthread_mutex_init(&s->mu, NULL);
    return &s->base;
fail:
    SSL_free(s->ssl);
    free(s->expected);
    free(s);
    return NULL;
}
