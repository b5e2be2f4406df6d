/* corpus.h — the annotation on the prototype, inside C++ guards. */
#ifndef CORPUS_H
#define CORPUS_H
#ifdef __cplusplus
extern "C" {
#endif

NB_API("&serve") int corpus_value(int x);
extern const int corpus_tail;

#ifdef __cplusplus
}
#endif
#endif
