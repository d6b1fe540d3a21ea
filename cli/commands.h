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

/* `xbar infer`'s default batch: large for small inputs (1x32x32), small
 * for large ones (3x224x224); as a sweep's (study/sweep_eval.c). */
#define XB_INFER_SMALL_INPUT 4096 /* values per image up to which the batch is large */
#define XB_INFER_BATCH_SMALL 64
#define XB_INFER_BATCH_LARGE 8
#define XB_INFER_BATCH(values) ((values) <= XB_INFER_SMALL_INPUT ? XB_INFER_BATCH_SMALL : XB_INFER_BATCH_LARGE)

/* `xbar infer --inputs X --out Y` (cmd_infer_raw.c), with the arguments
 * cmd_infer.c parsed. */
typedef struct {
    const char *model, *inputs, *out, *analog, *calibration;
    long batch;
} xb_infer_raw_args;
int xb_cmd_infer_raw(const xb_infer_raw_args *a);

#endif
