/*
 * emit_source.c — the rewritten copy of a source or header.
 *
 * The user's text is kept byte for byte except where an edit applies, and every
 * edit keeps the newlines it removes, so line N of the copy is line N of the
 * original (after the one-line `#line 1` prologue that says so). Generated code
 * goes at the end of a source, under `#line` directives pointing at the NB_API
 * it belongs to.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "fsutil.h"
#include "types.h"

/* Replace [off, end) by text (NULL: nothing), keeping the newlines of the range. */
typedef struct edit {
    size_t off, end;
    char *text;      /* owned */
    size_t seq;      /* creation order: ties keep it */
} edit;

typedef struct edits {
    edit *items;
    size_t n, cap;
} edits;

static void add_edit(edits *e, size_t off, size_t end, char *text)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->items = realloc(e->items, e->cap * sizeof *e->items);
        if (e->items == NULL)
            nbc_oom();
    }
    e->items[e->n] = (edit){off, end, text, e->n};
    e->n++;
}

/* A malloc'd copy (the edit list frees it). */
static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        nbc_oom();
    return p;
}

static int edit_order(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    /* At one offset: insertions first (they go before the text there), then the
     * enclosing edit, which wins over the edits inside it. */
    bool xi = x->end == x->off, yi = y->end == y->off;
    if (xi != yi)
        return xi ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Applies the edits to f's text. An edit inside one already applied (an NB_ON
 * in a removed body) is dropped with the text it was in. */
static void apply_edits(nbc_buf *o, const nbc_file *f, edits *e)
{
    if (e->n > 1)
        qsort(e->items, e->n, sizeof *e->items, edit_order);
    size_t pos = f->lx.text_start; /* a byte order mark would land mid-file after the prologue */
    for (size_t i = 0; i < e->n; i++) {
        const edit *x = &e->items[i];
        if (x->off < pos)
            continue;
        nbc_buf_add(o, f->buf + pos, x->off - pos);
        if (x->text != NULL)
            nbc_buf_puts(o, x->text);
        for (size_t k = x->off; k < x->end; k++)
            if (f->buf[k] == '\n')
                nbc_buf_putc(o, '\n');
        pos = x->end;
    }
    nbc_buf_add(o, f->buf + pos, f->len - pos);
}

/* The name of f__with's call parameter in prototypes: `call`, unless a
 * parameter has it. A static string. */
static const char *call_name(const nbc_api *a)
{
    for (size_t i = 0; i < a->n_params; i++)
        if (a->params[i].name != NULL && strcmp(a->params[i].name, "call") == 0)
            return "nb__call";
    return "call";
}

/* The name of parameter i: the user's in prototypes (what readers see), nb__pI
 * in generated definitions, so no user name can meet a generated one
 * (nb__a, nb__ret, a global the user named like a parameter). */
static void put_param_name(nbc_buf *o, const nbc_api *a, size_t i, bool internal)
{
    if (internal)
        nbc_buf_printf(o, "nb__p%zu", i);
    else
        nbc_buf_puts(o, a->params[i].name);
}

/* with_call: 0 none, 1 `call` as readers see it in prototypes, 2 `nb__call` in
 * the definition (where a user global named `call` would trip -Wshadow).
 * internal: generated parameter names (definitions). */
static void put_params(nbc_buf *o, const nbc_api *a, int with_call, bool internal)
{
    if (with_call)
        nbc_buf_printf(o, "const nb_call *%s%s", with_call == 2 ? "nb__call" : call_name(a),
                       a->n_params ? ", " : "");
    for (size_t i = 0; i < a->n_params; i++) {
        if (i > 0)
            nbc_buf_puts(o, ", ");
        nbc_buf b = {0};
        put_param_name(&b, a, i, internal);
        nbc_put_decl(o, &a->params[i].type, nbc_buf_str(&b));
        nbc_buf_free(&b);
    }
    if (!with_call && a->n_params == 0)
        nbc_buf_puts(o, "void");
}

