#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"

typedef struct macro {
    char *name;          /* owned; NULL: free slot */
    int state;           /* 1 defined, 0 undefined, -1 unknown */
    bool funclike, variadic;
    char **params;       /* owned */
    size_t n_params;
    char *body;          /* owned, tokens joined by spaces */
    nbc_lexed lx;        /* the body's tokens, lexed on first use */
    bool lexed;
} macro;

struct nbc_macros {
    macro *slots;
    size_t cap, used;
    nbc_buf log;         /* the unit's directives so far, for the compiler */
    bool complete;       /* every name not in the table is undefined */
    size_t probed_at;    /* log length at the last refresh, or SIZE_MAX */
    nbc_cc cc;
    size_t open_groups;  /* undecided groups the log has opened and not closed */
    char why[512];       /* the last failure, for nbc_macros_ask_cc's caller */
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void macro_clear(macro *x)
{
    for (size_t i = 0; i < x->n_params; i++)
        free(x->params[i]);
    free(x->params);
    free(x->body);
    if (x->lexed)
        nbc_lexed_free(&x->lx);
    x->params = NULL;
    x->n_params = 0;
    x->body = NULL;
    x->lexed = false;
    x->funclike = x->variadic = false;
}

static macro *lookup(const nbc_macros *m, const char *name)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = hash_name(name) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].name == NULL)
            return NULL;
        if (strcmp(m->slots[i].name, name) == 0)
            return &m->slots[i];
    }
}

static macro *insert(nbc_macros *m, const char *name)
{
    macro *x = lookup(m, name);
    if (x != NULL) {
        macro_clear(x);
        return x;
    }
    if (2 * (m->used + 1) > m->cap) {
        macro *old = m->slots;
        size_t old_cap = m->cap;
        m->cap = m->cap ? 2 * m->cap : 256;
        m->slots = calloc(m->cap, sizeof *m->slots);
        if (m->slots == NULL)
            nbc_oom();
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].name == NULL)
                continue;
            size_t j = hash_name(old[i].name) & (m->cap - 1);
            while (m->slots[j].name != NULL)
                j = (j + 1) & (m->cap - 1);
            m->slots[j] = old[i];
        }
        free(old);
    }
    size_t j = hash_name(name) & (m->cap - 1);
    while (m->slots[j].name != NULL)
        j = (j + 1) & (m->cap - 1);
    x = &m->slots[j];
    memset(x, 0, sizeof *x);
    x->name = strdup(name);
    if (x->name == NULL)
        nbc_oom();
    m->used++;
    return x;
}

static void clear_all(nbc_macros *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].name != NULL) {
            macro_clear(&m->slots[i]);
            free(m->slots[i].name);
        }
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->used = 0;
}

nbc_macros *nbc_macros_new(const nbc_cc *cc)
{
    nbc_macros *m = calloc(1, sizeof *m);
    if (m == NULL)
        nbc_oom();
    if (cc != NULL)
        m->cc = *cc;
    m->probed_at = SIZE_MAX;
    return m;
}

void nbc_macros_free(nbc_macros *m)
{
    if (m == NULL)
        return;
    clear_all(m);
    nbc_buf_free(&m->log);
    free(m);
}

/* Defines from the tokens of a #define line (after the directive name). */
static void define_from(nbc_macros *m, const nbc_token *t, size_t n, bool certain)
{
    if (n == 0 || t[0].kind != NBC_TOK_IDENT)
        return;
    macro *x = insert(m, t[0].text);
    /* Defined in a branch nebulac could not decide: unknown to #if, but its body
     * is kept for recognising export macros (which only drop attributes). */
    x->state = certain ? 1 : -1;
    size_t i = 1;
    if (n > 1 && nbc_tok_is(&t[1], "(") && t[1].off == nbc_tok_end(&t[0])) {
        x->funclike = true;
        for (i = 2; i < n && !nbc_tok_is(&t[i], ")"); i++) {
            if (nbc_tok_is(&t[i], ","))
                continue;
            if (nbc_tok_is(&t[i], "...")) {
                x->variadic = true;
                continue;
            }
            x->params = realloc(x->params, (x->n_params + 1) * sizeof *x->params);
            if (x->params == NULL || (x->params[x->n_params++] = strdup(t[i].text)) == NULL)
                nbc_oom();
        }
        i++;
    }
    nbc_buf b = {0};
    for (; i < n; i++) {
        nbc_buf_puts(&b, t[i].text);
        nbc_buf_putc(&b, ' ');
    }
    x->body = nbc_buf_take(&b);
}

