/*
 * dot.h — writing Graphviz DOT, shared by nebulac's --explain --format=dot|svg
 * and `nebula routes --format dot|svg` (both draw nodes as boxes listing their
 * tags and APIs).
 */
#ifndef NB_COMMON_DOT_H
#define NB_COMMON_DOT_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s as text of an HTML-like label: & < > " escaped. */
void nb__dot_put_html(FILE *out, const char *s);

/* Writes s as a DOT double-quoted string, quotes included. */
void nb__dot_put_quoted(FILE *out, const char *s);

/* True when an executable `prog` is in a directory of $PATH (checked before
 * running `dot` for SVG, so that its absence is a clear error). */
bool nb__on_path(const char *prog);

#endif /* NB_COMMON_DOT_H */
