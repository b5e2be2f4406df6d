/*
 * Selectors as users write them (docs/design.md §4): every term form, juxtaposed
 * terms intersecting, short names shared by several nodes, the canonical text of
 * terms, syntax errors with the offset of the offending byte, and random bytes
 * that must end in a clean error, never a crash or an out-of-bounds read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "selector.h"

static const char *const api_tags[] = {"api", "cache"};
static const char *const db_tags[] = {"db", "cache"};
static const char *const backup_tags[] = {"db", "backup", "legacy"};
static const char *const w1_tags[] = {"worker", "gpu"};
static const char *const w2_tags[] = {"worker"};

/* Two nodes share the short name "worker", two carry &db. */
static const nb__node_def nodes[] = {
    {"api@api.example", "api", "api.example", NULL, 4370, api_tags, 2, NULL},
    {"db@db.example", "db", "db.example", NULL, 4371, db_tags, 2, NULL},
    {"backup@db.example", "backup", "db.example", NULL, 4372, backup_tags, 3, NULL},
    {"worker@w1.example", "worker", "w1.example", NULL, 4370, w1_tags, 2, NULL},
    {"worker@w2.example", "worker", "w2.example", "10.0.0.7:4370", 4370, w2_tags, 1, NULL},
};
#define N_NODES (sizeof nodes / sizeof nodes[0])

/* Parses text, which must be valid; the caller frees *sel. */
static void parse_ok(const char *text, nb__selector *sel)
{
    size_t off = 99;
    const char *msg = NULL;
    int rc = nb__sel_parse(text, strlen(text), sel, &off, &msg);
    if (rc != 0)
        fail_msg("\"%s\" did not parse: %s at %zu", text, msg, off);
}

/* A bit mask of the nodes text matches, node i being bit i. */
static unsigned matches(const char *text)
{
    nb__selector sel;
    parse_ok(text, &sel);
    unsigned mask = 0;
    for (size_t i = 0; i < N_NODES; i++)
        if (nb__sel_match(&sel, &nodes[i]))
            mask |= 1u << i;
    assert_int_equal(nb__sel_count(&sel, nodes, N_NODES), __builtin_popcount(mask));
    nb__sel_free(&sel);
    return mask;
}

#define API 1u
#define DB 2u
#define BACKUP 4u
#define W1 8u
#define W2 16u
#define ALL 31u

static void test_each_term_form(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool negated;
        nb__sel_kind kind;
        const char *name;
    } cases[] = {
        {"&db", false, NB__SEL_TAG, "db"},
        {"!&legacy", true, NB__SEL_TAG, "legacy"},
        {"@worker", false, NB__SEL_SHORT, "worker"},
        {"!@backup", true, NB__SEL_SHORT, "backup"},
        {"@:\"db@db.example\"", false, NB__SEL_FULL, "db@db.example"},
        {"!@:\"worker@w2.example\"", true, NB__SEL_FULL, "worker@w2.example"},
        {"@:\"local@127.0.0.1\"", false, NB__SEL_FULL, "local@127.0.0.1"},
        {"&_x9", false, NB__SEL_TAG, "_x9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb__selector sel;
        parse_ok(cases[i].text, &sel);
        assert_int_equal(sel.n_terms, 1);
        assert_int_equal(sel.terms[0].negated, cases[i].negated);
        assert_int_equal(sel.terms[0].kind, cases[i].kind);
        assert_string_equal(sel.terms[0].name, cases[i].name);
        assert_int_equal(sel.terms[0].offset, 0);
        nb__sel_free(&sel);
    }
}

static void test_matching(void **state)
{
    (void)state;
    assert_int_equal(matches("&db"), DB | BACKUP);
    assert_int_equal(matches("!&legacy"), API | DB | W1 | W2);
    assert_int_equal(matches("@worker"), W1 | W2);
    assert_int_equal(matches("!@worker"), API | DB | BACKUP);
    assert_int_equal(matches("@:\"worker@w2.example\""), W2);
    assert_int_equal(matches("!@:\"worker@w2.example\""), ALL & ~W2);
    assert_int_equal(matches("&nope"), 0);
}