/* "user_t *users_find" + suffix + "(" params ")" */
static void put_proto(nbc_buf *o, const nbc_api *a, const char *suffix, int with_call, bool internal)
{
    nbc_buf b = {0};
    nbc_buf_printf(&b, "%s%s", a->name, suffix);
    nbc_put_decl(o, &a->ret, nbc_buf_str(&b));
    nbc_buf_free(&b);
    nbc_buf_putc(o, '(');
    put_params(o, a, with_call, internal);
    nbc_buf_putc(o, ')');
}

/* The argument list of a call: "nb__p0, nb__p1", or the fields "nb__a->id, ..."
 * for the local wrapper (prefix given). */
static void put_args(nbc_buf *o, const nbc_api *a, const char *prefix)
{
    for (size_t i = 0; i < a->n_params; i++) {
        nbc_buf_puts(o, i ? ", " : "");
        if (prefix != NULL)
            nbc_buf_printf(o, "%s%s", prefix, a->params[i].name);
        else
            put_param_name(o, a, i, true);
    }
}

/* Declarations nebulac adds next to the user's may repeat a header's prototype:
 * nebula.h's NB__DECLS_BEGIN/END turn -Wredundant-decls off for them alone. */
#define NBC_QUIET_BEGIN "NB__DECLS_BEGIN "
#define NBC_QUIET_END " NB__DECLS_END"

/* "nb__body_<name>", malloc'd for the edit list, which frees it. */
static char *body_name(const nbc_api *a)
{
    nbc_buf b = {0};
    nbc_buf_printf(&b, "nb__body_%s", a->name);
    return nbc_buf_take(&b);
}

static char *with_proto(const nbc_api *a);

static void add_api_edits(edits *e, const nbc_api *a)
{
    /* The annotation line declares the router and f__with, so code below the
     * definition can call either even without a header prototype. */
    nbc_buf b = {0};
    nbc_buf_puts(&b, NBC_QUIET_BEGIN);
    put_proto(&b, a, "", 0, false);
    nbc_buf_putc(&b, ';');
    char *with = with_proto(a);
    nbc_buf_puts(&b, with);
    free(with);
    nbc_buf_puts(&b, NBC_QUIET_END);
    if (a->local) {
        /* The body stays, renamed and static; the router takes its name.
         * `used` keeps an out-of-line copy even where the optimizer inlines
         * every call, so the body stays visible to nm and to debuggers. */
        nbc_buf_puts(&b, a->anno.off == a->anno.end ? " static __attribute__((used)) "
                                                    : " static __attribute__((used))");
        add_edit(e, a->anno.off, a->anno.end, nbc_buf_take(&b));
        add_edit(e, a->name_tok.off, a->name_tok.end, body_name(a));
        for (size_t i = 0; i < a->n_drop; i++)
            add_edit(e, a->drop[i].off, a->drop[i].end, NULL);
    } else {
        /* Not served here: no trace of the body. */
        add_edit(e, a->anno.off, a->body_end, nbc_buf_take(&b));
    }
}

/* " nb_future *users_find__async(int64_t id);" (with_call: __async_with). */
static void async_proto(nbc_buf *o, const nbc_api *a, int with_call, bool internal)
{
    nbc_buf_printf(o, "nb_future *%s__async%s(", a->name, with_call ? "_with" : "");
    put_params(o, a, with_call, internal);
    nbc_buf_putc(o, ')');
}

/* "user_t *users_find__await(nb_future *fut)" */
static void await_proto(nbc_buf *o, const nbc_api *a, bool internal)
{
    nbc_buf b = {0};
    nbc_buf_printf(&b, "%s__await", a->name);
    nbc_put_decl(o, &a->ret, nbc_buf_str(&b));
    nbc_buf_free(&b);
    nbc_buf_printf(o, "(nb_future *%s)", internal ? "nb__fut" : "fut");
}

/* " user_t *users_find__with(const nb_call *call, int64_t id);" and the
 * asynchronous trio (docs/async.md), on one line; malloc'd for the edit list,
 * which frees it. */
static char *with_proto(const nbc_api *a)
{
    nbc_buf b = {0};
    nbc_buf_putc(&b, ' ');
    put_proto(&b, a, "__with", 1, false);
    nbc_buf_puts(&b, "; ");
    async_proto(&b, a, 0, false);
    nbc_buf_puts(&b, "; ");
    async_proto(&b, a, 1, false);
    nbc_buf_puts(&b, "; ");
    await_proto(&b, a, false);
    nbc_buf_putc(&b, ';');
    return nbc_buf_take(&b);
}

