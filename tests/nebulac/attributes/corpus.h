/* corpus.h — attributes on the prototype, after the parameter list. */
#ifndef CORPUS_H
#define CORPUS_H
[[gnu::nothrow]] int corpus_value(int x) __attribute__((warn_unused_result));
extern const int corpus_tail;
#endif
