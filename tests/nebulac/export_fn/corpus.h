/* corpus.h — a function-like export macro around the return type. */
#ifndef CORPUS_H
#define CORPUS_H
#define CORPUS_PUBLIC(type) __attribute__((visibility("default"))) type
CORPUS_PUBLIC(int) corpus_value(int x);
extern const int corpus_tail;
#endif
