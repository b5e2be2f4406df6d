/*
 * validate.h — checks the whole model against the topology before anything is
 * written, and completes it with placement (which nodes serve each API, whether
 * this node does) and identities (canonical signatures, wire ids). The emitters
 * run only when this reports no error.
 */
#ifndef NBC_VALIDATE_H
#define NBC_VALIDATE_H

#include "build.h"
#include "model.h"

/* Returns the number of errors reported. */
int nbc_validate(nbc_model *m, const nbc_build *b);

#endif /* NBC_VALIDATE_H */
