#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "signature.h"
#include "types.h"

/* Sources must be inside the current directory (their copies go to the same
 * relative path under --out); so must every header that needs rewriting. */
static int check_files(const nbc_model *m)
{
    int errors = 0;
    for (size_t i = 0; i < m->n_files; i++) {
        const nbc_file *f = m->files[i];
        if (f->rel_path != NULL)
            continue;
        if (f->is_source) {
            nbc_error((nbc_loc){f->path, 1, 1},
                      "source '%s' is outside the current directory: nebulac writes its rewritten copy at "
                      "its path relative to the current directory",
                      f->path);
            errors++;
        } else if (f->has_annotations) {
            nbc_error(f->first_annotation,
                      "NebulaAPI annotations in a header outside the current directory: nebulac cannot "
                      "write its rewritten copy (move it under the current directory)");
            errors++;
        }
    }
    return errors;
}

static int check_names(const nbc_model *m)
{
    int errors = 0;
    for (size_t i = 0; i < m->n_apis; i++) {
        const nbc_api *a = m->apis[i];
        if (!a->file->is_source) {
            nbc_error(a->name_loc, "NB_API function '%s' is defined in a header: define it in a source file "
                                   "(the header may declare it)", a->name);
            errors++;
        }
        if (a->is_static) {
            nbc_error(a->name_loc, "NB_API function '%s' cannot be static: other nodes call it by name",
                      a->name);
            errors++;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->apis[j]->name, a->name) == 0) {
                nbc_error(a->name_loc, "API '%s' is defined twice", a->name);
                nbc_note(m->apis[j]->name_loc, "'%s' is first defined here", a->name);
                errors++;
                break;
            }
        }
    }
    for (size_t i = 0; i < m->n_structs; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->structs[j]->ident, m->structs[i]->ident) == 0) {
                nbc_error(m->structs[i]->loc, "NB_STRUCT '%s' is defined twice", m->structs[i]->display);
                nbc_note(m->structs[j]->loc, "'%s' is first defined here", m->structs[j]->display);
                errors++;
                break;
            }
        }
    }
    return errors;
}

/* Every annotated prototype has a definition, and both agree on the selector. */
static int check_declarations(const nbc_model *m)
{
    int errors = 0;
    for (size_t i = 0; i < m->n_decls; i++) {
        const nbc_api *d = m->decls[i];
        const nbc_api *def = nbc_model_find_api(m, d->name);
        if (def == NULL) {
            nbc_error(d->loc, "NB_API prototype of '%s' has no definition in the sources given to nebulac",
                      d->name);
            errors++;
        } else if (strcmp(def->selector, d->selector) != 0) {
            nbc_error(d->sel_loc, "selector \"%s\" of this prototype of '%s' disagrees with \"%s\" on its definition",
                      d->selector, d->name, def->selector);
            nbc_note(def->sel_loc, "the definition's selector is here");
            errors++;
        }
    }
    return errors;
}

/* Decides which topology nodes serve each API, and whether this node does. */
static int place(nbc_model *m, const nbc_build *b)
{
    int errors = 0;
    const nbc_topology *topo = b->topo;
    for (size_t i = 0; i < m->n_apis; i++) {
        nbc_api *a = m->apis[i];
        nb__selector sel;
        if (nbc_selector_check(topo, a->selector, a->sel_loc, "NB_API call", &sel) != 0) {
            errors++;
            continue;
        }
        a->serving = nbc_arena_alloc(&m->arena, sizeof *a->serving * (topo->n_nodes + 1));
        for (size_t n = 0; n < topo->n_nodes; n++)
            if (nb__sel_match(&sel, &topo->nodes[n]))
                a->serving[a->n_serving++] = (uint32_t)n;
        a->local = b->self >= 0 && nb__sel_match(&sel, &topo->nodes[b->self]);
        nb__sel_free(&sel);
    }
    return errors;
}

/* An nb_start( call counts unless it sits in the body of an API this node
 * does not serve: that body is removed from this node's build. */
