#include "plain.h"

/* The baseline: the same work as bench_add, as a plain out-of-line C call. */
__attribute__((noinline)) int plain_add(int a, int b)
{
    return a + b;
}