/* with_proto between the pragmas that quiet -Wredundant-decls; malloc'd. */
static char *quiet_with_proto(const nbc_api *a)
{
    nbc_buf b = {0};
    char *w = with_proto(a);
    nbc_buf_printf(&b, " " NBC_QUIET_BEGIN "%s" NBC_QUIET_END, w + 1);
    free(w);
    return nbc_buf_take(&b);
}

static bool file_defines_code(const nbc_model *m, const nbc_file *f)
{
    for (size_t i = 0; i < m->n_apis; i++)
        if (m->apis[i]->file == f)
            return true;
    for (size_t i = 0; i < m->n_structs; i++)
        if (m->structs[i]->file == f)
            return true;
    return false;
}

/*
 * A source that defines APIs or structs needs nebula.h before its first
 * annotation. Not at the very top: a source often starts with
 * `#define _POSIX_C_SOURCE ...`, which must come before any system header.
 * The include goes on lines of its own, followed by a #line that puts the
 * annotation back on its original line and column.
 */
static void add_nebula_include(const nbc_model *m, const nbc_file *f, edits *e)
{
    size_t off = (size_t)-1;
    nbc_loc loc = {0};
    for (size_t i = 0; i < m->n_apis; i++) {
        if (m->apis[i]->file == f && m->apis[i]->anno.off < off) {
            off = m->apis[i]->anno.off;
            loc = m->apis[i]->loc;
        }
    }
    for (size_t i = 0; i < m->n_structs; i++) {
        if (m->structs[i]->file == f && m->structs[i]->off < off) {
            off = m->structs[i]->off;
            loc = m->structs[i]->loc;
        }
    }
    if (off == (size_t)-1)
        return;
    nbc_buf b = {0};
    nbc_buf_puts(&b, loc.col > 1 ? "\n#include <nebula.h>\n" : "#include <nebula.h>\n");
    nbc_emit_line(&b, loc.line, f->path);
    for (int i = 1; i < loc.col; i++)
        nbc_buf_putc(&b, ' ');
    add_edit(e, off, off, nbc_buf_take(&b));
}

/*
 * A quoted include the rewritten copy would resolve differently: the original
 * found a header beside itself that is not rewritten, but the copy's directory
 * holds no such file, so the compiler would search the -I directories and could
 * find another header of that name. The copy names the original exactly.
 */
static void add_include_edits(const nbc_file *f, edits *e)
{
    for (size_t i = 0; i < f->n_increfs; i++) {
        const nbc_incref *r = &f->increfs[i];
        if (!r->own_dir || r->target->rewrite || strpbrk(r->target->abs_path, "\"\\\n") != NULL)
            continue;
        nbc_buf b = {0};
        nbc_buf_printf(&b, "\"%s\"", r->target->abs_path);
        add_edit(e, r->name.off, r->name.end, nbc_buf_take(&b));
    }
}

/*
 * At the end of a directive line (its newline at `off`) opening a branch nebulac
 * read as not compiled although it holds annotations: an #error for the compiler
 * to meet if it disagrees, then a #line back to the next original line.
 */
static void add_guard(const nbc_file *f, size_t off, edits *e)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        line += f->buf[i] == '\n';
    nbc_buf b = {0};
    nbc_buf_puts(&b, "\n#error \"nebulac read this branch as not compiled, but the compiler takes it: "
                     "report this (docs/defining.md, Conditional compilation)\"\n");
    nbc_emit_line(&b, line + 1, f->path);
    /* The newline at off ends the #line directive. */
    b.len--;
    b.data[b.len] = '\0';
    add_edit(e, off, off, nbc_buf_take(&b));
}

