/*
 * parse.c — builds the model: loads every file, then reads the annotations and
 * file-scope declarations of its live code (scan.c has already removed the
 * preprocessor lines and the branches that are dead on this node).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "parse_int.h"

nbc_loc nbc_tok_loc(const nbc_file *f, const nbc_token *t)
{
    nbc_loc loc = {f->path, 0, 0};
    nbc_lexed_pos(&f->lx, t->off, &loc.line, &loc.col);
    return loc;
}

static void note_annotation(nbc_file *f, const nbc_token *t)
{
    if (!f->has_annotations)
        f->first_annotation = nbc_tok_loc(f, t);
    f->has_annotations = true;
}

/* Reads `"a" "b" ...` at t[*j]: the concatenated value (owned by the model's
 * arena) and where its first character stands. NULL when t[*j] is not a string. */
static const char *take_strings(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, size_t *j,
                                nbc_loc *loc)
{
    if (*j >= n || t[*j].kind != NBC_TOK_STRING)
        return NULL;
    nbc_buf b = {0};
    size_t content;
    *loc = nbc_tok_loc(f, &t[*j]);
    for (bool first = true; *j < n && t[*j].kind == NBC_TOK_STRING; (*j)++, first = false) {
        size_t vlen;
        char *v = nbc_string_value(&t[*j], &vlen, first ? &content : NULL);
        nbc_buf_add(&b, v, vlen);
        free(v);
    }
    loc->col += (int)content;
    if (memchr(nbc_buf_str(&b), '\0', b.len) != NULL)
        nbc_report_nul(*loc);
    const char *s = nbc_arena_strdup(&c->m->arena, nbc_buf_str(&b));
    nbc_buf_free(&b);
    return s;
}

void nbc_report_nul(nbc_loc loc)
{
    /* A directive is read more than once (as text for the compiler, as an
     * #if, by every unit including its file): report each line once. */
    static nbc_loc seen[64];
    static size_t n_seen;
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i].file == loc.file && seen[i].line == loc.line)
            return;
    if (n_seen < sizeof seen / sizeof seen[0])
        seen[n_seen++] = loc;
    nbc_error(loc, "this selector holds a NUL byte (\\0), which would end it early: a selector is "
              "text; remove the \\0");
}

char *nbc_selector_value(const nbc_token *t, nbc_loc loc)
{
    size_t len;
    char *v = nbc_string_value(t, &len, NULL);
    if (memchr(v, '\0', len) != NULL)
        nbc_report_nul(loc);
    return v;
}

size_t nbc_parse_on(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, int *value)
{
    note_annotation(f, &t[0]);
    *value = -1;
    size_t j = 2;
    nbc_loc loc;
    const char *sel = n > 1 && nbc_tok_is(&t[1], "(") ? take_strings(c, f, t, n, &j, &loc) : NULL;
    if (sel == NULL || j >= n || !nbc_tok_is(&t[j], ")")) {
        nbc_error(nbc_tok_loc(f, &t[0]), "NB_ON takes one selector string: NB_ON(\"&tag\")");
        return 1;
    }
    int v = nbc_on_value(c, sel, loc);
    nbc_on *on = NBC_PUSH(&c->m->arena, f->ons, f->n_ons, f->cap_ons);
    on->at = (nbc_range){t[0].off, nbc_tok_end(&t[j])};
    on->value = v != 0;
    *value = v;
    return j + 1;
}

/* A file-scope `... name(...) [attributes]` in t[s..e): the name's index, or e.
 * The name may be parenthesised (`char *(name)(params)`), and a parenthesised
 * group before it is an export macro's (`PUBLIC(char *) name(params)`). */
