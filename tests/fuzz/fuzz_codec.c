/*
 * fuzz_codec — the MessagePack value decoders driven by type descriptors
 * (codec.h), as a REQUEST's arguments or a REPLY's value reach them from a peer.
 *
 * Input: one byte choosing a descriptor of fuzz_types.h, then the MessagePack
 * bytes a peer sent. Checked for every input:
 *   - the bytes go through nb__unpack_peer as in production; nothing else
 *     reaches the decoder;
 *   - a failed decode leaves the storage all zero (and nothing allocated: the
 *     leak check of libFuzzer runs on every input);
 *   - a successful decode re-encodes, the encoding passes the peer checks
 *     itself, decodes again, and encodes to the same bytes: decode -> encode
 *     -> decode is stable, so no value changes on a second hop;
 *   - every decoded value is released with nb__value_clear and nothing leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run with a message libFuzzer reports as a crash. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_codec: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Decodes buf[0..len) as t into fresh zeroed storage returned (caller frees it
 * after nb__value_clear), or NULL when the bytes or the value are refused. */
static void *decode_bytes(const nb__tref *t, bool as_args, const void *buf, size_t len)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    void *p = NULL;
    if (nb__unpack_peer(&up, buf, len) == 0) {
        p = calloc(1, t->size ? t->size : 1);
        FZ_CHECK(p != NULL);
        int rc = as_args ? nb__decode_struct(&up.data, t->type, p)
                         : nb__decode_value(&up.data, t, p);
        if (rc != 0) {
            FZ_CHECK(all_zero(p, t->size));
            free(p);
            p = NULL;
        }
    }
    msgpack_unpacked_destroy(&up);
    return p;
}

/* Encodes the value at p into *sb (initialised here; the caller destroys it). */
static void encode(const nb__tref *t, bool as_args, const void *p, msgpack_sbuffer *sb)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = as_args ? nb__encode_struct(&pk, t->type, p) : nb__encode_value(&pk, t, p);
    FZ_CHECK(rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const nb__tref *t = &fz_trefs[data[0] % FZ_N_TREFS];
    /* Odd selector bytes of a struct type take the argument-struct entry points. */
    bool as_args = t->kind == NB__K_STRUCT && (data[0] / FZ_N_TREFS) % 2 == 1;

    void *v1 = decode_bytes(t, as_args, data + 1, size - 1);
    if (v1 == NULL)
        return 0;
    msgpack_sbuffer e1, e2;
    encode(t, as_args, v1, &e1);
    void *v2 = decode_bytes(t, as_args, e1.data, e1.size);
    FZ_CHECK(v2 != NULL);
    encode(t, as_args, v2, &e2);
    FZ_CHECK(e1.size == e2.size && memcmp(e1.data, e2.data, e1.size) == 0);

    msgpack_sbuffer_destroy(&e1);
    msgpack_sbuffer_destroy(&e2);
    nb__value_clear(t, v1);
    nb__value_clear(t, v2);
    free(v1);
    free(v2);
    return 0;
}
