/*
 * scan.c — nebulac's view of the preprocessor.
 *
 * nebulac does not preprocess: the compiler will. But it must read exactly the
 * code the compiler compiles, so it walks the directives of each translation
 * unit in order: it follows quoted includes as the compiler finds them, keeps
 * the macros (macros.h), and decides every conditional the way the compiler
 * will. Dead branches are not read (no include followed, no annotation seen) but
 * stay in the output text: the compiler skips them just the same.
 *
 * A condition that depends on something nebulac cannot know (a macro from
 * <stdio.h>, a function-like macro with ##, __has_include) is left undecided and
 * every branch is read, unless the answer matters: a branch holds an annotation
 * or opens and closes braces differently. Then nebulac asks the compiler
 * (nbc_macros_ask_cc), and if even that fails, reports an error: never a guess.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "parse_int.h"

typedef struct cond_group {
    size_t if_tok;     /* the #if that opened it */
    bool outer_live;   /* the enclosing branch is read */
    bool taken;        /* a branch was certainly taken: the rest are dead */
    bool undecided;    /* every branch is read; the directives go to the log */
    bool logged;       /* an opening line went to the log */
    bool live;         /* the current branch is read */
    bool pure;         /* every condition so far was NB_ON and literals only */
    bool taken_pure;   /* taken by such a condition */
    size_t blank_from; /* start of a dead branch to remove, or SIZE_MAX */
} cond_group;

typedef struct walk {
    nbc_pctx *c;
    nbc_file *f;
    bool record;
    cond_group *stack;
    size_t depth, cap;
} walk;

static bool is_if(const char *d)
{
    return strcmp(d, "if") == 0 || strcmp(d, "ifdef") == 0 || strcmp(d, "ifndef") == 0;
}

static bool is_conditional(const char *d)
{
    return is_if(d) || strcmp(d, "elif") == 0 || strcmp(d, "else") == 0 || strcmp(d, "endif") == 0;
}

static bool is_annotation_word(const nbc_token *t)
{
    return t->kind == NBC_TOK_IDENT && (strcmp(t->text, "NB_API") == 0 || strcmp(t->text, "NB_STRUCT") == 0 ||
                                        strcmp(t->text, "NB_MODULE") == 0);
}

static bool live(const walk *w)
{
    return w->depth == 0 || w->stack[w->depth - 1].live;
}

/* Every enclosing group decided: what is read here is certainly compiled. */
static bool certain(const walk *w)
{
    for (size_t i = 0; i < w->depth; i++)
        if (w->stack[i].undecided)
            return false;
    return true;
}

int nbc_on_value(nbc_pctx *c, const char *sel, nbc_loc loc)
{
    for (size_t i = 0; i < c->n_ons; i++)
        if (strcmp(c->ons[i].sel, sel) == 0)
            return c->ons[i].value;
    int v = c->opts->on_eval ? c->opts->on_eval(c->opts->on_ctx, sel, loc) : 1;
    nbc_on_cache *e = NBC_PUSH(&c->m->arena, c->ons, c->n_ons, c->cap_ons);
    e->sel = nbc_arena_strdup(&c->m->arena, sel);
    e->value = v;
    return v;
}

typedef struct on_ctx {
    nbc_pctx *c;
    nbc_loc loc;
} on_ctx;

static int on_in_macro(void *ctx, const nbc_token *sel)
{
    on_ctx *o = ctx;
    char *v = nbc_selector_value(sel, o->loc);
    int r = nbc_on_value(o->c, v, o->loc);
    free(v);
    return r;
}

/*
 * The directive toks[i..eod) as text for the compiler: tokens as spelled, with
 * the original spacing reduced to one blank (a function-like #define keeps its
 * '(' against the name) and NB_ON("sel") replaced by its value.
 */
static void directive_text(walk *w, size_t i, size_t eod, nbc_buf *b, const char *as)
{
    const nbc_token *t = w->f->lx.toks;
    nbc_buf_puts(b, "#");
    nbc_buf_puts(b, as ? as : t[i].text);
    for (size_t k = i + 1; k < eod; k++) {
        if (k == i + 1 || t[k].off != nbc_tok_end(&t[k - 1]))
            nbc_buf_putc(b, ' ');
        if (nbc_tok_is(&t[k], "NB_ON") && k + 3 < eod && nbc_tok_is(&t[k + 1], "(") &&
            t[k + 2].kind == NBC_TOK_STRING && nbc_tok_is(&t[k + 3], ")")) {
            char *sel = nbc_selector_value(&t[k + 2], nbc_tok_loc(w->f, &t[k + 2]));
            nbc_buf_puts(b, nbc_on_value(w->c, sel, nbc_tok_loc(w->f, &t[k])) > 0 ? "1" : "0");
            free(sel);
            k += 3;
            continue;
        }
        nbc_buf_puts(b, t[k].text);
    }
}

