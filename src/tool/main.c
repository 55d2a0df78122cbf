/* main.c — the imprint executable: the tool (dispatch.c) and nothing else. */
#include "cmd.h"

int main(int argc, char **argv) { return imp_tool_main(argc, argv); }
