#ifndef CORPUS_H
#define CORPUS_H
NB_API("&serve") int corpus_value(int x);
extern const int corpus_tail;
#endif