static void log_directive(walk *w, size_t i, size_t eod, const char *as, bool opaque)
{
    nbc_buf b = {0};
    directive_text(w, i, eod, &b, as);
    nbc_macros_log(w->c->mac, b.data, b.len, opaque);
    nbc_buf_free(&b);
}

/* Records every NB_ON of a directive (each is replaced by 0 or 1 in the output). */
static void scan_directive_ons(walk *w, const nbc_token *t, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (t[i].kind == NBC_TOK_IDENT && strcmp(t[i].text, "NB_ON") == 0) {
            int v;
            i += nbc_parse_on(w->c, w->f, &t[i], n - i, &v);
        } else {
            i++;
        }
    }
}

/*
 * Whether the decision of the group opened at toks[i] matters to nebulac: a
 * branch holds an annotation, or some branch does not close every brace it
 * opens (so which one is compiled changes where a body ends).
 */
static bool group_matters(const nbc_file *f, size_t i)
{
    const nbc_token *t = f->lx.toks;
    int nest = 0;
    long delta = 0;
    bool matters = false, in_dir = false;
    for (size_t j = i + 1; t[j].kind != NBC_TOK_EOF; j++) {
        if (t[j].kind == NBC_TOK_DIRECTIVE) {
            in_dir = true;
            const char *d = t[j].text;
            if (is_if(d)) {
                nest++;
            } else if (strcmp(d, "endif") == 0 && nest-- == 0) {
                return matters || delta != 0;
            } else if (nest == 0 && (strcmp(d, "elif") == 0 || strcmp(d, "else") == 0)) {
                matters = matters || delta != 0;
                delta = 0;
            }
            continue;
        }
        if (t[j].kind == NBC_TOK_EOD) {
            in_dir = false;
            continue;
        }
        if (in_dir)
            continue;
        if (is_annotation_word(&t[j]))
            matters = true;
        else if (nbc_tok_is(&t[j], "{"))
            delta++;
        else if (nbc_tok_is(&t[j], "}"))
            delta--;
    }
    return true; /* unterminated: the compiler will complain */
}

/* The condition of toks[i..eod) as text for the compiler. */
static char *condition_text(walk *w, size_t i, size_t eod)
{
    const nbc_token *t = w->f->lx.toks;
    nbc_buf b = {0};
    const char *d = t[i].text;
    if (strcmp(d, "ifdef") == 0 || strcmp(d, "ifndef") == 0) {
        nbc_buf_printf(&b, "%sdefined %s", d[2] == 'n' ? "!" : "", eod > i + 1 ? t[i + 1].text : "");
        return nbc_buf_take(&b);
    }
    directive_text(w, i, eod, &b, "");
    char *s = strdup(nbc_buf_str(&b) + 1); /* without the '#' */
    if (s == NULL)
        nbc_oom();
    nbc_buf_free(&b);
    return s;
}

/* Decides the condition of the #if/#ifdef/#ifndef/#elif at toks[i]: 1, 0, or -1
 * (undecided and it does not matter, or after an error). */
static int decide(walk *w, size_t i, size_t eod, size_t if_tok)
{
    nbc_pctx *c = w->c;
    const nbc_token *t = w->f->lx.toks;
    const char *d = t[i].text;
    int v, errors = nbc_error_count();
    if (strcmp(d, "ifdef") == 0 || strcmp(d, "ifndef") == 0) {
        v = eod > i + 1 && t[i + 1].kind == NBC_TOK_IDENT
                ? nbc_macros_eval_defined(c->mac, t[i + 1].text, d[2] == 'n')
                : -1;
    } else {
        if (w->record)
            scan_directive_ons(w, &t[i + 1], eod - i - 1);
        on_ctx o = {c, nbc_tok_loc(w->f, &t[i])};
        v = nbc_macros_eval(c->mac, &t[i + 1], eod - i - 1, on_in_macro, &o);
    }
    /* After a bad selector was reported, read every branch: more errors may follow. */
    if (v >= 0 || nbc_error_count() > errors || !group_matters(w->f, if_tok))
        return v;
    char *expr = condition_text(w, i, eod);
    const char *why = NULL;
    v = nbc_macros_ask_cc(c->mac, expr, &why);
    if (v < 0) {
        v = 1; /* nothing is written after an error: read one branch, not all (fewer follow-on errors) */
        nbc_error(nbc_tok_loc(w->f, &t[i]),
                  "cannot tell whether the compiler takes this branch (%s), and it matters: it holds "
                  "an annotation or opens braces the other branches do not; pass the macros with -D/-U "
                  "(nebula_add_node_executable passes the target's compile definitions)",
                  why);
    }
    free(expr);
    return v;
}

