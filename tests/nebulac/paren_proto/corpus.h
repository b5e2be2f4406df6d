/* corpus.h — the parenthesised-name prototype style (it defeats function-like macros). */
#ifndef CORPUS_H
#define CORPUS_H
int (corpus_value) (int x);
extern const int corpus_tail;
#endif
