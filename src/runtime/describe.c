/*
 * describe.c — the DESCRIBE frame: a node's method table, so the installed
 * `nebula` command can list and call the APIs of a cluster it was not built
 * with (describe.h answers, tool.h asks; docs/cli.md). Session layer: the
 * question rides on an authenticated connection, as a call does, and its
 * answer is matched to the asker by the header's call id through pending.c.
 *
 * Types go in a table, each NB_STRUCT once, and references name a table index:
 * a type may reach itself through a struct pointer (a linked list), which a
 * nested encoding could not end. The layout the answer implies is recomputed
 * by the asker from the kinds; the sizes and offsets of the node's own build
 * are not sent, only what defines them.
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "codec.h"
#include "config.h"
#include "describe.h"
#include "status.h"
#include "tool.h"

/* --- Answering ----------------------------------------------------------- */

/* The NB_STRUCTs (and argument structs) the methods reach, each once. */
typedef struct type_set {
    const nb__type **v;
    size_t n, cap;
    bool oom;
} type_set;

static long type_index(const type_set *s, const nb__type *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == t)
            return (long)i;
    return -1;
}

static void collect_tref(type_set *s, const nb__tref *t);

static void collect_type(type_set *s, const nb__type *t)
{
    if (!t || type_index(s, t) >= 0 || s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        const nb__type **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = t;
    for (size_t i = 0; i < t->n_fields; i++)
        collect_tref(s, &t->fields[i].t);
}

static void collect_tref(type_set *s, const nb__tref *t)
{
    for (; t && t->kind == NB__K_ARRAY; t = t->elem)
        ;
    if (t && (t->kind == NB__K_STRUCT || t->kind == NB__K_STRUCT_PTR))
        collect_type(s, t->type);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    s = s ? s : "";
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void pack_tref(msgpack_packer *pk, const type_set *s, const nb__tref *t)
{
    msgpack_pack_array(pk, 5);
    msgpack_pack_uint32(pk, (uint32_t)t->kind);
    msgpack_pack_uint32(pk, t->size);
    msgpack_pack_uint32(pk, t->count);
    bool has_type = t->kind == NB__K_STRUCT || t->kind == NB__K_STRUCT_PTR;
    msgpack_pack_int64(pk, has_type ? type_index(s, t->type) : -1);
    if (t->kind == NB__K_ARRAY && t->elem)
        pack_tref(pk, s, t->elem);
    else
        msgpack_pack_nil(pk);
}

static void pack_description(msgpack_packer *pk)
{
    const nb__cluster_def *def = nb__cfg.def;
    type_set s = {0};
    for (size_t i = 0; i < def->n_methods; i++) {
        collect_type(&s, def->methods[i]->args);
        collect_tref(&s, &def->methods[i]->ret);
    }
    msgpack_pack_array(pk, 4);
    pack_str(pk, nb__cfg.self_name);
    pack_str(pk, def->fingerprint);
    if (s.oom)
        s.n = 0; /* an empty table: the asker refuses the methods that need one */
    msgpack_pack_array(pk, s.n);
    for (size_t i = 0; i < s.n; i++) {
        const nb__type *t = s.v[i];
        msgpack_pack_array(pk, 2);
        pack_str(pk, t->name);
        msgpack_pack_array(pk, t->n_fields);
        for (size_t k = 0; k < t->n_fields; k++) {
            msgpack_pack_array(pk, 2);
            pack_str(pk, t->fields[k].name);
            pack_tref(pk, &s, &t->fields[k].t);
        }
    }
    msgpack_pack_array(pk, s.oom ? 0 : def->n_methods);
    for (size_t i = 0; !s.oom && i < def->n_methods; i++) {
        const nb__method *m = def->methods[i];
        msgpack_pack_array(pk, 9);
        pack_str(pk, m->name);
        pack_str(pk, m->signature);
        msgpack_pack_uint64(pk, m->wire_id);
        pack_str(pk, m->selector);
        msgpack_pack_array(pk, 3);
        msgpack_pack_int(pk, m->module ? m->module->default_timeout_ms : 0);
        msgpack_pack_int(pk, m->module ? m->module->max_concurrent_calls : 0);
        msgpack_pack_int(pk, m->module ? m->module->max_time_extensions : 0);
        msgpack_pack_array(pk, m->n_serving);
        for (size_t k = 0; k < m->n_serving; k++)
            pack_str(pk, m->serving[k] < def->n_nodes ? def->nodes[m->serving[k]].name : "");
        if (nb__serves_locally(m))
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        msgpack_pack_int64(pk, type_index(&s, m->args));
        pack_tref(pk, &s, &m->ret);
    }
    free(s.v);
}

int nb__describe_on_request(nb__conn *c, uint64_t id)
{
    return nb__ask_answer(c, NB__F_DESCRIPTION, id, pack_description);
}

/* --- Decoding a peer's answer ---------------------------------------------- */

/* Every allocation of a description but the top arrays, freed together. */
typedef struct nb__desc_arena {
    struct nb__desc_arena *next;
    max_align_t data[];
} nb__desc_arena;

/* The decoder's state: the peer's table, and where each type stands. */
enum { T_NEW, T_LAYING_OUT, T_DONE };

typedef struct dec {
    nb__desc_arena **arena;
    const nb__cluster_def *def;
    const msgpack_object *types; /* the peer's type table (checked shape) */
    nb__type *out;               /* n_types of them */
    size_t *align;               /* per type: its alignment, once laid out */
    int *state;                  /* T_* per type */
    size_t n_types;
    int nesting;                 /* structs being laid out, one inside the other */
    char *why;
    size_t why_size;
} dec;

static int bad(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(dec *d, const char *fmt, ...)
{
    if (d->why[0]) /* the first reason is the one that matters */
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why, d->why_size, fmt, ap);
    va_end(ap);
    return -1;
}

static void *arena_alloc(dec *d, size_t size)
{
    nb__desc_arena *a = calloc(1, sizeof *a + (size ? size : 1));
    if (!a)
        return NULL;
    a->next = *d->arena;
    *d->arena = a;
    return a->data;
}

static bool is_array(const msgpack_object *o, size_t n)
{
    return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == n;
}

/* A string of at most max bytes whose every byte passes ok (or, with ident,
 * a C identifier; "struct x" when also allow_struct). NULL after bad(). */
static char *get_text(dec *d, const msgpack_object *o, size_t max, bool ident, const char *what)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return bad(d, "%s is not a string", what), NULL;
    size_t n = o->via.str.size;
    const char *p = o->via.str.ptr;
    if (n > max)
        return bad(d, "%s is longer than %zu bytes", what, max), NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        bool ok = ident ? (ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                           (i > 0 && ch >= '0' && ch <= '9'))
                        : ch >= 0x20 && ch < 0x7f;
        if (!ok)
            return bad(d, "%s holds a byte that does not belong there (%u at %zu)", what, ch, i),
                   NULL;
    }
    if (ident && n == 0)
        return bad(d, "%s is empty", what), NULL;
    char *s = arena_alloc(d, n + 1);
    if (!s)
        return bad(d, "out of memory"), NULL;
    if (n > 0) /* msgpack gives an empty string a NULL pointer */
        memcpy(s, p, n);
    return s;
}

