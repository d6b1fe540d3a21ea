/* main.c: the `xbar` command: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xb_solver.h"

#ifndef XB_GIT_VERSION
#define XB_GIT_VERSION "unknown"
#endif

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} xb_command;

static const xb_command commands[] = {
    {"solve", xb_cmd_solve, "solve a crossbar with parasitics for one or more input vectors"},
    {"netlist", xb_cmd_netlist, "write the same crossbar as a SPICE netlist"},
    {"validate", xb_cmd_validate, "compare the solver with ngspice on random circuits"},
    {"infer", xb_cmd_infer, "run an ONNX network digitally on a dataset"},
    {"study", xb_cmd_study, "studies: `xbar study wires` (wire resistance vs array size)"},
    {"sweep", xb_cmd_sweep, "accuracy over a grid of analog parameters, resumable, with plots"},
    {"bench", xb_cmd_bench, "benchmarks: `xbar bench mvm` (exact parasitic MVM vs ideal GEMM)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: xbar <command> [options]   (xbar <command> --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("xbar %s (%s)\n", XB_VERSION, XB_GIT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            /* The command owns its process, so SuiteSparse may map large factors
             * with huge pages (docs/solver.md has what that gains).  Before any
             * solver exists, so it cannot fail. */
            xb_solver_huge_pages_enable(NULL);
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "xbar: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
