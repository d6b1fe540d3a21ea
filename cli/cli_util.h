/* cli_util.h: argument parsing and circuit loading shared by the subcommands. */
#ifndef XB_CLI_UTIL_H
#define XB_CLI_UTIL_H

#include <stddef.h>

#include "xb_base.h"
#include "xb_circuit.h"
#include "xb_matrix_io.h"
#include "xb_solver.h"

/* Print "xbar <cmd>: <message>" on stderr and return exit status 1. */
int xb_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "xbar <cmd>: <message> (see xbar <cmd> --help)" on stderr and return
 * exit status 2 (bad arguments). */
int xb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "H:MM:SS" of s seconds (capped at 99:59:59; negative or NaN shows the cap). */
void xb_cli_duration(double s, char *buf, size_t cap);
/* A byte count as users type it on the command line: "8G", "512M", "1.5e9",
 * "100K", "2GiB" (binary units, K = 1024 bytes) into *bytes, > 0.  The library
 * takes plain byte counts; this is the command's convenience. */
xb_status xb_cli_parse_bytes(const char *s, size_t *bytes, xb_error *err);


/* The circuit flags shared by solve and netlist. */
typedef struct {
    const char *g_path, *v_path;
    const char *topology;
    double v_read;
    double r_row, r_col, r_drv, r_sense, r_access;
    const char *r_row_file, *r_col_file, *r_drv_file, *r_sense_file;
    const char *source_line; /* "ideal", "column" or "row" */
    const char *sl_drive;    /* "near" or "far" */
    double r_sl;
    const char *r_sl_file;
    const char *access;    /* "resistor" or "nmos" */
    const char *cell;      /* "linear" or "sinh" */
    xb_nmos nmos;
    double sinh_v0;
} xb_circuit_args;

void xb_circuit_args_init(xb_circuit_args *a);
/* If argv[*i] is a circuit flag, consume it (and its value) and return 1; return
 * -1 (message printed) on a bad value, 0 when it is not a circuit flag. */
int xb_circuit_args_parse(xb_circuit_args *a, const char *cmd, int argc, char **argv, int *i);
/* Help text of the circuit flags. */
extern const char xb_circuit_args_help[];

/* Load G, the per-segment files and the inputs; build and validate the circuit.
 * inputs: K x M row-major (owned by *inputs), single: 1 when V was one vector. */
xb_status xb_circuit_args_load(const xb_circuit_args *a, xb_circuit **c, xb_matrix *inputs, size_t *k,
                               int *single, xb_error *err);

/* Is stderr a terminal (progress bars)? 0 under CI=true. */
int xb_cli_progress_enabled(void);

#endif
