#include "table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nb__cli_table_init(nb__cli_table *t, size_t cols)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
}

/* A table is a few dozen cells: running out of memory here ends the command. */
static void out_of_memory(void)
{
    fputs("nebula: out of memory\n", stderr);
    exit(2);
}

void nb__cli_table_add(nb__cli_table *t, const char *fmt, ...)
{
    if (t->n_cells == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        char **cells = realloc(t->cells, t->cap * sizeof *cells);
        if (cells == NULL)
            out_of_memory();
        t->cells = cells;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        out_of_memory();
    va_end(ap);
    t->cells[t->n_cells++] = s;
}

void nb__cli_table_print(const nb__cli_table *t, FILE *out)
{
    size_t *w = calloc(t->cols, sizeof *w);
    if (w == NULL)
        out_of_memory();
    size_t line_max = 1;
    for (size_t i = 0; i < t->n_cells; i++)
        if (strlen(t->cells[i]) > w[i % t->cols])
            w[i % t->cols] = strlen(t->cells[i]);
    for (size_t c = 0; c < t->cols; c++)
        line_max += w[c] + 2;
    char *line = malloc(line_max);
    if (line == NULL)
        out_of_memory();
    for (size_t row = 0; row * t->cols < t->n_cells; row++) {
        size_t len = 0;
        for (size_t c = 0; c < t->cols && row * t->cols + c < t->n_cells; c++)
            len += (size_t)sprintf(line + len, "%-*s  ", (int)w[c], t->cells[row * t->cols + c]);
        while (len > 0 && line[len - 1] == ' ')
            len--;
        fprintf(out, "%.*s\n", (int)len, line);
    }
    free(line);
    free(w);
}

void nb__cli_table_free(nb__cli_table *t)
{
    for (size_t i = 0; i < t->n_cells; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
