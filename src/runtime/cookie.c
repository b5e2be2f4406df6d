/*
 * cookie.c — the cluster secret and what is computed from it.
 *
 * Policy (as Erlang's): nb_options.cookie, else $NEBULA_COOKIE, else the content of
 * $NEBULA_COOKIE_FILE, else ~/.nebula.cookie, created on first use with 48 hex
 * digits of fresh randomness (192 bits) and mode 0600. A cookie file readable by
 * others is refused, so a cookie never silently leaks through file permissions,
 * and so is a cookie shorter than the caller's minimum (NB__COOKIE_MIN: a short,
 * human-chosen secret is guessed quickly by whoever may try).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cookie.h"
#include "status.h"

#define COOKIE_MAX 4096

int nb__random_bytes(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void nb__cookie_mac(const unsigned char *key, size_t key_len, const char *label,
                    const nb__mac_part *parts, size_t n_parts, unsigned char *mac)
{
    /* The handshake MACs nonces and node names: a few hundred bytes. */
    unsigned char msg[2048];
    size_t off = strlen(label) + 1;
    bool fits = off <= sizeof msg;
    if (fits)
        memcpy(msg, label, off);
    for (size_t i = 0; fits && i < n_parts; i++) {
        size_t n = parts[i].len;
        fits = n <= sizeof msg - off - 4 && off + 4 <= sizeof msg;
        if (!fits)
            break;
        msg[off] = (unsigned char)(n >> 24);
        msg[off + 1] = (unsigned char)(n >> 16);
        msg[off + 2] = (unsigned char)(n >> 8);
        msg[off + 3] = (unsigned char)n;
        memcpy(msg + off + 4, parts[i].data, n);
        off += 4 + n;
    }
    unsigned int len = 32;
    if (!fits || !HMAC(EVP_sha256(), key, (int)key_len, msg, off, mac, &len)) {
        /* Never a MAC anyone could predict: the peer's check then fails. */
        if (nb__random_bytes(mac, 32) < 0)
            memset(mac, 0xa5, 32);
    }
}

/* Drops trailing newlines and blanks, as a cookie file written by `echo` has. */
static size_t trim(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

/* Reads a cookie file; returns its trimmed content (caller frees) or NULL after
 * nb__fail. */
static char *read_cookie_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        nb__fail(NB_E_CONFIG, "cannot read the cookie file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        nb__fail(NB_E_CONFIG, "the cookie file %s must be accessible by its owner only (chmod 600)",
                 path);
        return NULL;
    }
    char *buf = malloc(COOKIE_MAX + 1);
    ssize_t n = buf ? read(fd, buf, COOKIE_MAX) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        nb__fail(NB_E_CONFIG, "cannot read the cookie file %s", path);
        return NULL;
    }
    *len = trim(buf, (size_t)n);
    return buf;
}

/* Creates path with a fresh random cookie (192 bits as 48 hex digits), unless
 * it exists already. */
static void create_cookie_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return; /* exists (or cannot be created: reading it says why) */
    unsigned char rnd[24];
    char text[2 * sizeof rnd + 1];
    if (nb__random_bytes(rnd, sizeof rnd) < 0) {
        close(fd);
        unlink(path); /* reading it then says there is no cookie */
        return;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(text + 2 * i, 3, "%02x", rnd[i]);
    text[2 * sizeof rnd] = '\n';
    if (write(fd, text, sizeof text) != (ssize_t)sizeof text)
        unlink(path);
    close(fd);
}

// Returns a heap cookie in *out, owned by the caller (free it).
int nb__cookie_load(const char *given, size_t min_len, unsigned char **out, size_t *len)
{
    const char *value = given ? given : getenv("NEBULA_COOKIE");
    char *buf = NULL;
    if (value && *value) {
        *len = strlen(value);
        buf = malloc(*len + 1);
        if (buf)
            memcpy(buf, value, *len + 1);
    } else {
        const char *file = getenv("NEBULA_COOKIE_FILE");
        char path[4096];
        if (!file || !*file) {
            const char *home = getenv("HOME");
            if (!home || !*home) {
                nb__fail(NB_E_CONFIG, "no cookie: set NEBULA_COOKIE, NEBULA_COOKIE_FILE or HOME");
                return -1;
            }
            snprintf(path, sizeof path, "%s/.nebula.cookie", home);
            create_cookie_file(path);
            file = path;
        }
        buf = read_cookie_file(file, len);
        if (!buf)
            return -1;
    }
    if (!buf || *len == 0) {
        free(buf);
        nb__fail(NB_E_CONFIG, "the cluster cookie is empty");
        return -1;
    }
    if (*len < min_len) {
        memset(buf, 0, *len);
        free(buf);
        nb__fail(NB_E_CONFIG, "the cluster cookie has %zu bytes; at least %zu are required "
                 "(make one with: openssl rand -hex 24)", *len, min_len);
        return -1;
    }
    *out = (unsigned char *)buf;
    return 0;
}
