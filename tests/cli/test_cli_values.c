/*
 * test_cli_values.c — the nebula command's readers and printer, without a
 * cluster: JSON as the command accepts it, arguments read by their C type (range
 * checks, NULL, bytes, structs by name and by position), errors that name the
 * field, and values printed as JSON that reads back. Run under ASan, a failed
 * read that leaked what it had built so far fails here too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "value_io.h"

/* Descriptors as nebulac generates them: point { int32_t x, y; } and
 * shape { char *name; point_t corners[2]; nb_bytes blob; point_t *anchor; }. */
typedef struct point {
    int32_t x, y;
} point_t;
typedef struct shape {
    char *name;
    point_t corners[2];
    nb_bytes blob;
    point_t *anchor;
} shape_t;

static const nb__field point_fields[] = {
    {"x", offsetof(point_t, x), {NB__K_INT, 4, 0, NULL, NULL}},
    {"y", offsetof(point_t, y), {NB__K_INT, 4, 0, NULL, NULL}},
};
static const nb__type point_type = {"point_t", sizeof(point_t), 2, point_fields};
static const nb__tref point_ref = {NB__K_STRUCT, sizeof(point_t), 0, NULL, &point_type};
static const nb__field shape_fields[] = {
    {"name", offsetof(shape_t, name), {NB__K_STR, sizeof(char *), 0, NULL, NULL}},
    {"corners", offsetof(shape_t, corners), {NB__K_ARRAY, sizeof(point_t[2]), 2, &point_ref, NULL}},
    {"blob", offsetof(shape_t, blob), {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL}},
    {"anchor", offsetof(shape_t, anchor), {NB__K_STRUCT_PTR, sizeof(point_t *), 0, NULL, &point_type}},
};
static const nb__type shape_type = {"shape_t", sizeof(shape_t), 4, shape_fields};
static const nb__tref shape_ptr = {NB__K_STRUCT_PTR, sizeof(shape_t *), 0, NULL, &shape_type};

static const nb__tref i8 = {NB__K_INT, 1, 0, NULL, NULL};
static const nb__tref i64 = {NB__K_INT, 8, 0, NULL, NULL};
static const nb__tref u16 = {NB__K_UINT, 2, 0, NULL, NULL};
static const nb__tref u64 = {NB__K_UINT, 8, 0, NULL, NULL};
static const nb__tref f32 = {NB__K_FLOAT, 4, 0, NULL, NULL};
static const nb__tref f64 = {NB__K_FLOAT, 8, 0, NULL, NULL};
static const nb__tref boolean = {NB__K_BOOL, sizeof(bool), 0, NULL, NULL};
static const nb__tref str = {NB__K_STR, sizeof(char *), 0, NULL, NULL};
static const nb__tref bytes = {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL};

static char err[512];

/* The value read from word, printed back as JSON (a heap string). */
static char *roundtrip(const nb__tref *t, const char *word)
{
    unsigned char storage[64] = {0};
    assert_true(t->size <= sizeof storage);
    if (nb__cli_value_from_word(t, word, storage, err, sizeof err) != 0)
        fail_msg("reading %s: %s", word, err);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    nb__cli_print_value(f, t, storage, 4);
    fclose(f);
    nb__value_clear(t, storage);
    return text;
}

static void expect_roundtrip(const nb__tref *t, const char *word, const char *printed)
{
    char *text = roundtrip(t, word);
    assert_string_equal(text, printed);
    free(text);
}

/* Reading word must fail with `message` inside the error, leaving zeroes. */
static void expect_error(const nb__tref *t, const char *word, const char *message)
{
    unsigned char storage[64] = {0}, zero[64] = {0};
    assert_int_equal(nb__cli_value_from_word(t, word, storage, err, sizeof err), -1);
    if (strstr(err, message) == NULL)
        fail_msg("reading %s: \"%s\" does not say \"%s\"", word, err, message);
    assert_memory_equal(storage, zero, sizeof storage);
}

static void test_integers(void **state)
{
    (void)state;
    expect_roundtrip(&i8, "-128", "-128");
    expect_roundtrip(&i8, "127", "127");
    expect_error(&i8, "128", "128 is out of range for int8_t (-128 to 127)");
    expect_error(&i8, "-129", "out of range");
    expect_roundtrip(&i64, "-9223372036854775808", "-9223372036854775808");
    expect_error(&i64, "9223372036854775808", "out of range for int64_t");
    expect_roundtrip(&u64, "18446744073709551615", "18446744073709551615");
    expect_error(&u64, "18446744073709551616", "out of range for uint64_t");
    expect_roundtrip(&u16, "0xffff", "65535");
    expect_roundtrip(&i64, "-0x10", "-16");
    expect_error(&u16, "-1", "-1 is out of range for uint16_t (0 to 65535)");
    expect_error(&i64, "notanumber", "\"notanumber\" is not an integer");
    expect_error(&i64, "1.5", "not an integer");
    expect_error(&i64, " 1", "not an integer");
    expect_error(&i64, "+1", "not an integer");
    expect_error(&i64, "", "not an integer");
}

