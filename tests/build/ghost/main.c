#include <stdio.h>

#include <nebula.h>

#if NB_ON("&ghost")
#include "does_not_exist_anywhere.h"
#include <no_such_system_header.h>
#endif

NB_API("@a")
int local_answer(void)
{
    return 42;
}

int main(void)
{
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return 1;
    }
    int v = local_answer();
    printf("local_answer=%d code=%s\n", v, nb_code_name(nb_last_code()));
    nb_stop();
    return 0;
}
