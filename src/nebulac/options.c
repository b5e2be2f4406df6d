/*
 * options.c — the options of an nb_call written as literals, read from the code
 * (parse phase) and refused at build time when no run could accept them
 * (validation phase). The rules themselves are libnebula's own,
 * nb__call_check (src/common/callopts.c): this file only works out which
 * nb_call values the written text can stand for and asks that function about
 * each, so the build and the run can never disagree on what is valid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callopts.h"
#include "options.h"
#include "parse_int.h"

static const char *const opt_names[NBC_N_CALLOPTS] = {
    "node", "pick", "nodes", "filter", "arg", "results", "all", "strategy",
    "at_least", "quorum", "success", "failure", "timeout_ms", "default_route",
    "max_time_extensions",
};

/* ---- Reading the literal (parse phase) ---------------------------------- */

typedef struct reader {
    nbc_pctx *c;
    nbc_file *f;
    const nbc_token *t;
    nbc_calllit *lit;
    int next;                 /* the field a positional initialiser sets; -1 unknown */
    bool lost;                /* an initialiser nebulac cannot map to a field */
} reader;

static bool is_pointer(int field)
{
    return field == NBC_CO_NODE || field == NBC_CO_PICK || field == NBC_CO_NODES ||
           field == NBC_CO_FILTER || field == NBC_CO_SUCCESS || field == NBC_CO_FAILURE;
}

/* An integer literal (decimal, octal or hex, with u/l suffixes) in *v. */
static bool integer(const nbc_token *t, long long *v)
{
    if (t->kind != NBC_TOK_NUMBER)
        return false;
    errno = 0;
    char *end;
    long long x = strtoll(t->text, &end, 0);
    if (errno != 0 || end == t->text || strspn(end, "uUlL") != strlen(end))
        return false;
    *v = x;
    return true;
}

/* The enumerators of nb_strategy and nb_quorum_set. */
static bool enumerator(const nbc_token *t, int field, long long *v)
{
    static const char *const strategies[] = {"NB_ALL", "NB_FIRST", "NB_QUORUM"};
    static const char *const quorums[] = {"NB_QUORUM_CONFIGURED", "NB_QUORUM_AVAILABLE"};
    const char *const *names = field == NBC_CO_STRATEGY ? strategies : quorums;
    size_t n = field == NBC_CO_STRATEGY ? 3 : field == NBC_CO_QUORUM ? 2 : 0;
    for (size_t i = 0; i < n; i++) {
        if (nbc_tok_is(t, names[i])) {
            *v = (long long)i;
            return true;
        }
    }
    return false;
}

/* What the value t[s..e) of `field` is known to be. */
static void classify(reader *r, int field, size_t s, size_t e, nbc_optval *o)
{
    const nbc_token *t = r->t;
    while (e - s >= 2 && nbc_tok_is(&t[s], "(") && nbc_match(t, s, e) == e - 1) {
        s++;
        e--;
    }
    o->state = NBC_OPT_UNKNOWN;
    o->value = 0;
    o->name = NULL;
    if (s == e)
        return;
    if (is_pointer(field)) {
        size_t k = s;
        while (k < e && t[k].kind == NBC_TOK_STRING)
            k++;
        if (k == e || nbc_tok_is(&t[s], "&")) { /* a string, an address: never NULL */
            o->state = NBC_OPT_VALUE;
            o->value = 1;
        } else if (e - s == 1 && (nbc_tok_is(&t[s], "NULL") || nbc_tok_is(&t[s], "0"))) {
            o->state = NBC_OPT_VALUE;
        } else if (e - s == 1 && t[s].kind == NBC_TOK_IDENT) {
            o->state = NBC_OPT_NAME;
            o->name = nbc_arena_strndup(&r->c->m->arena, t[s].text, t[s].len);
        }
        return;
    }
    long long v;
    bool minus = e - s == 2 && nbc_tok_is(&t[s], "-");
    if (minus)
        s++;
    if (e - s != 1)
        return;
    if (integer(&t[s], &v)) {
        o->state = NBC_OPT_VALUE;
        o->value = minus ? -v : v;
    } else if (!minus && enumerator(&t[s], field, &v)) {
        o->state = NBC_OPT_VALUE;
        o->value = v;
    } else if (!minus && (field == NBC_CO_ALL || field == NBC_CO_DEFAULT_ROUTE) &&
               (nbc_tok_is(&t[s], "true") || nbc_tok_is(&t[s], "false"))) {
        o->state = NBC_OPT_VALUE;
        o->value = nbc_tok_is(&t[s], "true");
    }
    if (o->state == NBC_OPT_VALUE && (field == NBC_CO_ALL || field == NBC_CO_DEFAULT_ROUTE))
        o->value = o->value != 0; /* a bool */
}

