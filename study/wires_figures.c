/* wires_figures.c: the wire study's figures through plot/ (xb_study.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "wires_files.h"
#include "xb_plot.h"

/* The reference study's 8-bit weights and activations: errors below one LSB do
 * not change a quantized output. */
#define EIGHT_BIT_LSB (1.0 / 256.0)

/* The figures below get a non-NULL err from xb_study_write_figures. */

static const char *topo_wires(xb_topology t)
{
    return t == XB_TOPO_GATE_INPUT ? "wires on the bit lines only" : "wires on rows and columns";
}

/* Figure 1: error vs R^p, one line per size, one panel per topology. */
static xb_status fig_err_vs_rp(const char *path, const xb_study_result *r, xb_error *err)
{
    const xb_study_options *o = &r->opt;
    int nt = (o->topologies & XB_STUDY_INPUT_SOURCE ? 1 : 0) + (o->topologies & XB_STUDY_GATE_INPUT ? 1 : 0);
    xb_plot *p = xb_plot_open(path, nt == 2 ? 1600 : 900, 700, nt, 1, err);
    if (!p)
        return err->code;
    double *ys = malloc((size_t)o->n_sizes * o->n_rp * sizeof *ys);
    char(*labels)[32] = malloc((size_t)o->n_sizes * sizeof *labels);
    xb_plot_series *s = malloc((size_t)o->n_sizes * sizeof *s);
    if (!ys || !labels || !s) {
        free(ys);
        free(labels);
        free(s);
        xb_plot_discard(p);
        return xb_error_set(err, XB_ENOMEM, "plot %s: out of memory", path);
    }
    int t = 0;
    for (int topo = 0; topo < 2; topo++) {
        xb_topology tp = topo ? XB_TOPO_GATE_INPUT : XB_TOPO_INPUT_SOURCE;
        if (!(o->topologies & (topo ? XB_STUDY_GATE_INPUT : XB_STUDY_INPUT_SOURCE)))
            continue;
        for (int si = 0; si < o->n_sizes; si++) {
            const xb_study_point *pt = &r->points[(t * o->n_sizes + si) * o->n_rp];
            for (int k = 0; k < o->n_rp; k++)
                ys[si * o->n_rp + k] = pt[k].rel_rms_err;
            snprintf(labels[si], sizeof labels[si], "%d × %d", o->sizes[si], o->sizes[si]);
            s[si] = (xb_plot_series){labels[si], o->rp, ys + si * o->n_rp, o->n_rp, 0, 1, si};
        }
        char title[160], sub[200], xl[200];
        snprintf(title, sizeof title, "%s: output error vs wire resistance", xb_topology_name(tp));
        snprintf(sub, sizeof sub, "%s; G#dmax#u = %g S, On/Off %g; %d random vectors", topo_wires(tp), o->g_max,
                 o->on_off, o->vectors);
        snprintf(xl, sizeof xl, "normalized wire resistance R#dp#u = R#dwire#u·G#dmax#u   (R#dp#u = %g: %g Ω per segment)",
                 1e-5, 1e-5 / o->g_max);
        xb_plot_axes a = {title, xl, "relative RMS error of the column currents", sub, 1, 1, 0, 0, 0, 0, 0,
                          EIGHT_BIT_LSB, "8-bit resolution, 2#u-8#d", XB_LEGEND_LOWER_RIGHT};
        xb_plot_lines(p, &a, s, o->n_sizes);
        t++;
    }
    free(ys);
    free(labels);
    free(s);
    return xb_plot_close(p, err);
}

