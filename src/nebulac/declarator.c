/*
 * declarator.c — C declarations as far as NebulaAPI signatures and NB_STRUCT
 * fields need them: `type name`, `type *name`, `type name[N][M]`, and function
 * heads `type name(params)`. What does not fit (function pointers, odd
 * declarators) is kept as written and flagged, so validation can name it.
 */
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

static const char *const type_keywords[] = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool",
    "bool", "const", "volatile", "restrict", "__restrict", "_Complex", "_Atomic", "struct",
    "union", "enum", NULL,
};

bool nbc_is_type_keyword(const char *s)
{
    for (const char *const *k = type_keywords; *k; k++)
        if (strcmp(*k, s) == 0)
            return true;
    return false;
}

static bool is_qualifier(const char *s)
{
    return strcmp(s, "const") == 0 || strcmp(s, "volatile") == 0 || strcmp(s, "restrict") == 0 ||
           strcmp(s, "__restrict") == 0 || strcmp(s, "_Atomic") == 0;
}

static bool is_attribute(const nbc_token *t)
{
    static const char *const words[] = {"__attribute__", "__attribute", "__declspec", "__asm__", "__asm",
                                        "asm", "_Alignas", "alignas", NULL};
    if (t->kind != NBC_TOK_IDENT)
        return false;
    for (const char *const *w = words; *w; w++)
        if (strcmp(t->text, *w) == 0)
            return true;
    return false;
}

size_t nbc_skip_attribute(const nbc_token *t, size_t i, size_t n)
{
    if (i + 1 < n && is_attribute(&t[i]) && nbc_tok_is(&t[i + 1], "(")) {
        size_t close = nbc_match(t, i + 1, n);
        return close < n ? close + 1 : n;
    }
    /* C23 [[attributes]] */
    if (i + 1 < n && nbc_tok_is(&t[i], "[") && nbc_tok_is(&t[i + 1], "[")) {
        size_t close = nbc_match(t, i, n);
        return close < n ? close + 1 : n;
    }
    return i;
}

#define skip_attribute nbc_skip_attribute

size_t nbc_name_before(const nbc_token *t, size_t lp)
{
    size_t j = lp;
    /* `name [[attr]] (params)`: step back over trailing [[...]] groups. */
    while (j >= 2 && nbc_tok_is(&t[j - 1], "]") && nbc_tok_is(&t[j - 2], "]")) {
        int depth = 0;
        size_t k = j;
        while (k > 0) {
            k--;
            if (nbc_tok_is(&t[k], "]"))
                depth++;
            else if (nbc_tok_is(&t[k], "[") && --depth == 0)
                break;
        }
        if (depth != 0)
            return lp - 1;
        j = k;
    }
    return j > 0 ? j - 1 : 0;
}

size_t nbc_match(const nbc_token *t, size_t i, size_t n)
{
    int depth = 0;
    for (size_t j = i; j < n; j++) {
        if (t[j].kind != NBC_TOK_PUNCT)
            continue;
        char ch = t[j].text[0];
        if (t[j].len != 1)
            continue;
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if ((ch == ')' || ch == ']' || ch == '}') && --depth == 0)
            return j;
    }
    return n;
}

/* Joins tokens as a person would write them: a space between words, and
 * before a '*' or '(' that follows a word. The text is owned by the model's arena. */
static const char *spell(nbc_pctx *c, const nbc_token *t, size_t n, size_t skip)
{
    nbc_buf b = {0};
    bool prev_word = false;
    for (size_t i = 0; i < n; i++) {
        if (i == skip)
            continue;
        bool word = t[i].kind == NBC_TOK_IDENT || t[i].kind == NBC_TOK_NUMBER;
        if (prev_word && (word || nbc_tok_is(&t[i], "*") || nbc_tok_is(&t[i], "(")))
            nbc_buf_putc(&b, ' ');
        nbc_buf_puts(&b, t[i].text);
        prev_word = word;
    }
    const char *s = nbc_arena_strdup(&c->m->arena, nbc_buf_str(&b));
    nbc_buf_free(&b);
    return s;
}

/* The type as written, from its parts: "const char *", "int32_t[4]"; owned by
 * the model's arena. */
