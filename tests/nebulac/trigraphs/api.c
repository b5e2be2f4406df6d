/* Trigraphs, replaced under -std=c99 (the target's COMPILE_OPTIONS). */
#include "../corpus_util.h"
#include "corpus.h"

??=define CORPUS_TWO 2

NB_API("&serve")
int corpus_value(int x)
??<
    return CORPUS_TWO * x + corpus_on_b();
??>

const int corpus_tail = 7;