/* Checks a later reading's decision against the first one where it matters. */
static void check_same(walk *w, size_t i, int v, size_t if_tok)
{
    const nbc_file *f = w->f;
    size_t lo = 0, hi = f->n_decisions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->decisions[mid].tok < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < f->n_decisions && f->decisions[lo].tok == i && f->decisions[lo].v == v)
        return;
    if (lo < f->n_decisions && f->decisions[lo].tok != i && f->decisions[lo].v < 0)
        return;
    if (!group_matters(f, if_tok))
        return;
    nbc_error(nbc_tok_loc(f, &f->lx.toks[i]),
              "this condition comes out differently in two sources that include %s, and it holds "
              "an annotation or a brace: nebulac writes one copy of the header; make the condition "
              "the same in every source",
              f->path);
}

static void note_decision(walk *w, size_t i, int v, size_t if_tok)
{
    if (w->record) {
        nbc_decision *d = NBC_PUSH(&w->c->m->arena, w->f->decisions, w->f->n_decisions, w->f->cap_decisions);
        d->tok = i;
        d->v = v;
    } else {
        check_same(w, i, v, if_tok);
    }
}

/*
 * A condition made of NB_ON(...), literals and operators only: its value is the
 * same in every translation unit of this node, so a branch it kills can be
 * removed from the output (the rewritten copy of a header is shared by every
 * source that includes it; a macro-dependent branch stays for the compiler).
 */
static bool pure_condition(const nbc_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (nbc_tok_is(&t[i], "NB_ON") && i + 3 < n && t[i + 2].kind == NBC_TOK_STRING) {
            i += 3;
            continue;
        }
        if (t[i].kind != NBC_TOK_NUMBER && t[i].kind != NBC_TOK_PUNCT)
            return false;
    }
    return true;
}

/* A dead branch starting after the directive at toks[eod] is removed when the
 * group's decisions so far are the same in every unit. */
static bool branch_has_annotation(const nbc_file *f, size_t eod);

/*
 * A dead branch: removed when the group's decisions so far are the same in every
 * unit; otherwise left to the compiler, and if it holds an annotation, guarded:
 * should the compiler take a branch nebulac read as dead (it never should), the
 * #error stops the build instead of compiling an API unrewritten.
 */
static void maybe_blank(walk *w, cond_group *g, size_t eod, bool blankable)
{
    if (!w->record || g->live)
        return;
    if (blankable) {
        g->blank_from = w->f->lx.toks[eod].off;
    } else if (w->f->lx.toks[eod].kind == NBC_TOK_EOD && branch_has_annotation(w->f, eod)) {
        nbc_file *f = w->f;
        *NBC_PUSH(&w->c->m->arena, f->guards, f->n_guards, f->cap_guards) = f->lx.toks[eod].off;
    }
}

/* Whether the branch after the directive ending at toks[eod] (to its group's
 * next #elif/#else/#endif) holds an annotation outside directives. */
static bool branch_has_annotation(const nbc_file *f, size_t eod)
{
    const nbc_token *t = f->lx.toks;
    int nest = 0;
    bool in_dir = false;
    for (size_t j = eod + 1; t[j].kind != NBC_TOK_EOF; j++) {
        if (t[j].kind == NBC_TOK_DIRECTIVE) {
            in_dir = true;
            if (is_if(t[j].text))
                nest++;
            else if (nest == 0 && (strcmp(t[j].text, "endif") == 0 || strcmp(t[j].text, "elif") == 0 ||
                                   strcmp(t[j].text, "else") == 0))
                return false;
            else if (strcmp(t[j].text, "endif") == 0)
                nest--;
        } else if (t[j].kind == NBC_TOK_EOD) {
            in_dir = false;
        } else if (!in_dir && is_annotation_word(&t[j])) {
            return true;
        }
    }
    return false;
}

static void end_blank(walk *w, cond_group *g, size_t i)
{
    if (g->blank_from == SIZE_MAX)
        return;
    nbc_range *r = NBC_PUSH(&w->c->m->arena, w->f->blanks, w->f->n_blanks, w->f->cap_blanks);
    *r = (nbc_range){g->blank_from, w->f->lx.toks[i].off};
    g->blank_from = SIZE_MAX;
}

