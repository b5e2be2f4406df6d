#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "dot.h"

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

void nbc_explain_dot(FILE *out, const nbc_model *m, const nbc_build *b)
{
    const nbc_topology *t = b->topo;
    nbc_api **sorted = nbc_model_apis_by_name(m);
    const char *file = strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path;
    fputs("/* nebulac --explain --format=dot: every node of the topology, its tags, and the\n"
          " * APIs local on it (a call there is a direct C call; from any other node it is\n"
          " * remote). Render with: dot -Tsvg */\n", out);
    fputs("graph nebula {\n", out);
    fprintf(out, "    graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=");
    char title[512];
    snprintf(title, sizeof title, "%s: %zu node(s), %zu API(s)", file, t->n_nodes, m->n_apis);
    nb__dot_put_quoted(out, title);
    fputs("];\n    node [shape=plaintext, fontname=\"Helvetica\", fontsize=11];\n", out);
    for (size_t n = 0; n < t->n_nodes; n++) {
        const nb__node_def *nd = &t->nodes[n];
        bool self = (int)n == b->self;
        fputs("    ", out);
        nb__dot_put_quoted(out, nd->name);
        fprintf(out, " [label=<<table border=\"%d\" cellborder=\"0\" cellspacing=\"0\" "
                     "cellpadding=\"4\">\n", self ? 3 : 1);
        fprintf(out, "        <tr><td bgcolor=\"%s\"><font color=\"white\"><b>",
                self ? "#1d6b35" : "#2b5797");
        nb__dot_put_html(out, nd->name);
        fprintf(out, "</b>%s</font></td></tr>\n", self ? " (this build)" : "");
        fputs("        <tr><td><i>", out);
        for (size_t k = 0; k < nd->n_tags; k++) {
            fputs(k ? " &amp;" : "&amp;", out);
            nb__dot_put_html(out, nd->tags[k]);
        }
        if (nd->n_tags == 0)
            fputs("no tags", out);
        fputs("</i></td></tr>\n", out);
        size_t local = 0;
        for (size_t i = 0; i < m->n_apis; i++) {
            if (!serves(sorted[i], n))
                continue;
            fputs("        <tr><td align=\"left\" bgcolor=\"#e8eef8\">", out);
            nb__dot_put_html(out, sorted[i]->name);
            fputs("</td></tr>\n", out);
            local++;
        }
        if (local == 0)
            fputs("        <tr><td><font color=\"#777777\">(no API local here)</font></td></tr>\n", out);
        fputs("    </table>>];\n", out);
    }
    fputs("}\n", out);
    free(sorted);
}
