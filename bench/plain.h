#ifndef BENCH_PLAIN_H
#define BENCH_PLAIN_H
int plain_add(int a, int b);
#endif
