/*
 * table.h — the aligned text tables `nebula nodes` and `nebula apis` print: a
 * header row, then rows of cells, every column as wide as its widest cell.
 */
#ifndef NB_CLI_TABLE_H
#define NB_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct nb__cli_table {
    size_t cols;
    size_t n_cells;
    size_t cap;
    char **cells;  /* row-major, each a heap string */
} nb__cli_table;

/* An empty table of `cols` columns; the caller releases it with _free. */
void nb__cli_table_init(nb__cli_table *t, size_t cols);

/* Appends one cell (rows fill left to right); the text is copied. */
void nb__cli_table_add(nb__cli_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints every row, cells separated by two spaces, with no trailing blanks. */
void nb__cli_table_print(const nb__cli_table *t, FILE *out);

void nb__cli_table_free(nb__cli_table *t);

#endif /* NB_CLI_TABLE_H */
