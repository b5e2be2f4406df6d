/* users.h — the shop's users, stored in SQLite on the &db nodes. */
#ifndef SHOP_USERS_H
#define SHOP_USERS_H

#include <nebula.h>

/* Crosses the wire as a value; nebulac declares nb_free_user_t() right after it. */
NB_STRUCT typedef struct user {
    int64_t id;
    char *name;
    char *email;
    int64_t created_at; /* Unix seconds */
} user_t;

/* The APIs, callable from any node (defined with NB_API("&db") in users.c). */

/* Adds a user. Returns the new id, or -1 when SQLite refuses (a duplicate email):
 * that is the body's own answer, delivered with nb_last_code() == NB_OK. */
int64_t users_create(const char *name, const char *email);

/* The user with this id, or NULL when there is none. The caller frees the result
 * with nb_free_user_t(). */
user_t *users_get(int64_t id);

/* How many users the database holds. */
int64_t users_count(void);

/* Storage setup, defined on &db nodes only: a call from any other node is a link
 * error, which is what we want. */

/* Opens (creating if need be) the database at path, or at a new temporary file
 * when path is NULL or empty. path is borrowed. Returns 0, or -1 after printing
 * why. */
int users_store_open(const char *path);

/* Closes the database and deletes it when users_store_open() created it. */
void users_store_close(void);

#endif
