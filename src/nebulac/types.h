/*
 * types.h — which C types may cross nodes, and how they are spelled canonically.
 *
 * docs/design.md §5: bool; the fixed-width and plain integers; size_t; float and
 * double; strings ('const char *' argument, 'char *' return or field); nb_bytes;
 * NB_STRUCT types by value, as 'const T *' argument or 'T *' return or field;
 * fixed arrays of those as fields; void as a return type. Everything else is an
 * error that names the type, what it types, and where.
 */
#ifndef NBC_TYPES_H
#define NBC_TYPES_H

#include "model.h"

/* Classifies every API signature and NB_STRUCT field (fills kind, c_text, st)
 * and reports each type that cannot cross nodes. Returns the number of errors. */
int nbc_types_check(nbc_model *m);

/* The NB_STRUCT called `name` (a typedef name), or tagged `name` when by_tag;
 * owned by the model; NULL if none. */
nbc_struct *nbc_find_struct(const nbc_model *m, const char *name, bool by_tag);

/* Appends a declaration of `name` with type t in canonical spelling:
 * "int64_t id", "char *name", "int32_t grid[2][3]". */
void nbc_put_decl(nbc_buf *b, const nbc_ctype *t, const char *name);

#endif /* NBC_TYPES_H */