void nbc_macros_directive(nbc_macros *m, bool define, const nbc_token *t, size_t n, const char *text,
                          size_t text_len, bool certain)
{
    nbc_macros_log(m, text, text_len, false);
    if (n == 0 || t[0].kind != NBC_TOK_IDENT)
        return;
    if (define) {
        define_from(m, t, n, certain);
    } else {
        macro *x = insert(m, t[0].text);
        x->state = certain ? 0 : -1;
    }
}

void nbc_macros_cmdline(nbc_macros *m, const char *flag)
{
    bool define = flag[1] == 'D';
    nbc_buf b = {0};
    nbc_buf_puts(&b, "#define ");
    const char *eq = strchr(flag + 2, '=');
    if (!define || eq == NULL) {
        nbc_buf_puts(&b, flag + 2);
        if (define)
            nbc_buf_puts(&b, " 1");
    } else {
        nbc_buf_add(&b, flag + 2, (size_t)(eq - flag - 2));
        nbc_buf_putc(&b, ' ');
        nbc_buf_puts(&b, eq + 1);
    }
    nbc_lexed lx;
    nbc_lex(b.data, b.len, &lx);
    size_t n = 1;
    while (lx.toks[n].kind != NBC_TOK_EOD && lx.toks[n].kind != NBC_TOK_EOF)
        n++;
    /* Not logged: the compiler gets the flag itself. */
    if (define) {
        define_from(m, lx.toks + 1, n - 1, true);
    } else if (n > 1 && lx.toks[1].kind == NBC_TOK_IDENT) {
        insert(m, lx.toks[1].text)->state = 0;
    }
    nbc_lexed_free(&lx);
    nbc_buf_free(&b);
}

void nbc_macros_log(nbc_macros *m, const char *text, size_t len, bool opaque)
{
    nbc_buf_add(&m->log, text, len);
    nbc_buf_putc(&m->log, '\n');
    if (len >= 3 && memcmp(text, "#if", 3) == 0)
        m->open_groups++;
    else if (len >= 6 && memcmp(text, "#endif", 6) == 0 && m->open_groups > 0)
        m->open_groups--;
    if (opaque)
        m->complete = false;
}

int nbc_macros_state(const nbc_macros *m, const char *name)
{
    const macro *x = lookup(m, name);
    if (x != NULL)
        return x->state;
    return m->complete ? 0 : -1;
}

const char *nbc_macros_body(const nbc_macros *m, const char *name, bool *funclike)
{
    const macro *x = lookup(m, name);
    if (x == NULL || x->state == 0)
        return NULL;
    *funclike = x->funclike;
    return x->body;
}

int nbc_macros_eval_defined(nbc_macros *m, const char *name, bool negate)
{
    int s = nbc_macros_state(m, name);
    return s < 0 ? -1 : negate ? !s : s;
}

/* --- expansion ------------------------------------------------------------ */

/* A token of an expanded condition. `unknown` stands for a value nebulac cannot know. */
typedef struct item {
    const char *text;
    nbc_tok_kind kind;
    bool unknown;
} item;

typedef struct items {
    item *v;
    size_t n, cap;
} items;

static void push(items *l, item it)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL)
            nbc_oom();
    }
    l->v[l->n++] = it;
}

typedef struct expander {
    nbc_macros *m;
    nbc_macro_on_fn on;
    void *ctx;
    const char *hide[64]; /* macros being expanded: not expanded again */
    int depth;
    bool too_deep;
} expander;

static const item unknown_item = {"0", NBC_TOK_NUMBER, true};

static bool is(const item *it, const char *s)
{
    return (it->kind == NBC_TOK_PUNCT || it->kind == NBC_TOK_IDENT) && strcmp(it->text, s) == 0;
}

static bool hidden(const expander *e, const char *name)
{
    for (int i = 0; i < e->depth; i++)
        if (strcmp(e->hide[i], name) == 0)
            return true;
    return false;
}

