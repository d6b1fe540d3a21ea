/* commands.h: the xbar subcommands.  Each lives in cli/cmd_<name>.c and
 * returns the process exit status. */
#ifndef XB_CLI_COMMANDS_H
#define XB_CLI_COMMANDS_H

int xb_cmd_solve(int argc, char **argv);
int xb_cmd_netlist(int argc, char **argv);
int xb_cmd_validate(int argc, char **argv);
int xb_cmd_infer(int argc, char **argv);
int xb_cmd_study(int argc, char **argv);
int xb_cmd_bench(int argc, char **argv);
int xb_cmd_bench_sweep(int argc, char **argv); /* argv[1] is "sweep" */
int xb_cmd_sweep(int argc, char **argv);

#endif