static size_t function_declarator(const nbc_token *t, size_t s, size_t e)
{
    if (e == s || !nbc_tok_is(&t[e - 1], ")") || nbc_tok_is(&t[s], "typedef"))
        return e;
    for (size_t i = s; i < e; i++) {
        size_t after = nbc_skip_attribute(t, i, e);
        if (after != i) {
            i = after - 1;
            continue;
        }
        if (nbc_tok_is(&t[i], "=") || nbc_tok_is(&t[i], "{"))
            return e;
        if (!nbc_tok_is(&t[i], "("))
            continue;
        size_t name = i > s ? nbc_name_before(t, i) : e, lp = i;
        if (i + 3 < e && t[i + 1].kind == NBC_TOK_IDENT && nbc_tok_is(&t[i + 2], ")") &&
            nbc_tok_is(&t[i + 3], "(")) {
            name = i + 1;
            lp = i + 3;
        } else if (name >= e || name < s || t[name].kind != NBC_TOK_IDENT || nbc_is_type_keyword(t[name].text)) {
            return e;
        }
        size_t j = nbc_match(t, lp, e) + 1;
        while (j < e) {
            size_t next = nbc_skip_attribute(t, j, e);
            if (next == j)
                break;
            j = next;
        }
        if (j >= e)
            return name;
        i = nbc_match(t, lp, e); /* a macro's group: the declarator comes later */
    }
    return e;
}

static void fill_api_from_head(nbc_arena *a, nbc_api *api, nbc_file *f, const nbc_head *h)
{
    api->file = f;
    api->name = h->name;
    api->name_loc = h->name_loc;
    api->name_tok = h->name_tok;
    api->ret = h->ret;
    api->params = h->params;
    api->n_params = h->n_params;
    api->variadic = h->variadic;
    api->variadic_loc = h->variadic_loc;
    api->is_static = h->is_static;
    for (size_t i = 0; i < h->n_drop; i++)
        *NBC_PUSH(a, api->drop, api->n_drop, api->cap_drop) = h->drop[i];
}

/* The '{' or ';' ending the declaration that starts at t[i], or where it stops
 * looking like one (another annotation, an initializer, the end). */
static size_t declaration_end(const nbc_token *t, size_t i, size_t n)
{
    for (; i < n && !nbc_tok_is(&t[i], "{") && !nbc_tok_is(&t[i], ";"); i++) {
        if (nbc_tok_is(&t[i], "(") || nbc_tok_is(&t[i], "["))
            i = nbc_match(t, i, n);
        if (i < n && (nbc_tok_is(&t[i], "NB_API") || nbc_tok_is(&t[i], "NB_STRUCT") ||
                      nbc_tok_is(&t[i], "=")))
            break;
    }
    return i;
}

/* NB_API(...) at t[k]. Returns where the walk continues: a definition's '{'
 * (stored in *api_brace), or past a declaration's ';'. */