/* A type name: an identifier, or "struct " and an identifier. */
static char *get_type_name(dec *d, const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR && o->via.str.size > 7 &&
        memcmp(o->via.str.ptr, "struct ", 7) == 0) {
        msgpack_object tail = *o;
        tail.via.str.ptr += 7;
        tail.via.str.size -= 7;
        char *id = get_text(d, &tail, NB__DESC_MAX_NAME, true, "a struct's name");
        char *s = id ? arena_alloc(d, strlen(id) + 8) : NULL;
        if (id && !s)
            bad(d, "out of memory");
        if (s)
            snprintf(s, strlen(id) + 8, "struct %s", id);
        return s;
    }
    return get_text(d, o, NB__DESC_MAX_NAME, true, "a type's name");
}

static bool get_int(const msgpack_object *o, int64_t lo, int64_t hi, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX)
        *v = (int64_t)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = o->via.i64;
    else
        return false;
    return *v >= lo && *v <= hi;
}

static int layout_type(dec *d, size_t idx, const char *path);

/* Reads a tref of the peer into *t (storage in the arena for array elements)
 * and sets its size, and *align, from this process's own C layout. by_value:
 * the tref is part of a struct being laid out (so a struct it holds by value
 * must be laid out first, and must not be one still being laid out). */
static int get_tref(dec *d, const msgpack_object *o, int depth, bool allow_void, nb__tref *t,
                    size_t *align, const char *what)
{
    if (!is_array(o, 5))
        return bad(d, "%s: a type reference is not [kind, size, count, type, element]", what);
    const msgpack_object *f = o->via.array.ptr;
    int64_t kind, size, count, tidx;
    if (!get_int(&f[0], NB__K_VOID, NB__K_ARRAY, &kind) || !get_int(&f[1], 0, UINT32_MAX, &size) ||
        !get_int(&f[2], 0, UINT32_MAX, &count) || !get_int(&f[3], -1, (int64_t)d->n_types - 1, &tidx))
        return bad(d, "%s: a type reference holds an unknown kind, size, count or type index",
                   what);
    *t = (nb__tref){.kind = (nb__kind)kind};
    bool has_type = kind == NB__K_STRUCT || kind == NB__K_STRUCT_PTR;
    if (has_type != (tidx >= 0))
        return bad(d, "%s: %s", what, has_type ? "a struct reference names no type"
                                               : "a type index on a kind without one");
    if (kind != NB__K_ARRAY && f[4].type != MSGPACK_OBJECT_NIL)
        return bad(d, "%s: an element type on a kind without one", what);
    switch (kind) {
    case NB__K_VOID:
        if (!allow_void)
            return bad(d, "%s: void where a value is needed", what);
        *align = 1;
        return 0;
    case NB__K_BOOL:
        t->size = sizeof(bool);
        *align = alignof(bool);
        return 0;
    case NB__K_INT:
    case NB__K_UINT:
        if (size != 1 && size != 2 && size != 4 && size != 8)
            return bad(d, "%s: an integer of %lld bytes (1, 2, 4 or 8 only)", what,
                       (long long)size);
        t->size = (uint32_t)size;
        *align = (size_t)size;
        return 0;
    case NB__K_FLOAT:
        if (size != 4 && size != 8)
            return bad(d, "%s: a floating type of %lld bytes (4 or 8 only)", what,
                       (long long)size);
        t->size = (uint32_t)size;
        *align = size == 4 ? alignof(float) : alignof(double);
        return 0;
    case NB__K_STR:
        t->size = sizeof(char *);
        *align = alignof(char *);
        return 0;
    case NB__K_BYTES:
        t->size = sizeof(nb_bytes);
        *align = alignof(nb_bytes);
        return 0;
    case NB__K_STRUCT_PTR:
        /* Only a pointer may lead back to a struct being laid out (as in C). */
        t->type = &d->out[tidx];
        t->size = sizeof(void *);
        *align = alignof(void *);
        return 0;
    case NB__K_STRUCT:
        if (layout_type(d, (size_t)tidx, what) < 0)
            return -1;
        t->type = &d->out[tidx];
        t->size = (uint32_t)d->out[tidx].size;
        *align = d->align[tidx];
        return 0;
    default: { /* NB__K_ARRAY */
        if (depth >= NB__DESC_MAX_ARRAY_DEPTH)
            return bad(d, "%s: arrays nest deeper than %d", what, NB__DESC_MAX_ARRAY_DEPTH);
        if (count < 1 || count > NB__DESC_MAX_ARRAY_COUNT)
            return bad(d, "%s: an array of %lld elements (1 to %u)", what, (long long)count,
                       NB__DESC_MAX_ARRAY_COUNT);
        nb__tref *elem = arena_alloc(d, sizeof *elem);
        if (!elem)
            return bad(d, "out of memory");
        size_t ea;
        if (get_tref(d, &f[4], depth + 1, false, elem, &ea, what) < 0)
            return -1;
        if (elem->size > NB__DESC_MAX_TYPE_SIZE / (uint64_t)count)
            return bad(d, "%s: an array of %lld elements of %u bytes is too large", what,
                       (long long)count, elem->size);
        t->count = (uint32_t)count;
        t->elem = elem;
        t->size = (uint32_t)(elem->size * (uint64_t)count);
        *align = ea;
        return 0;
    }
    }
}

