/*
 * The #if evaluator and the macro table: conditions decided as the compiler
 * decides them, unknowns kept unknown (never guessed), and the compiler asked
 * when nebulac cannot know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macros.h"

/* NB_ON for these tests: "&yes" holds, everything else does not. */
static int on(void *ctx, const nbc_token *sel)
{
    (void)ctx;
    return strstr(sel->text, "&yes") != NULL;
}

/* Feeds `text` (directive lines) to m as the scanner would, certain. */
static void feed(nbc_macros *m, const char *text)
{
    nbc_lexed lx;
    nbc_lex(text, strlen(text), &lx);
    for (size_t i = 0; lx.toks[i].kind != NBC_TOK_EOF; i++) {
        if (lx.toks[i].kind != NBC_TOK_DIRECTIVE)
            continue;
        size_t e = i + 1;
        while (lx.toks[e].kind != NBC_TOK_EOD && lx.toks[e].kind != NBC_TOK_EOF)
            e++;
        bool def = strcmp(lx.toks[i].text, "define") == 0;
        nbc_macros_directive(m, def, &lx.toks[i + 1], e - i - 1, "", 0, true);
        i = e;
    }
    nbc_lexed_free(&lx);
}

/* The value of `#if expr`: 1, 0 or -1. */
static int eval(nbc_macros *m, const char *expr)
{
    char buf[512];
    snprintf(buf, sizeof buf, "#if %s\n", expr);
    nbc_lexed lx;
    nbc_lex(buf, strlen(buf), &lx);
    size_t e = 1;
    while (lx.toks[e].kind != NBC_TOK_EOD)
        e++;
    int v = nbc_macros_eval(m, &lx.toks[1], e - 1, on, NULL);
    nbc_lexed_free(&lx);
    return v;
}

static void arithmetic_and_macros(void **state)
{
    (void)state;
    nbc_macros *m = nbc_macros_new(NULL);
    nbc_macros_cmdline(m, "-DLEVEL=3");
    nbc_macros_cmdline(m, "-DFLAG");
    nbc_macros_cmdline(m, "-UGONE");
    feed(m, "#define TWICE(x) ((x) * 2)\n#define SIX TWICE(LEVEL)\n#define SELF SELF\n#undef NOPE\n");
    assert_int_equal(eval(m, "LEVEL > 2 && FLAG == 1"), 1);
    assert_int_equal(eval(m, "SIX == 6 && TWICE(4) == 8"), 1);
    assert_int_equal(eval(m, "defined(LEVEL) && !defined GONE && !defined(NOPE)"), 1);
    assert_int_equal(eval(m, "(1 ? 2 : 3) == 2 && -1 < 0 && 0x10 >> 2 == 4 && 'a' == 97"), 1);
    assert_int_equal(eval(m, "-1 < 0u"), 0); /* unsigned arithmetic, as in C */
    assert_int_equal(eval(m, "NB_ON(\"&yes\") && !NB_ON(\"&no\")"), 1);
    assert_int_equal(eval(m, "GONE"), 0);
    /* Not known: nothing told nebulac whether UNSEEN is defined (a system
     * header could define it), and 1 / 0 is the compiler's error to give. */
    assert_int_equal(eval(m, "UNSEEN"), -1);
    assert_int_equal(eval(m, "defined(UNSEEN)"), -1);
    assert_int_equal(eval(m, "1 / 0"), -1);
    assert_int_equal(eval(m, "SELF"), -1);
    /* ... unless the other side decides alone. */
    assert_int_equal(eval(m, "UNSEEN || FLAG"), 1);
    assert_int_equal(eval(m, "0 && UNSEEN"), 0);
    assert_int_equal(eval(m, "__has_include(<stdio.h>)"), -1);
    nbc_macros_free(m);
}

static void uncertain_definitions_are_unknown(void **state)
{
    (void)state;
    nbc_macros *m = nbc_macros_new(NULL);
    nbc_lexed lx;
    const char *text = "#define MAYBE 1\n";
    nbc_lex(text, strlen(text), &lx);
    nbc_macros_directive(m, true, &lx.toks[1], 2, text, strlen(text) - 1, false);
    nbc_lexed_free(&lx);
    assert_int_equal(eval(m, "MAYBE"), -1);
    assert_int_equal(nbc_macros_state(m, "MAYBE"), -1);
    nbc_macros_free(m);
}

static void the_compiler_answers(void **state)
{
    (void)state;
    nbc_cc cc = {NULL, NULL, 0};
    nbc_macros *m = nbc_macros_new(&cc);
    nbc_macros_log(m, "#define MINE 7", 14, false);
    nbc_macros_log(m, "#include <limits.h>", 19, true);
    const char *why = NULL;
    assert_int_equal(nbc_macros_ask_cc(m, "defined(INT_MAX) && MINE == 7 && __STDC__", &why), 1);
    /* The table now holds what the compiler knew: everything else is undefined. */
    assert_int_equal(eval(m, "INT_MAX > 0 && defined(__STDC_HOSTED__)"), 1);
    assert_int_equal(eval(m, "defined(NOT_DEFINED_ANYWHERE)"), 0);
    assert_int_equal(nbc_macros_ask_cc(m, "defined(NOT_DEFINED_ANYWHERE)", &why), 0);
    nbc_macros_free(m);

    nbc_cc none = {"/nonexistent/cc", NULL, 0};
    m = nbc_macros_new(&none);
    assert_int_equal(nbc_macros_ask_cc(m, "1", &why), -1);
    assert_non_null(strstr(why, "could not be run"));
    nbc_macros_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arithmetic_and_macros),
        cmocka_unit_test(uncertain_definitions_are_unknown),
        cmocka_unit_test(the_compiler_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
