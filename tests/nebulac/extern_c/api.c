/* The definition carries no annotation: the header's makes it the API. */
#include "../corpus_util.h"
#include "corpus.h"

int corpus_value(int x)
{
    return 2 * x + corpus_on_b();
}

const int corpus_tail = 7;