/* Sets `field` from t[s..e), written at loc. */
static void set(reader *r, int field, size_t s, size_t e, nbc_loc loc)
{
    if (field == NBC_CO_ARG || field == NBC_CO_RESULTS)
        return; /* nb__call_check does not read them */
    nbc_optval *o = &r->lit->opt[field];
    classify(r, field, s, e, o);
    o->loc = loc;
}

/* One initialiser t[s..e) of the braces (or one argument of a block macro). */
static void initialiser(reader *r, size_t s, size_t e)
{
    const nbc_token *t = r->t;
    if (s == e)
        return; /* a trailing comma */
    if (nbc_tok_is(&t[s], "[")) {
        r->lost = true;
        return;
    }
    if (nbc_tok_is(&t[s], ".") && s + 2 < e && t[s + 1].kind == NBC_TOK_IDENT &&
        nbc_tok_is(&t[s + 2], "=")) {
        int field = -1;
        for (int i = 0; i < NBC_N_CALLOPTS; i++)
            if (nbc_tok_is(&t[s + 1], opt_names[i]))
                field = i;
        if (field >= 0)
            set(r, field, s + 3, e, nbc_tok_loc(r->f, &t[s]));
        r->next = field < 0 ? -1 : field + 1; /* a field nebulac does not know: its own */
        return;
    }
    if (nbc_tok_is(&t[s], ".")) {
        r->lost = true; /* .a.b = ..., or not an initialiser at all */
        return;
    }
    if (r->next < 0 || r->next >= NBC_N_CALLOPTS) {
        r->lost = true;
        return;
    }
    set(r, r->next, s, e, nbc_tok_loc(r->f, &t[s]));
    r->next++;
}

/* The end of the comma-separated item starting at t[s], within t[..e). */
static size_t item_end(const nbc_token *t, size_t s, size_t e)
{
    size_t k = s;
    while (k < e && !nbc_tok_is(&t[k], ",")) {
        if (nbc_tok_is(&t[k], "(") || nbc_tok_is(&t[k], "[") || nbc_tok_is(&t[k], "{"))
            k = nbc_match(t, k, e);
        if (k < e)
            k++;
    }
    return k;
}

static nbc_calllit *new_lit(reader *r, nbc_loc loc, const char *what, const char *api)
{
    nbc_arena *a = &r->c->m->arena;
    nbc_calllit *l = nbc_arena_alloc(a, sizeof *l);
    l->loc = loc;
    l->what = what;
    l->api = api;
    r->lit = l;
    return l;
}

static void keep(reader *r)
{
    nbc_model *m = r->c->m;
    if (!r->lost)
        *NBC_PUSH(&m->arena, m->calllits, m->n_calllits, m->cap_calllits) = r->lit;
}

/* `name__with(&(nb_call){...}` at t[k]: the braces' options. */
static void note_with(reader *r, size_t k, size_t n)
{
    const nbc_token *t = r->t;
    size_t j = k + 2;
    if (j + 3 >= n || !nbc_tok_is(&t[j], "&") || !nbc_tok_is(&t[j + 1], "("))
        return;
    size_t ty = j + 2;
    bool named = false;
    for (; ty < n && !nbc_tok_is(&t[ty], ")"); ty++) {
        if (nbc_tok_is(&t[ty], "nb_call"))
            named = true;
        else if (!nbc_tok_is(&t[ty], "const") && !nbc_tok_is(&t[ty], "struct"))
            return;
    }
    if (!named || ty + 1 >= n || !nbc_tok_is(&t[ty + 1], "{"))
        return;
    size_t open = ty + 1, close = nbc_match(t, open, n);
    if (close >= n)
        return;
    const char *api = nbc_arena_strndup(&r->c->m->arena, t[k].text, t[k].len - 6);
    new_lit(r, nbc_tok_loc(r->f, &t[j]), nbc_arena_printf(&r->c->m->arena, "%s__with call", api), api);
    r->next = 0;
    for (size_t s = open + 1; s < close;) {
        size_t e = item_end(t, s, close);
        initialiser(r, s, e);
        s = e + 1;
    }
    keep(r);
}

