/* An API body whose #ifdef/#else branches each open a brace: only the branch
 * the compiler takes counts, and the code after the body survives everywhere. */
#include "../corpus_util.h"
#include "corpus.h"

NB_API("&serve")
int corpus_value(int x)
{
#ifdef CORPUS_NEVER_DEFINED
    if (x < 0) {
#else
    if (x >= 0) {
#endif
        return 2 * x + corpus_on_b();
    }
    return -1;
}

const int corpus_tail = 7;
