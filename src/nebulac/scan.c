/*
 * scan.c — nebulac's view of the preprocessor.
 *
 * nebulac does not preprocess: the compiler will. It only needs to know which
 * branches are certainly dead on this node (a condition made of NB_ON(...),
 * integer literals, !, &&, || and parentheses) so that it neither reads them
 * (no include followed, no annotation seen, no nb_start counted) nor keeps them
 * in the output. Every other condition may be live and is read normally.
 */
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "parse_int.h"

typedef struct cond_group {
    bool taken_known; /* an earlier branch is certainly taken: the rest are dead */
} cond_group;

/* A condition reduced to values and operators: -1 unknown, else 0/1 or an op. */
typedef struct cond_item {
    char op;          /* '!', '&', '|', '(', ')', or 0 for a value */
    long long value;
} cond_item;

typedef struct cond_parser {
    const cond_item *it;
    size_t n, i;
    bool bad;
} cond_parser;

static long long cond_or(cond_parser *p);

static long long cond_unary(cond_parser *p)
{
    if (p->i >= p->n) {
        p->bad = true;
        return 0;
    }
    const cond_item *x = &p->it[p->i++];
    if (x->op == '!')
        return !cond_unary(p);
    if (x->op == '(') {
        long long v = cond_or(p);
        if (p->i >= p->n || p->it[p->i].op != ')')
            p->bad = true;
        p->i++;
        return v;
    }
    if (x->op != 0)
        p->bad = true;
    return x->value;
}

static long long cond_and(cond_parser *p)
{
    long long v = cond_unary(p);
    while (p->i < p->n && p->it[p->i].op == '&') {
        p->i++;
        long long r = cond_unary(p);
        v = v && r;
    }
    return v;
}

static long long cond_or(cond_parser *p)
{
    long long v = cond_and(p);
    while (p->i < p->n && p->it[p->i].op == '|') {
        p->i++;
        long long r = cond_and(p);
        v = v || r;
    }
    return v;
}

/* An integer literal's value; false when t is not one. */
static bool int_literal(const nbc_token *t, long long *v)
{
    if (t->kind != NBC_TOK_NUMBER)
        return false;
    char *end;
    unsigned long long x = strtoull(t->text, &end, 0);
    while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
        end++;
    if (*end != '\0')
        return false;
    *v = (long long)x;
    return true;
}

/*
 * Decides an #if/#elif condition t[0..n): 1 or 0 when it is statically known,
 * -1 otherwise. Every NB_ON in it is recorded either way.
 */
static int eval_condition(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n)
{
    cond_item *items = calloc(n + 1, sizeof *items);
    if (items == NULL)
        nbc_oom();
    size_t k = 0;
    bool known = true;
    for (size_t i = 0; i < n;) {
        const nbc_token *x = &t[i];
        cond_item *it = &items[k++];
        if (x->kind == NBC_TOK_IDENT && strcmp(x->text, "NB_ON") == 0) {
            int v;
            i += nbc_parse_on(c, f, x, n - i, &v);
            known = known && v >= 0;
            it->value = v > 0;
            continue;
        }
        i++;
        if (int_literal(x, &it->value))
            continue;
        if (nbc_tok_is(x, "!") || nbc_tok_is(x, "(") || nbc_tok_is(x, ")"))
            it->op = x->text[0];
        else if (nbc_tok_is(x, "&&") || nbc_tok_is(x, "||"))
            it->op = x->text[0];
        else
            known = false; /* keep going: later NB_ONs still need recording */
    }
    int result = -1;
    if (known && k > 0) {
        cond_parser p = {items, k, 0, false};
        long long v = cond_or(&p);
        if (!p.bad && p.i == k)
            result = v != 0;
    }
    free(items);
    return result;
}

/* Records every NB_ON of a directive that is not a condition (#define ...). */
static void scan_directive_ons(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (t[i].kind == NBC_TOK_IDENT && strcmp(t[i].text, "NB_ON") == 0) {
            int v;
            i += nbc_parse_on(c, f, &t[i], n - i, &v);
        } else {
            i++;
        }
    }
}

static bool is_if(const char *d)
{
    return strcmp(d, "if") == 0 || strcmp(d, "ifdef") == 0 || strcmp(d, "ifndef") == 0;
}

/*
 * Skips the dead branch whose directive line ends at toks[eod]: returns the
 * index of the #elif/#else/#endif that ends it (or EOF) and records the text in
 * between as blanked.
 */