static size_t parse_api(nbc_pctx *c, nbc_file *f, size_t k, size_t *api_brace, size_t *decl)
{
    const nbc_token *t = f->code;
    size_t n = f->n_code;
    note_annotation(f, &t[k]);
    size_t j = k + 2;
    nbc_loc sel_loc = nbc_tok_loc(f, &t[k]);
    const char *sel = NULL;
    if (nbc_tok_is(&t[k + 1], "(")) {
        sel = take_strings(c, f, t, n, &j, &sel_loc);
        if (sel == NULL) {
            sel = "";
            sel_loc = nbc_tok_loc(f, &t[k + 2]);
        }
    }
    if (!nbc_tok_is(&t[k + 1], "(") || !nbc_tok_is(&t[j], ")")) {
        nbc_error(nbc_tok_loc(f, &t[k]), "NB_API takes an optional selector string: NB_API(\"&tag\") or NB_API()");
        return k + 1;
    }
    size_t head = j + 1, e = declaration_end(t, head, n);
    if (e >= n || !(nbc_tok_is(&t[e], "{") || nbc_tok_is(&t[e], ";"))) {
        nbc_error(nbc_tok_loc(f, &t[k]), "NB_API must be followed by a function definition or prototype");
        return head;
    }
    nbc_head h;
    if (nbc_parse_head(c, f, t + head, e - head, &h) != 0)
        return e + nbc_tok_is(&t[e], ";");
    nbc_api *api = nbc_arena_alloc(&c->m->arena, sizeof *api);
    fill_api_from_head(&c->m->arena, api, f, &h);
    api->selector = sel;
    api->sel_loc = sel_loc;
    api->loc = nbc_tok_loc(f, &t[k]);
    api->anno = (nbc_range){t[k].off, nbc_tok_end(&t[j])};
    if (nbc_tok_is(&t[e], "{")) {
        size_t close = nbc_match(t, e, n);
        if (close >= n) {
            /* Never guess where a body ends: removing it on other nodes would drop code. */
            nbc_error(nbc_tok_loc(f, &t[e]),
                      "cannot find the end of the body of '%s': its braces do not balance as nebulac "
                      "reads this file",
                      api->name);
            return e + 1;
        }
        api->is_definition = true;
        api->body_end = close < n ? nbc_tok_end(&t[close]) : f->len;
        *NBC_PUSH(&c->m->arena, c->m->apis, c->m->n_apis, c->m->cap_apis) = api;
        *api_brace = e;
        return e;
    }
    api->semi_end = nbc_tok_end(&t[e]);
    *NBC_PUSH(&c->m->arena, c->m->decls, c->m->n_decls, c->m->cap_decls) = api;
    *decl = e + 1;
    return e + 1;
}

/* One field declaration t[0..n) of an NB_STRUCT (`int a, *b, c[4]`). */
static void parse_field_decl(nbc_pctx *c, nbc_file *f, nbc_struct *st, const nbc_token *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (nbc_tok_is(&t[i], "{")) {
            nbc_error(nbc_tok_loc(f, &t[i]),
                      "nested struct definitions are not supported in an NB_STRUCT: define it as an NB_STRUCT of its own");
            return;
        }
        if (nbc_tok_is(&t[i], ":")) {
            nbc_error(nbc_tok_loc(f, &t[i]), "bit-fields are not supported in an NB_STRUCT");
            return;
        }
    }
    const nbc_ctype *first = NULL;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && (nbc_tok_is(&t[i], "(") || nbc_tok_is(&t[i], "["))) {
            i = nbc_match(t, i, n);
            continue;
        }
        if (i < n && !nbc_tok_is(&t[i], ","))
            continue;
        nbc_field *fd = NBC_PUSH(&c->m->arena, st->fields, st->n_fields, st->cap_fields);
        if (nbc_parse_declarator(c, f, t + start, i - start, true, first, &fd->type, &fd->name, &fd->loc) != 0 ||
            fd->name == NULL) {
            nbc_error(nbc_tok_loc(f, &t[start < n ? start : 0]), "expected a field name in NB_STRUCT %s",
                      st->display);
            st->n_fields--;
            return;
        }
        first = &st->fields[st->n_fields - 1].type;
        start = i + 1;
    }
}

static void parse_fields(nbc_pctx *c, nbc_file *f, nbc_struct *st, const nbc_token *t, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (nbc_tok_is(&t[i], "(") || nbc_tok_is(&t[i], "[") || nbc_tok_is(&t[i], "{")) {
            i = nbc_match(t, i, n);
            continue;
        }
        if (!nbc_tok_is(&t[i], ";"))
            continue;
        if (i > start)
            parse_field_decl(c, f, st, t + start, i - start);
        start = i + 1;
    }
    if (start < n)
        nbc_error(nbc_tok_loc(f, &t[n - 1]), "expected ';' after the last field of %s", st->display);
}

static size_t struct_syntax_error(nbc_file *f, const nbc_token *t)
{
    nbc_error(nbc_tok_loc(f, t), "NB_STRUCT must precede 'typedef struct tag { fields } name;' or "
                                 "'struct tag { fields };'");
    return 1;
}

