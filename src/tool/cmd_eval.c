/* cmd_eval.c — placeholder until the command lands. */
#include "cmd.h"
int imp_cmd_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}
