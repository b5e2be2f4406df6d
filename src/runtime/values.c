/*
 * values.c — deep release of values described by generated descriptors, and the
 * nb_results of multicast and broadcast calls.
 *
 * Every pointer inside a value (strings, nb_bytes.data, struct pointers and the
 * pointers inside their pointees) is a separate heap allocation owned by the
 * value (docs/design.md §5), so releasing is a walk of the descriptor that frees
 * each one and zeroes it, leaving the storage safe to clear again.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "values.h"

/* Whether a value of type t can own heap memory (so clearing must visit it). */
static bool owns_memory(const nb__tref *t)
{
    switch (t->kind) {
    case NB__K_STR:
    case NB__K_BYTES:
    case NB__K_STRUCT:
    case NB__K_STRUCT_PTR:
        return true;
    case NB__K_ARRAY:
        return owns_memory(t->elem);
    default:
        return false;
    }
}

/* p is the caller's storage; what it points to is freed here. */
void nb__value_clear(const nb__tref *t, void *p)
{
    switch (t->kind) {
    case NB__K_STR: {
        char **s = p;
        free(*s);
        *s = NULL;
        return;
    }
    case NB__K_BYTES: {
        nb_bytes *b = p;
        free(b->data);
        b->data = NULL;
        b->len = 0;
        return;
    }
    case NB__K_STRUCT:
        nb__struct_clear(t->type, p);
        return;
    case NB__K_STRUCT_PTR: {
        void **q = p;
        nb__struct_free(t->type, *q);
        *q = NULL;
        return;
    }
    case NB__K_ARRAY:
        if (!owns_memory(t->elem))
            return;
        for (uint32_t i = 0; i < t->count; i++)
            nb__value_clear(t->elem, (char *)p + (size_t)i * t->elem->size);
        return;
    default:
        return;
    }
}

/* p is the caller's struct storage; what its fields point to is freed here. */
void nb__struct_clear(const nb__type *type, void *p)
{
    for (size_t i = 0; i < type->n_fields; i++) {
        const nb__field *f = &type->fields[i];
        nb__value_clear(&f->t, (char *)p + f->offset);
    }
}

/* p is a heap struct, freed here with everything it owns. */
void nb__struct_free(const nb__type *type, void *p)
{
    if (p == NULL)
        return;
    nb__struct_clear(type, p);
    free(p);
}

/* Returns a heap value owned by the caller (nb__value_free). */
void *nb__value_new(const nb__tref *t)
{
    return calloc(1, t->size ? t->size : 1);
}

/* p is a heap value, freed here with everything it owns. */
void nb__value_free(const nb__tref *t, void *p)
{
    if (p == NULL)
        return;
    nb__value_clear(t, p);
    free(p);
}

/* res is overwritten; what it then holds is owned by it (nb_results_free). */
int nb__results_init(nb_results *res, const nb__method *m, size_t count)
{
    memset(res, 0, sizeof *res);
    nb_result *items = calloc(count ? count : 1, sizeof *items);
    if (items == NULL)
        return -1;
    res->items = items;
    res->count = count;
    res->nb__method = m;
    if (m->ret.kind == NB__K_VOID)
        return 0;
    for (size_t k = 0; k < count; k++) {
        items[k].value = nb__value_new(&m->ret);
        if (items[k].value == NULL) {
            nb_results_free(res);
            return -1;
        }
    }
    return 0;
}

/* res keeps ownership of everything but item k's value, freed here. */
void nb__results_drop_value(nb_results *res, size_t k)
{
    const nb__method *m = res->nb__method;
    void *value = res->items[k].value;
    if (value == NULL)
        return;
    if (m != NULL)
        nb__value_clear(&m->ret, value);
    free(value);
    res->items[k].value = NULL;
}

/* res is the caller's; everything it owns is freed here and *res zeroed. */
void nb_results_free(nb_results *res)
{
    if (res == NULL)
        return;
    const nb__method *m = res->nb__method;
    for (size_t k = 0; k < res->count && res->items != NULL; k++) {
        void *value = res->items[k].value;
        if (value == NULL)
            continue;
        /* Without its method a value's type is unknown: free it shallowly. */
        if (m != NULL)
            nb__value_clear(&m->ret, value);
        free(value);
    }
    free(res->items);
    memset(res, 0, sizeof *res);
}
