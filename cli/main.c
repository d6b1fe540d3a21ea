/* main.c: the `xbar` command: dispatch to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "xb_solver.h"
#include "xb_threads.h"

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
    fprintf(f, "usage: xbar [--threads N] <command> [options]   (xbar <command> --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n  --threads N  threads for the library's parallel work (default: OMP_NUM_THREADS,\n"
               "               else every CPU this process may use); the results do not depend on it\n");
}

/* --threads N before the command: 1 when taken (argv advanced), -1 when bad. */
static int threads_option(int *argc, char ***argv)
{
    if (*argc < 2 || strcmp((*argv)[1], "--threads"))
        return 0;
    char *end = NULL;
    long n = *argc > 2 ? strtol((*argv)[2], &end, 10) : -1;
    xb_error err = {0};
    if (*argc < 3 || !end || *end || end == (*argv)[2] || n < 1 || n > XB_THREADS_MAX ||
        xb_threads_set((int)n, &err)) {
        fprintf(stderr, "xbar: --threads needs a whole number from 1 to %d\n", XB_THREADS_MAX);
        return -1;
    }
    *argc -= 2;
    *argv += 2;
    return 1;
}

int main(int argc, char **argv)
{
    if (threads_option(&argc, &argv) < 0)
        return 2;
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