/* NB_STRUCT at t[k]; returns the index after the definition's ';'. */
static size_t parse_struct(nbc_pctx *c, nbc_file *f, size_t k)
{
    const nbc_token *t = f->code;
    size_t n = f->n_code, j = k + 1;
    note_annotation(f, &t[k]);
    bool is_typedef = nbc_tok_is(&t[j], "typedef");
    j += is_typedef;
    if (nbc_tok_is(&t[j], "union")) {
        nbc_error(nbc_tok_loc(f, &t[j]), "NB_STRUCT applies to structs: unions cannot cross nodes");
        return k + 1;
    }
    if (!nbc_tok_is(&t[j], "struct"))
        return k + struct_syntax_error(f, &t[j]);
    j++;
    const char *tag = NULL;
    if (t[j].kind == NBC_TOK_IDENT)
        tag = t[j++].text;
    if (!nbc_tok_is(&t[j], "{"))
        return k + struct_syntax_error(f, &t[j]);
    size_t lb = j, rb = nbc_match(t, lb, n);
    if (rb >= n)
        return k + struct_syntax_error(f, &t[lb]);
    j = rb + 1;
    const char *tname = NULL;
    if (is_typedef && t[j].kind == NBC_TOK_IDENT)
        tname = t[j++].text;
    if ((is_typedef && tname == NULL) || !nbc_tok_is(&t[j], ";") || (!is_typedef && tag == NULL))
        return k + struct_syntax_error(f, &t[j]);

    nbc_arena *a = &c->m->arena;
    nbc_struct *st = nbc_arena_alloc(a, sizeof *st);
    st->tag = tag ? nbc_arena_strdup(a, tag) : NULL;
    st->typedef_name = tname ? nbc_arena_strdup(a, tname) : NULL;
    st->display = tname ? st->typedef_name : nbc_arena_printf(a, "struct %s", tag);
    st->ident = tname ? st->typedef_name : st->tag;
    st->file = f;
    st->loc = nbc_tok_loc(f, &t[k]);
    st->off = t[k].off;
    st->semi_end = nbc_tok_end(&t[j]);
    parse_fields(c, f, st, t + lb + 1, rb - lb - 1);
    *NBC_PUSH(a, c->m->structs, c->m->n_structs, c->m->cap_structs) = st;
    return j + 1;
}

/* NB_MODULE(.default_timeout = N, .max_concurrent_calls = N, .max_time_extensions = N);
 * at t[k]. .max_time_extensions also takes NB_NO_EXTENSIONS. */
