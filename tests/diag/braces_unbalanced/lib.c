/* A body whose braces do not balance in the branch the compiler takes: nebulac
 * never guesses where it ends (removing it would drop the rest of the file). */
#include <nebula.h>

NB_API("&db")
int count_users(int x)
{
#if 1
    if (x) {
#endif
    return 0;
}

int main(void) { return nb_start(0); }