/* A routing block macro at t[k]: how its arguments become nb_call fields
 * (nebula.h: NB_ON_NODE(...) is `.node = __VA_ARGS__`, and so on). */
static void note_block(reader *r, size_t k, size_t n)
{
    static const struct {
        const char *name;
        int first, second;    /* the fields of the first two arguments (-1: positional) */
        bool all;
    } blocks[] = {
        {"NB_ON_NODE", NBC_CO_NODE, -1, false},
        {"NB_ON_NODE_FN", NBC_CO_PICK, NBC_CO_ARG, false},
        {"NB_ON_NODES", NBC_CO_NODES, NBC_CO_RESULTS, false},
        {"NB_ON_NODES_FN", NBC_CO_FILTER, NBC_CO_ARG, false},
        {"NB_ON_ALL_NODES", NBC_CO_RESULTS, -1, true},
    };
    const nbc_token *t = r->t;
    size_t b = 0;
    while (b < sizeof blocks / sizeof blocks[0] && !nbc_tok_is(&t[k], blocks[b].name))
        b++;
    if (b == sizeof blocks / sizeof blocks[0] || k + 1 >= n || !nbc_tok_is(&t[k + 1], "("))
        return;
    size_t close = nbc_match(t, k + 1, n);
    if (close >= n)
        return;
    nbc_loc loc = nbc_tok_loc(r->f, &t[k]);
    nbc_calllit *l = new_lit(r, loc, nbc_arena_printf(&r->c->m->arena, "%s block", blocks[b].name), NULL);
    if (blocks[b].all)
        l->opt[NBC_CO_ALL] = (nbc_optval){NBC_OPT_VALUE, 1, NULL, loc};
    size_t s = k + 2;
    for (int arg = 0; s < close; arg++) {
        size_t e = item_end(t, s, close);
        int field = arg == 0 ? blocks[b].first : arg == 1 ? blocks[b].second : -1;
        if (field >= 0) {
            set(r, field, s, e, nbc_tok_loc(r->f, &t[s]));
            r->next = field + 1;
        } else {
            initialiser(r, s, e);
        }
        s = e + 1;
    }
    keep(r);
}

void nbc_note_call_options(nbc_pctx *c, nbc_file *f, size_t k, bool with)
{
    reader r = {.c = c, .f = f, .t = f->code};
    if (with)
        note_with(&r, k, f->n_code);
    else
        note_block(&r, k, f->n_code);
}

/* ---- Checking (validation phase) ---------------------------------------- */

/* Stand-ins for functions the code names: nb__call_check only asks whether a
 * pointer is set, never calls it. */
static int any_pick(const nb_node_info *nodes, size_t n, void *arg)
{
    (void)nodes, (void)n, (void)arg;
    return -1;
}

static bool any_filter(const nb_node_info *node, void *arg)
{
    (void)node, (void)arg;
    return false;
}

static bool any_result(const nb_result *res, void *arg)
{
    (void)res, (void)arg;
    return false;
}

