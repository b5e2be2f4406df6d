/* api.h — prototypes of the test APIs, as callers include them. */
#ifndef CLUSTER_API_H
#define CLUSTER_API_H

#include "types.h"

bool echo_bool(bool v);
int8_t echo_i8(int8_t v);
uint16_t echo_u16(uint16_t v);
int64_t echo_i64(int64_t v);
uint64_t echo_u64(uint64_t v);
size_t echo_size(size_t v);
float echo_float(float v);
double echo_double(double v);
char *echo_str(const char *s);
nb_bytes echo_bytes(nb_bytes b);
scalars_t echo_scalars(scalars_t s);
shape_t *echo_shape(const shape_t *s);
tree_t *echo_tree(const tree_t *t);
char *mixed(int32_t a, const char *b, double c, bool d, const point_t *e, nb_bytes f);
char *where(void);

char *whoami(void);
char *stop_from_body(void);
int64_t nap(int64_t ms);
int64_t die_now(void);
int64_t cold_ping(void);
void touch(int64_t x);

int64_t slow_op(int64_t ms);
int64_t slow_len(const char *s);

int64_t pipe_echo(int64_t v);

#endif /* CLUSTER_API_H */
