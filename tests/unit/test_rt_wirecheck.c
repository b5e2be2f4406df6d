/* nb__wire_check: the pre-scan that keeps hostile MessagePack away from msgpack-c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

static msgpack_sbuffer packed(void (*fill)(msgpack_packer *))
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fill(&pk);
    return sb;
}

static void fill_everything(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 12);
    msgpack_pack_nil(pk);
    msgpack_pack_true(pk);
    msgpack_pack_int64(pk, INT64_MIN);
    msgpack_pack_uint64(pk, UINT64_MAX);
    msgpack_pack_int8(pk, -3);
    msgpack_pack_double(pk, 2.5);
    msgpack_pack_float(pk, 1.5f);
    msgpack_pack_str_with_body(pk, "hello", 5);
    static char big[70000];
    msgpack_pack_bin_with_body(pk, big, sizeof big);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "k", 1);
    msgpack_pack_array(pk, 20);
    for (int i = 0; i < 20; i++)
        msgpack_pack_int(pk, i * 1000);
    msgpack_pack_ext_with_body(pk, "xyz", 3, 7);
    msgpack_pack_array(pk, 0);
}

static void valid_encodings_pass(void **state)
{
    (void)state;
    msgpack_sbuffer sb = packed(fill_everything);
    assert_int_equal(nb__wire_check(sb.data, sb.size), 0);
    msgpack_sbuffer_destroy(&sb);
}

static void truncations_and_trailing_bytes_fail(void **state)
{
    (void)state;
    msgpack_sbuffer sb = packed(fill_everything);
    for (size_t n = 0; n < sb.size; n += n < 200 ? 1 : 997)
        assert_int_equal(nb__wire_check(sb.data, n), -1);
    char *longer = malloc(sb.size + 1);
    memcpy(longer, sb.data, sb.size);
    longer[sb.size] = 0;
    assert_int_equal(nb__wire_check(longer, sb.size + 1), -1);
    free(longer);
    msgpack_sbuffer_destroy(&sb);
}

static void huge_declared_counts_fail(void **state)
{
    (void)state;
    /* array32 of 4 billion, map32, str32 and bin32 claiming more than is there */
    static const unsigned char array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char map32[] = {0xdf, 0x7f, 0xff, 0xff, 0xff, 0x00};
    static const unsigned char str32[] = {0xdb, 0x00, 0x00, 0x10, 0x00, 'a'};
    static const unsigned char bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char nested[] = {0x91, 0x91, 0x91, 0xdc, 0xff, 0xff};
    static const unsigned char unused[] = {0xc1};
    assert_int_equal(nb__wire_check(array32, sizeof array32), -1);
    assert_int_equal(nb__wire_check(map32, sizeof map32), -1);
    assert_int_equal(nb__wire_check(str32, sizeof str32), -1);
    assert_int_equal(nb__wire_check(bin32, sizeof bin32), -1);
    assert_int_equal(nb__wire_check(nested, sizeof nested), -1);
    assert_int_equal(nb__wire_check(unused, sizeof unused), -1);
    assert_int_equal(nb__wire_check("", 0), -1);
}

/* Whatever passes the check, msgpack-c unpacks without a giant allocation. */
static void random_mutations_never_crash(void **state)
{
    (void)state;
    msgpack_sbuffer sb = packed(fill_everything);
    size_t n = sb.size < 512 ? sb.size : 512;
    unsigned char *buf = malloc(n);
    srand(7);
    int passed = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, sb.data, n);
        for (int k = 0; k < 1 + rand() % 4; k++)
            buf[rand() % n] = (unsigned char)rand();
        size_t len = 1 + (size_t)rand() % n;
        if (nb__wire_check(buf, len) == 0) {
            passed++;
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            size_t off = 0;
            assert_int_equal(msgpack_unpack_next(&u, (const char *)buf, len, &off),
                             MSGPACK_UNPACK_SUCCESS);
            msgpack_unpacked_destroy(&u);
        }
    }
    free(buf);
    msgpack_sbuffer_destroy(&sb);
    (void)passed;
}

/* An array32 of n one-byte elements (positive fixints), n + 5 bytes, malloc'd. */
static unsigned char *flat_array(size_t n, size_t *len)
{
    unsigned char *p = malloc(n + 5);
    assert_non_null(p);
    p[0] = 0xdd;
    for (int i = 0; i < 4; i++)
        p[1 + i] = (unsigned char)(n >> (24 - 8 * i));
    memset(p + 5, 0x01, n);
    *len = n + 5;
    return p;
}

/* The decode budget: msgpack-c's tree of a buffer (one msgpack_object per
 * element) must fit in nb__decode_budget(len), else the buffer is refused even
 * though every count is honest. */
static void decode_budget_bounds_the_tree(void **state)
{
    (void)state;
    size_t len;
    /* Largest n whose tree of n + 1 objects fits: (n + 1) * 24 <= budget(n + 5). */
    size_t n = 1;
    while ((n + 2) * sizeof(msgpack_object) <= nb__decode_budget(n + 6))
        n *= 2;
    while ((n + 2) * sizeof(msgpack_object) > nb__decode_budget(n + 6))
        n--;
    n++;
    unsigned char *ok = flat_array(n, &len);
    assert_int_equal(nb__wire_check(ok, len), 0);
    free(ok);
    unsigned char *over = flat_array(n + 1, &len);
    assert_int_equal(nb__wire_check(over, len), -1);
    free(over);
    /* What it allows stays a small multiple of the bytes. */
    assert_true(nb__decode_budget(len) <= NB__DECODE_BUDGET_FLOOR + 8 * len);
    /* A buffer of one big element is never limited by it. */
    size_t big = (size_t)32 << 20;
    unsigned char *bin = malloc(big + 5);
    assert_non_null(bin);
    bin[0] = 0xc6;
    for (int i = 0; i < 4; i++)
        bin[1 + i] = (unsigned char)(big >> (24 - 8 * i));
    memset(bin + 5, 0, big);
    assert_int_equal(nb__wire_check(bin, big + 5), 0);
    free(bin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_encodings_pass),
        cmocka_unit_test(truncations_and_trailing_bytes_fail),
        cmocka_unit_test(huge_declared_counts_fail),
        cmocka_unit_test(random_mutations_never_crash),
        cmocka_unit_test(decode_budget_bounds_the_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