static void on_conditional(walk *w, size_t i, size_t eod)
{
    const nbc_token *t = w->f->lx.toks;
    const char *d = t[i].text;
    if (is_if(d)) {
        cond_group *g = NBC_PUSH(&w->c->m->arena, w->stack, w->depth, w->cap);
        g->if_tok = i;
        g->blank_from = SIZE_MAX;
        g->outer_live = w->depth == 1 || w->stack[w->depth - 2].live;
        if (!g->outer_live)
            return;
        int v = decide(w, i, eod, i);
        note_decision(w, i, v, i);
        g->undecided = v < 0;
        g->taken = v == 1;
        g->live = v != 0;
        g->pure = strcmp(d, "if") == 0 && pure_condition(&t[i + 1], eod - i - 1);
        g->taken_pure = g->taken && g->pure;
        maybe_blank(w, g, eod, g->pure);
        if (g->undecided) {
            log_directive(w, i, eod, NULL, true);
            g->logged = true;
        }
        return;
    }
    if (w->depth == 0) /* a stray #elif/#else/#endif: the compiler will say so */
        return;
    cond_group *g = &w->stack[w->depth - 1];
    end_blank(w, g, i);
    if (strcmp(d, "endif") == 0) {
        if (g->logged)
            nbc_macros_log(w->c->mac, "#endif", 6, true);
        w->depth--;
        return;
    }
    if (!g->outer_live)
        return;
    if (g->taken) {
        g->live = false;
        maybe_blank(w, g, eod, g->taken_pure);
        return;
    }
    if (g->undecided) {
        /* Every branch is read; the compiler sees the same chain in the log. */
        if (strcmp(d, "elif") == 0 && w->record)
            scan_directive_ons(w, &w->f->lx.toks[i + 1], eod - i - 1);
        log_directive(w, i, eod, NULL, true);
        g->live = true;
        return;
    }
    if (strcmp(d, "else") == 0) {
        note_decision(w, i, 1, g->if_tok);
        g->live = g->taken = true;
        return;
    }
    int v = decide(w, i, eod, g->if_tok);
    note_decision(w, i, v, g->if_tok);
    g->live = v != 0;
    g->taken = v == 1;
    g->pure = g->pure && pure_condition(&t[i + 1], eod - i - 1);
    g->taken_pure = g->taken && g->pure;
    maybe_blank(w, g, eod, g->pure);
    if (v < 0) {
        g->undecided = g->logged = true;
        log_directive(w, i, eod, "if", true);
    }
}

/* Finds #include "name" from f as the compiler would: f's own directory, then
 * -iquote, then -I. Sets *own_dir. Returns the path (malloc'd) or NULL. */
static char *find_quoted(nbc_pctx *c, const nbc_file *f, const char *name, bool *own_dir)
{
    char *dir = nbc_dir_of(f->abs_path);
    char *cand = nbc_path_join(dir, name);
    free(dir);
    *own_dir = true;
    if (nbc_is_file(cand))
        return cand;
    free(cand);
    *own_dir = false;
    for (int pass = 0; pass < 2; pass++) {
        const char *const *dirs = pass ? c->opts->include_dirs : c->opts->quote_dirs;
        size_t n = pass ? c->opts->n_include_dirs : c->opts->n_quote_dirs;
        for (size_t i = 0; i < n; i++) {
            cand = nbc_path_join(dirs[i], name);
            if (nbc_is_file(cand))
                return cand;
            free(cand);
        }
    }
    return NULL;
}

/* Reads the header at `path` in the current unit (first reading, or again for
 * another unit). Returns it, or NULL when unreadable (reported). */
nbc_file *nbc_include_file(nbc_pctx *c, const char *path, nbc_loc from)
{
    nbc_file *h = nbc_load_file(c, path, false, from);
    if (h != NULL && h->tu != c->tu) {
        h->tu = c->tu;
        nbc_scan(c, h, false);
    }
    return h;
}