static const char *spell_type(nbc_pctx *c, const nbc_ctype *ty)
{
    nbc_buf b = {0};
    for (size_t i = 0; i < ty->n_words; i++) {
        if (i > 0)
            nbc_buf_putc(&b, ' ');
        nbc_buf_puts(&b, ty->words[i]);
    }
    if (ty->n_ptr > 0)
        nbc_buf_putc(&b, ' ');
    for (int i = 0; i < ty->n_ptr; i++)
        nbc_buf_putc(&b, '*');
    if (ty->ptr_qualified)
        nbc_buf_puts(&b, "const");
    for (int i = 0; i < ty->n_dims; i++)
        nbc_buf_printf(&b, "[%zu]", ty->dims[i]);
    const char *s = nbc_arena_strdup(&c->m->arena, nbc_buf_str(&b));
    nbc_buf_free(&b);
    return s;
}

/* Strips trailing [N] groups from t[0..*n) into ty->dims. */
static void take_dims(const nbc_token *t, size_t *n, nbc_ctype *ty)
{
    size_t dims[8];
    int nd = 0;
    while (*n > 0 && nbc_tok_is(&t[*n - 1], "]")) {
        size_t open = *n - 1;
        int depth = 0;
        for (;; open--) {
            if (nbc_tok_is(&t[open], "]"))
                depth++;
            else if (nbc_tok_is(&t[open], "[") && --depth == 0)
                break;
            if (open == 0)
                return; /* unbalanced: leave it for the caller to flag */
        }
        char *end = NULL;
        unsigned long long v = 0;
        if (*n - open == 3 && t[open + 1].kind == NBC_TOK_NUMBER)
            v = strtoull(t[open + 1].text, &end, 0);
        while (end && (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L'))
            end++;
        if (end == NULL || *end != '\0' || v == 0 || nd == 8)
            ty->bad_dim = true;
        else
            dims[nd++] = (size_t)v;
        *n = open;
    }
    if (nd > NBC_MAX_DIMS) {
        ty->bad_dim = true;
        nd = NBC_MAX_DIMS;
    }
    /* Collected from the last group backwards. */
    for (int i = 0; i < nd; i++)
        ty->dims[i] = dims[nd - 1 - i];
    ty->n_dims = nd;
}

/* Reads the words and stars of t[0..n) into ty. */
static void take_specifiers(nbc_pctx *c, const nbc_token *t, size_t n, nbc_ctype *ty)
{
    /* Inherited words are full: a word pushed here copies them first (so the
     * caller sees ty->words change), never writes into the first declarator's. */
    size_t cap = ty->n_words;
    for (size_t i = 0; i < n;) {
        size_t after = skip_attribute(t, i, n);
        if (after != i) {
            i = after;
            continue;
        }
        const nbc_token *x = &t[i++];
        if (nbc_tok_is(x, "*")) {
            ty->n_ptr++;
        } else if (x->kind == NBC_TOK_IDENT && strcmp(x->text, "register") == 0) {
            /* a storage class, no part of the type (and not allowed in a struct) */
        } else if (x->kind == NBC_TOK_IDENT && ty->n_ptr == 0) {
            *NBC_PUSH(&c->m->arena, ty->words, ty->n_words, cap) = x->text;
        } else if (x->kind == NBC_TOK_IDENT && is_qualifier(x->text)) {
            ty->ptr_qualified = true;
        } else {
            ty->funcptr = true; /* not a shape we map: report it as written */
        }
    }
}

/* Finds the name inside a parenthesised declarator: `(*name)`. */
static size_t funcptr_name(const nbc_token *t, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (nbc_tok_is(&t[i], "(") && nbc_tok_is(&t[i + 1], "*") && t[i + 2].kind == NBC_TOK_IDENT)
            return i + 2;
    return n;
}

/* True when some token before index n is a word that is not a qualifier, or a star:
 * then t[n] can be a name rather than the type itself. */
static bool has_type_before(const nbc_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nbc_tok_is(&t[i], "*") || (t[i].kind == NBC_TOK_IDENT && !is_qualifier(t[i].text)))
            return true;
    return false;
}

int nbc_parse_declarator(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, bool want_name,
                         const nbc_ctype *inherit, nbc_ctype *ty, const char **name,
                         nbc_loc *name_loc)
{
    memset(ty, 0, sizeof *ty);
    *name = NULL;
    if (n == 0)
        return -1;
    ty->loc = nbc_tok_loc(f, &t[0]);
    *name_loc = ty->loc;
    for (size_t i = 0; i < n; i++) {
        size_t after = skip_attribute(t, i, n);
        if (after != i) {
            i = after - 1;
            continue;
        }
        if (nbc_tok_is(&t[i], "(")) {
            ty->funcptr = true;
            size_t k = funcptr_name(t, n);
            if (k < n) {
                *name = t[k].text;
                *name_loc = nbc_tok_loc(f, &t[k]);
            }
            ty->written = spell(c, t, n, k);
            return 0;
        }
    }
    size_t n_all = n, name_at = n;
    take_dims(t, &n, ty);
    if (want_name && n > 0 && t[n - 1].kind == NBC_TOK_IDENT && !nbc_is_type_keyword(t[n - 1].text)) {
        bool tag = n >= 2 && (nbc_tok_is(&t[n - 2], "struct") || nbc_tok_is(&t[n - 2], "union") ||
                              nbc_tok_is(&t[n - 2], "enum"));
        if (inherit != NULL || (!tag && has_type_before(t, n - 1))) {
            *name = t[n - 1].text;
            *name_loc = nbc_tok_loc(f, &t[n - 1]);
            name_at = --n;
        }
    }
    if (inherit != NULL) {
        ty->words = inherit->words;
        ty->n_words = inherit->n_words;
        ty->loc = inherit->loc;
    }
    take_specifiers(c, t, n, ty);
    if (inherit != NULL && ty->words != inherit->words)
        ty->funcptr = true; /* words in a later declarator: not C we understand */
    if (ty->funcptr)
        ty->written = spell(c, t, n, n);
    else if (ty->bad_dim)
        ty->written = spell(c, t, n_all, name_at); /* "int[SIZE]": as written */
    else
        ty->written = spell_type(c, ty);
    return 0;
}

static bool is_storage_word(const char *s)
{
    return strcmp(s, "static") == 0 || strcmp(s, "extern") == 0 || strcmp(s, "inline") == 0 ||
           strcmp(s, "__inline") == 0 || strcmp(s, "__inline__") == 0 ||
           strcmp(s, "_Noreturn") == 0;
}

static void drop_range(nbc_head *h, size_t off, size_t end);

static void parse_params(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, nbc_head *h)
{
    if (n == 0 || (n == 1 && nbc_tok_is(&t[0], "void")))
        return;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && (nbc_tok_is(&t[i], "(") || nbc_tok_is(&t[i], "["))) {
            i = nbc_match(t, i, n);
            continue;
        }
        if (i < n && !nbc_tok_is(&t[i], ","))
            continue;
        if (i - start == 1 && nbc_tok_is(&t[start], "...")) {
            h->variadic = true;
            h->variadic_loc = nbc_tok_loc(f, &t[start]);
        } else {
            nbc_param *p = NBC_PUSH(&c->m->arena, h->params, h->n_params, h->cap_params);
            nbc_loc nl;
            if (nbc_parse_declarator(c, f, t + start, i - start, true, NULL, &p->type, &p->name, &nl) != 0) {
                nbc_error(i < n ? nbc_tok_loc(f, &t[i]) : nbc_tok_loc(f, &t[n]), "expected a parameter");
                h->n_params--;
            }
        }
        start = i + 1;
    }
}