static size_t skip_branch(nbc_pctx *c, nbc_file *f, size_t eod)
{
    const nbc_token *toks = f->lx.toks;
    size_t j = eod + 1;
    int nest = 0;
    for (; toks[j].kind != NBC_TOK_EOF; j++) {
        if (toks[j].kind != NBC_TOK_DIRECTIVE)
            continue;
        const char *d = toks[j].text;
        if (is_if(d)) {
            nest++;
        } else if (strcmp(d, "endif") == 0) {
            if (nest == 0)
                break;
            nest--;
        } else if (nest == 0 && (strcmp(d, "elif") == 0 || strcmp(d, "else") == 0)) {
            break;
        }
    }
    nbc_range *r = NBC_PUSH(&c->m->arena, f->blanks, f->n_blanks, f->cap_blanks);
    r->off = toks[eod].off;
    r->end = toks[j].kind == NBC_TOK_EOF ? f->len : toks[j].off;
    return j;
}

/* Follows #include "name" from f as the compiler would find it. */
static void follow_include(nbc_pctx *c, nbc_file *f, const nbc_token *name_tok)
{
    char *name = nbc_string_value(name_tok, NULL, NULL);
    char *dir = nbc_dir_of(f->abs_path);
    char *found = NULL;
    char *cand = nbc_path_join(dir, name);
    if (nbc_is_file(cand))
        found = cand;
    else
        free(cand);
    for (size_t i = 0; found == NULL && i < c->opts->n_include_dirs; i++) {
        cand = nbc_path_join(c->opts->include_dirs[i], name);
        if (nbc_is_file(cand))
            found = cand;
        else
            free(cand);
    }
    /* A header found nowhere is left to the compiler: it may be generated later,
     * or live on a path only the compiler is given. */
    if (found != NULL) {
        nbc_file *h = nbc_load_file(c, found, false, nbc_tok_loc(f, name_tok));
        if (h != NULL)
            *NBC_PUSH(&c->m->arena, f->includes, f->n_includes, f->cap_includes) = h;
    }
    free(found);
    free(dir);
    free(name);
}

static void push_code(nbc_pctx *c, nbc_file *f, const nbc_token *t)
{
    *NBC_PUSH(&c->m->arena, f->code, f->n_code, f->cap_code) = *t;
}

/* Handles the conditional directive at toks[i] (line ending at eod); returns the
 * index to continue from. */
static size_t scan_conditional(nbc_pctx *c, nbc_file *f, size_t i, size_t eod, cond_group **stack,
                               size_t *depth, size_t *cap)
{
    const nbc_token *toks = f->lx.toks;
    const char *d = toks[i].text;
    if (is_if(d)) {
        int v = strcmp(d, "if") == 0 ? eval_condition(c, f, &toks[i + 1], eod - i - 1) : -1;
        cond_group *g = NBC_PUSH(&c->m->arena, *stack, *depth, *cap);
        g->taken_known = v == 1;
        return v == 0 ? skip_branch(c, f, eod) : eod + 1;
    }
    if (*depth == 0) /* a stray #elif/#else/#endif: the compiler will say so */
        return eod + 1;
    cond_group *g = &(*stack)[*depth - 1];
    if (strcmp(d, "endif") == 0) {
        (*depth)--;
        return eod + 1;
    }
    if (strcmp(d, "elif") == 0) {
        int v = eval_condition(c, f, &toks[i + 1], eod - i - 1);
        if (g->taken_known || v == 0)
            return skip_branch(c, f, eod);
        g->taken_known = v == 1;
        return eod + 1;
    }
    /* #else */
    return g->taken_known ? skip_branch(c, f, eod) : eod + 1;
}

void nbc_scan(nbc_pctx *c, nbc_file *f)
{
    const nbc_token *toks = f->lx.toks;
    cond_group *stack = NULL;
    size_t depth = 0, cap = 0;
    size_t i = 0;
    while (toks[i].kind != NBC_TOK_EOF) {
        if (toks[i].kind != NBC_TOK_DIRECTIVE) {
            push_code(c, f, &toks[i++]);
            continue;
        }
        size_t eod = i + 1;
        while (toks[eod].kind != NBC_TOK_EOD && toks[eod].kind != NBC_TOK_EOF)
            eod++;
        const char *d = toks[i].text;
        if (is_if(d) || strcmp(d, "elif") == 0 || strcmp(d, "else") == 0 || strcmp(d, "endif") == 0) {
            i = scan_conditional(c, f, i, eod, &stack, &depth, &cap);
            continue;
        }
        if (strcmp(d, "include") == 0 && toks[i + 1].kind == NBC_TOK_STRING)
            follow_include(c, f, &toks[i + 1]);
        else
            scan_directive_ons(c, f, &toks[i + 1], eod - i - 1);
        i = toks[eod].kind == NBC_TOK_EOF ? eod : eod + 1;
    }
    push_code(c, f, &toks[i]);
    f->n_code--; /* the EOF token stays past the end as a sentinel */
}
