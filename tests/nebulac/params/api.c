/* A register const volatile by-value parameter named `call` (the name of
 * f__with's first parameter), and globals named like generated locals:
 * nothing generated may clash or shadow. */
#include "../corpus_util.h"
#include "corpus.h"

int ret = 1, args = 2;

NB_API("&serve")
int corpus_value(register const volatile int call)
{
    return 2 * call + corpus_on_b();
}

const int corpus_tail = 7;
