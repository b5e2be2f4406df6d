#include <nebula.h>
#include "shared.h"

int main(void) { return nb_start(NULL); }
