/* hx_api.h — what the hostile-client suite's legitimate caller calls on the
 * serving node (tests/hostile/driver.c), and what its hostile peers ask for. */
#ifndef HX_API_H
#define HX_API_H

#include <stdint.h>

#include <nebula.h>

/* a + b: the legitimate caller's call, small both ways. */
int64_t hx_add(int64_t a, int64_t b);

/* A copy of b (the caller frees it): a peer asking for big replies. */
nb_bytes hx_echo(nb_bytes b);

#endif /* HX_API_H */
