/* commands.h: the xbar subcommands.  Each lives in cli/cmd_<name>.c and
 * returns the process exit status. */
#ifndef XB_CLI_COMMANDS_H
#define XB_CLI_COMMANDS_H

int xb_cmd_solve(int argc, char **argv);
int xb_cmd_netlist(int argc, char **argv);
int xb_cmd_validate(int argc, char **argv);
/* Weak while the inference front end is optional in a build. */
int xb_cmd_infer(int argc, char **argv) __attribute__((weak));

#endif
