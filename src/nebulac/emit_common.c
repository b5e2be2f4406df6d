#include <stdlib.h>
#include <string.h>

#include "emit.h"

void nbc_outputs_add(nbc_outputs *o, const char *rel_path, char *data, size_t len)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->items = realloc(o->items, o->cap * sizeof *o->items);
        if (o->items == NULL)
            nbc_oom();
    }
    o->items[o->n++] = (nbc_output){rel_path, data, len};
}

void nbc_outputs_free(nbc_outputs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->items[i].data);
    free(o->items);
    memset(o, 0, sizeof *o);
}

void nbc_emit_line(nbc_buf *o, int line, const char *path)
{
    nbc_buf_printf(o, "#line %d \"", line);
    nbc_buf_put_cstr(o, path);
    nbc_buf_puts(o, "\"\n");
}

/* A static string. */
static const char *kind_name(nbc_kind k)
{
    switch (k) {
    case NBC_K_VOID: return "NB__K_VOID";
    case NBC_K_BOOL: return "NB__K_BOOL";
    case NBC_K_INT: return "NB__K_INT";
    case NBC_K_UINT: return "NB__K_UINT";
    case NBC_K_FLOAT: return "NB__K_FLOAT";
    case NBC_K_STR: return "NB__K_STR";
    case NBC_K_BYTES: return "NB__K_BYTES";
    case NBC_K_STRUCT: return "NB__K_STRUCT";
    case NBC_K_STRUCT_PTR: return "NB__K_STRUCT_PTR";
    case NBC_K_UNRESOLVED: break;
    }
    return "NB__K_VOID";
}

/* The tref of t's element type with `dims` array levels stripped. */
static void tref_level(nbc_buf *o, const nbc_ctype *t, int level, const char *elem_name)
{
    if (level < t->n_dims) {
        nbc_buf_printf(o, "{NB__K_ARRAY, sizeof(%s", t->c_text);
        for (int i = level; i < t->n_dims; i++)
            nbc_buf_printf(o, "[%zu]", t->dims[i]);
        nbc_buf_printf(o, "), %zu, &%s, NULL}", t->dims[level], elem_name);
        return;
    }
    if (t->kind == NBC_K_VOID) {
        nbc_buf_puts(o, "{NB__K_VOID, 0, 0, NULL, NULL}");
        return;
    }
    nbc_buf_printf(o, "{%s, sizeof(%s), 0, NULL, ", kind_name(t->kind), t->c_text);
    if (t->st != NULL)
        nbc_buf_printf(o, "&nb__type_%s}", t->st->ident);
    else
        nbc_buf_puts(o, "NULL}");
}

void nbc_emit_tref(nbc_buf *o, const nbc_ctype *t, const char *elem_name)
{
    tref_level(o, t, 0, elem_name);
}

/* The name of a field's level-th element tref; malloc'd, the caller frees. */
static char *elem_name(const nbc_struct *st, const nbc_field *f, int level)
{
    nbc_buf b = {0};
    nbc_buf_printf(&b, "nb__elem_%s_%s", st->ident, f->name);
    if (level > 1)
        nbc_buf_printf(&b, "_%d", level);
    return nbc_buf_take(&b);
}

char *nbc_emit_elems(nbc_buf *o, const nbc_struct *st, const nbc_field *f)
{
    const nbc_ctype *t = &f->type;
    if (t->n_dims == 0)
        return NULL;
    /* Level k's element is described by nb__elem_..._(k+1); innermost first so
     * every tref is declared before it is referred to. */
    for (int level = t->n_dims; level >= 1; level--) {
        char *name = elem_name(st, f, level);
        char *inner = level < t->n_dims ? elem_name(st, f, level + 1) : NULL;
        nbc_buf_printf(o, "static const nb__tref %s = ", name);
        tref_level(o, t, level, inner);
        nbc_buf_puts(o, ";\n");
        free(name);
        free(inner);
    }
    return elem_name(st, f, 1);
}

void nbc_emit_struct_descriptor(nbc_buf *o, const nbc_struct *st)
{
    char **elems = calloc(st->n_fields + 1, sizeof *elems);
    if (elems == NULL)
        nbc_oom();
    for (size_t i = 0; i < st->n_fields; i++)
        elems[i] = nbc_emit_elems(o, st, &st->fields[i]);
    if (st->n_fields > 0) {
        nbc_buf_printf(o, "static const nb__field nb__fields_%s[] = {\n", st->ident);
        for (size_t i = 0; i < st->n_fields; i++) {
            const nbc_field *f = &st->fields[i];
            nbc_buf_printf(o, "    {\"%s\", offsetof(%s, %s), ", f->name, st->display, f->name);
            nbc_emit_tref(o, &f->type, elems[i]);
            nbc_buf_puts(o, "},\n");
        }
        nbc_buf_puts(o, "};\n");
    }
    nbc_buf_printf(o, "const nb__type nb__type_%s = {\"%s\", sizeof(%s), %zu, ", st->ident, st->display,
                   st->display, st->n_fields);
    if (st->n_fields > 0)
        nbc_buf_printf(o, "nb__fields_%s};\n", st->ident);
    else
        nbc_buf_puts(o, "NULL};\n");
    nbc_buf_printf(o, "void nb_free_%s(%s *p) { nb__struct_free(&nb__type_%s, p); }\n", st->ident,
                   st->display, st->ident);
    nbc_buf_printf(o,
                   "void nb_clear_%s(%s *p)\n{\n"
                   "    static const nb__tref t = {NB__K_STRUCT, sizeof(%s), 0, NULL, &nb__type_%s};\n"
                   "    if (p)\n        nb__value_clear(&t, p);\n}\n",
                   st->ident, st->display, st->display, st->ident);
    for (size_t i = 0; i < st->n_fields; i++)
        free(elems[i]);
    free(elems);
}

void nbc_emit_struct_decls(nbc_buf *o, const nbc_struct *st)
{
    nbc_buf_printf(o, " extern const nb__type nb__type_%s; void nb_free_%s(%s *p); void nb_clear_%s(%s *p);",
                   st->ident, st->ident, st->display, st->ident, st->display);
}
