/*
 * The lexer behind every rewrite: what it must never be fooled by (comments,
 * literals, line continuations, preprocessor lines) and the exact positions it
 * reports, since diagnostics and in-place edits rely on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lexer.h"

/* Lexes text; the caller frees with nbc_lexed_free. */
static nbc_lexed lex(const char *text)
{
    nbc_lexed lx;
    nbc_lex(text, strlen(text), &lx);
    return lx;
}

/* Asserts token i has this kind and spelling. */
static void expect_tok(const nbc_lexed *lx, size_t i, nbc_tok_kind kind, const char *text)
{
    assert_true(i < lx->n);
    assert_int_equal(lx->toks[i].kind, kind);
    assert_string_equal(lx->toks[i].text, text);
}

/* The line and column of token i, from the lexer's line table. */
static int tok_line(const nbc_lexed *lx, size_t i)
{
    int line, col;
    nbc_lexed_pos(lx, lx->toks[i].off, &line, &col);
    return line;
}

static int tok_col(const nbc_lexed *lx, size_t i)
{
    int line, col;
    nbc_lexed_pos(lx, lx->toks[i].off, &line, &col);
    return col;
}

static size_t count_kind(const nbc_lexed *lx, nbc_tok_kind kind, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < lx->n; i++)
        n += lx->toks[i].kind == kind && (text == NULL || strcmp(lx->toks[i].text, text) == 0);
    return n;
}

static void comments_produce_no_tokens(void **state)
{
    (void)state;
    nbc_lexed lx = lex("a /* NB_API(\"&db\") */ b // NB_STRUCT \"\nc /* multi\nline */ d");
    assert_int_equal(lx.n, 5);
    expect_tok(&lx, 0, NBC_TOK_IDENT, "a");
    expect_tok(&lx, 1, NBC_TOK_IDENT, "b");
    expect_tok(&lx, 2, NBC_TOK_IDENT, "c");
    expect_tok(&lx, 3, NBC_TOK_IDENT, "d");
    assert_int_equal(tok_line(&lx, 3), 3);
    expect_tok(&lx, 4, NBC_TOK_EOF, "");
    nbc_lexed_free(&lx);
}

static void strings_hide_annotations(void **state)
{
    (void)state;
    nbc_lexed lx = lex("s = \"x\\\"NB_API(\\\"&db\\\")\\\\\" NB_ON;");
    expect_tok(&lx, 0, NBC_TOK_IDENT, "s");
    expect_tok(&lx, 1, NBC_TOK_PUNCT, "=");
    expect_tok(&lx, 2, NBC_TOK_STRING, "\"x\\\"NB_API(\\\"&db\\\")\\\\\"");
    expect_tok(&lx, 3, NBC_TOK_IDENT, "NB_ON");
    expect_tok(&lx, 4, NBC_TOK_PUNCT, ";");
    assert_int_equal(count_kind(&lx, NBC_TOK_IDENT, "NB_API"), 0);
    char *v = nbc_string_value(&lx.toks[2], NULL, NULL);
    assert_string_equal(v, "x\"NB_API(\"&db\")\\");
    free(v);
    nbc_lexed_free(&lx);
}

static void string_prefixes(void **state)
{
    (void)state;
    nbc_lexed lx = lex("u8\"a\" u\"b\" U\"c\" L\"d\" L'e' u8 x");
    expect_tok(&lx, 0, NBC_TOK_STRING, "u8\"a\"");
    expect_tok(&lx, 1, NBC_TOK_STRING, "u\"b\"");
    expect_tok(&lx, 2, NBC_TOK_STRING, "U\"c\"");
    expect_tok(&lx, 3, NBC_TOK_STRING, "L\"d\"");
    expect_tok(&lx, 4, NBC_TOK_CHAR, "L'e'");
    expect_tok(&lx, 5, NBC_TOK_IDENT, "u8"); /* not followed by a quote: an identifier */
    expect_tok(&lx, 6, NBC_TOK_IDENT, "x");
    size_t content;
    char *v = nbc_string_value(&lx.toks[0], NULL, &content);
    assert_string_equal(v, "a");
    assert_int_equal(content, 3);
    free(v);
    nbc_lexed_free(&lx);
}

