#include <nebula.h>

int main(void) { return nb_start(NULL); }

NB_API("&db")
int64_t count(void) { return 1; }