static size_t parse_module(nbc_file *f, size_t k)
{
    const nbc_token *t = f->code;
    note_annotation(f, &t[k]);
    nbc_module_opts mo = {.present = true, .loc = nbc_tok_loc(f, &t[k])};
    size_t j = k + 1;
    if (!nbc_tok_is(&t[j++], "("))
        goto syntax;
    while (!nbc_tok_is(&t[j], ")")) {
        if (!nbc_tok_is(&t[j], ".") || t[j + 1].kind != NBC_TOK_IDENT || !nbc_tok_is(&t[j + 2], "=") ||
            (t[j + 3].kind != NBC_TOK_NUMBER && t[j + 3].kind != NBC_TOK_IDENT))
            goto syntax;
        bool is_ext = strcmp(t[j + 1].text, "max_time_extensions") == 0;
        long v = 0;
        if (t[j + 3].kind == NBC_TOK_IDENT) {
            if (!is_ext || strcmp(t[j + 3].text, "NB_NO_EXTENSIONS") != 0) {
                nbc_error(nbc_tok_loc(f, &t[j + 3]), "NB_MODULE: '%s' is not a non-negative integer%s",
                          t[j + 3].text, is_ext ? " or NB_NO_EXTENSIONS" : "");
                return j + 4;
            }
            v = -1; /* NB_NO_EXTENSIONS */
        } else {
            char *end;
            v = strtol(t[j + 3].text, &end, 10);
            if (*end != '\0' || v < 0 || v > 1000000000) {
                nbc_error(nbc_tok_loc(f, &t[j + 3]), "NB_MODULE: '%s' is not a non-negative integer", t[j + 3].text);
                return j + 4;
            }
        }
        if (strcmp(t[j + 1].text, "default_timeout") == 0) {
            mo.default_timeout_ms = (int)v;
        } else if (strcmp(t[j + 1].text, "max_concurrent_calls") == 0) {
            mo.max_concurrent_calls = (int)v;
        } else if (is_ext) {
            mo.max_time_extensions = (int)v;
        } else {
            nbc_error(nbc_tok_loc(f, &t[j + 1]),
                      "NB_MODULE has no option '%s' (it takes .default_timeout, .max_concurrent_calls and "
                      ".max_time_extensions)",
                      t[j + 1].text);
            return j + 4;
        }
        j += 4;
        if (nbc_tok_is(&t[j], ","))
            j++;
    }
    if (!nbc_tok_is(&t[j + 1], ";"))
        goto syntax;
    mo.at = (nbc_range){t[k].off, nbc_tok_end(&t[j + 1])};
    if (!f->is_source) {
        nbc_error(mo.loc, "NB_MODULE belongs in a source file: it sets the options of the APIs that file defines");
    } else if (f->module.present) {
        nbc_error(mo.loc, "a second NB_MODULE in this file");
        nbc_note(f->module.loc, "the first one is here");
    } else {
        f->module = mo;
    }
    return j + 2;
syntax:
    nbc_error(mo.loc, "expected NB_MODULE(.default_timeout = MS, .max_concurrent_calls = N, "
                      ".max_time_extensions = N);");
    return k + 1;
}

/* Records a file-scope prototype or a plain function definition ending at t[e]. */
static bool note_function(nbc_pctx *c, nbc_file *f, size_t s, size_t e, bool definition)
{
    size_t name = function_declarator(f->code, s, e);
    if (name == e)
        return false;
    if (definition) {
        nbc_plain_def *d = NBC_PUSH(&c->m->arena, f->plain_defs, f->n_plain_defs, f->cap_plain_defs);
        *d = (nbc_plain_def){f->code[name].text, s, e};
    } else {
        nbc_proto *p = NBC_PUSH(&c->m->arena, f->protos, f->n_protos, f->cap_protos);
        *p = (nbc_proto){f->code[name].text, nbc_tok_end(&f->code[e]), nbc_tok_loc(f, &f->code[name])};
    }
    return true;
}

/*
 * Notes the string-literal selectors of routing blocks and f__with calls at
 * t[k], for validation against the topology (non-literal ones are the
 * runtime's to check). `with_api`: the API whose f__with call encloses t[k].
 */
static void note_route(nbc_pctx *c, nbc_file *f, size_t k, const char *with_api)
{
    const nbc_token *t = f->code;
    const char *what = NULL;
    size_t j = 0;
    if ((nbc_tok_is(&t[k], "NB_ON_NODE") || nbc_tok_is(&t[k], "NB_ON_NODES")) && nbc_tok_is(&t[k + 1], "(")) {
        what = t[k].text;
        j = k + 2;
    } else if (with_api != NULL && nbc_tok_is(&t[k], ".") && k + 3 < f->n_code &&
               (nbc_tok_is(&t[k + 1], "node") || nbc_tok_is(&t[k + 1], "nodes")) && nbc_tok_is(&t[k + 2], "=")) {
        what = "call";
        j = k + 3;
    }
    if (what == NULL || t[j].kind != NBC_TOK_STRING)
        return;
    nbc_loc loc;
    size_t after = j;
    const char *sel = take_strings(c, f, t, f->n_code, &after, &loc);
    if (sel == NULL || (!nbc_tok_is(&t[after], ")") && !nbc_tok_is(&t[after], ",") && !nbc_tok_is(&t[after], "}")))
        return; /* "a" b: not a plain literal */
    nbc_route *r = NBC_PUSH(&c->m->arena, c->m->routes, c->m->n_routes, c->m->cap_routes);
    r->selector = sel;
    r->loc = loc;
    r->api = with_api ? nbc_arena_strdup(&c->m->arena, with_api) : NULL;
    r->what = with_api ? nbc_arena_printf(&c->m->arena, "%s__with call", with_api)
                       : nbc_arena_printf(&c->m->arena, "%s call", what);
}

