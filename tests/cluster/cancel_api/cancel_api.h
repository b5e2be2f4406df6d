/* cancel_api.h — prototypes of the cancellation tests' APIs (test_cancel.c). */
#ifndef CANCEL_API_H
#define CANCEL_API_H

#include <stdbool.h>
#include <stdint.h>

/* watch.c: bodies that record what they saw, and the queries that read it back.
 * Tokens are 0..1023; each names one call of a test. */
int64_t watch_cancel(int64_t token, int64_t max_ms);
int64_t seen_cancel(int64_t token);
int64_t counted(int64_t token, int64_t ms);
int64_t count_of(int64_t token);
int64_t extend_try(int64_t n);
int64_t extend_sleep(int64_t token, int64_t n, int64_t step_ms);
int64_t granted_of(int64_t token);
char *serving_node(void);
int64_t local_probe(void);
int64_t fair_running(void);

/* solo.c: one body at a time (and one queued call). */
int64_t solo_run(int64_t token, int64_t ms);

/* extmod.c and noext.c: NB_MODULE(.max_time_extensions = 2 / NB_NO_EXTENSIONS). */
int64_t ext_module_try(int64_t n);
int64_t ext_none_try(int64_t n);

/* fair.c: a slow body for the fairness test. */
int64_t slow_fair(int64_t ms);

/* Not APIs: the tables watch.c keeps, for the other modules' bodies. */
void cancel_tally(int64_t token);
void cancel_fair_enter(void);
void cancel_fair_leave(void);

#endif /* CANCEL_API_H */