static void test_floats_and_bools(void **state)
{
    (void)state;
    expect_roundtrip(&f64, "0.1", "0.1");
    expect_roundtrip(&f32, "0.1", "0.1");
    expect_roundtrip(&f64, "1e300", "1e+300");
    expect_roundtrip(&f64, "-Infinity", "-Infinity");
    expect_roundtrip(&f64, "NaN", "NaN");
    expect_roundtrip(&f32, "3.4028235e38", "3.4028235e+38");
    expect_error(&f32, "3.40282357e38", "out of range for float");
    expect_error(&f64, "1e999", "out of range for double");
    expect_error(&f64, "2.5x", "\"2.5x\" is not a number");
    expect_roundtrip(&boolean, "true", "true");
    expect_roundtrip(&boolean, "false", "false");
    expect_error(&boolean, "1", "not a bool (true or false)");
}

static void test_strings_and_bytes(void **state)
{
    (void)state;
    expect_roundtrip(&str, "plain words", "\"plain words\"");
    expect_roundtrip(&str, "null", "null");
    expect_roundtrip(&str, "\"null\"", "\"null\"");
    expect_roundtrip(&str, "tab\there \"q\" \\", "\"tab\\there \\\"q\\\" \\\\\"");
    expect_roundtrip(&str, "\"caf\\u00e9 \\ud83d\\ude00\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    expect_roundtrip(&str, "", "\"\"");
    expect_error(&str, "\"unterminated", "unterminated string");
    expect_roundtrip(&bytes, "hex:00FF10", "\"hex:00ff10\"");
    expect_roundtrip(&bytes, "\"hex:00ff10\"", "\"hex:00ff10\"");
    expect_roundtrip(&bytes, "text:ab", "\"hex:6162\"");
    expect_roundtrip(&bytes, "hex:", "\"hex:\"");
    expect_roundtrip(&bytes, "text:abcdef", "\"<6 bytes>\""); /* longer than max_bytes 4 */
    expect_error(&bytes, "hex:abc", "even number of digits");
    expect_error(&bytes, "hex:zz", "'z' is not a hex digit");
    expect_error(&bytes, "0a0b", "write hex:48656c6c6f, text:Hello or @FILE");
    expect_error(&bytes, "@/nonexistent/file", "cannot read /nonexistent/file");
}

static void test_structs(void **state)
{
    (void)state;
    expect_roundtrip(&shape_ptr,
        "{\"name\": \"sq\", \"corners\": [[1, 2], {\"y\": 4, \"x\": 3}], \"blob\": \"text:a\", "
        "\"anchor\": {\"x\": -1, \"y\": -2}}",
        "{\"name\": \"sq\", \"corners\": [{\"x\": 1, \"y\": 2}, {\"x\": 3, \"y\": 4}], "
        "\"blob\": \"hex:61\", \"anchor\": {\"x\": -1, \"y\": -2}}");
    expect_roundtrip(&shape_ptr, "{}",
        "{\"name\": null, \"corners\": [{\"x\": 0, \"y\": 0}, {\"x\": 0, \"y\": 0}], "
        "\"blob\": \"hex:\", \"anchor\": null}");
    expect_roundtrip(&shape_ptr, "[\"p\", [[0, 0], [0, 0]], \"hex:\", null]",
        "{\"name\": \"p\", \"corners\": [{\"x\": 0, \"y\": 0}, {\"x\": 0, \"y\": 0}], "
        "\"blob\": \"hex:\", \"anchor\": null}");
    expect_roundtrip(&shape_ptr, "null", "null");
    expect_roundtrip(&point_ref, "[5, 6]", "{\"x\": 5, \"y\": 6}");
    /* Errors name the field; what was built before them is freed (ASan). */
    expect_error(&shape_ptr, "{\"name\": \"n\", \"anchor\": {\"x\": 5000000000}}",
                 "at .anchor.x: 5000000000 is out of range for int32_t");
    expect_error(&shape_ptr, "{\"name\": \"n\", \"corners\": [[1, 2], [3, \"4\"]]}",
                 "at .corners[1].y: expected a number (int32_t), found a string");
    expect_error(&shape_ptr, "{\"nope\": 1}", "shape_t has no field \"nope\"");
    expect_error(&shape_ptr, "{\"name\": \"a\", \"name\": \"b\"}", "field \"name\" is given twice");
    expect_error(&shape_ptr, "[\"p\"]", "shape_t has 4 field(s) but the array holds 1 value(s)");
    expect_error(&shape_ptr, "{\"corners\": [[1, 2]]}", "at .corners: expected an array of 2");
    expect_error(&shape_ptr, "\"text\"", "expected an object or an array for shape_t, found a string");
    expect_error(&point_ref, "null", "expected an object or an array for point_t, found null");
    expect_error(&shape_ptr, "{\"name\": ", "invalid JSON at offset 9");
}

