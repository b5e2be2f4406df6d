#include <stdio.h>

#include "shapes.h"

#if 0
NB_API("&nowhere_at_all") int never_read(void) { return 0; }
#include "missing_everywhere.h"
#endif

#ifdef SOME_MACRO
int maybe = NB_ON("@app");           /* kept: the compiler decides */
#endif

#if NB_ON("@app")
#  if NB_ON("&geo")
int impossible;
#  endif
static const char *where = "app";
#elif NB_ON("&geo") || 0
static const char *where = "geo";
#elif NB_ON("@edge")
static const char *where = "edge";
#else
static const char *where = "?";
#endif

int main(void)
{
    if (nb_start(NULL) != 0)
        return 1;
    point_t at = {1, 2};
    struct shape *s = shapes_make("sq", at);
    int remote = !NB_ON("&geo") && 1;
    printf("%s %d %f\n", where, remote, shapes_area(s));
    nb_free_shape(s);
    nb_stop();
    return 0;
}
