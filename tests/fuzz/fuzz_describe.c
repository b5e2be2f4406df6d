/*
 * fuzz_describe — a DESCRIPTION as a node sends it to the installed `nebula`
 * command (describe.c, tool.h): the method table the command builds its
 * calls from, so a hostile node's answer.
 *
 * Input: the DESCRIPTION payload. Checked for every input:
 *   - a refused payload leaves the description empty and a reason;
 *   - an accepted one respects every bound of tool.h, and its layout is this
 *     process's own: every field lies inside its struct, aligned to its
 *     natural alignment, after the previous one, and sizes are the kinds'
 *     (integers 1/2/4/8, floats 4/8, pointers, nb_bytes, arrays count x
 *     element), so a value laid out from it is never read out of bounds;
 *   - every method's arguments, zeroed, and its zeroed return value encode
 *     and clear through the codec, as `nebula call` would use them;
 *   - everything is released with nb__describe_free (the leak check of
 *     libFuzzer runs on every input).
 * Seeds (corpus/fuzz_describe/) are written by describe_seeds.py: answers
 * shaped as the cluster tests' and the rolling-upgrade test's nodes give them
 * (every kind, structs by value and by pointer, nested arrays, a linked
 * list), and two the decoder refuses.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_describe: check failed: %s (%s:%d)\n", #cond, __FILE__,         \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The nodes of tests/cluster/nebula.yaml and tests/cluster/upgrade.yaml. */
static const nb__node_def nodes[] = {
    {.name = "api@127.0.0.1"}, {.name = "db1@127.0.0.1"}, {.name = "db2@127.0.0.1"},
    {.name = "cold@127.0.0.1"}, {.name = "u1@127.0.0.1"}, {.name = "u2@127.0.0.1"},
    {.name = "u3@127.0.0.1"}, {.name = "old@127.0.0.1"}, {.name = "new@127.0.0.1"},
};
static const nb__cluster_def cluster = {
    .abi_version = NB__ABI_VERSION, .fingerprint = "0000000000000000", .nodes = nodes,
    .n_nodes = sizeof nodes / sizeof nodes[0], .self = -1, .self_name = "nonode@nohost"};

static size_t align_of(const nb__tref *t);

static size_t type_align(const nb__type *ty)
{
    size_t a = 1;
    for (size_t k = 0; k < ty->n_fields; k++) {
        size_t fa = align_of(&ty->fields[k].t);
        a = fa > a ? fa : a;
    }
    return a;
}

/* The alignment the kind implies (by-value recursion was refused, so this ends). */
static size_t align_of(const nb__tref *t)
{
    switch (t->kind) {
    case NB__K_BOOL: return alignof(bool);
    case NB__K_INT:
    case NB__K_UINT:
    case NB__K_FLOAT: return t->size;
    case NB__K_STR:
    case NB__K_STRUCT_PTR: return alignof(void *);
    case NB__K_BYTES: return alignof(nb_bytes);
    case NB__K_STRUCT: return type_align(t->type);
    case NB__K_ARRAY: return align_of(t->elem);
    default: return 1;
    }
}

static void check_tref(const nb__tref *t, bool allow_void, int depth)
{
    FZ_CHECK(depth <= NB__DESC_MAX_ARRAY_DEPTH);
    switch (t->kind) {
    case NB__K_VOID: FZ_CHECK(allow_void); break;
    case NB__K_BOOL: FZ_CHECK(t->size == sizeof(bool)); break;
    case NB__K_INT:
    case NB__K_UINT: FZ_CHECK(t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8); break;
    case NB__K_FLOAT: FZ_CHECK(t->size == 4 || t->size == 8); break;
    case NB__K_STR: FZ_CHECK(t->size == sizeof(char *)); break;
    case NB__K_BYTES: FZ_CHECK(t->size == sizeof(nb_bytes)); break;
    case NB__K_STRUCT_PTR: FZ_CHECK(t->size == sizeof(void *) && t->type); break;
    case NB__K_STRUCT: FZ_CHECK(t->type && t->size == t->type->size); break;
    case NB__K_ARRAY:
        FZ_CHECK(t->elem && t->count >= 1 && t->count <= NB__DESC_MAX_ARRAY_COUNT);
        check_tref(t->elem, false, depth + 1);
        FZ_CHECK((uint64_t)t->elem->size * t->count == t->size);
        break;
    default: FZ_CHECK(!"unknown kind");
    }
    FZ_CHECK(t->size <= NB__DESC_MAX_TYPE_SIZE);
}

static void check_type(const nb__type *ty)
{
    FZ_CHECK(ty->name && strlen(ty->name) <= NB__DESC_MAX_NAME + 7);
    FZ_CHECK(ty->n_fields <= NB__DESC_MAX_FIELDS);
    size_t end = 0;
    for (size_t k = 0; k < ty->n_fields; k++) {
        const nb__field *f = &ty->fields[k];
        check_tref(&f->t, false, 0);
        FZ_CHECK(f->offset >= end && f->offset % align_of(&f->t) == 0);
        end = f->offset + f->t.size;
        FZ_CHECK(end <= ty->size);
    }
    FZ_CHECK(ty->size >= 1 && ty->size % type_align(ty) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nb__description d;
    char why[300] = "";
    if (nb__describe_decode(data, size, &cluster, &d, why, sizeof why) != 0) {
        FZ_CHECK(d.methods == NULL && d.n_methods == 0 && d.arena == NULL && why[0]);
        return 0;
    }
    FZ_CHECK(d.n_methods <= NB__DESC_MAX_METHODS && d.node && d.fingerprint);
    for (size_t i = 0; i < d.n_methods; i++) {
        const nb__method *m = &d.methods[i];
        FZ_CHECK(m->name && m->signature && m->selector && m->module && m->args);
        FZ_CHECK(m->local == NULL && m->n_serving <= cluster.n_nodes);
        for (size_t k = 0; k < m->n_serving; k++)
            FZ_CHECK(m->serving[k] < cluster.n_nodes);
        check_type(m->args);
        check_tref(&m->ret, true, 0);
        /* As `nebula call` uses them: zeroed arguments encoded, the return
         * value's storage cleared. Kept small: a huge struct is legal but
         * would only slow the run. */
        if (m->args->size <= ((size_t)1 << 20)) {
            void *args = calloc(1, m->args->size);
            FZ_CHECK(args);
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            FZ_CHECK(nb__encode_struct(&pk, m->args, args) == 0);
            msgpack_sbuffer_destroy(&sb);
            nb__struct_clear(m->args, args);
            free(args);
        }
        if (m->ret.kind != NB__K_VOID && m->ret.size <= ((size_t)1 << 20)) {
            void *ret = calloc(1, m->ret.size);
            FZ_CHECK(ret);
            nb__value_clear(&m->ret, ret);
            free(ret);
        }
    }
    nb__describe_free(&d);
    return 0;
}
