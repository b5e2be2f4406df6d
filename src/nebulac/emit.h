/*
 * emit.h — nebulac's outputs. The emitters only print a validated model: they
 * never check anything, and everything they print is deterministic (same input,
 * same bytes).
 *
 *   emit_source.c  the rewritten copy of each source and annotated header
 *   emit_node.c    nebula_node.c: the compiled topology and the method table
 *   emit_common.c  what both print: type references and NB_STRUCT descriptors
 */
#ifndef NBC_EMIT_H
#define NBC_EMIT_H

#include "build.h"
#include "model.h"

#define NBC_VERSION "0.1.0"

/* One output file. */
typedef struct nbc_output {
    const char *rel_path;   /* under --out; borrowed from the model, or static */
    char *data;             /* owned (malloc) */
    size_t len;
} nbc_output;

typedef struct nbc_outputs {
    nbc_output *items;      /* owned; release with nbc_outputs_free */
    size_t n, cap;
} nbc_outputs;

/* Appends the rewritten copy of every file marked for rewriting. */
void nbc_emit_sources(const nbc_model *m, const nbc_build *b, nbc_outputs *out);

/* Appends nebula_node.c. topology_path is printed in its header comment;
 * fingerprint is 16 hex digits. */
void nbc_emit_node(const nbc_model *m, const nbc_build *b, const char *topology_path,
                   const char *fingerprint, nbc_outputs *out);

void nbc_outputs_free(nbc_outputs *o);

/* --- shared by the emitters ---------------------------------------------- */

/* Appends an output; takes ownership of data (malloc'd). */
void nbc_outputs_add(nbc_outputs *o, const char *rel_path, char *data, size_t len);

/* The tref initializer of t: {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}. For an
 * array, elem_name names the element's static tref (see nbc_emit_elems). */
void nbc_emit_tref(nbc_buf *o, const nbc_ctype *t, const char *elem_name);

/* The static element trefs an array field needs, innermost first; returns the
 * name the field's tref refers to (owned by the caller: free()). NULL when the
 * field is no array. */
char *nbc_emit_elems(nbc_buf *o, const nbc_struct *st, const nbc_field *f);

/* An NB_STRUCT's descriptor nb__type_<ident> and its deep free nb_free_<ident>.
 * Generated code: the caller's #line (if any) points at the output itself. */
void nbc_emit_struct_descriptor(nbc_buf *o, const nbc_struct *st);

/* The declarations inserted after an NB_STRUCT definition:
 * " extern const nb__type nb__type_user_t; void nb_free_user_t(user_t *p);" */
void nbc_emit_struct_decls(nbc_buf *o, const nbc_struct *st);

/* `#line N "path"` and a newline. */
void nbc_emit_line(nbc_buf *o, int line, const char *path);

#endif /* NBC_EMIT_H */