/* Index after the ')' closing the '(' at in[i], or in->n. */
static size_t close_paren(const items *in, size_t i)
{
    int depth = 0;
    for (; i < in->n; i++) {
        if (is(&in->v[i], "("))
            depth++;
        else if (is(&in->v[i], ")") && --depth == 0)
            return i + 1;
    }
    return in->n;
}

static void expand(expander *e, const items *in, items *out);

static items lex_items(const nbc_lexed *lx)
{
    items l = {0};
    for (size_t i = 0; lx->toks[i].kind != NBC_TOK_EOF; i++)
        push(&l, (item){lx->toks[i].text, lx->toks[i].kind, false});
    return l;
}

/* Expands function-like macro x with the arguments in in[lp..rp) (lp at '('). */
static void expand_call(expander *e, macro *x, const items *in, size_t lp, size_t rp, items *out)
{
    if (strchr(x->body, '#') != NULL || e->depth == 64) {
        push(out, unknown_item); /* # and ## are not followed: ask the compiler */
        return;
    }
    items args[32] = {{0}};
    size_t nargs = 0, start = lp + 1;
    int depth = 0;
    for (size_t i = lp + 1; i < rp; i++) {
        bool end = i == rp - 1;
        if (is(&in->v[i], "("))
            depth++;
        else if (is(&in->v[i], ")") && !end)
            depth--;
        if ((depth == 0 && is(&in->v[i], ",") && (nargs + 1 < x->n_params || !x->variadic)) || end) {
            if (nargs == 32)
                break;
            for (size_t k = start; k < i; k++)
                push(&args[nargs], in->v[k]);
            nargs++;
            start = i + 1;
        }
    }
    items sub = {0};
    items *expanded = calloc(nargs + 1, sizeof *expanded);
    if (expanded == NULL)
        nbc_oom();
    for (size_t a = 0; a < nargs; a++)
        expand(e, &args[a], &expanded[a]);
    for (size_t i = 0; x->lx.toks[i].kind != NBC_TOK_EOF; i++) {
        const nbc_token *bt = &x->lx.toks[i];
        size_t p = x->n_params;
        for (size_t k = 0; bt->kind == NBC_TOK_IDENT && k < x->n_params; k++)
            if (strcmp(x->params[k], bt->text) == 0)
                p = k;
        if (p < x->n_params && p < nargs) {
            for (size_t k = 0; k < expanded[p].n; k++)
                push(&sub, expanded[p].v[k]);
        } else if (bt->kind == NBC_TOK_IDENT && strcmp(bt->text, "__VA_ARGS__") == 0) {
            push(&sub, unknown_item);
        } else {
            push(&sub, (item){bt->text, bt->kind, false});
        }
    }
    e->hide[e->depth++] = x->name;
    expand(e, &sub, out);
    e->depth--;
    for (size_t a = 0; a < nargs; a++)
        free(expanded[a].v);
    for (size_t a = 0; a < 32; a++)
        free(args[a].v);
    free(expanded);
    free(sub.v);
}

static bool is_has_operator(const char *s)
{
    static const char *const ops[] = {"__has_include", "__has_include_next", "__has_attribute",
                                      "__has_c_attribute", "__has_cpp_attribute", "__has_builtin",
                                      "__has_feature", "__has_extension", "__has_warning",
                                      "__is_identifier", "__has_embed", NULL};
    for (const char *const *p = ops; *p; p++)
        if (strcmp(*p, s) == 0)
            return true;
    return false;
}