static void test_tags_narrow(void **state)
{
    (void)state;
    assert_int_equal(matches("&db !@backup"), DB);
    assert_int_equal(matches("@worker &gpu"), W1);
    assert_int_equal(matches("@worker !&gpu"), W2);
    assert_int_equal(matches("&cache &db"), DB);
    assert_int_equal(matches("&api &db"), 0);
    assert_int_equal(matches("&db !&db"), 0);
}

/* The reference library's rule: a node has one name, so positive names unite;
 * tags still narrow the union and negations still remove from it. */
static void test_names_unite(void **state)
{
    (void)state;
    assert_int_equal(matches("@api @db"), API | DB);
    assert_int_equal(matches("@api @:\"worker@w2.example\""), API | W2);
    assert_int_equal(matches("@worker @db &gpu"), W1);
    assert_int_equal(matches("@worker @backup !&gpu"), W2 | BACKUP);
    assert_int_equal(matches("@worker @api !@:\"worker@w1.example\""), W2 | API);
    assert_int_equal(matches("@api @api"), API);
    assert_int_equal(matches("@api !@api"), 0);
}

static void test_empty_matches_every_node(void **state)
{
    (void)state;
    assert_int_equal(matches(""), ALL);
    assert_int_equal(matches("    "), ALL);
    nb__selector sel;
    assert_int_equal(nb__sel_parse(NULL, 0, &sel, NULL, NULL), 0);
    assert_int_equal(sel.n_terms, 0);
    nb__sel_free(&sel);
}

static void test_spaces_and_offsets(void **state)
{
    (void)state;
    nb__selector sel;
    parse_ok("  &db   !@backup  @:\"db@db.example\" ", &sel);
    assert_int_equal(sel.n_terms, 3);
    assert_int_equal(sel.terms[0].offset, 2);
    assert_int_equal(sel.terms[1].offset, 8);
    assert_int_equal(sel.terms[2].offset, 18);
    nb__sel_free(&sel);
}

static void test_len_bounds_the_text(void **state)
{
    (void)state;
    nb__selector sel;
    assert_int_equal(nb__sel_parse("&dbXYZ", 3, &sel, NULL, NULL), 0);
    assert_int_equal(sel.n_terms, 1);
    assert_string_equal(sel.terms[0].name, "db");
    nb__sel_free(&sel);
}

static void test_known_terms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool known;
    } cases[] = {
        {"&gpu", true},
        {"!&legacy", true},
        {"&nope", false},
        {"@worker", true},
        {"@nope", false},
        {"@:\"db@db.example\"", true},
        {"@:\"db@w1.example\"", false},
        {"!@:\"x@y\"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb__selector sel;
        parse_ok(cases[i].text, &sel);
        assert_int_equal(nb__sel_term_known(&sel.terms[0], nodes, N_NODES), cases[i].known);
        nb__sel_free(&sel);
    }
}

static void test_format_round_trip(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "&db", "!&legacy", "@worker", "!@:\"db@db.example\"", "&db !@backup @:\"w@10.0.0.7\" !&x_1",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        nb__selector sel;
        parse_ok(texts[i], &sel);
        char joined[256] = "";
        for (size_t t = 0; t < sel.n_terms; t++) {
            char buf[64];
            size_t n = nb__sel_term_format(&sel.terms[t], buf, sizeof buf);
            assert_int_equal(n, strlen(buf));
            if (t > 0)
                strcat(joined, " ");
            strcat(joined, buf);
        }
        assert_string_equal(joined, texts[i]);
        nb__sel_free(&sel);
    }
}

