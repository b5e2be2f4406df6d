#ifndef CORPUS_H
#define CORPUS_H
#include <corpus_export.h>
CORPUS_EXPORT int corpus_value(int x);
extern const int corpus_tail;
#endif