/* Lays out type idx (fields, offsets, size) from the peer's table, once;
 * refuses a type that holds itself by value. */
static int layout_type(dec *d, size_t idx, const char *path)
{
    if (d->state[idx] == T_DONE)
        return 0;
    if (d->state[idx] == T_LAYING_OUT)
        return bad(d, "%s: %s holds itself by value (only a struct pointer may lead back to "
                   "it)", path, d->out[idx].name ? d->out[idx].name : "a type");
    /* A value nests its by-value structs; the codec refuses values nested
     * deeper than NB__CODEC_MAX_DEPTH, so such a type could never cross, and
     * the bound keeps this recursion short. */
    if (d->nesting >= NB__CODEC_MAX_DEPTH)
        return bad(d, "%s: structs nest by value deeper than %d", path, NB__CODEC_MAX_DEPTH);
    d->state[idx] = T_LAYING_OUT;
    d->nesting++;
    const msgpack_object *o = &d->types->via.array.ptr[idx];
    if (!is_array(o, 2) || o->via.array.ptr[1].type != MSGPACK_OBJECT_ARRAY)
        return bad(d, "type %zu is not [name, fields]", idx);
    nb__type *t = &d->out[idx];
    t->name = get_type_name(d, &o->via.array.ptr[0]);
    if (!t->name)
        return -1;
    const msgpack_object *fs = &o->via.array.ptr[1];
    size_t n = fs->via.array.size;
    if (n > NB__DESC_MAX_FIELDS)
        return bad(d, "%s has more than %d fields", t->name, NB__DESC_MAX_FIELDS);
    nb__field *fields = arena_alloc(d, (n ? n : 1) * sizeof *fields);
    if (!fields)
        return bad(d, "out of memory");
    size_t off = 0, align = 1;
    for (size_t k = 0; k < n; k++) {
        const msgpack_object *fo = &fs->via.array.ptr[k];
        if (!is_array(fo, 2))
            return bad(d, "a field of %s is not [name, type]", t->name);
        char what[NB__DESC_MAX_NAME * 2 + 16];
        fields[k].name = get_text(d, &fo->via.array.ptr[0], NB__DESC_MAX_NAME, true,
                                  "a field's name");
        if (!fields[k].name)
            return -1;
        for (size_t j = 0; j < k; j++)
            if (strcmp(fields[j].name, fields[k].name) == 0)
                return bad(d, "%s has two fields named %s", t->name, fields[k].name);
        snprintf(what, sizeof what, "%s.%s", t->name, fields[k].name);
        size_t fa;
        if (get_tref(d, &fo->via.array.ptr[1], 0, false, &fields[k].t, &fa, what) < 0)
            return -1;
        off = (off + fa - 1) / fa * fa;
        fields[k].offset = off;
        off += fields[k].t.size;
        if (off > NB__DESC_MAX_TYPE_SIZE)
            return bad(d, "%s is larger than %zu bytes", t->name, NB__DESC_MAX_TYPE_SIZE);
        align = fa > align ? fa : align;
    }
    /* An argument struct of no parameter is one char in generated code. */
    t->size = off ? (off + align - 1) / align * align : 1;
    t->n_fields = n;
    t->fields = fields;
    d->align[idx] = align;
    d->state[idx] = T_DONE;
    d->nesting--;
    return 0;
}

