/* Outside the directory nebulac runs in: it cannot write a rewritten copy. */
#include <nebula.h>

NB_STRUCT typedef struct shared { int64_t id; } shared_t;
