/* spice.c: ngspice through its shared library. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ngspice/sharedspice.h>

#include "xb_netgen.h"
#include "xb_validation.h"

struct xb_spice {
    int open;
};

/* ngspice is a process-wide singleton. */
static int spice_initialized = 0;
static int spice_in_use = 0;
static char spice_last_error[XB_ERROR_MSG_LEN];
static int spice_exit_requested = 0;

/* Everything ngspice prints arrives here; only errors are kept. */
static int on_char(char *line, int id, void *user)
{
    (void)id;
    (void)user;
    if (!line)
        return 0;
    const char *p = line;
    if (!strncmp(p, "stderr ", 7))
        p += 7;
    else if (!strncmp(p, "stdout ", 7))
        return 0;
    if (strstr(p, "rror") || strstr(p, "singular") || strstr(p, "failed")) {
        snprintf(spice_last_error, sizeof spice_last_error, "%s", p);
    }
    return 0;
}

static int on_stat(char *status, int id, void *user)
{
    (void)status;
    (void)id;
    (void)user;
    return 0;
}

static int on_exit_req(int status, NG_BOOL immediate, NG_BOOL quit, int id, void *user)
{
    (void)status;
    (void)immediate;
    (void)quit;
    (void)id;
    (void)user;
    spice_exit_requested = 1;
    return 0;
}

static int on_bg(NG_BOOL running, int id, void *user)
{
    (void)running;
    (void)id;
    (void)user;
    return 0;
}

xb_spice *xb_spice_open(xb_error *err)
{
    if (spice_in_use) {
        xb_error_set(err, XB_EINVAL, "ngspice: already open in this process (it keeps global state)");
        return NULL;
    }
    if (spice_exit_requested) {
        xb_error_set(err, XB_ESPICE, "ngspice: the shared library asked to exit earlier and cannot be reused");
        return NULL;
    }
    if (!spice_initialized) {
        if (ngSpice_Init(on_char, on_stat, on_exit_req, NULL, NULL, on_bg, NULL) != 0) {
            xb_error_set(err, XB_ESPICE, "ngspice: ngSpice_Init failed");
            return NULL;
        }
        spice_initialized = 1;
    }
    xb_spice *sp = calloc(1, sizeof *sp);
    if (!sp) {
        xb_error_set(err, XB_ENOMEM, "ngspice: out of memory");
        return NULL;
    }
    sp->open = 1;
    spice_in_use = 1;
    return sp;
}

void xb_spice_close(xb_spice *sp)
{
    if (!sp)
        return;
    spice_in_use = 0;
    free(sp);
}

static void spice_cleanup(void)
{
    ngSpice_Command("remcirc");
    ngSpice_Command("destroy all");
}

xb_status xb_spice_op(xb_spice *sp, const char *netlist, int n_out, double *out, xb_error *err)
{
    if (!sp || !netlist || (n_out > 0 && !out))
        return xb_error_set(err, XB_EINVAL, "ngspice op: NULL argument");
    if (spice_exit_requested)
        return xb_error_set(err, XB_ESPICE, "ngspice: the shared library asked to exit");
    /* Split a private copy into lines for ngSpice_Circ. */
    char *text = strdup(netlist);
    size_t nlines = 2;
    for (const char *p = netlist; *p; p++)
        nlines += *p == '\n';
    char **lines = malloc(nlines * sizeof *lines);
    if (!text || !lines) {
        free(text);
        free(lines);
        return xb_error_set(err, XB_ENOMEM, "ngspice op: out of memory");
    }
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
        lines[n++] = tok;
    lines[n] = NULL;
    spice_last_error[0] = '\0';
    int rc = ngSpice_Circ(lines);
    free(lines);
    free(text);
    if (rc != 0 || spice_last_error[0]) {
        xb_status st = xb_error_set(err, XB_ESPICE, "ngspice: netlist rejected: %s",
                                    spice_last_error[0] ? spice_last_error : "ngSpice_Circ failed");
        spice_cleanup();
        return st;
    }
    rc = ngSpice_Command("op");
    if (rc != 0 || spice_last_error[0]) {
        xb_status st = xb_error_set(err, XB_ESPICE, "ngspice: op failed: %s",
                                    spice_last_error[0] ? spice_last_error : "ngSpice_Command(op) failed");
        spice_cleanup();
        return st;
    }
    xb_status st = XB_OK;
    for (int j = 0; j < n_out && !st; j++) {
        char name[64];
        snprintf(name, sizeof name, "vout%d#branch", j);
        pvector_info vi = ngGet_Vec_Info(name);
        if (!vi || !vi->v_realdata || vi->v_length < 1)
            st = xb_error_set(err, XB_ESPICE, "ngspice: no vector %s after op", name);
        else
            out[j] = vi->v_realdata[0];
    }
    spice_cleanup();
    return st;
}

xb_status xb_spice_solve(xb_spice *sp, const xb_circuit *c, const double *v, double *out, xb_error *err)
{
    xb_netgen_options opt;
    xb_netgen_options_init(&opt);
    opt.control = 0;
    xb_error local;
    xb_error *e = err ? err : &local;
    char *net = xb_netgen_string(c, v, &opt, e);
    if (!net)
        return e->code;
    xb_status st = xb_spice_op(sp, net, c->cols, out, err);
    free(net);
    return st;
}

double xb_max_rel_err(const double *a, const double *b, int n)
{
    double num = 0, den = 0;
    for (int k = 0; k < n; k++) {
        double d = fabs(a[k] - b[k]);
        if (d > num || isnan(d))
            num = d;
        if (fabs(b[k]) > den)
            den = fabs(b[k]);
    }
    if (isnan(num))
        return NAN;
    if (den == 0)
        return num == 0 ? 0.0 : INFINITY;
    return num / den;
}