static bool ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Where the parameters of "... name(...)" start in sig (after the '('), or
 * NULL when sig does not declare name. */
static const char *signature_params(const char *sig, const char *name)
{
    size_t n = strlen(name), len = strlen(sig);
    if (len == 0 || sig[len - 1] != ')')
        return NULL;
    for (const char *p = strstr(sig, name); p; p = strstr(p + 1, name))
        if ((p == sig || !ident_char(p[-1])) && p[n] == '(')
            return p + n + 1;
    return NULL;
}

/* Whether the parameter list params (up to the signature's last ')') names
 * the fields of the argument struct, in order: what `nebula call` shows is
 * what it sends. A parameter's name is the identifier that ends it, before
 * any array brackets. */
static bool params_match(const char *params, const nb__type *args)
{
    const char *end = params + strlen(params) - 1; /* the final ')' */
    const char *p = params;
    while (p < end && *p == ' ')
        p++;
    if (end - p == 4 && memcmp(p, "void", 4) == 0)
        return args->n_fields == 0;
    size_t k = 0;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end, *q = stop;
        while (q > p && q[-1] == ' ')
            q--;
        while (q > p && q[-1] == ']') { /* "double w[3]": the name is before */
            while (q > p && q[-1] != '[')
                q--;
            if (q > p)
                q--;
            while (q > p && q[-1] == ' ')
                q--;
        }
        const char *id = q;
        while (id > p && ident_char(id[-1]))
            id--;
        if (k >= args->n_fields || strlen(args->fields[k].name) != (size_t)(q - id) ||
            memcmp(args->fields[k].name, id, (size_t)(q - id)) != 0)
            return false;
        k++;
        p = comma ? comma + 1 : end;
    }
    return k == args->n_fields;
}

