/* The `nebula` command's main(): everything else is in libnebula_cli. */
#include <nebula_cli.h>

int main(int argc, char **argv)
{
    return nb_cli_main(argc, argv);
}
