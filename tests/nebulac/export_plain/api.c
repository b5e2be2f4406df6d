#include "../corpus_util.h"
#include "corpus.h"

NB_API("&serve")
CORPUS_API int corpus_value(int x)
{
    return 2 * x + corpus_on_b();
}

const int corpus_tail = 7;