static void on_include(walk *w, size_t i, size_t eod)
{
    nbc_pctx *c = w->c;
    const nbc_token *t = w->f->lx.toks;
    const nbc_token *name_tok = &t[i + 1];
    if (strcmp(t[i].text, "include") != 0 || eod != i + 2 || name_tok->kind != NBC_TOK_STRING) {
        /* <header>, #include_next, a computed include: nebulac does not read it,
         * so the compiler replays it when asked (except nebula.h: its macros are
         * no conditions' business). */
        bool ours = eod == i + 2 && strcmp(name_tok->text, "<nebula.h>") == 0;
        if (!ours)
            log_directive(w, i, eod, NULL, true);
        return;
    }
    char *name = nbc_string_value(name_tok, NULL, NULL);
    bool own_dir;
    char *found = find_quoted(c, w->f, name, &own_dir);
    if (found == NULL) {
        /* Found nowhere: it may be generated later, or live on a path only the
         * compiler is given. The compiler sees it when asked. */
        log_directive(w, i, eod, NULL, true);
    } else {
        nbc_file *h = nbc_include_file(c, found, nbc_tok_loc(w->f, name_tok));
        if (h != NULL && w->record) {
            *NBC_PUSH(&c->m->arena, w->f->includes, w->f->n_includes, w->f->cap_includes) = h;
            nbc_incref *r = NBC_PUSH(&c->m->arena, w->f->increfs, w->f->n_increfs, w->f->cap_increfs);
            *r = (nbc_incref){{name_tok->off, nbc_tok_end(name_tok)}, h, own_dir};
        }
    }
    free(found);
    free(name);
}

/* #define / #undef at toks[i]. */
static void on_define(walk *w, size_t i, size_t eod)
{
    const nbc_token *t = w->f->lx.toks;
    bool define = strcmp(t[i].text, "define") == 0;
    if (w->record && define) {
        for (size_t k = i + 2; k < eod; k++) {
            if (is_annotation_word(&t[k]))
                nbc_error(nbc_tok_loc(w->f, &t[k]),
                          "%s inside the macro '%s': annotations must be written literally, where "
                          "they apply (nebulac does not expand macros into annotations); write %s "
                          "before each function or struct instead",
                          t[k].text, t[i + 1].text, t[k].text);
        }
        scan_directive_ons(w, &t[i + 1], eod - i - 1);
    }
    nbc_buf b = {0};
    directive_text(w, i, eod, &b, NULL);
    nbc_macros_directive(w->c->mac, define, &t[i + 1], eod - i - 1, b.data, b.len, certain(w));
    nbc_buf_free(&b);
}

/*
 * The live tokens are compacted in place at the front of the file's own token
 * array, which becomes f->code: no second copy of a large file's tokens. Safe
 * because the walk only ever reads at or after the token it is on, and writes
 * at or before it.
 */
static void push_code(walk *w, const nbc_token *t)
{
    nbc_file *f = w->f;
    if (f->code == NULL)
        f->code = f->lx.toks;
    f->code[f->n_code++] = *t;
}

void nbc_scan(nbc_pctx *c, nbc_file *f, bool record)
{
    walk w = {c, f, record, NULL, 0, 0};
    /* A later reading needs the directives again: the first one compacted the
     * tokens into f->code, so lex once more (same text, same token indices). */
    nbc_lexed kept = f->lx;
    bool relexed = f->lx.toks == NULL;
    if (relexed)
        nbc_lex_ext(f->buf, f->len, c->opts->trigraphs, &f->lx);
    const nbc_token *toks = f->lx.toks;
    size_t i = 0;
    f->tu = c->tu;
    while (toks[i].kind != NBC_TOK_EOF) {
        if (toks[i].kind != NBC_TOK_DIRECTIVE) {
            if (record && live(&w))
                push_code(&w, &toks[i]);
            i++;
            continue;
        }
        size_t eod = i + 1;
        while (toks[eod].kind != NBC_TOK_EOD && toks[eod].kind != NBC_TOK_EOF)
            eod++;
        const char *d = toks[i].text;
        if (is_conditional(d)) {
            on_conditional(&w, i, eod);
        } else if (!live(&w)) {
            /* skipped by the compiler: nothing to read */
        } else if (strcmp(d, "include") == 0 || strcmp(d, "include_next") == 0 || strcmp(d, "import") == 0) {
            on_include(&w, i, eod);
        } else if (strcmp(d, "define") == 0 || strcmp(d, "undef") == 0) {
            on_define(&w, i, eod);
        } else if (record) {
            scan_directive_ons(&w, &toks[i + 1], eod - i - 1);
        }
        i = toks[eod].kind == NBC_TOK_EOF ? eod : eod + 1;
    }
    if (record) {
        push_code(&w, &toks[i]);
        f->n_code--; /* the EOF token stays past the end as a sentinel */
        f->lx.toks = NULL; /* now f->code's (the spellings stay in f->lx) */
    }
    if (relexed) {
        nbc_lexed_free(&f->lx);
        f->lx = kept;
    }
}
