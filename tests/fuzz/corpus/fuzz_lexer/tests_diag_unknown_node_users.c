/* A selector naming a node the topology does not have stops the build, with
 * the reference README's listing of the nodes that do exist. */
#include <nebula.h>

int main(void)
{
    return nb_start(NULL);
}

/*
 * Someone typed a node that is not in nebula.yaml.
 */

NB_API("@nope")
int users_count(void) { return 0; }
