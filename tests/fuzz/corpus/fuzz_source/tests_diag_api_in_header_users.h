/* A body in a header would be compiled into every source that includes it. */
NB_API("&db") int64_t users_count(void) { return 0; }
