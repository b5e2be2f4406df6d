/* The db node serves two APIs, but nothing in its sources calls nb_start(). */
#include <stdlib.h>
#include <nebula.h>

/* nb_start(NULL) in a comment does not count, nor "nb_start(NULL)" in a string. */
NB_API("&db")
int64_t users_find(int64_t id)
{
    return id;
}

#if NB_ON("@api")
static void boot(void) { nb_start(NULL); }  /* not built on db */
#endif
NB_API("&db")
int64_t users_list(void)
{
    return 0;
}

int main(void)
{
    const char *s = "nb_start(NULL)";
    return s == NULL;
}
