/* An annotation hidden in a macro: nebulac cannot see it where it is used, so
 * the body would run on every node. Refused at the #define. */
#include <nebula.h>

#define CLUSTER_API NB_API("&db")

CLUSTER_API int count_users(void) { return 0; }

int main(void) { return nb_start(0); }
