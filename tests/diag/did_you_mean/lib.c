#include <nebula.h>
NB_API("&cahce") int f(void) { return 0; }
NB_API("@bb") int g(void) { return 0; }
int main(void){return nb_start(0);}
