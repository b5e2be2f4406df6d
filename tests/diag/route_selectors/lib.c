/* String-literal routing selectors are checked at build time: unknown nodes
 * and tags, and an f__with selector no node serving the API matches. */
#include <nebula.h>

NB_API("&db") int count_users(void) { return 0; }

int main(void)
{
    nb_start(0);
    NB_ON_NODE("@dbb") { count_users(); }
    NB_ON_NODES("&cahce", NULL) { count_users(); }
    int n = count_users__with(&(nb_call){.node = "@api"});
    n += count_users__with(&(nb_call){.nodes = "&db"});
    return n;
}
