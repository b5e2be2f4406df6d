#include <nebula.h>

int main(void) { return nb_start(NULL); }

NB_API("@api &db")                  /* both names exist; no node is both */
int users_count(void) { return 0; }