/* Names of the functions the parsed files declare or define, sorted. */
typedef struct names {
    const char **v;
    size_t n;
} names;

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static names function_names(const nbc_model *m)
{
    names s = {0};
    size_t cap = m->n_apis + m->n_decls;
    for (size_t i = 0; i < m->n_files; i++)
        cap += m->files[i]->n_plain_defs + m->files[i]->n_protos;
    s.v = malloc((cap + 1) * sizeof *s.v);
    if (s.v == NULL)
        nbc_oom();
    for (size_t i = 0; i < m->n_apis; i++)
        s.v[s.n++] = m->apis[i]->name;
    for (size_t i = 0; i < m->n_decls; i++)
        s.v[s.n++] = m->decls[i]->name;
    for (size_t i = 0; i < m->n_files; i++) {
        const nbc_file *f = m->files[i];
        for (size_t k = 0; k < f->n_plain_defs; k++)
            s.v[s.n++] = f->plain_defs[k].name;
        for (size_t k = 0; k < f->n_protos; k++)
            s.v[s.n++] = f->protos[k].name;
    }
    qsort(s.v, s.n, sizeof *s.v, by_str);
    return s;
}

/* The values an option may take at run time, in out[0..return). Only values
 * nb__call_check tells apart are listed (a timeout of 1 stands for any positive
 * one); a name is a function (never NULL) only when the parsed code declares
 * one by that name. */
static int candidates(const nbc_optval *o, int field, const names *fns, long long out[3])
{
    if (o->state == NBC_OPT_UNSET || o->state == NBC_OPT_VALUE) {
        out[0] = o->value;
        return 1;
    }
    if (o->state == NBC_OPT_NAME && bsearch(&o->name, fns->v, fns->n, sizeof *fns->v, by_str)) {
        out[0] = 1;
        return 1;
    }
    out[0] = 0, out[1] = 1, out[2] = 2;
    return field == NBC_CO_STRATEGY ? 3 : 2;
}

/* An nb_call with the fields of v[] (pointers: 0 NULL, else set). */
static nb_call make_call(const long long v[NBC_N_CALLOPTS])
{
    return (nb_call){
        .node = v[NBC_CO_NODE] ? "x" : NULL,
        .pick = v[NBC_CO_PICK] ? any_pick : NULL,
        .nodes = v[NBC_CO_NODES] ? "x" : NULL,
        .filter = v[NBC_CO_FILTER] ? any_filter : NULL,
        .all = v[NBC_CO_ALL] != 0,
        .strategy = (nb_strategy)v[NBC_CO_STRATEGY],
        .at_least = (int)v[NBC_CO_AT_LEAST],
        .quorum = (nb_quorum_set)v[NBC_CO_QUORUM],
        .success = v[NBC_CO_SUCCESS] ? any_result : NULL,
        .failure = v[NBC_CO_FAILURE] ? any_result : NULL,
        .timeout_ms = (int)v[NBC_CO_TIMEOUT_MS],
        .default_route = v[NBC_CO_DEFAULT_ROUTE] != 0,
        .max_time_extensions = (int)v[NBC_CO_MAX_TIME_EXTENSIONS],
    };
}

/* The kinds of enclosing block a call without a target can run in: each target,
 * strategy, .at_least 0 or 1, quorum set, and predicates. */
enum { N_BLOCKS = 5 * 3 * 2 * 2 * 4 };

static nb_call block_shape(int i)
{
    long long v[NBC_N_CALLOPTS] = {0};
    static const int targets[] = {NBC_CO_NODE, NBC_CO_PICK, NBC_CO_NODES, NBC_CO_FILTER, NBC_CO_ALL};
    v[targets[i % 5]] = 1;
    i /= 5;
    v[NBC_CO_STRATEGY] = i % 3;
    i /= 3;
    v[NBC_CO_AT_LEAST] = i % 2;
    i /= 2;
    v[NBC_CO_QUORUM] = i % 2;
    i /= 2;
    v[NBC_CO_SUCCESS] = i & 1;
    v[NBC_CO_FAILURE] = (i >> 1) & 1;
    return make_call(v);
}

typedef struct reasons {
    char text[8][256];
    int count[8];
    int n;
} reasons;

/* Checks one candidate call; on refusal, counts its reason when r is set. */
static bool valid(const nb_call *c, reasons *r)
{
    char why[256];
    if (nb__call_check(c, r ? why : NULL, r ? sizeof why : 0) == 0)
        return true;
    if (r != NULL) {
        int i = 0;
        while (i < r->n && strcmp(r->text[i], why) != 0)
            i++;
        if (i == r->n && r->n < 8)
            snprintf(r->text[r->n++], sizeof r->text[0], "%s", why);
        if (i < r->n)
            r->count[i]++;
    }
    return false;
}

