/*
 * values.h — owning values of generated types: deep release of values and
 * structs (nb__value_clear and nb__struct_free are in nebula.h, nb__struct_clear
 * in codec.h), and building the nb_results of multicast and broadcast calls.
 */
#ifndef NB_RUNTIME_VALUES_H
#define NB_RUNTIME_VALUES_H

#include <stddef.h>

#include "nebula.h"

/* A zeroed heap value of type t (at least one byte, also for void), owned by
 * the caller: release it with nb__value_free. NULL when out of memory. */
void *nb__value_new(const nb__tref *t);

/* Clears the value of type t at p (deep), then free(p). NULL-safe. p is the
 * caller's heap value, freed here. */
void nb__value_free(const nb__tref *t, void *p);

/* Fills *res (which it overwrites, not frees) with `count` items for method m:
 * code NB_OK, every item's node NULL and code NB_OK, and for a non-void method a
 * zeroed value per item to decode into. res owns all of it (nb_results_free).
 * Returns 0, or -1 when out of memory with *res zeroed. */
int nb__results_init(nb_results *res, const nb__method *m, size_t count);

/* Releases item k's value (deep) and sets it to NULL, as for a failed node. */
void nb__results_drop_value(nb_results *res, size_t k);

#endif /* NB_RUNTIME_VALUES_H */