static bool is_annotation(const nbc_token *t)
{
    return nbc_tok_is(t, "NB_API") || nbc_tok_is(t, "NB_STRUCT") || nbc_tok_is(t, "NB_MODULE");
}

void nbc_parse_code(nbc_pctx *c, nbc_file *f)
{
    const nbc_token *t = f->code;
    size_t n = f->n_code, decl = 0, api_brace = (size_t)-1;
    int depth = 0;
    bool fn_body = false;
    const char *with_api = NULL; /* inside `name__with(` ... */
    size_t with_end = 0;
    for (size_t k = 0; k < n;) {
        const nbc_token *x = &t[k];
        if (k >= with_end)
            with_api = NULL;
        size_t xl = x->len;
        if (x->kind == NBC_TOK_IDENT && xl > 6 && strcmp(x->text + xl - 6, "__with") == 0 &&
            nbc_tok_is(&t[k + 1], "(")) {
            with_api = nbc_arena_strndup(&c->m->arena, x->text, xl - 6);
            with_end = nbc_match(t, k + 1, n);
            nbc_note_call_options(c, f, k, true);
        } else if (x->kind == NBC_TOK_IDENT && xl >= 10 && memcmp(x->text, "NB_ON_", 6) == 0) {
            nbc_note_call_options(c, f, k, false);
        }
        note_route(c, f, k, with_api);
        if (nbc_tok_is(x, "NB_ON")) {
            int v;
            k += nbc_parse_on(c, f, x, n - k, &v);
            continue;
        }
        if (nbc_tok_is(x, "nb_start") && nbc_tok_is(&t[k + 1], "("))
            *NBC_PUSH(&c->m->arena, f->nb_start_calls, f->n_nb_start, f->cap_nb_start) = x->off;
        if (is_annotation(x) && depth != 0) {
            nbc_error(nbc_tok_loc(f, x), "%s must be used at file scope", x->text);
        } else if (nbc_tok_is(x, "NB_API")) {
            k = parse_api(c, f, k, &api_brace, &decl);
            continue;
        } else if (nbc_tok_is(x, "NB_STRUCT")) {
            k = decl = parse_struct(c, f, k);
            continue;
        } else if (nbc_tok_is(x, "NB_MODULE")) {
            k = decl = parse_module(f, k);
            continue;
        } else if (nbc_tok_is(x, "{")) {
            if (depth == 0)
                fn_body = k == api_brace || note_function(c, f, decl, k, true);
            depth++;
        } else if (nbc_tok_is(x, "}") && depth > 0) {
            if (--depth == 0 && fn_body) {
                decl = k + 1;
                fn_body = false;
            }
        } else if (nbc_tok_is(x, ";") && depth == 0) {
            note_function(c, f, decl, k, false);
            decl = k + 1;
        }
        k++;
    }
}

