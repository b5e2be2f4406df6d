#include "types.h"

#include <stdarg.h>
#include <string.h>

typedef enum role { ROLE_PARAM, ROLE_RETURN, ROLE_FIELD } role;

/* What a type's words name, before pointers are considered. */
typedef enum base_kind { B_VOID, B_BOOL, B_INT, B_UINT, B_FLOAT, B_CHAR, B_BYTES, B_STRUCT } base_kind;

typedef struct base {
    base_kind kind;
    const char *text;   /* canonical spelling */
    nbc_struct *st;
    bool is_const;
} base;

static const char *const fixed_ints[] = {"int8_t", "int16_t", "int32_t", "int64_t", NULL};
static const char *const fixed_uints[] = {"uint8_t", "uint16_t", "uint32_t", "uint64_t", "size_t", NULL};

#define ALLOWED_TYPES "only NB_STRUCT types, bool, integer and floating types, strings and nb_bytes can cross nodes"

static const char *const keyword_words[] = {"signed", "unsigned", "short", "long", "int", "char", "_Bool",
                                            "bool", "float", "double", "void", "_Complex", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool is_qualifier(const char *s)
{
    return strcmp(s, "const") == 0 || strcmp(s, "volatile") == 0 || strcmp(s, "restrict") == 0 ||
           strcmp(s, "__restrict") == 0 || strcmp(s, "_Atomic") == 0;
}

nbc_struct *nbc_find_struct(const nbc_model *m, const char *name, bool by_tag)
{
    for (size_t i = 0; i < m->n_structs; i++) {
        const char *s = by_tag ? m->structs[i]->tag : m->structs[i]->typedef_name;
        if (s != NULL && strcmp(s, name) == 0)
            return m->structs[i];
    }
    return NULL;
}

static int reject(const nbc_ctype *t, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(const nbc_ctype *t, const char *what, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    nbc_error(t->loc, "type '%s' is not allowed for %s: %s", t->written, what, reason);
    return -1;
}

/* Keyword types: "unsigned long int", "signed char", "double", ... */
static int keyword_base(nbc_arena *a, const nbc_ctype *t, const char *what, const char **w, size_t n,
                        base *out)
{
    int sign = 0, unsign = 0, shrt = 0, lng = 0, in = 0, chr = 0, bol = 0, flt = 0, dbl = 0, vd = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = w[i];
        if (strcmp(s, "signed") == 0) sign++;
        else if (strcmp(s, "unsigned") == 0) unsign++;
        else if (strcmp(s, "short") == 0) shrt++;
        else if (strcmp(s, "long") == 0) lng++;
        else if (strcmp(s, "int") == 0) in++;
        else if (strcmp(s, "char") == 0) chr++;
        else if (strcmp(s, "_Bool") == 0 || strcmp(s, "bool") == 0) bol++;
        else if (strcmp(s, "float") == 0) flt++;
        else if (strcmp(s, "double") == 0) dbl++;
        else if (strcmp(s, "void") == 0) vd++;
        else if (strcmp(s, "_Complex") == 0) return reject(t, what, "complex numbers cannot cross nodes");
        else return reject(t, what, "'%s' is not a type NebulaAPI knows", s);
    }
    int others = sign + unsign + shrt + lng + in + chr;
    if (vd + bol + flt + dbl == 1 && others == 0) {
        out->kind = vd ? B_VOID : bol ? B_BOOL : B_FLOAT;
        out->text = vd ? "void" : bol ? "bool" : flt ? "float" : "double";
        return 0;
    }
    if (dbl == 1 && lng == 1 && others == 1)
        return reject(t, what, "long double has no portable wire form: use double");
    if (vd + bol + flt + dbl > 0 || sign + unsign > 1 || shrt + lng > 2 || (shrt && lng) || in > 1 ||
        chr > 1 || (chr && shrt + lng + in > 0))
        return reject(t, what, "this is not a valid C type");
    if (chr) {
        out->kind = sign ? B_INT : unsign ? B_UINT : B_CHAR;
        out->text = sign ? "signed char" : unsign ? "unsigned char" : "char";
        return 0;
    }
    const char *size = shrt ? "short" : lng == 2 ? "long long" : lng == 1 ? "long" : "int";
    out->kind = unsign ? B_UINT : B_INT;
    out->text = unsign ? nbc_arena_printf(a, "unsigned %s", size) : size;
    return 0;
}

/* The base type named by t's words (qualifiers aside). */
static int resolve_base(nbc_model *m, const nbc_ctype *t, const char *what, base *out)
{
    const char *w[16];
    size_t n = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t->n_words; i++) {
        if (strcmp(t->words[i], "const") == 0)
            out->is_const = true;
        else if (!is_qualifier(t->words[i]) && n < 16)
            w[n++] = t->words[i];
    }
    if (n == 0)
        return reject(t, what, "a type is missing");
    if (strcmp(w[0], "union") == 0)
        return reject(t, what, "unions cannot cross nodes");
    if (strcmp(w[0], "enum") == 0)
        return reject(t, what, "enums cannot cross nodes: use an integer type");
    if (strcmp(w[0], "struct") == 0) {
        if (n != 2)
            return reject(t, what, "this is not a valid C type");
        out->st = nbc_find_struct(m, w[1], true);
        if (out->st == NULL)
            return reject(t, what, "'struct %s' is not an NB_STRUCT (annotate its definition with NB_STRUCT)", w[1]);
        out->kind = B_STRUCT;
        out->text = nbc_arena_printf(&m->arena, "struct %s", w[1]);
        return 0;
    }
    if (n == 1) {
        out->text = w[0];
        if ((out->st = nbc_find_struct(m, w[0], false)) != NULL) {
            out->kind = B_STRUCT;
            return 0;
        }
        if (strcmp(w[0], "nb_bytes") == 0) {
            out->kind = B_BYTES;
            return 0;
        }
        if (in_list(fixed_ints, w[0]) || in_list(fixed_uints, w[0])) {
            out->kind = in_list(fixed_ints, w[0]) ? B_INT : B_UINT;
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!in_list(keyword_words, w[i])) {
            nbc_error(t->loc, "unknown type '%s' for %s: " ALLOWED_TYPES, n == 1 ? w[0] : t->written, what);
            return -1;
        }
    }
    return keyword_base(&m->arena, t, what, w, n, out);
}

