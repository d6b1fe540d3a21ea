/* cmd_study.c: `xbar study wires`: wire resistance vs array size, as CSV and
 * plots (study/include/xb_study.h).  Parses argv, shows progress and prints the
 * summary; the library runs the study and writes the files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_study.h"

#define CMD "study wires"
#define LARGE_SIZE 2048 /* added by --large */

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

/* The options of one run besides the study's own. */
typedef struct {
    const char *out_dir;
    int large, plots, quiet;
    int sizes[XB_STUDY_MAX_SIZES]; /* the sizes with LARGE_SIZE added (--large) */
} wires_args;

/* "8G" into the plain byte count the library takes. */
static int set_max_memory(xb_study_options *o, const char *v)
{
    xb_error err = {0};
    size_t bytes;
    char num[32];
    if (xb_cli_parse_bytes(v, &bytes, &err))
        return xb_cli_fail(CMD, "--max-memory: %s", err.msg);
    snprintf(num, sizeof num, "%zu", bytes);
    if (xb_study_options_set(o, "max-memory", num, &err))
        return xb_cli_fail(CMD, "--%s", err.msg);
    return 0;
}

/* --large: LARGE_SIZE after the sizes given, unless it is one of them. */
static int add_large(xb_study_options *o, wires_args *w)
{
    for (int k = 0; k < o->n_sizes; k++)
        if (o->sizes[k] == LARGE_SIZE)
            return 0;
    if (o->n_sizes == XB_STUDY_MAX_SIZES)
        return xb_cli_fail(CMD, "--large: at most %d sizes", XB_STUDY_MAX_SIZES);
    memcpy(w->sizes, o->sizes, (size_t)o->n_sizes * sizeof *w->sizes);
    w->sizes[o->n_sizes] = LARGE_SIZE;
    o->sizes = w->sizes;
    o->n_sizes++;
    return 0;
}

/* argv into o and w: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, xb_study_options *o, wires_args *w)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        xb_error err = {0};
        xb_status st;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--large")) {
            w->large = 1;
        } else if (!strcmp(a, "--no-plots")) {
            w->plots = 0;
        } else if (!strcmp(a, "--quiet")) {
            w->quiet = 1;
        } else if (!v) {
            return xb_cli_fail(CMD, "unknown or incomplete option '%s' (see xbar study wires --help)", a);
        } else if (!strcmp(a, "--out")) {
            if (!*v)
                return xb_cli_fail(CMD, "--out: empty directory name");
            w->out_dir = v;
            i++;
        } else if (!strcmp(a, "--max-memory")) {
            if (set_max_memory(o, v))
                return 1;
            i++;
        } else if (strncmp(a, "--", 2) || (st = xb_study_options_set(o, a + 2, v, &err)) == XB_EUNSUPPORTED) {
            return xb_cli_fail(CMD, "unknown option '%s' (see xbar study wires --help)", a);
        } else if (st) {
            return xb_cli_fail(CMD, "--%s", err.msg);
        } else {
            i++;
        }
    }
    if (w->large && add_large(o, w))
        return 1;
    return -1;
}

/* Run the study of o and write its files into w's folder. */
static int run_study(xb_study_options *o, const wires_args *w)
{
    xb_error err = {0};
    if (xb_study_options_validate(o, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    /* The folder first: a run of minutes should not fail at its last step. */
    xb_study_files files;
    if (xb_study_files_open(&files, w->out_dir, &err))
        return xb_cli_fail(CMD, "--out: %s", err.msg);
    if (xb_cli_progress_enabled())
        o->progress = progress;
    xb_study_result *r = xb_study_wires(o, &err);
    if (!r && o->progress)
        fprintf(stderr, "\r\033[K");
    if (!r || xb_study_write_outputs(r, w->plots, &files, &err)) {
        xb_study_files_undo(&files);
        xb_study_result_free(r);
        return xb_cli_fail(CMD, "%s", err.msg);
    }
    if (!w->quiet) {
        summary(r);
        printf("wrote %s/wires.csv%s\n", w->out_dir, w->plots ? " and the plots (PNG, SVG)" : "");
    }
    xb_study_files_close(&files);
    xb_study_result_free(r);
    return 0;
}

static int run_wires(int argc, char **argv)
{
    xb_study_options o;
    xb_study_options_init(&o);
    wires_args w = {"wires_out", 0, 1, 0, {0}};
    int rc = parse_args(argc, argv, &o, &w);
    if (rc < 0)
        rc = run_study(&o, &w);
    xb_study_options_release(&o);
    return rc;
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