static void char_literals_do_not_open_strings(void **state)
{
    (void)state;
    nbc_lexed lx = lex("c = '\"'; d = '\\''; NB_API(\"x\")");
    expect_tok(&lx, 2, NBC_TOK_CHAR, "'\"'");
    expect_tok(&lx, 6, NBC_TOK_CHAR, "'\\''");
    expect_tok(&lx, 8, NBC_TOK_IDENT, "NB_API");
    expect_tok(&lx, 10, NBC_TOK_STRING, "\"x\"");
    nbc_lexed_free(&lx);
}

static void escapes_decode(void **state)
{
    (void)state;
    nbc_lexed lx = lex("\"\\x41\\101\\n\\t\\\\\\?\"");
    size_t len;
    char *v = nbc_string_value(&lx.toks[0], &len, NULL);
    assert_int_equal(len, 6);
    assert_memory_equal(v, "AA\n\t\\?", 6);
    free(v);
    nbc_lexed_free(&lx);
}

static void continuations_join_tokens(void **state)
{
    (void)state;
    const char *text = "NB_\\\nAPI(\"&d\\\nb\") x";
    nbc_lexed lx = lex(text);
    expect_tok(&lx, 0, NBC_TOK_IDENT, "NB_API");
    assert_int_equal(lx.toks[0].off, 0);
    assert_int_equal(nbc_tok_end(&lx.toks[0]), 8); /* the original bytes, continuation included */
    assert_int_equal(tok_line(&lx, 0), 1);
    assert_int_equal(tok_col(&lx, 0), 1);
    expect_tok(&lx, 1, NBC_TOK_PUNCT, "(");
    assert_int_equal(tok_line(&lx, 1), 2);
    assert_int_equal(tok_col(&lx, 1), 4);
    char *v = nbc_string_value(&lx.toks[2], NULL, NULL);
    assert_string_equal(v, "&db");
    free(v);
    expect_tok(&lx, 4, NBC_TOK_IDENT, "x");
    assert_int_equal(tok_line(&lx, 4), 3);
    assert_int_equal(lx.toks[4].off, (size_t)(strchr(text, 'x') - text));
    nbc_lexed_free(&lx);
}

static void continuations_extend_comments(void **state)
{
    (void)state;
    nbc_lexed lx = lex("// a comment \\\n NB_API(\"still the comment\")\nx /\\\n* also a comment *\\\n/ y");
    assert_int_equal(lx.n, 3);
    expect_tok(&lx, 0, NBC_TOK_IDENT, "x");
    assert_int_equal(tok_line(&lx, 0), 3);
    expect_tok(&lx, 1, NBC_TOK_IDENT, "y");
    assert_int_equal(tok_line(&lx, 1), 5);
    nbc_lexed_free(&lx);
}

static void directives(void **state)
{
    (void)state;
    const char *text = "  #  include <sys/a.h>\n"
                       "/* c */ #if NB_ON(\"&x\") /* spans\n lines */ && 1\n"
                       "#define TWO \\\n  2\n"
                       "int y = a # b;\n"
                       "#\n"
                       "#error don't stop here\n"
                       "z";
    nbc_lexed lx = lex(text);
    expect_tok(&lx, 0, NBC_TOK_DIRECTIVE, "include");
    assert_int_equal(tok_col(&lx, 0), 3);
    expect_tok(&lx, 1, NBC_TOK_HEADER, "<sys/a.h>");
    expect_tok(&lx, 2, NBC_TOK_EOD, "");
    assert_int_equal(lx.toks[2].off, strchr(text, '\n') - text); /* the directive's end */
    expect_tok(&lx, 3, NBC_TOK_DIRECTIVE, "if");
    expect_tok(&lx, 4, NBC_TOK_IDENT, "NB_ON");
    expect_tok(&lx, 8, NBC_TOK_PUNCT, "&&");
    expect_tok(&lx, 9, NBC_TOK_NUMBER, "1");
    expect_tok(&lx, 10, NBC_TOK_EOD, "");
    assert_int_equal(tok_line(&lx, 10), 3); /* the comment's newline did not end it */
    expect_tok(&lx, 11, NBC_TOK_DIRECTIVE, "define");
    expect_tok(&lx, 12, NBC_TOK_IDENT, "TWO");
    expect_tok(&lx, 13, NBC_TOK_NUMBER, "2");
    expect_tok(&lx, 14, NBC_TOK_EOD, "");
    assert_int_equal(tok_line(&lx, 14), 5);
    /* '#' in the middle of a line is no directive. */
    expect_tok(&lx, 15, NBC_TOK_IDENT, "int");
    expect_tok(&lx, 19, NBC_TOK_PUNCT, "#");
    expect_tok(&lx, 22, NBC_TOK_DIRECTIVE, "");
    expect_tok(&lx, 23, NBC_TOK_EOD, "");
    expect_tok(&lx, 24, NBC_TOK_DIRECTIVE, "error");
    expect_tok(&lx, 26, NBC_TOK_CHAR, "'t stop here"); /* unterminated: ends at the line */
    expect_tok(&lx, 27, NBC_TOK_EOD, "");
    expect_tok(&lx, 28, NBC_TOK_IDENT, "z");
    assert_int_equal(tok_line(&lx, 28), 9);
    nbc_lexed_free(&lx);
}