static int get_method(dec *d, const msgpack_object *o, nb__method *m, nb__module *mod,
                      bool *served_here)
{
    if (!is_array(o, 9))
        return bad(d, "a method is not [name, signature, wire id, selector, options, serving, "
                   "served here, args, return]");
    const msgpack_object *f = o->via.array.ptr;
    m->name = get_text(d, &f[0], NB__DESC_MAX_NAME, true, "an API's name");
    if (!m->name)
        return -1;
    char what[NB__DESC_MAX_NAME + 32];
    snprintf(what, sizeof what, "API %s", m->name);
    m->signature = get_text(d, &f[1], NB__DESC_MAX_SIGNATURE, false, "a signature");
    m->selector = get_text(d, &f[3], NB__DESC_MAX_SELECTOR, false, "a selector");
    if (!m->signature || !m->selector)
        return -1;
    const char *params = signature_params(m->signature, m->name);
    if (!params)
        return bad(d, "%s: its signature does not declare it", what);
    if (f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return bad(d, "%s: the wire id is not an unsigned integer", what);
    m->wire_id = f[2].via.u64;
    int64_t tmo, conc, ext, args;
    if (!is_array(&f[4], 3) || !get_int(&f[4].via.array.ptr[0], 0, INT32_MAX, &tmo) ||
        !get_int(&f[4].via.array.ptr[1], 0, INT32_MAX, &conc) ||
        !get_int(&f[4].via.array.ptr[2], NB_NO_EXTENSIONS, INT32_MAX, &ext))
        return bad(d, "%s: the module options are not [timeout, max_concurrent_calls, "
                   "max_time_extensions]", what);
    *mod = (nb__module){.name = "(described)", .default_timeout_ms = (int)tmo,
                        .max_concurrent_calls = (int)conc, .max_time_extensions = (int)ext};
    m->module = mod;
    if (f[5].type != MSGPACK_OBJECT_ARRAY || f[5].via.array.size > d->def->n_nodes)
        return bad(d, "%s: the serving nodes are not a list of the cluster's nodes", what);
    size_t ns = f[5].via.array.size;
    uint32_t *serving = arena_alloc(d, (ns ? ns : 1) * sizeof *serving);
    if (!serving)
        return bad(d, "out of memory");
    for (size_t k = 0; k < ns; k++) {
        const msgpack_object *s = &f[5].via.array.ptr[k];
        size_t i = 0;
        while (s->type == MSGPACK_OBJECT_STR && i < d->def->n_nodes &&
               !(strlen(d->def->nodes[i].name) == s->via.str.size &&
                 memcmp(d->def->nodes[i].name, s->via.str.ptr, s->via.str.size) == 0))
            i++;
        if (s->type != MSGPACK_OBJECT_STR || i == d->def->n_nodes)
            return bad(d, "%s: served by a node the topology does not have", what);
        for (size_t j = 0; j < k; j++)
            if (serving[j] == i)
                return bad(d, "%s: a serving node is listed twice", what);
        serving[k] = (uint32_t)i;
    }
    m->serving = serving;
    m->n_serving = ns;
    if (f[6].type != MSGPACK_OBJECT_BOOLEAN)
        return bad(d, "%s: served here is not a boolean", what);
    *served_here = f[6].via.boolean;
    if (!get_int(&f[7], 0, (int64_t)d->n_types - 1, &args))
        return bad(d, "%s: the argument type is not in the type table", what);
    if (layout_type(d, (size_t)args, what) < 0)
        return -1;
    m->args = &d->out[args];
    if (!params_match(params, m->args))
        return bad(d, "%s: its signature's parameters are not the fields of its argument struct",
                   what);
    size_t ra;
    if (get_tref(d, &f[8], 0, true, &m->ret, &ra, what) < 0)
        return -1;
    /* "void f(...)" returns nothing, and nothing else does. */
    bool void_sig = strncmp(m->signature, "void ", 5) == 0 && params == m->signature + 5 +
                    strlen(m->name) + 1;
    if (void_sig != (m->ret.kind == NB__K_VOID))
        return bad(d, "%s: its signature and its return type disagree on void", what);
    return 0;
}

void nb__describe_free(nb__description *d)
{
    if (!d)
        return;
    for (nb__desc_arena *a = d->arena, *next; a; a = next) {
        next = a->next;
        free(a);
    }
    free(d->methods);
    free(d->served_here);
    free(d->node);
    free(d->fingerprint);
    *d = (nb__description){0};
}

static int decode_tree(dec *d, const msgpack_object *o, nb__description *out)
{
    if (!is_array(o, 4))
        return bad(d, "not [node, fingerprint, types, methods]");
    const msgpack_object *f = o->via.array.ptr;
    /* The node's name and fingerprint: a node name is "short@host", printable. */
    char *node = get_text(d, &f[0], 255, false, "the node's name");
    char *fp = node ? get_text(d, &f[1], 64, false, "the fingerprint") : NULL;
    if (!fp)
        return -1;
    out->node = nb__peer_strdup(&f[0]);
    out->fingerprint = nb__peer_strdup(&f[1]);
    if (!out->node || !out->fingerprint)
        return bad(d, "out of memory");
    if (f[2].type != MSGPACK_OBJECT_ARRAY || f[2].via.array.size > NB__DESC_MAX_TYPES)
        return bad(d, "the type table is not a list of at most %d types", NB__DESC_MAX_TYPES);
    if (f[3].type != MSGPACK_OBJECT_ARRAY || f[3].via.array.size > NB__DESC_MAX_METHODS)
        return bad(d, "the methods are not a list of at most %d", NB__DESC_MAX_METHODS);
    d->types = &f[2];
    d->n_types = f[2].via.array.size;
    size_t nt = d->n_types ? d->n_types : 1, nm = f[3].via.array.size;
    d->out = arena_alloc(d, nt * sizeof *d->out);
    d->align = arena_alloc(d, nt * sizeof *d->align);
    d->state = arena_alloc(d, nt * sizeof *d->state);
    nb__module *mods = arena_alloc(d, (nm ? nm : 1) * sizeof *mods);
    out->methods = calloc(nm ? nm : 1, sizeof *out->methods);
    out->served_here = calloc(nm ? nm : 1, sizeof *out->served_here);
    if (!d->out || !d->align || !d->state || !mods || !out->methods || !out->served_here)
        return bad(d, "out of memory");
    /* Every type is laid out, used or not: a bad one anywhere is a bad answer. */
    for (size_t i = 0; i < d->n_types; i++)
        if (layout_type(d, i, "the type table") < 0)
            return -1;
    for (size_t i = 0; i < nm; i++) {
        if (get_method(d, &f[3].via.array.ptr[i], &out->methods[i], &mods[i],
                       &out->served_here[i]) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (out->methods[k].wire_id == out->methods[i].wire_id)
                return bad(d, "two methods share wire id %016llx",
                           (unsigned long long)out->methods[i].wire_id);
        out->n_methods = i + 1;
    }
    return 0;
}

int nb__describe_decode(const void *buf, size_t len, const nb__cluster_def *def,
                        nb__description *out, char *why, size_t why_size)
{
    *out = (nb__description){0};
    char scratch[8];
    if (!why || why_size == 0) {
        why = scratch;
        why_size = sizeof scratch;
    }
    why[0] = '\0';
    dec d = {.arena = &out->arena, .def = def, .why = why, .why_size = why_size};
    if (len > NB__DESC_MAX_BYTES) {
        bad(&d, "%zu bytes, more than %zu", len, NB__DESC_MAX_BYTES);
        return -1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = nb__unpack_peer(&up, buf, len) == 0 ? decode_tree(&d, &up.data, out)
                                                 : bad(&d, "not well-formed MessagePack");
    msgpack_unpacked_destroy(&up);
    if (rc < 0) {
        nb__describe_free(out);
        if (!why[0])
            bad(&d, "does not decode");
    }
    return rc;
}

/* --- Asking -------------------------------------------------------------- */

/* What one node's answer must be besides well-formed: of our topology. */
static int take_description(const unsigned char *payload, size_t len, const char *node,
                            void *arg)
{
    nb__description *out = arg;
    const nb__cluster_def *def = nb__cfg.def;
    char why[300];
    if (nb__describe_decode(payload, len, def, out, why, sizeof why) < 0) {
        nb__fail(NB_E_PROTOCOL, "describe: the method table of %s is refused: %s", node, why);
        return -1;
    }
    if (strcmp(out->fingerprint, def->fingerprint) != 0) {
        nb__fail(NB_E_PROTOCOL, "describe: %s describes another topology (fingerprint %.16s, "
                 "ours %s)", node, out->fingerprint, def->fingerprint);
        nb__describe_free(out);
        return -1;
    }
    return 0;
}

int nb__describe_fetch(int idx, int timeout_ms, nb__description *out)
{
    *out = (nb__description){0};
    return nb__ask_node(idx, NB__F_DESCRIBE, "describe", timeout_ms, take_description, out);
}
