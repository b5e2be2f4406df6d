/*
 * prelude.h — what a code fragment of the docs may use without declaring it.
 *
 * check_docs.py compiles each statement fragment inside a function, and each
 * file-scope fragment at file scope, of a file that includes this header. The
 * APIs are declared in include/ and defined in prelude.c (so nebulac generates
 * their f__with variants and deep frees); the variables stand for the caller's
 * context a fragment refers to.
 */
#ifndef DOCS_PRELUDE_H
#define DOCS_PRELUDE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nebula.h>

#include "cache.h"
#include "counter.h"
#include "heavy.h"
#include "jobs.h"
#include "users.h"

/* The context fragments assume: a file to transcode and where to, a user id,
 * and a list of files. */
extern const char *path;
extern const char *out;
extern int64_t id;
extern const char *paths[];
extern int n_paths;

#endif
