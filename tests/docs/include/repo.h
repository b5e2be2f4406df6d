/* repo.h — the database layer of defining.md's sample; &db builds only. */
#ifndef DOCS_REPO_H
#define DOCS_REPO_H

#include "users.h"

/* A heap user_t owned by the caller, or NULL. */
user_t *repo_get(int64_t id);

#endif