static int parse_error(const char *text)
{
    nb__cli_json j;
    int rc = nb__cli_json_parse(text, &j, err, sizeof err);
    if (rc == 0)
        nb__cli_json_free(&j);
    return rc;
}

static void test_json(void **state)
{
    (void)state;
    nb__cli_json j;
    assert_int_equal(nb__cli_json_parse(" {\"a\": [1, -2.5e3, true, null], \"b\": \"\"} ", &j, err,
                                        sizeof err), 0);
    assert_int_equal(j.kind, NB__CLI_J_OBJECT);
    assert_int_equal(j.n, 2);
    assert_string_equal(j.keys[0], "a");
    assert_int_equal(j.items[0].n, 4);
    assert_string_equal(j.items[0].items[1].text, "-2.5e3");
    assert_true(j.items[0].items[2].boolean);
    assert_int_equal(j.items[0].items[3].kind, NB__CLI_J_NULL);
    assert_string_equal(j.items[1].text, "");
    nb__cli_json_free(&j);

    assert_int_equal(parse_error("01"), -1);
    assert_non_null(strstr(err, "leading zero"));
    assert_int_equal(parse_error("1."), -1);
    assert_int_equal(parse_error("1e"), -1);
    assert_int_equal(parse_error("[1,]"), -1);
    assert_int_equal(parse_error("{\"a\" 1}"), -1);
    assert_non_null(strstr(err, "expected ':'"));
    assert_int_equal(parse_error("[1] 2"), -1);
    assert_non_null(strstr(err, "after the value"));
    assert_int_equal(parse_error("\"a\\u0000b\""), -1);
    assert_non_null(strstr(err, "NUL"));
    assert_int_equal(parse_error("\"\\udc00\""), -1);
    assert_int_equal(parse_error("\"\\ud83d\""), -1);
    assert_int_equal(parse_error("\"a\tb\""), -1);
    assert_int_equal(parse_error("\"\\x\""), -1);
    assert_int_equal(parse_error("nul"), -1);
    assert_int_equal(parse_error(""), -1);

    /* Nesting is bounded: 64 levels parse, 65 do not. */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    assert_int_equal(parse_error(deep), 0);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    assert_int_equal(parse_error(deep), -1);
    assert_non_null(strstr(err, "nested deeper than 64"));
}

static void test_type_names(void **state)
{
    (void)state;
    char buf[128];
    const nb__tref arr = {NB__K_ARRAY, sizeof(point_t[2]), 2, &point_ref, NULL};
    assert_string_equal(nb__cli_type_name(&i64, buf, sizeof buf), "int64_t");
    assert_string_equal(nb__cli_type_name(&u16, buf, sizeof buf), "uint16_t");
    assert_string_equal(nb__cli_type_name(&f32, buf, sizeof buf), "float");
    assert_string_equal(nb__cli_type_name(&shape_ptr, buf, sizeof buf), "shape_t *");
    assert_string_equal(nb__cli_type_name(&arr, buf, sizeof buf), "point_t[2]");
    assert_string_equal(nb__cli_type_hint(&i8, buf, sizeof buf), "an integer from -128 to 127");
    assert_string_equal(nb__cli_type_hint(&u64, buf, sizeof buf),
                        "an integer from 0 to 18446744073709551615");
    assert_string_equal(nb__cli_type_hint(&shape_ptr, buf, sizeof buf),
                        "JSON {\"name\": ..., \"corners\": ..., \"blob\": ..., \"anchor\": ...}, or null");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats_and_bools),
        cmocka_unit_test(test_strings_and_bytes),
        cmocka_unit_test(test_structs),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