/* Applies the pointer rules of docs/design.md §5 for role r. */
static int apply_pointers(nbc_model *m, nbc_ctype *t, const base *b, role r, const char *what)
{
    static const nbc_kind plain[] = {NBC_K_VOID, NBC_K_BOOL, NBC_K_INT, NBC_K_UINT,
                                     NBC_K_FLOAT, NBC_K_UNRESOLVED, NBC_K_BYTES, NBC_K_STRUCT};
    t->st = b->st;
    if (t->n_ptr == 0) {
        if (b->kind == B_VOID && r != ROLE_RETURN)
            return reject(t, what, "'void' is allowed only as a return type");
        if (b->kind == B_CHAR)
            return reject(t, what, "use int8_t or uint8_t for a byte, 'char *' for a string");
        t->kind = plain[b->kind];
        t->c_text = b->text;
        return 0;
    }
    if (t->n_ptr > 1)
        return reject(t, what, "pointers to pointers cannot cross nodes");
    if (b->kind == B_CHAR || b->kind == B_STRUCT) {
        bool want_const = r == ROLE_PARAM;
        const char *shape = b->kind == B_CHAR ? "char" : b->text;
        if (want_const && !b->is_const)
            return reject(t, what, b->kind == B_CHAR ? "a string argument is written 'const char *'"
                                                     : "an NB_STRUCT argument is passed by value or as 'const %s *'",
                          shape);
        if (!want_const && b->is_const)
            return reject(t, what, "%s pointer belongs to %s: write '%s *'",
                          b->kind == B_CHAR ? "a string" : "an NB_STRUCT",
                          r == ROLE_RETURN ? "the caller" : "its struct", shape);
        t->kind = b->kind == B_CHAR ? NBC_K_STR : NBC_K_STRUCT_PTR;
        t->c_text = nbc_arena_printf(&m->arena, "%s%s *", want_const ? "const " : "", shape);
        return 0;
    }
    if (b->kind == B_VOID)
        return reject(t, what, "'void *' has no wire form: use nb_bytes");
    if (b->kind == B_BYTES)
        return reject(t, what, "nb_bytes is passed by value");
    return reject(t, what, "pointers are allowed only as strings ('const char *' arguments, 'char *' "
                           "returns and fields) and to NB_STRUCT types");
}

static int classify(nbc_model *m, nbc_ctype *t, role r, const char *what)
{
    if (t->funcptr)
        return reject(t, what, strstr(t->written, "(*") ? "function pointers cannot cross nodes"
                                                        : "this declaration is not one NebulaAPI understands");
    if (t->n_dims > 0 && r != ROLE_FIELD)
        return reject(t, what, "arrays are allowed only as NB_STRUCT fields");
    if (t->bad_dim)
        return reject(t, what, "array sizes must be positive integer literals, at most %d dimensions",
                      NBC_MAX_DIMS);
    base b;
    if (resolve_base(m, t, what, &b) != 0)
        return -1;
    return apply_pointers(m, t, &b, r, what);
}

static int check_api(nbc_model *m, nbc_api *api)
{
    int errors = 0;
    char what[512];
    snprintf(what, sizeof what, "the return type of %s", api->name);
    errors += classify(m, &api->ret, ROLE_RETURN, what) != 0;
    for (size_t i = 0; i < api->n_params; i++) {
        nbc_param *p = &api->params[i];
        if (p->name != NULL)
            snprintf(what, sizeof what, "parameter '%s' of %s", p->name, api->name);
        else
            snprintf(what, sizeof what, "parameter %zu of %s", i + 1, api->name);
        errors += classify(m, &p->type, ROLE_PARAM, what) != 0;
        if (p->name == NULL && api->is_definition && !p->type.funcptr) {
            nbc_error(p->type.loc, "parameter %zu of %s has no name", i + 1, api->name);
            errors++;
        }
    }
    if (api->variadic) {
        nbc_error(api->variadic_loc, "%s is variadic: an NB_API function takes a fixed list of parameters",
                  api->name);
        errors++;
    }
    return errors;
}

int nbc_types_check(nbc_model *m)
{
    int errors = 0;
    char what[512];
    for (size_t i = 0; i < m->n_structs; i++) {
        nbc_struct *st = m->structs[i];
        for (size_t j = 0; j < st->n_fields; j++) {
            snprintf(what, sizeof what, "field '%s' of %s", st->fields[j].name, st->display);
            errors += classify(m, &st->fields[j].type, ROLE_FIELD, what) != 0;
        }
    }
    for (size_t i = 0; i < m->n_apis; i++)
        errors += check_api(m, m->apis[i]);
    for (size_t i = 0; i < m->n_decls; i++)
        errors += check_api(m, m->decls[i]);
    return errors;
}

void nbc_put_decl(nbc_buf *b, const nbc_ctype *t, const char *name)
{
    const char *ct = t->c_text;
    nbc_buf_puts(b, ct);
    if (ct[0] != '\0' && ct[strlen(ct) - 1] != '*')
        nbc_buf_putc(b, ' ');
    nbc_buf_puts(b, name);
    for (int i = 0; i < t->n_dims; i++)
        nbc_buf_printf(b, "[%zu]", t->dims[i]);
}
