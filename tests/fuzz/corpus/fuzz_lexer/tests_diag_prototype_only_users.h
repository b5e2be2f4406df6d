#include <nebula.h>

/* Annotated, but defined nowhere nebulac is shown. */
NB_API("&db") int64_t users_count(void);

/* Annotated on both sides, with selectors that disagree. */
NB_API("&db") int64_t users_max(void);
