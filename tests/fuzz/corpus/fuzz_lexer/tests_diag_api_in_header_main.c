#include <nebula.h>
#include "users.h"

int main(void) { return nb_start(NULL); }
