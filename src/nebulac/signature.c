#include "signature.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "types.h"

const char *nbc_signature(nbc_model *m, const nbc_api *api)
{
    nbc_buf b = {0};
    nbc_put_decl(&b, &api->ret, api->name);
    nbc_buf_putc(&b, '(');
    for (size_t i = 0; i < api->n_params; i++) {
        if (i > 0)
            nbc_buf_puts(&b, ", ");
        nbc_put_decl(&b, &api->params[i].type, api->params[i].name ? api->params[i].name : "");
    }
    nbc_buf_puts(&b, api->n_params == 0 ? "void)" : ")");
    const char *s = nbc_arena_strdup(&m->arena, nbc_buf_str(&b));
    nbc_buf_free(&b);
    return s;
}

typedef struct walk {
    uint64_t h;
    const nbc_struct **seen;
    size_t n_seen, cap;
} walk;

static uint64_t hash_str(uint64_t h, const char *s) { return nb__fnv64(h, s, strlen(s)); }

/* Hashes the NB_STRUCT behind t (if any, once), then the ones its fields reach. */
static void hash_struct(walk *w, const nbc_ctype *t)
{
    const nbc_struct *st = t->st;
    if (st == NULL)
        return;
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i] == st)
            return;
    if (w->n_seen == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->seen = realloc(w->seen, w->cap * sizeof *w->seen);
        if (w->seen == NULL)
            nbc_oom();
    }
    w->seen[w->n_seen++] = st;
    nbc_buf b = {0};
    nbc_buf_printf(&b, "|%s{", st->display);
    for (size_t i = 0; i < st->n_fields; i++) {
        nbc_put_decl(&b, &st->fields[i].type, st->fields[i].name);
        nbc_buf_putc(&b, ';');
    }
    nbc_buf_putc(&b, '}');
    w->h = hash_str(w->h, nbc_buf_str(&b));
    nbc_buf_free(&b);
    for (size_t i = 0; i < st->n_fields; i++)
        hash_struct(w, &st->fields[i].type);
}

uint64_t nbc_wire_id(const nbc_api *api)
{
    walk w = {.h = hash_str(NB__FNV64_INIT, api->signature)};
    hash_struct(&w, &api->ret);
    for (size_t i = 0; i < api->n_params; i++)
        hash_struct(&w, &api->params[i].type);
    free(w.seen);
    return w.h;
}

void nbc_fingerprint(const nbc_topology *topo, char out[17])
{
    uint64_t h = NB__FNV64_INIT;
    for (size_t i = 0; i < topo->n_nodes; i++) {
        const nb__node_def *n = &topo->nodes[i];
        h = hash_str(hash_str(h, n->name), "=");
        for (size_t j = 0; j < n->n_tags; j++)
            h = hash_str(hash_str(h, n->tags[j]), ",");
        h = hash_str(h, ";");
    }
    /* Nodes of different transports cannot talk: their fingerprints differ too. */
    h = hash_str(hash_str(h, "|transport="), nbc_transport_name(topo->transport));
    /* The API signatures are not part of it (docs/upgrades.md): each method is
     * matched by its wire id when a call is routed, so builds that differ only in
     * their APIs keep calling each other's unchanged ones. */
    snprintf(out, 17, "%016" PRIx64, h);
}
