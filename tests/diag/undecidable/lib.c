/* Which body the compiler compiles depends on a macro nebulac cannot know, and
 * the compiler cannot be asked (--cc names no compiler): an error, not a guess. */
#include <nebula.h>
#include <stdio.h>

#ifdef HAVE_FAST_COUNT
NB_API("&db") int count_users(void) { return 1; }
#else
NB_API("&db") int count_users(void) { return 2; }
#endif

int main(void) { return nb_start(0); }
