#include <nebula.h>
int main(void) { return nb_start(0); }
