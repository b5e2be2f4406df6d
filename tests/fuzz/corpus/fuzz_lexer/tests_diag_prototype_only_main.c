#include "users.h"

NB_API("&cache")
int64_t users_max(void) { return 9; }

int main(void) { return nb_start(NULL) + (int)users_max(); }
