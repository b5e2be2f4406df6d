#include <nebula.h>

NB_API("&db") int add(a, b) int a; int b; { return a + b; }

typedef int (*handler)(int);
NB_API("&db") int (*pick(int which))(int) { (void)which; return 0; }

int main(void) { return nb_start(0); }
