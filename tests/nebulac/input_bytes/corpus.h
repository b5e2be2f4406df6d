/* corpus.h — the idiom's API, declared as plainly as C allows. */
#ifndef CORPUS_H
#define CORPUS_H
int corpus_value(int x);
extern const int corpus_tail;
#endif
