/* imprint.c — the imprint executable's main: the tool (main.c's imp_tool_main), nothing else. */
#include "cmd.h"

int main(int argc, char **argv) { return imp_tool_main(argc, argv); }
