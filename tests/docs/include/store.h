/* store.h — the db node's storage in the README's quickstart
 * (examples/quickstart/store.h). */
#ifndef DOCS_STORE_H
#define DOCS_STORE_H

#include <stdint.h>

/* The name of user id (static storage), or NULL. */
const char *store_get(int64_t id);

#endif