/* The return type t[0..n): everything before the name but storage words,
 * which are noted in h (static) or kept for removal (extern). */
static int parse_return_type(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, nbc_head *h)
{
    nbc_token *rt = nbc_arena_alloc(&c->m->arena, sizeof *rt * (n + 1));
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == NBC_TOK_IDENT && is_storage_word(t[i].text)) {
            if (strcmp(t[i].text, "static") == 0)
                h->is_static = true;
            else if (strcmp(t[i].text, "extern") == 0)
                drop_range(h, t[i].off, nbc_tok_end(&t[i]));
            continue;
        }
        rt[nr++] = t[i];
    }
    const char *unused;
    nbc_loc unused_loc;
    if (nbc_parse_declarator(c, f, rt, nr, false, NULL, &h->ret, &unused, &unused_loc) != 0) {
        nbc_error(h->name_loc, "'%s' has no return type", h->name);
        return -1;
    }
    return 0;
}

/* A word of a return type that no type starts with: an export macro nebulac
 * was not told about ("LIBAPI int"), reported by name. */
static int check_return_words(nbc_file *f, const nbc_token *t, size_t n, const nbc_head *h)
{
    for (size_t i = 0; i + 1 < n; i++) {
        size_t after = skip_attribute(t, i, n);
        if (after != i) {
            i = after - 1;
            continue;
        }
        if (nbc_tok_is(&t[i], "*"))
            break;
        if (t[i].kind != NBC_TOK_IDENT || nbc_is_type_keyword(t[i].text) || is_storage_word(t[i].text))
            continue;
        if (i > 0 && (nbc_tok_is(&t[i - 1], "struct") || nbc_tok_is(&t[i - 1], "union") ||
                      nbc_tok_is(&t[i - 1], "enum")))
            continue;
        /* A type name followed by another type word (`LIBAPI int`): it is no type. */
        const nbc_token *next = &t[i + 1];
        if (next->kind != NBC_TOK_IDENT || is_qualifier(next->text) || is_storage_word(next->text) ||
            skip_attribute(t, i + 1, n) != i + 1)
            continue;
        nbc_error(nbc_tok_loc(f, &t[i]),
                  "'%s' before the return type of '%s' is no type: if it is an export macro, name it "
                  "with --export-macro %s (EXPORT_MACROS in nebula_add_node_executable), or define it "
                  "in a header nebulac reads",
                  t[i].text, h->name, t[i].text);
        return -1;
    }
    return 0;
}

