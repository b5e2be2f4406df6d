/*
 * diag.h — nebulac diagnostics in the form IDEs parse:
 *   file:line:col: error: message
 * Every error is counted; nebulac exits 1 when any was reported.
 */
#ifndef NBC_DIAG_H
#define NBC_DIAG_H

#include <stdio.h>

/* A position in a user's file. Lines and columns start at 1. `file` is borrowed. */
typedef struct nbc_loc {
    const char *file;
    int line;
    int col;
} nbc_loc;

/* Prints "file:line:col: error: " + the formatted message + "\n" to stderr. The
 * message may span several lines (the unknown-node listing does). */
void nbc_error(nbc_loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, with "note" instead of "error"; not counted. */
void nbc_note(nbc_loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number of errors reported so far. */
int nbc_error_count(void);

/* Tests redirect diagnostics; NULL restores stderr. */
void nbc_diag_set_stream(FILE *f);

#endif /* NBC_DIAG_H */
