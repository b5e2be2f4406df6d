/* Read by &db builds only: the other nodes never follow this include. */
#ifndef DB_STORE_H
#define DB_STORE_H
static inline const char *db_store_name(int64_t id)
{
    return id == 42 ? "only-on-db-ada" : NULL;
}
#endif
