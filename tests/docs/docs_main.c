/* docs_main.c — the node's main, given to nebulac with every sample so a node
 * that serves the prelude's APIs passes the nb_start() check. Never compiled. */
#include <nebula.h>

int main(void)
{
    return nb_start(NULL) == 0 ? 0 : 1;
}
