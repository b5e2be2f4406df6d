#line 1 "app.c"
#include <stdio.h>

#include "shapes.h"

#if 0


#endif

#ifdef SOME_MACRO
int maybe = NB_ON("@app");           /* kept: the compiler decides */
#endif

#if 0




#elif 1 || 0
static const char *where = "geo";
#elif NB_ON("@edge")

#else

#endif

int main(void)
{
    if (nb_start(NULL) != 0)
        return 1;
    point_t at = {1, 2};
    struct shape *s = shapes_make("sq", at);
    int remote = !1 && 1;
    printf("%s %d %f\n", where, remote, shapes_area(s));
    nb_free_shape(s);
    nb_stop();
    return 0;
}
