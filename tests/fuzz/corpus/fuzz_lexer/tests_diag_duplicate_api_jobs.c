#include <nebula.h>

/* Same name, other file: both would export the router `count`. */
NB_API("@api")
int64_t count(void) { return 2; }
