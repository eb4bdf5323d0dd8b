/* Builtin commands (see builtins.h). Placeholder until the file operations land: every name is
 * unknown. */
#include "builtins.h"

#include <stdio.h>

int builtin_known(const char *name)
{
    (void)name;
    return 0;
}

int builtin_main(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "unknown builtin %s\n", argv[0]);
    return 127;
}
