/* The same API in exclusive branches, decided by a target compile definition,
 * and by what the compiler predefines. */
#include "../corpus_util.h"
#include "corpus.h"

#ifdef CORPUS_HAVE_FEATURE
NB_API("&serve")
int corpus_value(int x)
{
    return 2 * x + corpus_on_b();
}
#else
NB_API("&serve")
int corpus_value(int x)
{
    return -1000 * x;
}
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
NB_API("&serve") int corpus_c99(void) { return 99; }
#else
NB_API("&serve") int corpus_c99(void) { return 89; }
#endif

const int corpus_tail = 7;