/* True when the call v[] can be valid where it runs: as written when it names a
 * target (or ignores blocks) or is itself a block's, else also under any block. */
static bool valid_anywhere(const nbc_calllit *l, const long long v[NBC_N_CALLOPTS], reasons *r)
{
    nb_call c = make_call(v);
    bool ok = valid(&c, r);
    bool alone = l->api == NULL || c.default_route || c.node || c.pick || c.nodes || c.filter || c.all;
    for (int i = 0; !alone && i < N_BLOCKS && (!ok || r != NULL); i++) {
        nb_call block = block_shape(i), merged;
        nb__call_overlay(&block, &c, &merged);
        ok |= valid(&merged, r);
    }
    return ok;
}

/*
 * Walks every combination of the values the options may take (an odometer over
 * the fields). Returns true as soon as one can be valid; with r set, walks them
 * all and counts the reasons instead.
 */
static bool any_valid(const nbc_calllit *l, const names *fns, reasons *r)
{
    long long cand[NBC_N_CALLOPTS][3], v[NBC_N_CALLOPTS];
    int n[NBC_N_CALLOPTS], at[NBC_N_CALLOPTS] = {0};
    for (int i = 0; i < NBC_N_CALLOPTS; i++) {
        n[i] = candidates(&l->opt[i], i, fns, cand[i]);
        v[i] = cand[i][0];
    }
    bool ok = false;
    for (;;) {
        ok |= valid_anywhere(l, v, r);
        if (ok && r == NULL)
            return true;
        int i = 0;
        while (i < NBC_N_CALLOPTS && ++at[i] == n[i]) {
            at[i] = 0;
            v[i] = cand[i][0];
            i++;
        }
        if (i == NBC_N_CALLOPTS)
            return ok;
        v[i] = cand[i][at[i]];
    }
}

/* Where to point for a reason: the first option it names that the code wrote. */
static nbc_loc reason_loc(const nbc_calllit *l, const char *why)
{
    for (const char *p = strchr(why, '.'); p != NULL; p = strchr(p + 1, '.')) {
        for (int i = 0; i < NBC_N_CALLOPTS; i++) {
            size_t len = strlen(opt_names[i]);
            if (strncmp(p + 1, opt_names[i], len) == 0 &&
                !(p[1 + len] == '_' || (p[1 + len] >= 'a' && p[1 + len] <= 'z')) &&
                l->opt[i].state != NBC_OPT_UNSET)
                return l->opt[i].loc;
        }
    }
    return l->loc;
}

int nbc_check_call_options(const nbc_model *m)
{
    if (m->n_calllits == 0)
        return 0;
    names fns = function_names(m);
    int errors = 0;
    for (size_t i = 0; i < m->n_calllits; i++) {
        const nbc_calllit *l = m->calllits[i];
        if (l->api != NULL && nbc_model_find_api(m, l->api) == NULL)
            continue; /* not an API's f__with: a function of the user's own */
        if (any_valid(l, &fns, NULL))
            continue;
        reasons r = {0};
        any_valid(l, &fns, &r);
        int best = 0;
        for (int k = 1; k < r.n; k++)
            if (r.count[k] > r.count[best])
                best = k;
        bool targetless = l->api != NULL;
        for (int k = 0; k < NBC_N_CALLOPTS; k++)
            if (k == NBC_CO_NODE || k == NBC_CO_PICK || k == NBC_CO_NODES || k == NBC_CO_FILTER ||
                k == NBC_CO_ALL || k == NBC_CO_DEFAULT_ROUTE)
                targetless &= l->opt[k].state == NBC_OPT_UNSET;
        nbc_error(reason_loc(l, r.text[best]),
                  "the options of this %s can never be valid%s: %s\n"
                  "^------ hint: the call would fail with NB_E_BAD_OPTION before anything is sent",
                  l->what, targetless ? ", under any enclosing block" : "", r.text[best]);
        errors++;
    }
    free(fns.v);
    return errors;
}
