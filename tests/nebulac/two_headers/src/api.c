/* "cfg.h" exists beside this file and in an -I directory: the rewritten copy
 * must include the one beside the original. */
#include "../../corpus_util.h"
#include "cfg.h"
#include "corpus.h"

int corpus_value(int x)
{
    return CORPUS_FACTOR * x + corpus_on_b();
}

const int corpus_tail = 7;
