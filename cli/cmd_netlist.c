/* cmd_netlist.c: `xbar netlist`: write the crossbar as SPICE netlists. */
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_netgen.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar netlist --conductances G.npy --inputs V.npy -o OUT [options]\n\n"
            "Write the same circuit that `xbar solve` solves as a SPICE netlist that\n"
            "`ngspice -b OUT` runs unchanged.  One netlist holds one input vector: with one\n"
            "vector OUT is a file; with K vectors OUT is a directory that receives\n"
            "vec0000.cir ... (one netlist per vector).  Each netlist ends in a .control\n"
            "block that runs op and prints i(VOUT<j>), the current of column j, with 17\n"
            "digits.  Node and element names are listed in docs/netlist.md.\n\n%s\n"
            "output:\n"
            "  -o, --output OUT       file (one vector) or directory (several)\n"
            "  --bare                 end with .op instead of the .control block\n",
            xb_circuit_args_help);
}

int xb_cmd_netlist(int argc, char **argv)
{
    const char *cmd = "netlist";
    xb_circuit_args ca;
    xb_circuit_args_init(&ca);
    const char *out = NULL;
    xb_netgen_options opt;
    xb_netgen_options_init(&opt);
    for (int i = 1; i < argc; i++) {
        int r = xb_circuit_args_parse(&ca, cmd, argc, argv, &i);
        if (r < 0)
            return 1;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (i + 1 < argc && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output"))) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--bare")) {
            opt.control = 0;
        } else {
            usage(stderr);
            return xb_cli_fail(cmd, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (!out)
        return xb_cli_fail(cmd, "-o is required (see xbar netlist --help)");
    xb_error err = {0};
    xb_circuit *c;
    xb_matrix in;
    size_t k;
    int single;
    if (xb_circuit_args_load(&ca, &c, &in, &k, &single, &err))
        return xb_cli_fail(cmd, "%s", err.msg);
    xb_status st = k == 1 ? xb_netgen_write_file(out, c, in.data, &opt, &err)
                          : xb_netgen_write_dir(out, c, in.data, k, &opt, &err);
    xb_matrix_release(&in);
    xb_circuit_free(c);
    if (st)
        return xb_cli_fail(cmd, "%s", err.msg);
    return 0;
}