static void quoted_include_is_a_string(void **state)
{
    (void)state;
    nbc_lexed lx = lex("#include \"users.h\" // x\n#include_next <b.h>");
    expect_tok(&lx, 1, NBC_TOK_STRING, "\"users.h\"");
    expect_tok(&lx, 2, NBC_TOK_EOD, "");
    expect_tok(&lx, 3, NBC_TOK_DIRECTIVE, "include_next");
    expect_tok(&lx, 4, NBC_TOK_HEADER, "<b.h>");
    expect_tok(&lx, 5, NBC_TOK_EOD, "");
    assert_int_equal(lx.toks[5].off, strlen("#include \"users.h\" // x\n#include_next <b.h>"));
    nbc_lexed_free(&lx);
}

static void positions_count_bytes(void **state)
{
    (void)state;
    const char *text = "\tint\tx;\n  \xc3\xa9t\xc3\xa9 = 1.5e-3f + .5 + 0x1Fu;";
    nbc_lexed lx = lex(text);
    assert_int_equal(tok_col(&lx, 0), 2);
    assert_int_equal(tok_col(&lx, 1), 6);
    expect_tok(&lx, 3, NBC_TOK_IDENT, "\xc3\xa9t\xc3\xa9");
    assert_int_equal(tok_line(&lx, 3), 2);
    assert_int_equal(tok_col(&lx, 3), 3);
    expect_tok(&lx, 4, NBC_TOK_PUNCT, "=");
    assert_int_equal(tok_col(&lx, 4), 9);
    expect_tok(&lx, 5, NBC_TOK_NUMBER, "1.5e-3f");
    expect_tok(&lx, 7, NBC_TOK_NUMBER, ".5");
    expect_tok(&lx, 9, NBC_TOK_NUMBER, "0x1Fu");
    assert_int_equal(nbc_tok_end(&lx.toks[9]) - lx.toks[9].off, 5);
    nbc_lexed_free(&lx);
}

static void punctuators_longest_match(void **state)
{
    (void)state;
    nbc_lexed lx = lex("a->b<<=c...d##e&&f||!g");
    const char *want[] = {"a", "->", "b", "<<=", "c", "...", "d", "##", "e", "&&", "f", "||", "!", "g"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(lx.toks[i].text, want[i]);
    nbc_lexed_free(&lx);
}

static void unterminated_literals_and_comments(void **state)
{
    (void)state;
    nbc_lexed lx = lex("s = \"abc\nNB_API x /* never closed NB_STRUCT");
    expect_tok(&lx, 2, NBC_TOK_STRING, "\"abc");
    expect_tok(&lx, 3, NBC_TOK_IDENT, "NB_API");
    assert_int_equal(tok_line(&lx, 3), 2);
    expect_tok(&lx, 4, NBC_TOK_IDENT, "x");
    expect_tok(&lx, 5, NBC_TOK_EOF, "");
    nbc_lexed_free(&lx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(comments_produce_no_tokens),
        cmocka_unit_test(strings_hide_annotations),
        cmocka_unit_test(string_prefixes),
        cmocka_unit_test(char_literals_do_not_open_strings),
        cmocka_unit_test(escapes_decode),
        cmocka_unit_test(continuations_join_tokens),
        cmocka_unit_test(continuations_extend_comments),
        cmocka_unit_test(directives),
        cmocka_unit_test(quoted_include_is_a_string),
        cmocka_unit_test(positions_count_bytes),
        cmocka_unit_test(punctuators_longest_match),
        cmocka_unit_test(unterminated_literals_and_comments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
