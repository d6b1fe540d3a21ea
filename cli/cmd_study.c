/* cmd_study.c: `xbar study wires`: wire resistance vs array size, as CSV and plots. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_plot.h"
#include "xb_matrix_io.h"
#include "xb_study.h"

#define CMD "study wires"
#define LARGE_SIZE 2048             /* added by --large */
#define EIGHT_BIT_LSB (1.0 / 256.0) /* the reference study's 8-bit weights and activations */
#define MAX_FILES 16

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar study wires [options]\n\n"
            "Sweep the array size and the normalized wire resistance R^p = R_wire * Gmax, solve\n"
            "every array exactly, and report the error of the column currents against the ideal\n"
            "product G^T v, the worst IR drop, the solve time and the memory.  Writes DIR/wires.csv,\n"
            "the plots (PNG and SVG) and the IR-drop maps (.npy).  See docs/wires.md.\n\n"
            "sweep:\n"
            "  --sizes LIST         square array sizes, e.g. 32,64,128 (default 32,64,128,256,512,1024)\n"
            "  --large              add 2048 x 2048 (about 8 GB and several minutes per input-source point)\n"
            "  --rp A:B:N | LIST    R^p values: N log-spaced from A to B, or a list\n"
            "                       (default 1e-7:1e-2:6, one per decade; 1e-7:1e-2:11 gives two\n"
            "                       per decade and about twice the run time)\n"
            "  --topology T         both (default), input-source or gate-input\n"
            "array:\n"
            "  --on-off X           Gmax / Gmin, >= 1 or inf (default 100)\n"
            "  --gmax S             siemens (default 1e-5, Rmin = 100 kOhm)\n"
            "  --r-drv OHMS         driver resistance, input-source (default 0)\n"
            "  --r-sense OHMS       sense resistance (default 0)\n"
            "inputs:\n"
            "  --vectors K          random input vectors per point (default 32)\n"
            "  --v-in V             input-source inputs ~ U[0, V] volts (default 0.2)\n"
            "  --v-read V           gate-input read voltage (default 0.2)\n"
            "  --seed S             random seed (default 1): the same seed gives the same numbers\n"
            "solver:\n"
            "  --backend B          input-source: auto (default: the cheaper of cholmod and transfer\n"
            "                       per point), cholmod, transfer or klu; gate-input always uses the\n"
            "                       exact column path\n"
            "  --ordering O         auto (default: AMD up to 1024 x 1024, METIS above), amd, metis,\n"
            "                       cholmod (CHOLMOD's own choice)\n"
            "  --refine N           refinement steps per solve (default 0: none, see docs/wires.md)\n"
            "  --max-memory BYTES   refuse a point whose solver needs more (e.g. 8G; default: RAM)\n"
            "outputs:\n"
            "  --out DIR            output directory (default wires_out; created if missing)\n"
            "  --fixed-rp R         R^p of the error-vs-size plot and of the IR-drop maps\n"
            "                       (default 1e-4; the nearest R^p of the sweep)\n"
            "  --map-size N         array of the IR-drop maps (default: the largest size <= 256)\n"
            "  --no-plots           write the CSV and the maps only\n"
            "  --quiet              no summary on stdout\n");
}

/* ---- argument parsing ----------------------------------------------------------- */

static int parse_sizes(const char *s, xb_study_options *o)
{
    o->n_sizes = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end && *end != ',')) {
            xb_cli_fail(CMD, "--sizes '%s': expected a comma-separated list of integers such as 32,64,128", s);
            return 0;
        }
        if (v < 1 || v > 65536) {
            xb_cli_fail(CMD, "--sizes '%s': size %ld must be 1..65536", s, v);
            return 0;
        }
        if (o->n_sizes == XB_STUDY_MAX_SIZES) {
            xb_cli_fail(CMD, "--sizes '%s': at most %d sizes", s, XB_STUDY_MAX_SIZES);
            return 0;
        }
        for (int k = 0; k < o->n_sizes; k++)
            if (o->sizes[k] == v) {
                xb_cli_fail(CMD, "--sizes '%s': %ld appears twice", s, v);
                return 0;
            }
        o->sizes[o->n_sizes++] = (int)v;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            xb_cli_fail(CMD, "--sizes '%s': trailing comma", s);
            return 0;
        }
    }
    if (!o->n_sizes) {
        xb_cli_fail(CMD, "--sizes: empty list");
        return 0;
    }
    return 1;
}