static void expand(expander *e, const items *in, items *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const item *it = &in->v[i];
        if (it->kind != NBC_TOK_IDENT || it->unknown) {
            push(out, *it);
            continue;
        }
        if (strcmp(it->text, "defined") == 0) {
            size_t j = i + 1;
            bool paren = j < in->n && is(&in->v[j], "(");
            j += paren;
            if (j >= in->n || in->v[j].kind != NBC_TOK_IDENT) {
                push(out, unknown_item);
                continue;
            }
            int s = nbc_macros_state(e->m, in->v[j].text);
            push(out, s < 0 ? unknown_item : (item){s ? "1" : "0", NBC_TOK_NUMBER, false});
            i = j + (paren && j + 1 < in->n && is(&in->v[j + 1], ")"));
            continue;
        }
        if (strcmp(it->text, "NB_ON") == 0 && i + 3 < in->n && is(&in->v[i + 1], "(") &&
            in->v[i + 2].kind == NBC_TOK_STRING && is(&in->v[i + 3], ")")) {
            nbc_token sel = {.kind = NBC_TOK_STRING, .text = in->v[i + 2].text,
                             .len = strlen(in->v[i + 2].text)};
            int v = e->on ? e->on(e->ctx, &sel) : -1;
            push(out, v < 0 ? unknown_item : (item){v ? "1" : "0", NBC_TOK_NUMBER, false});
            i += 3;
            continue;
        }
        if (is_has_operator(it->text)) {
            push(out, unknown_item);
            if (i + 1 < in->n && is(&in->v[i + 1], "("))
                i = close_paren(in, i + 1) - 1;
            continue;
        }
        macro *x = lookup(e->m, it->text);
        if (x != NULL && x->state == 1 && !hidden(e, x->name)) {
            if (!x->lexed) {
                nbc_lex(x->body, strlen(x->body), &x->lx);
                x->lexed = true;
            }
            if (!x->funclike) {
                if (e->depth == 64) {
                    push(out, unknown_item);
                    continue;
                }
                items body = lex_items(&x->lx);
                e->hide[e->depth++] = x->name;
                expand(e, &body, out);
                e->depth--;
                free(body.v);
                continue;
            }
            if (i + 1 < in->n && is(&in->v[i + 1], "(")) {
                size_t rp = close_paren(in, i + 1);
                if (rp > in->n || !is(&in->v[rp - 1], ")")) {
                    push(out, unknown_item);
                    return;
                }
                expand_call(e, x, in, i + 1, rp, out);
                i = rp - 1;
                continue;
            }
        }
        /* A name left after expansion is 0, once nebulac knows it is no macro. */
        int s = x != NULL ? x->state : e->m->complete ? 0 : -1;
        push(out, s < 0 || (x != NULL && x->state == 1 && !x->funclike) ? unknown_item
                                                                          : (item){"0", NBC_TOK_NUMBER, false});
    }
}

/* --- evaluation ----------------------------------------------------------- */

typedef struct val {
    long long v;
    bool uns, known;
} val;

typedef struct evaluator {
    const items *l;
    size_t i;
    bool bad;
} evaluator;

static val ev_cond(evaluator *p);

static bool at(evaluator *p, const char *s)
{
    return p->i < p->l->n && is(&p->l->v[p->i], s);
}

static val number(const item *it, bool *bad)
{
    val r = {0, false, true};
    const char *s = it->text;
    if (it->kind == NBC_TOK_CHAR) {
        const char *q = strchr(s, '\'');
        r.v = q && q[1] && q[1] != '\\' ? (unsigned char)q[1] : 0;
        r.known = q && q[1] != '\\';
        return r;
    }
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    for (; *end; end++) {
        if (*end == 'u' || *end == 'U')
            r.uns = true;
        else if (*end != 'l' && *end != 'L')
            break;
    }
    if (*end != '\0' || errno != 0)
        *bad = true;
    r.v = (long long)x;
    if (x > (unsigned long long)INT64_MAX)
        r.uns = true;
    return r;
}

static val ev_primary(evaluator *p)
{
    if (p->i >= p->l->n) {
        p->bad = true;
        return (val){0, false, false};
    }
    const item *it = &p->l->v[p->i++];
    if (it->unknown)
        return (val){0, false, false};
    if (is(it, "(")) {
        val v = ev_cond(p);
        if (!at(p, ")"))
            p->bad = true;
        p->i++;
        return v;
    }
    if (is(it, "!") || is(it, "-") || is(it, "+") || is(it, "~")) {
        val v = ev_primary(p);
        char op = it->text[0];
        v.v = op == '!' ? !v.v : op == '-' ? (long long)(0ull - (unsigned long long)v.v) : op == '~' ? ~v.v : v.v;
        if (op == '!')
            v.uns = false;
        return v;
    }
    if (it->kind == NBC_TOK_NUMBER || it->kind == NBC_TOK_CHAR)
        return number(it, &p->bad);
    p->bad = true;
    return (val){0, false, false};
}

