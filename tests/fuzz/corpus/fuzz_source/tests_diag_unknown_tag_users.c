#include <nebula.h>

int main(void) { return nb_start(NULL); }

NB_API("&cache !&legacy")
int users_count(void) { return 0; }

#if NB_ON("&gpu")
#endif