static void collect_edits(const nbc_model *m, const nbc_file *f, edits *e)
{
    add_include_edits(f, e);
    if (f->is_source)
        add_nebula_include(m, f, e);
    for (size_t i = 0; i < f->n_ons; i++)
        add_edit(e, f->ons[i].at.off, f->ons[i].at.end, xstrdup(f->ons[i].value ? "1" : "0"));
    for (size_t i = 0; i < f->n_blanks; i++)
        add_edit(e, f->blanks[i].off, f->blanks[i].end, NULL);
    for (size_t i = 0; i < f->n_guards; i++)
        add_guard(f, f->guards[i], e);
    if (f->module.present)
        add_edit(e, f->module.at.off, f->module.at.end, NULL);
    for (size_t i = 0; i < m->n_apis; i++)
        if (m->apis[i]->file == f)
            add_api_edits(e, m->apis[i]);
    for (size_t i = 0; i < m->n_decls; i++) {
        const nbc_api *d = m->decls[i];
        if (d->file != f)
            continue;
        add_edit(e, d->anno.off, d->anno.end, NULL);
        add_edit(e, d->semi_end, d->semi_end, quiet_with_proto(nbc_model_find_api(m, d->name)));
    }
    for (size_t i = 0; i < f->n_protos; i++) {
        const nbc_api *a = nbc_model_find_api(m, f->protos[i].name);
        if (a != NULL)
            add_edit(e, f->protos[i].semi_end, f->protos[i].semi_end, quiet_with_proto(a));
    }
    for (size_t i = 0; i < m->n_structs; i++) {
        if (m->structs[i]->file != f)
            continue;
        nbc_buf b = {0};
        nbc_emit_struct_decls(&b, m->structs[i]);
        add_edit(e, m->structs[i]->semi_end, m->structs[i]->semi_end, nbc_buf_take(&b));
    }
}

/* The C zero value of t, as a static string. */
static const char *zero_value(const nbc_ctype *t)
{
    switch (t->kind) {
    case NBC_K_STRUCT:
    case NBC_K_BYTES: return "{0}";
    case NBC_K_STR:
    case NBC_K_STRUCT_PTR: return "NULL";
    case NBC_K_BOOL: return "false";
    default: return "0";
    }
}

static void emit_args_type(nbc_buf *o, const nbc_api *a)
{
    nbc_buf_printf(o, "struct nb__args_%s {\n", a->name);
    for (size_t i = 0; i < a->n_params; i++) {
        nbc_buf_puts(o, "    ");
        nbc_put_decl(o, &a->params[i].type, a->params[i].name);
        nbc_buf_puts(o, ";\n");
    }
    if (a->n_params == 0)
        nbc_buf_puts(o, "    char nb__unused;\n");
    nbc_buf_puts(o, "};\n");
    if (a->n_params > 0) {
        nbc_buf_printf(o, "static const nb__field nb__fields_%s[] = {\n", a->name);
        for (size_t i = 0; i < a->n_params; i++) {
            const nbc_param *p = &a->params[i];
            nbc_buf_printf(o, "    {\"%s\", offsetof(struct nb__args_%s, %s), ", p->name, a->name, p->name);
            nbc_emit_tref(o, &p->type, NULL);
            nbc_buf_puts(o, "},\n");
        }
        nbc_buf_puts(o, "};\n");
    }
    nbc_buf_printf(o, "static const nb__type nb__args_type_%s = {\n    \"%s\", sizeof(struct nb__args_%s), %zu, ",
                   a->name, a->name, a->name, a->n_params);
    if (a->n_params > 0)
        nbc_buf_printf(o, "nb__fields_%s};\n", a->name);
    else
        nbc_buf_puts(o, "NULL};\n");
}

