/* A selector holding a NUL byte would be cut there ("&db\0 &nosuch" read as
 * "&db"): refused wherever a selector is written. */
#include <nebula.h>

NB_API("&db\0 &nosuch") int count_users(void) { return 0; }
NB_API("&cache" "\0@api") int count_hits(void) { return 0; }

#if NB_ON("&db\0&api")
static int on_db = 1;
#endif

int main(void)
{
    nb_start(0);
    NB_ON_NODE("@db\x00") { count_users(); }
    return count_hits();
}