nbc_file *nbc_load_file(nbc_pctx *c, const char *path, bool is_source, nbc_loc from)
{
    nbc_model *m = c->m;
    if (from.file == NULL)
        from = (nbc_loc){path, 1, 1};
    char *abs = nbc_abs_path(path);
    if (abs == NULL) {
        nbc_error(from, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < m->n_files; i++) {
        if (strcmp(m->files[i]->abs_path, abs) == 0) {
            free(abs);
            m->files[i]->is_source |= is_source;
            return m->files[i];
        }
    }
    size_t len;
    char *buf = nbc_read_file(abs, &len);
    if (buf == NULL || len >= UINT32_MAX) {
        if (buf != NULL)
            nbc_error(from, "'%s' is 4 GiB or larger: nebulac reads files under 4 GiB", path);
        else
            nbc_error(from, "cannot read '%s': %s", path, strerror(errno));
        free(buf);
        free(abs);
        return NULL;
    }
    nbc_file *f = nbc_arena_alloc(&m->arena, sizeof *f);
    f->abs_path = nbc_arena_strdup(&m->arena, abs);
    char *rel = nbc_rel_path(abs, c->cwd);
    f->rel_path = rel ? nbc_arena_strdup(&m->arena, rel) : NULL;
    if (rel == NULL) {
        char *shown = nbc_display_path(abs, c->cwd);
        f->path = nbc_arena_strdup(&m->arena, shown);
        free(shown);
    } else {
        f->path = f->rel_path;
    }
    free(rel);
    free(abs);
    f->is_source = is_source;
    f->buf = buf;
    f->len = len;
    *NBC_PUSH(&m->arena, m->files, m->n_files, m->cap_files) = f;
    nbc_lex_ext(buf, len, c->opts->trigraphs, &f->lx);
    if (f->lx.too_long) {
        /* Tokens keep their length in 24 bits (lexer.h): refuse, never truncate. */
        nbc_loc at = {f->path, 0, 0};
        nbc_lexed_pos(&f->lx, f->lx.too_long - 1, &at.line, &at.col);
        nbc_error(at, "a token of 16 MiB or more: nebulac reads tokens under 16 MiB");
        f->code = f->lx.toks;
        f->code[0] = f->code[f->lx.n - 1]; /* no code: the EOF sentinel alone */
        f->lx.toks = NULL;
        f->n_code = 0;
        return f;
    }
    nbc_scan(c, f, true);
    nbc_parse_code(c, f);
    return f;
}

static int api_by_name(const void *a, const void *b)
{
    return strcmp((*(nbc_api *const *)a)->name, (*(nbc_api *const *)b)->name);
}

nbc_api **nbc_model_apis_by_name(const nbc_model *m)
{
    nbc_api **sorted = malloc((m->n_apis + 1) * sizeof *sorted);
    if (sorted == NULL)
        nbc_oom();
    if (m->n_apis > 0) {
        memcpy(sorted, m->apis, m->n_apis * sizeof *sorted);
        qsort(sorted, m->n_apis, sizeof *sorted, api_by_name);
    }
    return sorted;
}

nbc_api *nbc_model_find_api(const nbc_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_apis; i++)
        if (strcmp(m->apis[i]->name, name) == 0)
            return m->apis[i];
    return NULL;
}

/* An annotated prototype whose definition carries no NB_API makes that
 * definition the API, with the prototype's selector. */
static void adopt_definition(nbc_pctx *c, const nbc_api *d)
{
    nbc_model *m = c->m;
    for (size_t i = 0; i < m->n_files; i++) {
        nbc_file *f = m->files[i];
        for (size_t j = 0; j < f->n_plain_defs; j++) {
            const nbc_plain_def *pd = &f->plain_defs[j];
            if (strcmp(pd->name, d->name) != 0)
                continue;
            nbc_head h;
            if (nbc_parse_head(c, f, f->code + pd->head, pd->brace - pd->head, &h) != 0)
                return;
            nbc_api *api = nbc_arena_alloc(&m->arena, sizeof *api);
            fill_api_from_head(&c->m->arena, api, f, &h);
            const nbc_token *start = &f->code[pd->head];
            size_t close = nbc_match(f->code, pd->brace, f->n_code);
            if (close >= f->n_code) {
                nbc_error(nbc_tok_loc(f, &f->code[pd->brace]),
                          "cannot find the end of the body of '%s': its braces do not balance as "
                          "nebulac reads this file",
                          pd->name);
                return;
            }
            api->selector = d->selector;
            api->sel_loc = d->sel_loc;
            api->loc = nbc_tok_loc(f, start);
            api->anno = (nbc_range){start->off, start->off};
            api->is_definition = true;
            api->body_end = close < f->n_code ? nbc_tok_end(&f->code[close]) : f->len;
            *NBC_PUSH(&m->arena, m->apis, m->n_apis, m->cap_apis) = api;
            return;
        }
    }
}