static int parse_rp(const char *s, xb_study_options *o)
{
    xb_error err = {0};
    char buf[256];
    if (strlen(s) >= sizeof buf) {
        xb_cli_fail(CMD, "--rp: argument too long");
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", s);
    char *c1 = strchr(buf, ':');
    if (c1) {
        char *c2 = strchr(c1 + 1, ':');
        double lo, hi;
        long n;
        if (!c2) {
            xb_cli_fail(CMD, "--rp '%s': expected FIRST:LAST:POINTS such as 1e-7:1e-2:11", s);
            return 0;
        }
        *c1 = *c2 = '\0';
        if (!xb_parse_double(buf, &lo) || !xb_parse_double(c1 + 1, &hi) || !xb_parse_long(c2 + 1, &n)) {
            xb_cli_fail(CMD, "--rp '%s': expected FIRST:LAST:POINTS such as 1e-7:1e-2:11", s);
            return 0;
        }
        if (n < 1 || n > XB_STUDY_MAX_RP) {
            xb_cli_fail(CMD, "--rp '%s': %ld points, must be 1..%d", s, n, XB_STUDY_MAX_RP);
            return 0;
        }
        if (xb_study_rp_logspace(o, lo, hi, (int)n, &err)) {
            xb_cli_fail(CMD, "--rp '%s': %s", s, err.msg);
            return 0;
        }
        return 1;
    }
    o->n_rp = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        double v;
        if (!xb_parse_double(tok, &v) || !(v > 0)) {
            xb_cli_fail(CMD, "--rp '%s': '%s' is not a positive number", s, tok);
            return 0;
        }
        if (o->n_rp == XB_STUDY_MAX_RP) {
            xb_cli_fail(CMD, "--rp '%s': at most %d values", s, XB_STUDY_MAX_RP);
            return 0;
        }
        o->rp[o->n_rp++] = v;
    }
    return 1;
}

static int parse_pos(const char *flag, const char *s, double *out, int allow_zero)
{
    double v;
    if (!xb_parse_double(s, &v) || v < 0 || (!allow_zero && v == 0)) {
        xb_cli_fail(CMD, "%s '%s': expected a finite number %s 0", flag, s, allow_zero ? ">=" : ">");
        return 0;
    }
    *out = v;
    return 1;
}

/* ---- progress -------------------------------------------------------------------- */

static void fmt_time(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static int progress(void *user, const xb_study_progress *p)
{
    (void)user;
    char el[32], eta[32];
    fmt_time(el, sizeof el, p->elapsed);
    fmt_time(eta, sizeof eta, p->work_done > 0.005 ? p->elapsed * (1 - p->work_done) / p->work_done : NAN);
    if (p->last)
        fprintf(stderr, "\r\033[K[%3d/%d] %3.0f%%  %s %dx%d R^p=%-8.3g err %.3g  elapsed %s  ETA %s", p->done, p->total,
                100 * p->work_done, xb_topology_name(p->last->topology), p->last->size, p->last->size, p->last->rp,
                p->last->rel_rms_err, el, eta);
    else
        fprintf(stderr, "\r\033[K[%3d/%d] starting", p->done, p->total);
    if (p->done == p->total)
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
    return 0;
}

/* ---- outputs ----------------------------------------------------------------------- */

typedef struct {
    char *path[MAX_FILES];
    int n;
} written;

static void forget(written *w)
{
    for (int k = 0; k < w->n; k++)
        free(w->path[k]);
    w->n = 0;
}

/* Remove what this run wrote (a failure leaves no partial set of results). */
static void undo(written *w)
{
    for (int k = 0; k < w->n; k++)
        unlink(w->path[k]);
    forget(w);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void remember(written *w, char *path)
{
    if (w->n < MAX_FILES)
        w->path[w->n++] = path;
    else
        free(path);
}

/* mkdir -p; *created: 1 when this call made the last component. */
static int make_dir(const char *dir, int *created)
{
    *created = 0;
    struct stat st;
    if (!stat(dir, &st))
        return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    char *tmp = strdup(dir);
    if (!tmp)
        return ENOMEM;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) {
                int e = errno;
                free(tmp);
                return e;
            }
            *p = '/';
        }
    free(tmp);
    if (mkdir(dir, 0777) && errno != EEXIST)
        return errno;
    *created = 1;
    return 0;
}

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

