/* LIBAPI and PUBLIC come from a header nebulac does not read. */
#include <nebula.h>
#include <lib_export.h>

NB_API("&db") LIBAPI int count_users(void) { return 0; }
NB_API("&db") PUBLIC(int) count_jobs(void) { return 0; }

int main(void) { return nb_start(0); }