static size_t file_index(const nbc_model *m, const nbc_file *f)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (m->files[i] == f)
            return i;
    return m->n_files;
}

static int api_order(const void *a, const void *b, void *m)
{
    const nbc_api *x = *(nbc_api *const *)a, *y = *(nbc_api *const *)b;
    size_t fx = file_index(m, x->file), fy = file_index(m, y->file);
    if (fx != fy)
        return fx < fy ? -1 : 1;
    return x->anno.off < y->anno.off ? -1 : x->anno.off > y->anno.off;
}

static bool declares_api(const nbc_model *m, const nbc_file *f)
{
    for (size_t i = 0; i < f->n_protos; i++)
        if (nbc_model_find_api(m, f->protos[i].name) != NULL)
            return true;
    return false;
}

/* Which files are written: every source, every header holding annotations or
 * a prototype of an API, and every header on the include path to one of those
 * (so the compiler reaches the rewritten copy, not the original). */
static void mark_rewrites(nbc_model *m)
{
    for (size_t i = 0; i < m->n_files; i++) {
        nbc_file *f = m->files[i];
        f->rewrite = f->rel_path != NULL && (f->is_source || f->has_annotations || declares_api(m, f));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < m->n_files; i++) {
            nbc_file *f = m->files[i];
            for (size_t j = 0; !f->rewrite && f->rel_path != NULL && j < f->n_includes; j++) {
                if (f->includes[j]->rewrite)
                    f->rewrite = changed = true;
            }
        }
    }
}

int nbc_parse(nbc_model *m, const nbc_parse_opts *opts, const char *const *sources, size_t n)
{
    int before = nbc_error_count();
    nbc_pctx c = {m, opts, nbc_cwd(), 0, NULL, NULL, 0, 0};
    /* Each source is a translation unit of its own: its macros start from the
     * command line, then every -include file, as cc reads them. */
    for (size_t i = 0; i < n; i++) {
        c.tu++;
        c.mac = nbc_macros_new(&opts->cc);
        for (size_t k = 0; k < opts->n_macro_flags; k++)
            nbc_macros_cmdline(c.mac, opts->macro_flags[k]);
        for (size_t k = 0; k < opts->n_pre_includes; k++)
            nbc_include_file(&c, opts->pre_includes[k], (nbc_loc){opts->pre_includes[k], 1, 1});
        nbc_file *f = nbc_load_file(&c, sources[i], true, (nbc_loc){0});
        if (f != NULL && f->tu != c.tu)
            nbc_scan(&c, f, false);
        nbc_macros_free(c.mac);
        c.mac = NULL;
    }
    for (size_t i = 0; i < m->n_decls; i++)
        if (nbc_model_find_api(m, m->decls[i]->name) == NULL)
            adopt_definition(&c, m->decls[i]);
    if (m->n_apis > 1)
        qsort_r(m->apis, m->n_apis, sizeof *m->apis, api_order, m);
    mark_rewrites(m);
    free(c.cwd);
    return nbc_error_count() - before;
}

void nbc_model_drop_tokens(nbc_model *m)
{
    for (size_t i = 0; i < m->n_files; i++) {
        free(m->files[i]->code);
        m->files[i]->code = NULL;
        m->files[i]->n_code = 0;
    }
}

void nbc_model_free(nbc_model *m)
{
    for (size_t i = 0; i < m->n_files; i++) {
        free(m->files[i]->buf);
        free(m->files[i]->code);
        nbc_lexed_free(&m->files[i]->lx);
    }
    nbc_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}