/* Figure 2: error vs size at the fixed R^p, one line per topology. */
static xb_status fig_err_vs_size(const char *path, const xb_study_result *r, double rp, xb_error *err)
{
    const xb_study_options *o = &r->opt;
    /* Sizes in ascending order for the lines. */
    int order[XB_STUDY_MAX_SIZES];
    for (int k = 0; k < o->n_sizes; k++)
        order[k] = k;
    for (int a = 1; a < o->n_sizes; a++)
        for (int b = a; b > 0 && o->sizes[order[b]] < o->sizes[order[b - 1]]; b--) {
            int tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
        }
    double xs[XB_STUDY_MAX_SIZES], ys[2][XB_STUDY_MAX_SIZES];
    xb_plot_series s[2];
    int ns = 0;
    double rp_used = rp;
    for (int topo = 0; topo < 2; topo++) {
        xb_topology tp = topo ? XB_TOPO_GATE_INPUT : XB_TOPO_INPUT_SOURCE;
        if (!(o->topologies & (topo ? XB_STUDY_GATE_INPUT : XB_STUDY_INPUT_SOURCE)))
            continue;
        for (int k = 0; k < o->n_sizes; k++) {
            const xb_study_point *pt = xb_study_find(r, tp, o->sizes[order[k]], rp);
            xs[k] = o->sizes[order[k]];
            ys[ns][k] = pt ? pt->rel_rms_err : NAN;
            if (pt)
                rp_used = pt->rp;
        }
        s[ns] = (xb_plot_series){xb_topology_name(tp), xs, ys[ns], o->n_sizes, 0, 1, topo};
        ns++;
    }
    xb_plot *p = xb_plot_open(path, 900, 700, 1, 1, err);
    if (!p)
        return err->code;
    char title[160], sub[200];
    snprintf(title, sizeof title, "Output error vs array size at R#dp#u = %g", rp_used);
    snprintf(sub, sizeof sub, "%g Ω per segment (G#dmax#u = %g S, On/Off %g); %d random vectors", rp_used / o->g_max,
             o->g_max, o->on_off, o->vectors);
    xb_plot_axes a = {title, "array size M = N (rows = columns)", "relative RMS error of the column currents", sub, 0,
                      1, 1, 0, 0, 0, 0, EIGHT_BIT_LSB, "8-bit resolution, 2#u-8#d", XB_LEGEND_LOWER_RIGHT};
    xb_plot_lines(p, &a, s, ns);
    return xb_plot_close(p, err);
}

/* Figure 3: the IR-drop map of one array. */
static xb_status fig_ir_map(const char *path, const xb_study_result *r, const xb_study_map *m, xb_error *err)
{
    const xb_study_options *o = &r->opt;
    xb_plot *p = xb_plot_open(path, 900, 760, 1, 1, err);
    if (!p)
        return err->code;
    char title[200], sub[200];
    snprintf(title, sizeof title, "IR drop at every cell: %s %d × %d at R#dp#u = %g", xb_topology_name(m->topology),
             m->size, m->size, m->rp);
    if (m->topology == XB_TOPO_GATE_INPUT)
        snprintf(sub, sizeof sub, "every row on, V#dread#u = %g V; %g Ω per column segment; sense end below row %d",
                 o->v_read, m->rp / o->g_max, m->size - 1);
    else
        snprintf(sub, sizeof sub, "every row at %g V; %g Ω per segment; drivers left of column 0, sense end below row %d",
                 o->v_in, m->rp / o->g_max, m->size - 1);
    xb_plot_map h = {title, "column j", "row i", sub,
                     "IR drop (V#dapplied#u − V#dcell#u) / V#dapplied#u (fraction)", m->drop, m->size, m->size, 0, 0};
    xb_plot_heatmap(p, &h);
    return xb_plot_close(p, err);
}

/* The arguments of one figure. */
typedef struct {
    const xb_study_result *r;
    const xb_study_map *m; /* the map of fig_ir_map */
} figure_arg;

static xb_status write_err_vs_rp(const char *path, const void *arg, xb_error *err)
{
    return fig_err_vs_rp(path, ((const figure_arg *)arg)->r, err);
}

static xb_status write_err_vs_size(const char *path, const void *arg, xb_error *err)
{
    const xb_study_result *r = ((const figure_arg *)arg)->r;
    return fig_err_vs_size(path, r, r->opt.map_rp, err);
}

static xb_status write_ir_map(const char *path, const void *arg, xb_error *err)
{
    const figure_arg *f = arg;
    return fig_ir_map(path, f->r, f->m, err);
}

xb_status xb_study_write_figures(const xb_study_result *r, xb_study_files *f, xb_error *err)
{
    if (!r || !f || !f->dir)
        return xb_error_set(err, XB_EINVAL, "study: write figures: NULL result or folder not open");
    xb_error local = {0}, *e = err ? err : &local;
    static const char *const ext[2] = {"png", "svg"};
    xb_status st = XB_OK;
    for (int x = 0; x < 2 && !st; x++) {
        char name[64];
        figure_arg arg = {r, NULL};
        snprintf(name, sizeof name, "wires_err_vs_rp.%s", ext[x]);
        if ((st = study_files_write(f, name, write_err_vs_rp, &arg, e)))
            break;
        snprintf(name, sizeof name, "wires_err_vs_size.%s", ext[x]);
        if ((st = study_files_write(f, name, write_err_vs_size, &arg, e)))
            break;
        for (int k = 0; k < r->n_maps && !st; k++) {
            arg.m = &r->maps[k];
            snprintf(name, sizeof name, "wires_ir_map_%s.%s", xb_topology_name(r->maps[k].topology), ext[x]);
            st = study_files_write(f, name, write_ir_map, &arg, e);
        }
    }
    return st;
}