static void emit_local_wrapper(nbc_buf *o, const nbc_api *a)
{
    nbc_buf_printf(o, "static void nb__local_%s(void *nb__args, void *nb__ret)\n{\n", a->name);
    if (a->n_params > 0)
        nbc_buf_printf(o, "    struct nb__args_%s *nb__a = (struct nb__args_%s *)nb__args;\n", a->name, a->name);
    else
        nbc_buf_puts(o, "    (void)nb__args;\n");
    if (a->ret.kind == NBC_K_VOID) {
        nbc_buf_printf(o, "    (void)nb__ret;\n    nb__body_%s(", a->name);
    } else {
        const char *ct = a->ret.c_text;
        nbc_buf_printf(o, "    *(%s%s*)nb__ret = nb__body_%s(", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", a->name);
    }
    put_args(o, a, "nb__a->");
    nbc_buf_puts(o, ");\n}\n");
}

static void emit_method(nbc_buf *o, const nbc_api *a)
{
    nbc_buf_printf(o, "static const uint32_t nb__serving_%s[] = {", a->name);
    for (size_t i = 0; i < a->n_serving; i++)
        nbc_buf_printf(o, "%s%" PRIu32, i ? ", " : "", a->serving[i]);
    nbc_buf_puts(o, "};\n");
    nbc_buf_printf(o, "const nb__method nb__method_%s = {\n    .name = \"%s\",\n    .signature = \"", a->name, a->name);
    nbc_buf_put_cstr(o, a->signature);
    nbc_buf_printf(o, "\",\n    .wire_id = UINT64_C(0x%016" PRIx64 "),\n    .selector = \"", a->wire_id);
    nbc_buf_put_cstr(o, a->selector);
    nbc_buf_printf(o, "\",\n    .module = &nb__this_module,\n    .args = &nb__args_type_%s,\n    .ret = ", a->name);
    nbc_emit_tref(o, &a->ret, NULL);
    if (a->local)
        nbc_buf_printf(o, ",\n    .local = nb__local_%s,\n", a->name);
    else
        nbc_buf_puts(o, ",\n    .local = NULL,\n");
    nbc_buf_printf(o, "    .serving = nb__serving_%s,\n    .n_serving = %zu,\n};\n", a->name, a->n_serving);
}

static void emit_with(nbc_buf *o, const nbc_api *a)
{
    bool is_void = a->ret.kind == NBC_K_VOID;
    /* Declared on the annotation's line already. */
    put_proto(o, a, "__with", 2, true);
    nbc_buf_puts(o, "\n{\n");
    nbc_buf_printf(o, "    struct nb__args_%s nb__a = {", a->name);
    put_args(o, a, NULL);
    nbc_buf_puts(o, a->n_params ? "};\n" : "0};\n");
    if (!is_void) {
        nbc_buf_puts(o, "    ");
        nbc_put_decl(o, &a->ret, "nb__ret");
        nbc_buf_printf(o, " = %s;\n", zero_value(&a->ret));
    }
    nbc_buf_printf(o, "    nb__invoke(&nb__method_%s, nb__call, &nb__a, %s);\n", a->name,
                   is_void ? "NULL" : "&nb__ret");
    if (!is_void)
        nbc_buf_puts(o, "    return nb__ret;\n");
    nbc_buf_puts(o, "}\n");
}

/* f__async_with, f__async and f__await (declared with f__with). */
static void emit_async(nbc_buf *o, const nbc_api *a)
{
    async_proto(o, a, 2, true);
    nbc_buf_puts(o, "\n{\n");
    nbc_buf_printf(o, "    struct nb__args_%s nb__a = {", a->name);
    put_args(o, a, NULL);
    nbc_buf_puts(o, a->n_params ? "};\n" : "0};\n");
    nbc_buf_printf(o, "    return nb__invoke_async(&nb__method_%s, nb__call, &nb__a);\n}\n", a->name);
    async_proto(o, a, 0, true);
    nbc_buf_printf(o, "\n{\n    return %s__async_with(NULL%s", a->name, a->n_params ? ", " : "");
    put_args(o, a, NULL);
    nbc_buf_puts(o, ");\n}\n");
    bool is_void = a->ret.kind == NBC_K_VOID;
    await_proto(o, a, true);
    nbc_buf_puts(o, "\n{\n");
    if (!is_void) {
        nbc_buf_puts(o, "    ");
        nbc_put_decl(o, &a->ret, "nb__ret");
        nbc_buf_printf(o, " = %s;\n", zero_value(&a->ret));
    }
    nbc_buf_printf(o, "    nb__future_await(nb__fut, &nb__method_%s, %s);\n", a->name,
                   is_void ? "NULL" : "&nb__ret");
    if (!is_void)
        nbc_buf_puts(o, "    return nb__ret;\n");
    nbc_buf_puts(o, "}\n");
}

static void emit_router(nbc_buf *o, const nbc_api *a)
{
    bool is_void = a->ret.kind == NBC_K_VOID;
    put_proto(o, a, "", 0, true);
    nbc_buf_puts(o, "\n{\n");
    if (a->local) {
        nbc_buf_puts(o, "    if (NB__LIKELY(nb__tls.route == NULL)) {\n        ");
        if (!is_void) {
            nbc_put_decl(o, &a->ret, "nb__ret");
            nbc_buf_puts(o, " = ");
        }
        nbc_buf_printf(o, "nb__body_%s(", a->name);
        put_args(o, a, NULL);
        nbc_buf_printf(o, ");\n        nb__tls.code = NB_OK;\n        return%s;\n    }\n",
                       is_void ? "" : " nb__ret");
    }
    nbc_buf_printf(o, "    %s%s__with(NULL%s", is_void ? "" : "return ", a->name, a->n_params ? ", " : "");
    put_args(o, a, NULL);
    nbc_buf_puts(o, ");\n}\n");
}

static void emit_api(nbc_buf *o, const nbc_build *b, const nbc_api *a)
{
    nbc_buf_printf(o, "/* ---- nebulac " NBC_VERSION ": %s, selector \"%s\", ", a->name, a->selector);
    if (b->self < 0)
        nbc_buf_printf(o, "remote on %s (generic build) ---- */\n", b->self_name);
    else
        nbc_buf_printf(o, "%s on %s ---- */\n", a->local ? "local" : "remote", b->self_name);
    emit_args_type(o, a);
    if (a->local)
        emit_local_wrapper(o, a);
    emit_method(o, a);
    emit_with(o, a);
    emit_router(o, a);
    emit_async(o, a);
}

/* The code appended to a source: its module, its structs' descriptors, its APIs. */
static void emit_tail(nbc_buf *o, const nbc_model *m, const nbc_build *b, const nbc_file *f)
{
    bool module_done = false;
    for (size_t i = 0; i < m->n_structs; i++)
        if (m->structs[i]->file == f)
            nbc_emit_struct_descriptor(o, m->structs[i]);
    for (size_t i = 0; i < m->n_apis; i++) {
        const nbc_api *a = m->apis[i];
        if (a->file != f)
            continue;
        if (!module_done) {
            nbc_buf_puts(o, "static const nb__module nb__this_module = {\"");
            nbc_buf_put_cstr(o, f->path);
            nbc_buf_printf(o, "\", %d, %d, %d};\n", f->module.default_timeout_ms, f->module.max_concurrent_calls,
                           f->module.max_time_extensions);
            module_done = true;
        }
        emit_api(o, b, a);
    }
}

static void emit_file(const nbc_model *m, const nbc_build *b, const nbc_file *f, nbc_outputs *out)
{
    nbc_buf o = {0};
    bool code = file_defines_code(m, f);
    if (!f->is_source)
        nbc_buf_puts(&o, "#include <nebula.h>\n");
    nbc_emit_line(&o, 1, f->path);
    edits e = {0};
    collect_edits(m, f, &e);
    apply_edits(&o, f, &e);
    for (size_t i = 0; i < e.n; i++)
        free(e.items[i].text);
    free(e.items);
    if (f->is_source && code) {
        if (o.len > 0 && o.data[o.len - 1] != '\n')
            nbc_buf_putc(&o, '\n');
        /* Generated code says where it is: a diagnostic in it points here, never
         * at a line of the user's code. */
        int line = 2;
        for (size_t i = 0; i < o.len; i++)
            line += o.data[i] == '\n';
        char *self = b->out_dir ? nbc_path_join(b->out_dir, f->rel_path) : NULL;
        nbc_emit_line(&o, line, self ? self : f->rel_path);
        free(self);
        nbc_buf_puts(&o, "#include <nebula.h>\n");
        emit_tail(&o, m, b, f);
    }
    size_t len = o.len;
    nbc_outputs_add(out, f->rel_path, nbc_buf_take(&o), len);
}

void nbc_emit_sources(const nbc_model *m, const nbc_build *b, nbc_outputs *out)
{
    /* Sources first, in the order given, then headers: the order of the
     * depfile's targets, which starts like the build's list of outputs. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->n_files; i++)
            if (m->files[i]->rewrite && m->files[i]->is_source == (pass == 0))
                emit_file(m, b, m->files[i], out);
}
