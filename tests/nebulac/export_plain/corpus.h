/* corpus.h — a library's export macro, defined where nebulac reads it. */
#ifndef CORPUS_H
#define CORPUS_H
#define CORPUS_API __attribute__((visibility("default")))
CORPUS_API int corpus_value(int x);
extern const int corpus_tail;
#endif
