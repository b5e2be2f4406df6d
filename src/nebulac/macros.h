/*
 * macros.h — what nebulac knows of the macros of one translation unit, and
 * the #if evaluator that decides conditionals with them as the compiler would.
 *
 * Definitions come, in order, from the compiler's predefined macros, -D/-U,
 * and the #define/#undef lines of every file nebulac reads. A name may also be
 * unknown: defined in a branch nebulac could not decide, or possibly by a
 * header nebulac does not read (<stdio.h>). A condition that depends on an
 * unknown name is undecided; where the answer matters (see scan.c) nebulac asks
 * the real compiler: it replays the directives of the unit so far (the "log")
 * through `cc -dM -E` with the same flags, which answers exactly and refreshes
 * the whole table (docs/defining.md, "Conditional compilation").
 */
#ifndef NBC_MACROS_H
#define NBC_MACROS_H

#include <stdbool.h>

#include "lexer.h"
#include "util.h"

typedef struct nbc_macros nbc_macros;

/* Decides NB_ON("sel") inside a condition: 1, 0, or -1 (a bad selector). */
typedef int (*nbc_macro_on_fn)(void *ctx, const nbc_token *sel);

/*
 * The compiler to ask and the flags that change its predefined macros or its
 * include paths (-std=, -D, -U, -I, -m..., -f...), in order. Borrowed.
 */
typedef struct nbc_cc {
    const char *cc;               /* "cc" when NULL */
    const char *const *flags;
    size_t n_flags;
} nbc_cc;

/* A new empty table; never NULL. Free with nbc_macros_free. */
nbc_macros *nbc_macros_new(const nbc_cc *cc);
void nbc_macros_free(nbc_macros *m);

/* -DNAME, -DNAME=VALUE, -UNAME as cc reads them. */
void nbc_macros_cmdline(nbc_macros *m, const char *flag);

/*
 * A #define (define true) or #undef line: t[0..n) are the tokens after the
 * directive name; `text` is the directive's whole line for the log. `certain`
 * is false inside a branch nebulac could not decide: the name becomes unknown.
 */
void nbc_macros_directive(nbc_macros *m, bool define, const nbc_token *t, size_t n, const char *text,
                          size_t text_len, bool certain);

/* Appends a directive line the compiler must see when asked (an #include nebulac
 * does not follow, or a conditional it did not decide). `opaque` marks the unit as
 * no longer fully known (names not in the table may now be defined). */
void nbc_macros_log(nbc_macros *m, const char *text, size_t len, bool opaque);

/*
 * Evaluates the condition t[0..n) of an #if/#elif (for #ifdef X pass `defined X`
 * tokens, see nbc_macros_eval_defined). Returns 1 or 0, or -1 when it depends on
 * something unknown. NB_ON is decided by `on`.
 */
int nbc_macros_eval(nbc_macros *m, const nbc_token *t, size_t n, nbc_macro_on_fn on, void *ctx);

/* #ifdef NAME (negate false) / #ifndef NAME (negate true): 1, 0 or -1. */
int nbc_macros_eval_defined(nbc_macros *m, const char *name, bool negate);

/*
 * Asks the compiler: replays the log, then `#if expr` (expr_text, NB_ON already
 * replaced), refreshing the table from `cc -dM -E`. Returns 1 or 0, or -1 when
 * the compiler could not be run or rejected the input (*why then says why,
 * a static string or one owned by m).
 */
int nbc_macros_ask_cc(nbc_macros *m, const char *expr_text, const char **why);

/* A name's state: 1 defined, 0 not, -1 unknown. */
int nbc_macros_state(const nbc_macros *m, const char *name);

/* The replacement text of a macro, tokens joined by blanks, also of one defined
 * in an undecided branch (NULL when there is none). */
const char *nbc_macros_body(const nbc_macros *m, const char *name, bool *funclike);

#endif /* NBC_MACROS_H */
