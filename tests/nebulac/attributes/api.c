/* GNU and C23 attributes wherever a compiler takes them on a definition. */
#include "../corpus_util.h"
#include "corpus.h"

NB_API("&serve") __attribute__((noinline))
int __attribute__((hot)) corpus_value [[gnu::noinline]] (int x)
{
    return 2 * x + corpus_on_b();
}

const int corpus_tail = 7;
