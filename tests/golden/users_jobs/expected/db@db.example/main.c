#line 1 "main.c"
#include <stdio.h>

#include <nebula.h>
#include "jobs.h"
#include "users.h"

/* Text the rewriter must not touch: NB_API("&db") in a comment, */
static const char *const decoys[] = {
    "NB_API(\"@worker\") in a string", /* NB_ON("&db") */
    "a \"quoted\" NB_STRUCT",
};
static const char quote = '"';

#if !0 && 1
static const char *role = "cache, not api";
#elif NB_ON("@api")

#else

#endif

int main(void)
{
    if (nb_start(NULL) != 0)
        return 1;
    int on_db = 1;
    user_t *u = users_find(42);
    printf("%s %d %s %c %s\n", role, on_db, u ? u->name : "-", quote, decoys[0]);
    nb_free_user_t(u);
    printf("%llu\n", (unsigned long long)jobs_checksum((nb_bytes){NULL, 0}));
    nb_stop();
    return 0;
}