static void summary(const xb_study_result *r)
{
    const xb_study_options *o = &r->opt;
    int t = 0;
    for (int topo = 0; topo < 2; topo++) {
        if (!(o->topologies & (topo ? XB_STUDY_GATE_INPUT : XB_STUDY_INPUT_SOURCE)))
            continue;
        printf("%s: relative RMS error of the column currents\n%10s", topo ? "gate-input" : "input-source", "size\\R^p");
        for (int k = 0; k < o->n_rp; k++)
            printf(" %9.3g", o->rp[k]);
        printf("\n");
        for (int si = 0; si < o->n_sizes; si++) {
            printf("%10d", o->sizes[si]);
            for (int k = 0; k < o->n_rp; k++)
                printf(" %9.3g", r->points[(t * o->n_sizes + si) * o->n_rp + k].rel_rms_err);
            printf("\n");
        }
        t++;
    }
    size_t peak = 0;
    for (int k = 0; k < r->n_points; k++)
        if (r->points[k].peak_rss > peak)
            peak = r->points[k].peak_rss;
    printf("%d points in %.1f s, peak resident memory %.3g GiB\n", r->n_points, r->t_total,
           (double)peak / (1024.0 * 1024 * 1024));
}

static int run_wires(int argc, char **argv)
{
    xb_study_options o;
    xb_study_options_init(&o);
    const char *out_dir = "wires_out";
    int large = 0, plots = 1, quiet = 0;
    double fixed_rp = o.map_rp;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--large")) {
            large = 1;
        } else if (!strcmp(a, "--no-plots")) {
            plots = 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!v) {
            return xb_cli_fail(CMD, "unknown or incomplete option '%s' (see xbar study wires --help)", a);
        } else if (!strcmp(a, "--sizes")) {
            if (!parse_sizes(v, &o))
                return 1;
            i++;
        } else if (!strcmp(a, "--rp")) {
            if (!parse_rp(v, &o))
                return 1;
            i++;
        } else if (!strcmp(a, "--topology")) {
            if (!strcmp(v, "both"))
                o.topologies = XB_STUDY_BOTH;
            else if (!strcmp(v, "input-source"))
                o.topologies = XB_STUDY_INPUT_SOURCE;
            else if (!strcmp(v, "gate-input"))
                o.topologies = XB_STUDY_GATE_INPUT;
            else
                return xb_cli_fail(CMD, "--topology '%s': must be both, input-source or gate-input", v);
            i++;
        } else if (!strcmp(a, "--on-off")) {
            if (!strcmp(v, "inf"))
                o.on_off = INFINITY;
            else if (!xb_parse_double(v, &o.on_off) || o.on_off < 1)
                return xb_cli_fail(CMD, "--on-off '%s': expected a number >= 1, or inf", v);
            i++;
        } else if (!strcmp(a, "--gmax")) {
            if (!parse_pos(a, v, &o.g_max, 0))
                return 1;
            i++;
        } else if (!strcmp(a, "--r-drv")) {
            if (!parse_pos(a, v, &o.r_drv, 1))
                return 1;
            i++;
        } else if (!strcmp(a, "--r-sense")) {
            if (!parse_pos(a, v, &o.r_sense, 1))
                return 1;
            i++;
        } else if (!strcmp(a, "--v-in")) {
            if (!parse_pos(a, v, &o.v_in, 0))
                return 1;
            i++;
        } else if (!strcmp(a, "--v-read")) {
            if (!parse_pos(a, v, &o.v_read, 0))
                return 1;
            i++;
        } else if (!strcmp(a, "--vectors")) {
            long k;
            if (!xb_parse_long(v, &k) || k < 1 || k > 1000000)
                return xb_cli_fail(CMD, "--vectors '%s': expected an integer 1..1000000", v);
            o.vectors = (int)k;
            i++;
        } else if (!strcmp(a, "--seed")) {
            long s;
            if (!xb_parse_long(v, &s) || s < 0)
                return xb_cli_fail(CMD, "--seed '%s': expected an integer >= 0", v);
            o.seed = (unsigned long)s;
            i++;
        } else if (!strcmp(a, "--backend")) {
            xb_error err = {0};
            if (xb_backend_parse(v, &o.backend, &err) ||
                (o.backend != XB_BACKEND_AUTO && o.backend != XB_BACKEND_CHOLMOD &&
                 o.backend != XB_BACKEND_TRANSFER && o.backend != XB_BACKEND_KLU))
                return xb_cli_fail(CMD, "--backend '%s': must be auto, cholmod, transfer or klu", v);
            i++;
        } else if (!strcmp(a, "--ordering")) {
            if (!strcmp(v, "auto"))
                o.ordering = XB_STUDY_ORDER_BY_SIZE;
            else if (!strcmp(v, "amd"))
                o.ordering = XB_ORDER_AMD;
            else if (!strcmp(v, "metis"))
                o.ordering = XB_ORDER_METIS;
            else if (!strcmp(v, "cholmod"))
                o.ordering = XB_ORDER_DEFAULT;
            else
                return xb_cli_fail(CMD, "--ordering '%s': must be auto, amd, metis or cholmod", v);
            i++;
        } else if (!strcmp(a, "--refine")) {
            long n;
            if (!xb_parse_long(v, &n) || n < 0 || n > 10)
                return xb_cli_fail(CMD, "--refine '%s': expected an integer 0..10", v);
            o.refine = n == 0 ? -1 : (int)n;
            i++;
        } else if (!strcmp(a, "--max-memory")) {
            xb_error err = {0};
            if (xb_parse_bytes(v, &o.max_memory, &err))
                return xb_cli_fail(CMD, "--max-memory: %s", err.msg);
            i++;
        } else if (!strcmp(a, "--out")) {
            if (!*v)
                return xb_cli_fail(CMD, "--out: empty directory name");
            out_dir = v;
            i++;
        } else if (!strcmp(a, "--fixed-rp")) {
            if (!parse_pos(a, v, &fixed_rp, 0))
                return 1;
            i++;
        } else if (!strcmp(a, "--map-size")) {
            long n;
            if (!xb_parse_long(v, &n) || n < 1 || n > 65536)
                return xb_cli_fail(CMD, "--map-size '%s': expected an integer 1..65536", v);
            o.map_size = (int)n;
            i++;
        } else {
            return xb_cli_fail(CMD, "unknown option '%s' (see xbar study wires --help)", a);
        }
    }
    if (large) {
        int have = 0;
        for (int k = 0; k < o.n_sizes; k++)
            have |= o.sizes[k] == LARGE_SIZE;
        if (!have) {
            if (o.n_sizes == XB_STUDY_MAX_SIZES)
                return xb_cli_fail(CMD, "--large: at most %d sizes", XB_STUDY_MAX_SIZES);
            o.sizes[o.n_sizes++] = LARGE_SIZE;
        }
    }
    o.map_rp = fixed_rp;
    xb_error err = {0};
    if (xb_study_options_validate(&o, &err))
        return xb_cli_fail(CMD, "%s", err.msg);

    /* The directory first: a run of minutes should not fail at its last step. */
    int created = 0, e = make_dir(out_dir, &created);
    if (e)
        return xb_cli_fail(CMD, "--out %s: cannot create the directory: %s", out_dir, strerror(e));
    if (access(out_dir, W_OK))
        return xb_cli_fail(CMD, "--out %s: the directory is not writable", out_dir);

    if (xb_cli_progress_enabled()) {
        o.progress = progress;
        o.user = NULL;
    }
    xb_study_result *r = xb_study_wires(&o, &err);
    if (!r) {
        if (o.progress)
            fprintf(stderr, "\r\033[K");
        if (created)
            rmdir(out_dir);
        return xb_cli_fail(CMD, "%s", err.msg);
    }

    written w = {{0}, 0};
    xb_status st = XB_OK;
    char *path = join(out_dir, "wires.csv");
    if (!path || (st = xb_study_write_csv(r, path, &err))) {
        free(path);
        goto fail;
    }
    remember(&w, path);
    for (int k = 0; k < r->n_maps && !st; k++) {
        const xb_study_map *m = &r->maps[k];
        char name[64];
        snprintf(name, sizeof name, "wires_ir_map_%s.npy", xb_topology_name(m->topology));
        size_t shape[2] = {(size_t)m->size, (size_t)m->size};
        if (!(path = join(out_dir, name)) || (st = xb_matrix_write(path, m->drop, 2, shape, &err))) {
            free(path);
            goto fail;
        }
        remember(&w, path);
    }
    if (plots) {
        static const char *const ext[2] = {"png", "svg"};
        for (int x = 0; x < 2; x++) {
            char name[64];
            snprintf(name, sizeof name, "wires_err_vs_rp.%s", ext[x]);
            if (!(path = join(out_dir, name)) || (st = fig_err_vs_rp(path, r, &err))) {
                free(path);
                goto fail;
            }
            remember(&w, path);
            snprintf(name, sizeof name, "wires_err_vs_size.%s", ext[x]);
            if (!(path = join(out_dir, name)) || (st = fig_err_vs_size(path, r, fixed_rp, &err))) {
                free(path);
                goto fail;
            }
            remember(&w, path);
            for (int k = 0; k < r->n_maps; k++) {
                snprintf(name, sizeof name, "wires_ir_map_%s.%s", xb_topology_name(r->maps[k].topology), ext[x]);
                if (!(path = join(out_dir, name)) || (st = fig_ir_map(path, r, &r->maps[k], &err))) {
                    free(path);
                    goto fail;
                }
                remember(&w, path);
            }
        }
    }
    if (!quiet) {
        summary(r);
        printf("wrote %s/wires.csv%s\n", out_dir, plots ? " and the plots (PNG, SVG)" : "");
    }
    forget(&w);
    xb_study_result_free(r);
    return 0;
fail:
    undo(&w);
    xb_study_result_free(r);
    if (created)
        rmdir(out_dir);
    return xb_cli_fail(CMD, "%s", st || err.msg[0] ? err.msg : "out of memory");
}

int xb_cmd_study(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        printf("usage: xbar study <study> [options]\n\nstudies:\n"
               "  wires      wire resistance vs array size: error, IR drop, time, memory\n\n");
        usage(stdout);
        return 0;
    }
    if (argc < 2)
        return xb_cli_fail("study", "which study? the only one is 'wires' (xbar study wires --help)");
    if (strcmp(argv[1], "wires"))
        return xb_cli_fail("study", "unknown study '%s' (the only one is 'wires')", argv[1]);
    return run_wires(argc - 1, argv + 1);
}