static bool nb_start_is_live(const nbc_model *m, const nbc_file *f, size_t off)
{
    for (size_t i = 0; i < m->n_apis; i++) {
        const nbc_api *a = m->apis[i];
        if (a->file == f && !a->local && off >= a->anno.off && off < a->body_end)
            return false;
    }
    return true;
}

/* The reference README's "no nebula_api_server() has been found", for C. */
static int check_nb_start(const nbc_model *m, const nbc_build *b)
{
    size_t served = 0;
    const nbc_api *first = NULL;
    for (size_t i = 0; i < m->n_apis; i++) {
        if (m->apis[i]->local) {
            served++;
            first = first ? first : m->apis[i];
        }
    }
    if (served == 0)
        return 0;
    for (size_t i = 0; i < m->n_files; i++)
        for (size_t j = 0; j < m->files[i]->n_nb_start; j++)
            if (nb_start_is_live(m, m->files[i], m->files[i]->nb_start_calls[j]))
                return 0;
    nbc_buf list = {0};
    for (size_t i = 0; i < m->n_apis; i++) {
        const nbc_api *a = m->apis[i];
        if (a->local)
            nbc_buf_printf(&list, "\n- %s (%s:%d)", a->name, a->file->path, a->name_loc.line);
    }
    nbc_error(first->loc,
              "Found %zu API(s) served on %s, but no nb_start() has been found in its sources "
              "\xe2\x80\x94 their RPC workers will never start.\n"
              "Node: %s\n"
              "^------ hint: call nb_start() (the nebula server) from this node's main()\n"
              "APIs served on this node:%s",
              served, b->self_name, b->self_name, nbc_buf_str(&list));
    nbc_buf_free(&list);
    return 1;
}

/*
 * String-literal selectors of routing blocks and f__with calls, checked at
 * build time as the reference library checks call_on_node @nope: unknown nodes
 * and tags in its shape, and (for f__with) a selector no serving node matches.
 */
static int check_routes(const nbc_model *m, const nbc_build *b)
{
    int errors = 0;
    for (size_t i = 0; i < m->n_routes; i++) {
        const nbc_route *r = &m->routes[i];
        nb__selector sel;
        if (nbc_selector_check(b->topo, r->selector, r->loc, r->what, &sel) != 0) {
            errors++;
            continue;
        }
        const nbc_api *a = r->api ? nbc_model_find_api(m, r->api) : NULL;
        bool hit = a == NULL;
        for (size_t k = 0; a != NULL && k < a->n_serving && !hit; k++)
            hit = nb__sel_match(&sel, &b->topo->nodes[a->serving[k]]);
        nb__sel_free(&sel);
        if (!hit) {
            nbc_buf list = {0};
            for (size_t k = 0; k < a->n_serving; k++)
                nbc_buf_printf(&list, "\n- @:\"%s\"", b->topo->nodes[a->serving[k]].name);
            nbc_error(r->loc, "selector \"%s\" in %s matches no node serving %s (selector \"%s\")\n"
                      "Nodes serving %s :%s",
                      r->selector, r->what, a->name, a->selector, a->name, nbc_buf_str(&list));
            nbc_buf_free(&list);
            errors++;
        }
    }
    return errors;
}

int nbc_validate(nbc_model *m, const nbc_build *b)
{
    int errors = check_files(m);
    errors += check_names(m);
    errors += check_declarations(m);
    int type_errors = nbc_types_check(m);
    errors += type_errors;
    errors += place(m, b);
    if (errors == 0)
        errors += check_routes(m, b);
    errors += nbc_check_call_options(m);
    if (type_errors == 0) {
        for (size_t i = 0; i < m->n_apis; i++) {
            m->apis[i]->signature = nbc_signature(m, m->apis[i]);
            m->apis[i]->wire_id = nbc_wire_id(m->apis[i]);
        }
    }
    if (errors == 0)
        errors += check_nb_start(m, b);
    return errors;
}