static void test_format_truncates_like_snprintf(void **state)
{
    (void)state;
    nb__selector sel;
    parse_ok("!@:\"db@db.example\"", &sel);
    char buf[5];
    assert_int_equal(nb__sel_term_format(&sel.terms[0], buf, sizeof buf), 18);
    assert_string_equal(buf, "!@:\"");
    assert_int_equal(nb__sel_term_format(&sel.terms[0], NULL, 0), 18);
    nb__sel_free(&sel);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        size_t offset;
        const char *msg;
    } cases[] = {
        {"db", 2, 0, "expected a term: '&tag', '@short' or '@:\"short@host\"'"},
        {"&db !", 5, 5, "expected '&' or '@' after '!'"},
        {"!!&db", 5, 1, "expected '&' or '@' after '!'"},
        {"&", 1, 1, "expected a tag after '&' (a lowercase letter or '_' first)"},
        {"&Db", 3, 1, "expected a tag after '&' (a lowercase letter or '_' first)"},
        {"&1x", 3, 1, "expected a tag after '&' (a lowercase letter or '_' first)"},
        {"@Worker", 7, 1, "expected a short node name after '@' (a lowercase letter or '_' first)"},
        {"&dB", 3, 2, "tags and short names hold only lowercase letters, digits and '_'"},
        {"@db-main", 8, 3, "tags and short names hold only lowercase letters, digits and '_'"},
        {"&db&cache", 9, 3, "expected a space between terms"},
        {"&db\t@api", 8, 3, "separate terms with spaces, not tabs or line breaks"},
        {"@:db", 4, 2, "expected '\"' after '@:'"},
        {"@:", 2, 2, "expected '\"' after '@:'"},
        {"@:\"\"", 4, 3, "expected a lowercase short name at the start of a full node name"},
        {"@:\"db\"", 6, 5, "expected '@' between the short name and the host of a full node name"},
        {"@:\"db@\"", 7, 6,
         "expected a host (letters, digits, '.', '-', '_') after '@' in a full node name"},
        {"@:\"db@db.example", 16, 16, "missing '\"' at the end of a full node name"},
        {"@:\"db@db example\"", 18, 8, "a host holds only letters, digits, '.', '-' and '_'"},
        {"@:\"db@x\"&a", 10, 8, "expected a space between terms"},
        {"&db\0x", 5, 3, "tags and short names hold only lowercase letters, digits and '_'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb__selector sel = {(nb__sel_term *)1, 7};
        size_t off = 99;
        const char *msg = NULL;
        int rc = nb__sel_parse(cases[i].text, cases[i].len, &sel, &off, &msg);
        if (rc != -1 || off != cases[i].offset || msg == NULL || strcmp(msg, cases[i].msg) != 0)
            fail_msg("\"%s\": rc %d, offset %zu (want %zu), \"%s\"", cases[i].text, rc, off,
                     cases[i].offset, msg ? msg : "(null)");
        assert_null(sel.terms);
        assert_int_equal(sel.n_terms, 0);
    }
}

/* Random input, biased towards selector characters so parses get deep. Each text
 * sits in a buffer of exactly its length so a sanitizer catches any overread. */
static void test_random_bytes_never_crash(void **state)
{
    (void)state;
    static const char alphabet[] = "&@!:\" \"@az_09.-Ab\t";
    uint32_t seed = 12345;
    size_t parsed = 0;
    for (int round = 0; round < 5000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 40;
        char *text = malloc(len ? len : 1);
        assert_non_null(text);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            text[i] = (r & 3) == 0 ? (char)(r >> 2) : alphabet[(r >> 2) % (sizeof alphabet - 1)];
        }
        nb__selector sel;
        size_t off = 0;
        const char *msg = NULL;
        if (nb__sel_parse(text, len, &sel, &off, &msg) == 0) {
            parsed++;
            for (size_t t = 0; t < sel.n_terms; t++) {
                assert_true(sel.terms[t].offset < len);
                char buf[64];
                nb__sel_term_format(&sel.terms[t], buf, sizeof buf);
                nb__selector again;
                parse_ok(buf, &again);
                assert_int_equal(again.n_terms, 1);
                assert_string_equal(again.terms[0].name, sel.terms[t].name);
                nb__sel_free(&again);
            }
            nb__sel_match(&sel, &nodes[0]);
            nb__sel_free(&sel);
        } else {
            assert_true(off <= len);
            assert_non_null(msg);
        }
        free(text);
    }
    /* The bias must actually produce valid selectors, or this test proves little. */
    assert_true(parsed > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_term_form),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_tags_narrow),
        cmocka_unit_test(test_names_unite),
        cmocka_unit_test(test_empty_matches_every_node),
        cmocka_unit_test(test_spaces_and_offsets),
        cmocka_unit_test(test_len_bounds_the_text),
        cmocka_unit_test(test_known_terms),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_format_truncates_like_snprintf),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_random_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