/* Binary operators by precedence level, loosest first (after ?: || &&). */
static const char *const levels[][5] = {
    {"|", NULL}, {"^", NULL}, {"&", NULL}, {"==", "!=", NULL}, {"<", ">", "<=", ">=", NULL},
    {"<<", ">>", NULL}, {"+", "-", NULL}, {"*", "/", "%", NULL},
};
#define N_LEVELS (sizeof levels / sizeof levels[0])

static val apply(const char *op, val a, val b)
{
    val r = {0, a.uns || b.uns, a.known && b.known};
    unsigned long long x = (unsigned long long)a.v, y = (unsigned long long)b.v;
    bool u = r.uns;
    if ((op[0] == '/' || op[0] == '%') && y == 0) {
        r.known = false; /* the compiler says "division by zero" */
        return r;
    }
    switch (op[0]) {
    case '|': r.v = a.v | b.v; break;
    case '^': r.v = a.v ^ b.v; break;
    case '&': r.v = a.v & b.v; break;
    case '=': r.v = a.v == b.v; r.uns = false; break;
    case '!': r.v = a.v != b.v; r.uns = false; break;
    case '<':
        if (op[1] == '<')
            r.v = (long long)(x << (y & 63));
        else
            r.v = op[1] == '=' ? (u ? x <= y : a.v <= b.v) : (u ? x < y : a.v < b.v), r.uns = false;
        break;
    case '>':
        if (op[1] == '>')
            r.v = u ? (long long)(x >> (y & 63)) : a.v >> (y & 63);
        else
            r.v = op[1] == '=' ? (u ? x >= y : a.v >= b.v) : (u ? x > y : a.v > b.v), r.uns = false;
        break;
    case '+': r.v = (long long)(x + y); break;
    case '-': r.v = (long long)(x - y); break;
    case '*': r.v = (long long)(x * y); break;
    case '/': r.v = u ? (long long)(x / y) : (b.v == -1 ? (long long)(0ull - x) : a.v / b.v); break;
    case '%': r.v = u ? (long long)(x % y) : (b.v == -1 ? 0 : a.v % b.v); break;
    }
    return r;
}

static val ev_binary(evaluator *p, size_t level)
{
    if (level == N_LEVELS)
        return ev_primary(p);
    val a = ev_binary(p, level + 1);
    for (;;) {
        const char *op = NULL;
        for (size_t k = 0; levels[level][k]; k++)
            if (at(p, levels[level][k]))
                op = levels[level][k];
        if (op == NULL)
            return a;
        p->i++;
        val b = ev_binary(p, level + 1);
        a = apply(op, a, b);
    }
}

static val ev_and(evaluator *p)
{
    val a = ev_binary(p, 0);
    while (at(p, "&&")) {
        p->i++;
        val b = ev_binary(p, 0);
        bool a0 = a.known && a.v == 0, b0 = b.known && b.v == 0;
        a = (val){a0 || b0 ? 0 : 1, false, a0 || b0 || (a.known && b.known)};
    }
    return a;
}

static val ev_or(evaluator *p)
{
    val a = ev_and(p);
    while (at(p, "||")) {
        p->i++;
        val b = ev_and(p);
        bool a1 = a.known && a.v != 0, b1 = b.known && b.v != 0;
        a = (val){a1 || b1 ? 1 : 0, false, a1 || b1 || (a.known && b.known)};
    }
    return a;
}

static val ev_cond(evaluator *p)
{
    val c = ev_or(p);
    if (!at(p, "?"))
        return c;
    p->i++;
    val x = ev_cond(p);
    if (!at(p, ":"))
        p->bad = true;
    p->i++;
    val y = ev_cond(p);
    if (c.known)
        return c.v ? x : y;
    if (x.known && y.known && x.v == y.v)
        return x;
    return (val){0, false, false};
}

int nbc_macros_eval(nbc_macros *m, const nbc_token *t, size_t n, nbc_macro_on_fn on, void *ctx)
{
    items in = {0}, out = {0};
    for (size_t i = 0; i < n; i++)
        push(&in, (item){t[i].text, t[i].kind, false});
    expander e = {.m = m, .on = on, .ctx = ctx};
    expand(&e, &in, &out);
    evaluator p = {&out, 0, false};
    val v = out.n ? ev_cond(&p) : (val){0, false, false};
    int r = p.bad || p.i != out.n || !v.known ? -1 : v.v != 0;
    free(in.v);
    free(out.v);
    return r;
}