/*
 * Whether `name` is an export macro: 1 object-like (`LIBAPI int f(...)`: dropped),
 * 2 function-like around the return type (`PUBLIC(char *) f(...)`: replaced by
 * its argument), 0 not one. Named with --export-macro, or recognised from its
 * #define: a body of attributes and `extern` only (plus, function-like, its one
 * parameter once).
 */
static int export_macro(nbc_pctx *c, const char *name, int depth)
{
    for (size_t i = 0; i < c->opts->n_export_macros; i++)
        if (strcmp(c->opts->export_macros[i], name) == 0)
            return -1; /* told: the shape decides at the use */
    bool funclike = false;
    const char *body = c->mac && depth < 8 ? nbc_macros_body(c->mac, name, &funclike) : NULL;
    if (body == NULL)
        return 0;
    nbc_lexed lx;
    nbc_lex(body, strlen(body), &lx);
    size_t n = lx.n - 1, idents = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok;) {
        size_t after = skip_attribute(lx.toks, i, n);
        if (after != i) {
            i = after;
            continue;
        }
        const nbc_token *x = &lx.toks[i++];
        if (x->kind != NBC_TOK_IDENT)
            ok = false;
        else if (strcmp(x->text, "extern") == 0 || export_macro(c, x->text, depth + 1) == 1)
            continue;
        else if (funclike)
            idents++; /* the parameter (a body naming anything else is no export macro) */
        else
            ok = false;
    }
    nbc_lexed_free(&lx);
    if (!ok || (funclike && idents != 1))
        return 0;
    return funclike ? 2 : 1;
}

/* Text to remove from a body kept as a static function: an export macro there
 * would export nothing and trip -Wattributes. */
static void drop_range(nbc_head *h, size_t off, size_t end)
{
    if (h->n_drop < sizeof h->drop / sizeof h->drop[0])
        h->drop[h->n_drop++] = (nbc_range){off, end};
}

/* t[0..*n) without export macros (a copy in the arena when any was removed);
 * their text is noted in h->drop. */
static const nbc_token *strip_export_macros(nbc_pctx *c, const nbc_token *t, size_t *n, nbc_head *h)
{
    nbc_token *out = NULL;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        int kind = t[i].kind == NBC_TOK_IDENT ? export_macro(c, t[i].text, 0) : 0;
        bool call = i + 1 < *n && nbc_tok_is(&t[i + 1], "(");
        if (kind < 0)
            kind = call ? 2 : 1;
        if (kind == 2 && !call)
            kind = 0;
        if (kind != 0 && out == NULL) {
            out = nbc_arena_alloc(&c->m->arena, (*n + 1) * sizeof *out);
            memcpy(out, t, i * sizeof *out);
            k = i;
        }
        if (kind == 1) {
            drop_range(h, t[i].off, nbc_tok_end(&t[i]));
            continue;
        }
        if (kind == 2) {
            size_t close = nbc_match(t, i + 1, *n);
            drop_range(h, t[i].off, nbc_tok_end(&t[i + 1]));
            if (close < *n)
                drop_range(h, t[close].off, nbc_tok_end(&t[close]));
            for (size_t j = i + 2; j < close && j < *n; j++)
                out[k++] = t[j];
            i = close;
            continue;
        }
        if (out != NULL)
            out[k++] = t[i];
    }
    if (out == NULL)
        return t;
    *n = k;
    return out;
}

