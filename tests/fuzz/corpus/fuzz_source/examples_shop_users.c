/*
 * users.c — the users table, in SQLite, on the &db nodes.
 *
 * Every node compiles this file, but only &db nodes get the bodies below, the
 * SQLite header and the SQLite library: on the others users_get() is a remote
 * call and `readelf -d` finds no libsqlite3 in the binary.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, mkstemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "users.h"

#if NB_ON("&db")
#include <sqlite3.h>
#include <unistd.h>

/* One connection in serialized mode: API bodies run on the runtime's worker
 * threads, several at a time, and SQLite does the locking. */
static sqlite3 *db;
static char *temp_path; /* set when we created the file, so we delete it */

/* Returns a temporary file's path owned by the caller (free), or NULL. */
static char *make_temp_path(void)
{
    const char *dir = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/shop-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(buf);
    if (fd < 0)
        return NULL;
    close(fd); /* SQLite reads an empty file as an empty database. */
    return strdup(buf);
}

/* path is borrowed; the connection lives until users_store_close(). */
int users_store_open(const char *path)
{
    static const char schema[] = "CREATE TABLE IF NOT EXISTS users ("
                                 " id INTEGER PRIMARY KEY,"
                                 " name TEXT NOT NULL,"
                                 " email TEXT NOT NULL UNIQUE,"
                                 " created_at INTEGER NOT NULL)";
    if (!path || !*path)
        path = temp_path = make_temp_path();
    if (!path) {
        perror("users: temporary database");
        return -1;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "users: %s: %s\n", path, sqlite3_errmsg(db));
        users_store_close();
        return -1;
    }
    return 0;
}

void users_store_close(void)
{
    sqlite3_close(db);
    db = NULL;
    if (temp_path)
        remove(temp_path);
    free(temp_path);
    temp_path = NULL;
}

/* Returns a prepared statement the caller finalizes, or NULL after logging why. */
static sqlite3_stmt *prepare(const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "users: %s\n", sqlite3_errstr(rc));
    return st;
}

/* Returns a heap copy of a text column, owned by the caller (free). */
static char *column_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return strdup(text ? (const char *)text : "");
}
#endif /* NB_ON("&db") */

/* name and email are borrowed: SQLite copies them (SQLITE_TRANSIENT). */
NB_API("&db")
int64_t users_create(const char *name, const char *email)
{
    sqlite3_stmt *st = prepare("INSERT INTO users (name, email, created_at)"
                               " VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER))"
                               " RETURNING id");
    int64_t id = -1;
    if (st && sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, email, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* Returns a user owned by the caller (nb_free_user_t), or NULL: the C nil. */
NB_API("&db")
user_t *users_get(int64_t id)
{
    sqlite3_stmt *st = prepare("SELECT name, email, created_at FROM users WHERE id = ?1");
    user_t *u = NULL;
    if (st && sqlite3_bind_int64(st, 1, id) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        (u = calloc(1, sizeof *u)) != NULL) {
        u->id = id;
        u->name = column_strdup(st, 0);
        u->email = column_strdup(st, 1);
        u->created_at = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return u;
}

NB_API("&db")
int64_t users_count(void)
{
    sqlite3_stmt *st = prepare("SELECT count(*) FROM users");
    int64_t n = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}
