#include "explain.h"

#include <stdlib.h>
#include <string.h>

static bool serves(const nbc_api *a, size_t node)
{
    for (size_t i = 0; i < a->n_serving; i++)
        if (a->serving[i] == node)
            return true;
    return false;
}

/* Borrowed from the model, or a static string. */
static const char *selector_text(const nbc_api *a)
{
    return a->selector[0] ? a->selector : "(every node)";
}

/* Prints a row of cells padded to widths, without trailing spaces. */
static void print_row(FILE *out, const char *const *cells, const size_t *widths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n)
            fprintf(out, "%-*s  ", (int)widths[i], cells[i]);
        else
            fprintf(out, "%s\n", cells[i]);
    }
}

void nbc_explain(FILE *out, const nbc_model *m, const nbc_build *b)
{
    const nbc_topology *t = b->topo;
    size_t cols = 2 + t->n_nodes;
    size_t *w = calloc(cols, sizeof *w);
    const char **cells = calloc(cols, sizeof *cells);
    if (w == NULL || cells == NULL)
        nbc_oom();
    nbc_api **sorted = nbc_model_apis_by_name(m);
    w[0] = strlen("API");
    w[1] = strlen("selector");
    for (size_t i = 0; i < t->n_nodes; i++)
        w[2 + i] = strlen(t->nodes[i].name) > 6 ? strlen(t->nodes[i].name) : 6;
    for (size_t i = 0; i < m->n_apis; i++) {
        if (strlen(sorted[i]->name) > w[0])
            w[0] = strlen(sorted[i]->name);
        if (strlen(selector_text(sorted[i])) > w[1])
            w[1] = strlen(selector_text(sorted[i]));
    }
    cells[0] = "API";
    cells[1] = "selector";
    for (size_t i = 0; i < t->n_nodes; i++)
        cells[2 + i] = t->nodes[i].name;
    print_row(out, cells, w, cols);
    for (size_t i = 0; i < m->n_apis; i++) {
        cells[0] = sorted[i]->name;
        cells[1] = selector_text(sorted[i]);
        for (size_t n = 0; n < t->n_nodes; n++)
            cells[2 + n] = serves(sorted[i], n) ? "local" : "remote";
        print_row(out, cells, w, cols);
    }
    if (m->n_apis == 0)
        fputs("(no NB_API function in these sources)\n", out);
    free(sorted);
    free(cells);
    free(w);
}
