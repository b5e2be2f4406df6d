/* counter.h — one cluster-wide counter, kept by the db node. */
#ifndef DOCS_COUNTER_H
#define DOCS_COUNTER_H

#include <nebula.h>

/* Adds delta; returns the new total. */
int64_t counter_add(int64_t delta);

#endif