int nbc_parse_head(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, nbc_head *h)
{
    memset(h, 0, sizeof *h);
    t = strip_export_macros(c, t, &n, h);
    size_t lp = n;
    for (size_t i = 0; i < n; i++) {
        size_t after = skip_attribute(t, i, n);
        if (after != i) {
            i = after - 1;
            continue;
        }
        if (nbc_tok_is(&t[i], "(")) {
            lp = i;
            break;
        }
    }
    /* `char *(name)(params)`: the parenthesised-name style of some headers. */
    size_t name_at = lp > 0 ? nbc_name_before(t, lp) : 0, ret_end = name_at;
    if (lp + 3 < n && t[lp + 1].kind == NBC_TOK_IDENT && nbc_tok_is(&t[lp + 2], ")") &&
        nbc_tok_is(&t[lp + 3], "(")) {
        name_at = lp + 1;
        ret_end = lp;
        lp += 3;
    } else if (lp + 2 < n && (nbc_tok_is(&t[lp + 1], "*") || nbc_tok_is(&t[lp + 1], "^"))) {
        size_t k = lp + 1;
        while (k < n && (t[k].kind != NBC_TOK_IDENT || nbc_is_type_keyword(t[k].text)))
            k++;
        nbc_error(nbc_tok_loc(f, &t[k < n ? k : lp]),
                  "'%s' returns a function pointer: code addresses mean nothing on another node; "
                  "return a value that names the function instead (an enum or an integer)",
                  k < n ? t[k].text : "this function");
        return -1;
    }
    if (lp == n || lp == 0 || t[name_at].kind != NBC_TOK_IDENT || nbc_is_type_keyword(t[name_at].text)) {
        nbc_error(nbc_tok_loc(f, &t[lp == n || lp == 0 ? 0 : name_at]),
                  "expected a function 'type name(parameters)' after NB_API");
        return -1;
    }
    size_t rp = nbc_match(t, lp, n);
    if (rp >= n) {
        nbc_error(nbc_tok_loc(f, &t[lp]), "unterminated parameter list");
        return -1;
    }
    for (size_t i = rp + 1; i < n;) {
        size_t after = skip_attribute(t, i, n);
        if (after == i && t[i].kind == NBC_TOK_IDENT && i + 1 < n && nbc_tok_is(&t[i + 1], "(")) {
            nbc_error(nbc_tok_loc(f, &t[name_at]),
                      "'%s(...)' before the function name '%s' is no type: if it is an export macro, "
                      "name it with --export-macro %s (EXPORT_MACROS in nebula_add_node_executable), or "
                      "define it in a header nebulac reads",
                      t[name_at].text, t[i].text, t[name_at].text);
            return -1;
        }
        if (after == i && (t[i].kind == NBC_TOK_IDENT || nbc_tok_is(&t[i], ";"))) {
            nbc_error(nbc_tok_loc(f, &t[i]),
                      "'%s' is defined in the old K&R style (parameter types after the ')'): NB_API "
                      "needs a prototype-style definition such as 'int %s(int a, char *b)'",
                      t[name_at].text, t[name_at].text);
            return -1;
        }
        if (after == i) {
            nbc_error(nbc_tok_loc(f, &t[i]), "unexpected '%s' after the parameter list of '%s'",
                      t[i].text, t[name_at].text);
            return -1;
        }
        i = after;
    }
    const nbc_token *nt = &t[name_at];
    h->name = nbc_arena_strdup(&c->m->arena, nt->text);
    h->name_loc = nbc_tok_loc(f, nt);
    h->name_tok = (nbc_range){nt->off, nbc_tok_end(nt)};

    if (check_return_words(f, t, ret_end, h) != 0 || parse_return_type(c, f, t, ret_end, h) != 0)
        return -1;
    parse_params(c, f, t + lp + 1, rp - lp - 1, h);
    return 0;
}