/* --- asking the compiler -------------------------------------------------- */

/* Runs argv with stdin from /dev/null and stderr to err_path; its stdout in
 * *out. Returns the exit status, or -1 when it could not run. */
static int run_capture(char *const *argv, nbc_buf *out, const char *err_path)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(null, 0);
        dup2(fds[1], 1);
        dup2(err >= 0 ? err : null, 2);
        close(fds[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    char chunk[65536];
    ssize_t k;
    while ((k = read(fds[0], chunk, sizeof chunk)) > 0 || (k < 0 && errno == EINTR))
        if (k > 0)
            nbc_buf_add(out, chunk, (size_t)k);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int nbc_macros_ask_cc(nbc_macros *m, const char *expr_text, const char **why)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/nebulac-probe-XXXXXX.c", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemps(path, 2);
    if (fd < 0) {
        *why = "cannot create a temporary file for the compiler";
        return -1;
    }
    nbc_buf text = {0};
    nbc_buf_add(&text, m->log.data ? m->log.data : "", m->log.len);
    /* Inside the undecided groups still open: where the compiler skips them, it
     * skips this condition too, and so may nebulac. */
    nbc_buf_printf(&text, "\n#if %s\n#define NBC__PROBE_TRUE 1\n#endif\n", expr_text);
    for (size_t i = 0; i < m->open_groups; i++)
        nbc_buf_puts(&text, "#endif\n");
    bool ok = write(fd, text.data, text.len) == (ssize_t)text.len;
    close(fd);
    nbc_buf_free(&text);
    const char **argv = calloc(m->cc.n_flags + 8, sizeof *argv);
    if (argv == NULL)
        nbc_oom();
    size_t k = 0;
    argv[k++] = m->cc.cc ? m->cc.cc : "cc";
    for (size_t i = 0; i < m->cc.n_flags; i++)
        argv[k++] = m->cc.flags[i];
    argv[k++] = "-dM";
    argv[k++] = "-E";
    argv[k++] = path;
    nbc_buf out = {0};
    char err_path[4200];
    snprintf(err_path, sizeof err_path, "%s.err", path);
    int status = ok ? run_capture((char *const *)argv, &out, err_path) : -1;
    remove(path);
    free(argv);
    if (status != 0) {
        *why = "the C compiler could not be run (see --cc)";
        if (status != 127 && status > 0) {
            /* Its first complaint, for the user: usually a header it cannot find. */
            size_t len;
            char *err = nbc_read_file(err_path, &len);
            char *nl = err ? strchr(err, '\n') : NULL;
            if (nl != NULL)
                *nl = '\0';
            snprintf(m->why, sizeof m->why, "the C compiler, replaying the directives up to here, said: %s",
                     err && *err ? err : "nothing");
            free(err);
            *why = m->why;
        }
        remove(err_path);
        nbc_buf_free(&out);
        return -1;
    }
    remove(err_path);
    clear_all(m);
    nbc_lexed lx;
    nbc_lex(nbc_buf_str(&out), out.len, &lx);
    for (size_t i = 0; lx.toks[i].kind != NBC_TOK_EOF; i++) {
        if (lx.toks[i].kind != NBC_TOK_DIRECTIVE || strcmp(lx.toks[i].text, "define") != 0)
            continue;
        size_t e = i + 1;
        while (lx.toks[e].kind != NBC_TOK_EOD && lx.toks[e].kind != NBC_TOK_EOF)
            e++;
        define_from(m, &lx.toks[i + 1], e - i - 1, true);
        i = e;
    }
    nbc_lexed_free(&lx);
    nbc_buf_free(&out);
    if (lookup(m, "__STDC_HOSTED__") == NULL) {
        /* Not what `cc -dM -E` prints: a flag took -dM for its value, or CC is no C compiler. */
        *why = "the C compiler did not list its macros for -dM -E";
        m->complete = false;
        return -1;
    }
    macro *probe = lookup(m, "NBC__PROBE_TRUE");
    int r = probe != NULL && probe->state == 1;
    if (probe != NULL)
        probe->state = 0;
    m->complete = true;
    m->probed_at = m->log.len;
    return r;
}
