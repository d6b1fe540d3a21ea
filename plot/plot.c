/* plot.c: figures through PLplot's cairo drivers (see xb_plot.h). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plplot.h>

#include "xb_base.h"
#include "xb_plot.h"

/* Colour-blind-safe line colours (Okabe and Ito), then two darker extras. */
static const int palette[XB_PLOT_COLORS][3] = {
    {0, 114, 178}, {213, 94, 0}, {0, 158, 115}, {204, 121, 167},
    {230, 159, 0}, {86, 180, 233}, {0, 0, 0},   {140, 86, 75},
};
/* Markers, one per palette entry (DejaVu Sans has them all). */
static const char *const markers[XB_PLOT_COLORS] = {"●", "■", "▲", "◆", "▼", "⬟", "✚", "★"};

#define SUBTITLE_SCALE 0.56 /* the line under a title */

/* Text sizes relative to PLplot's default character height. */
#define TEXT_SCALE 0.62   /* tick numbers and axis labels */
#define TITLE_SCALE 0.72  /* panel titles */
#define LEGEND_SCALE 0.56 /* legend entries */
#define MARKER_SCALE 0.5  /* symbols on the lines */

/* cmap0 slots: 0 background, 1 axes and text, 2 grid, 3.. the palette. */
enum { COL_BG = 0, COL_FG = 1, COL_GRID = 2, COL_LINE0 = 3 };

/* Viridis, sampled at 11 points: perceptually uniform and readable in grey. */
static const double viridis[11][3] = {
    {68, 1, 84},    {72, 36, 117},  {65, 68, 135},  {53, 95, 141},   {42, 120, 142}, {33, 145, 140},
    {34, 168, 132}, {68, 191, 112}, {122, 209, 81}, {189, 223, 38}, {253, 231, 37},
};

struct xb_plot {
    char *path, *tmp;
    PLINT stream, prev_stream;
    int failed;
};

/* PLplot reports fatal errors through plexit, which would end the process:
 * the handler keeps the message and tells it to return instead. */
static char pl_msg[256];
static int pl_failed;

static int on_exit_request(const char *msg)
{
    snprintf(pl_msg, sizeof pl_msg, "%s", msg ? msg : "plplot error");
    pl_failed = 1;
    return 1; /* non-zero: plexit returns */
}

static void on_abort(const char *msg)
{
    snprintf(pl_msg, sizeof pl_msg, "%s", msg ? msg : "plplot error");
    pl_failed = 1;
}

static int device_available(const char *dev)
{
    const char *menu[128], *names[128];
    const char **pm = menu, **pn = names;
    int n = 128;
    plgDevs(&pm, &pn, &n);
    for (int k = 0; k < n; k++)
        if (names[k] && !strcmp(names[k], dev))
            return 1;
    return 0;
}

xb_plot *xb_plot_open(const char *path, int width, int height, int nx, int ny, xb_error *err)
{
    const char *ext = path ? strrchr(path, '.') : NULL;
    const char *dev = !ext ? NULL : !strcmp(ext, ".png") ? "pngcairo" : !strcmp(ext, ".svg") ? "svgcairo" : NULL;
    if (!dev) {
        xb_error_set(err, XB_EINVAL, "plot %s: the name must end in .png or .svg", path ? path : "(null)");
        return NULL;
    }
    if (width < 64 || height < 64 || nx < 1 || ny < 1) {
        xb_error_set(err, XB_EINVAL, "plot %s: bad size %d x %d or panel grid %d x %d", path, width, height, nx, ny);
        return NULL;
    }
    plsexit(on_exit_request);
    plsabort(on_abort);
    if (!device_available(dev)) {
        xb_error_set(err, XB_EUNSUPPORTED,
                     "plot %s: PLplot has no '%s' driver (on Debian: apt-get install plplot-driver-cairo)", path, dev);
        return NULL;
    }
    xb_plot *p = calloc(1, sizeof *p);
    if (p) {
        p->path = strdup(path);
        /* The temporary keeps the extension: the cairo drivers do not care, but a
         * reader of a half-written directory can tell what it is. */
        p->tmp = xb_temp_name(path, 1);
    }
    if (!p || !p->path || !p->tmp) {
        if (p) {
            free(p->path);
            free(p->tmp);
        }
        free(p);
        xb_error_set(err, XB_ENOMEM, "plot %s: out of memory", path);
        return NULL;
    }
    /* PLplot's file opener, when it cannot create the file, asks for another
     * name on stdin and then ends the process (plexit exits whatever the
     * handler returns): create the file here first, where a failure is a status. */
    int fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        xb_error_set(err, XB_EIO, "plot %s: cannot write %s: %s", path, p->tmp, strerror(errno));
        free(p->path);
        free(p->tmp);
        free(p);
        return NULL;
    }
    close(fd);
    pl_failed = 0;
    pl_msg[0] = '\0';
    plgstrm(&p->prev_stream);
    plmkstrm(&p->stream);
    plsdev(dev);
    plsfnam(p->tmp);
    plspage(0.0, 0.0, width, height, 0, 0);
    plssub(nx, ny);
    plscolbg(255, 255, 255);
    plinit();
    plscol0(COL_FG, 0, 0, 0);
    plscol0(COL_GRID, 215, 215, 215);
    for (int k = 0; k < XB_PLOT_COLORS; k++)
        plscol0(COL_LINE0 + k, palette[k][0], palette[k][1], palette[k][2]);
    plfontld(1);
    if (pl_failed) {
        xb_error_set(err, XB_EIO, "plot %s: %s", path, pl_msg);
        xb_plot_discard(p);
        return NULL;
    }
    return p;
}

static void finish(xb_plot *p)
{
    plsstrm(p->stream);
    plend1();
    plsstrm(p->prev_stream);
}

void xb_plot_discard(xb_plot *p)
{
    if (!p)
        return;
    finish(p);
    unlink(p->tmp);
    free(p->path);
    free(p->tmp);
    free(p);
}

xb_status xb_plot_close(xb_plot *p, xb_error *err)
{
    if (!p)
        return xb_error_set(err, XB_EINVAL, "plot: NULL figure");
    finish(p);
    xb_status st = XB_OK;
    if (pl_failed || p->failed)
        st = xb_error_set(err, XB_EIO, "plot %s: %s", p->path, pl_msg[0] ? pl_msg : "drawing failed");
    else if (access(p->tmp, F_OK))
        st = xb_error_set(err, XB_EIO, "plot %s: the %s driver wrote nothing", p->path, "cairo");
    else
        st = xb_replace_file(p->tmp, p->path, err); /* removes tmp on failure */
    if (st)
        unlink(p->tmp);
    free(p->path);
    free(p->tmp);
    free(p);
    return st;
}

/* The title above the viewport, and the subtitle between them. */
static void titles(const char *title, const char *subtitle)
{
    plschr(0.0, TITLE_SCALE);
    plmtex("t", subtitle ? 4.0 : 2.0, 0.5, 0.5, title ? title : "");
    if (subtitle) {
        plschr(0.0, SUBTITLE_SCALE);
        plmtex("t", 2.4, 0.5, 0.5, subtitle);
    }
    plschr(0.0, TEXT_SCALE);
}

/* ---- line plots ------------------------------------------------------------------ */

/* x in the axis's own coordinate: log10, log2 or the value; NAN if not drawable. */
static double ax_x(const xb_plot_axes *a, double x)
{
    if (!isfinite(x))
        return NAN;
    if (a->xlog2)
        return x > 0 ? log2(x) : NAN;
    if (a->xlog)
        return x > 0 ? log10(x) : NAN;
    return x;
}

static double ax_y(const xb_plot_axes *a, double y)
{
    if (!isfinite(y))
        return NAN;
    if (a->ylog)
        return y > 0 ? log10(y) : NAN;
    return y;
}

/* Labels of a log2 axis: the power of two itself ("32", "1024"). */
static void log2_labels(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    (void)data;
    if (axis == PL_X_AXIS)
        snprintf(label, (size_t)length, "%.0f", pow(2.0, value));
    else
        snprintf(label, (size_t)length, "%g", value);
}

static void range(double *lo, double *hi, int logscale)
{
    if (!(*hi > *lo)) { /* one value, or none */
        double c = isfinite(*lo) ? *lo : 0.0;
        *lo = c - (logscale ? 0.5 : 1.0);
        *hi = c + (logscale ? 0.5 : 1.0);
        return;
    }
    double pad = 0.04 * (*hi - *lo);
    *lo -= pad;
    *hi += pad;
}

/* The window of a line panel in axis coordinates: the data (and the reference
 * line), padded, or the axes' own range; *yh is the reference line's y or NAN. */
static void lines_window(const xb_plot_axes *a, const xb_plot_series *s, int ns, double w[4], double *yh)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int q = 0; q < s[k].n; q++) {
            double x = ax_x(a, s[k].x[q]), y = ax_y(a, s[k].y[q]);
            if (isnan(x) || isnan(y))
                continue;
            x0 = fmin(x0, x);
            x1 = fmax(x1, x);
            y0 = fmin(y0, y);
            y1 = fmax(y1, y);
        }
    *yh = isfinite(a->hline) ? ax_y(a, a->hline) : NAN;
    if (!isnan(*yh)) {
        y0 = fmin(y0, *yh);
        y1 = fmax(y1, *yh);
    }
    if (a->xmin != 0 || a->xmax != 0) {
        x0 = ax_x(a, a->xmin);
        x1 = ax_x(a, a->xmax);
    } else {
        range(&x0, &x1, a->xlog || a->xlog2);
    }
    if (a->ymin != 0 || a->ymax != 0) {
        y0 = ax_y(a, a->ymin);
        y1 = ax_y(a, a->ymax);
    } else if (a->ylog && isfinite(y0) && isfinite(y1)) {
        /* whole decades read best on a log axis */
        y0 = floor(y0 - 0.05);
        y1 = ceil(y1 - 1e-3); /* errors that approach 1 keep 1 as the top */
    } else {
        range(&y0, &y1, 0);
    }
    if (!isfinite(x0) || !isfinite(x1) || !(x1 > x0))
        x0 = 0, x1 = 1;
    if (!isfinite(y0) || !isfinite(y1) || !(y1 > y0))
        y0 = 0, y1 = 1;
    w[0] = x0, w[1] = x1, w[2] = y0, w[3] = y1;
}

/* Viewport, grid, frame, tick numbers, axis labels and titles. */
static void lines_frame(const xb_plot_axes *a, const double w[4])
{
    plvpor(0.13, 0.96, 0.12, 0.87);
    plwind(w[0], w[1], w[2], w[3]);
    const char *xo = a->xlog2 ? "o" : a->xlog ? "l" : "";
    const char *yo = a->ylog ? "l" : "";
    char xopt[16], yopt[16];
    if (a->xlog2)
        plslabelfunc(log2_labels, NULL);
    /* Grid first, in light grey, then the frame, ticks and numbers on top. */
    plcol0(COL_GRID);
    plwidth(1.0);
    snprintf(xopt, sizeof xopt, "g%s", xo);
    snprintf(yopt, sizeof yopt, "g%s", yo);
    plbox(xopt, a->xlog2 ? 1.0 : 0.0, 0, yopt, 0.0, 0);
    plcol0(COL_FG);
    snprintf(xopt, sizeof xopt, "bcnst%s", xo);
    snprintf(yopt, sizeof yopt, "bcnstv%s", yo);
    plbox(xopt, a->xlog2 ? 1.0 : 0.0, a->xlog2 ? 1 : 0, yopt, 0.0, 0);
    if (a->xlog2)
        plslabelfunc(NULL, NULL);
    plmtex("b", 3.0, 0.5, 0.5, a->xlabel ? a->xlabel : "");
    plmtex("l", 4.6, 0.5, 0.5, a->ylabel ? a->ylabel : "");
    titles(a->title, a->subtitle);
}

/* Legend entries of one panel, in pllegend's parallel arrays. */
#define LEGEND_MAX 64
typedef struct {
    int n;
    PLINT opt[LEGEND_MAX], text_colors[LEGEND_MAX], line_colors[LEGEND_MAX], line_styles[LEGEND_MAX];
    PLINT sym_colors[LEGEND_MAX], sym_numbers[LEGEND_MAX];
    PLFLT line_widths[LEGEND_MAX], sym_scales[LEGEND_MAX];
    const char *text[LEGEND_MAX], *syms[LEGEND_MAX];
} legend;

/* One entry: a line of colour col, style and width, and the marker mk (NULL: none). */
static void legend_add(legend *l, const char *text, int col, int style, double width, const char *mk)
{
    if (l->n == LEGEND_MAX)
        return;
    int k = l->n++;
    l->opt[k] = PL_LEGEND_LINE | (mk ? PL_LEGEND_SYMBOL : 0);
    l->text_colors[k] = COL_FG;
    l->text[k] = text;
    l->line_colors[k] = col;
    l->line_styles[k] = style;
    l->line_widths[k] = width;
    l->sym_colors[k] = col;
    l->sym_scales[k] = mk ? MARKER_SCALE : 0;
    l->sym_numbers[k] = mk ? 1 : 0;
    l->syms[k] = mk ? mk : "";
}

static void legend_draw(const legend *l, xb_plot_legend_pos where)
{
    static const PLINT pos[] = {
        PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE,
        PL_POSITION_RIGHT | PL_POSITION_TOP | PL_POSITION_INSIDE,
        PL_POSITION_LEFT | PL_POSITION_BOTTOM | PL_POSITION_INSIDE,
        PL_POSITION_RIGHT | PL_POSITION_BOTTOM | PL_POSITION_INSIDE,
    };
    if (l->n == 0)
        return;
    PLFLT lw, lh;
    plschr(0.0, LEGEND_SCALE);
    /* pllegend's text scale is relative to the default character height. */
    pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, pos[where & 3], 0.02, 0.02, 0.07, COL_BG,
             COL_FG, 1, 0, 0, l->n, l->opt, 1.0, LEGEND_SCALE, 1.8, 0.0, l->text_colors, l->text, NULL, NULL, NULL,
             NULL, l->line_colors, l->line_styles, l->line_widths, l->sym_colors, l->sym_scales, l->sym_numbers,
             l->syms);
    plschr(0.0, TEXT_SCALE);
}

/* Series k: runs of drawable points as lines (a gap, e.g. a zero on a log axis,
 * breaks the line), markers, and its legend entry.  0, or -1 out of memory. */
static int lines_series(const xb_plot_axes *a, const xb_plot_series *s, int k, legend *l)
{
    int col = COL_LINE0 + ((s->color >= 0 ? s->color : k) % XB_PLOT_COLORS);
    const char *mk = markers[(s->color >= 0 ? s->color : k) % XB_PLOT_COLORS];
    double *xs = malloc((size_t)(s->n ? s->n : 1) * sizeof *xs);
    double *ys = malloc((size_t)(s->n ? s->n : 1) * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return -1;
    }
    int m = 0;
    plcol0(col);
    plwidth(2.0);
    pllsty(s->dashed ? 2 : 1);
    for (int q = 0; q <= s->n; q++) {
        double x = q < s->n ? ax_x(a, s->x[q]) : NAN, y = q < s->n ? ax_y(a, s->y[q]) : NAN;
        if (!isnan(x) && !isnan(y)) {
            xs[m] = x;
            ys[m] = y;
            m++;
            continue;
        }
        if (m > 1)
            plline(m, xs, ys);
        if (m > 0 && s->marker) {
            plschr(0.0, MARKER_SCALE);
            plstring(m, xs, ys, mk);
            plschr(0.0, TEXT_SCALE);
        }
        m = 0;
    }
    pllsty(1);
    free(xs);
    free(ys);
    if (s->label && l->n < LEGEND_MAX - 1) /* one place stays for the reference line */
        legend_add(l, s->label, col, s->dashed ? 2 : 1, 2.0, s->marker ? mk : NULL);
    return 0;
}

void xb_plot_lines(xb_plot *p, const xb_plot_axes *a, const xb_plot_series *s, int ns)
{
    if (!p)
        return;
    plsstrm(p->stream);
    pladv(0);
    plschr(0.0, TEXT_SCALE);
    double w[4], yh;
    lines_window(a, s, ns, w, &yh);
    lines_frame(a, w);
    legend l;
    l.n = 0;
    for (int k = 0; k < ns; k++)
        if (lines_series(a, &s[k], k, &l)) {
            p->failed = 1;
            return;
        }
    if (!isnan(yh)) {
        PLFLT hx[2] = {w[0], w[1]}, hy[2] = {yh, yh};
        plcol0(COL_FG);
        plwidth(1.5);
        pllsty(3);
        plline(2, hx, hy);
        pllsty(1);
        if (a->hline_label)
            legend_add(&l, a->hline_label, COL_FG, 3, 1.5, NULL);
    }
    plwidth(1.0);
    legend_draw(&l, a->legend);
}

/* ---- heat maps ---------------------------------------------------------------------- */

void xb_plot_heatmap(xb_plot *p, const xb_plot_map *h)
{
    if (!p)
        return;
    plsstrm(p->stream);
    pladv(0);
    plschr(0.0, TEXT_SCALE);
    const int M = h->rows, N = h->cols;
    double zmin = h->zmin, zmax = h->zmax;
    if (!(zmax > zmin)) {
        zmin = INFINITY;
        zmax = -INFINITY;
        for (long q = 0; q < (long)M * N; q++)
            if (isfinite(h->z[q])) {
                zmin = fmin(zmin, h->z[q]);
                zmax = fmax(zmax, h->z[q]);
            }
        if (!(zmax > zmin)) {
            double c = isfinite(zmin) ? zmin : 0.0;
            zmin = c - 0.5;
            zmax = c + 0.5;
        }
    }
    /* plimagefr reads idata[x][y]: x = column j, y = row i.  The window runs
     * from row M at the bottom to row 0 at the top. */
    PLFLT **idata = malloc((size_t)N * sizeof *idata);
    PLFLT *buf = malloc((size_t)N * M * sizeof *buf);
    if (!idata || !buf) {
        free(idata);
        free(buf);
        p->failed = 1;
        return;
    }
    for (int j = 0; j < N; j++) {
        idata[j] = buf + (size_t)j * M;
        for (int i = 0; i < M; i++)
            idata[j][i] = h->z[(size_t)i * N + j];
    }
    PLFLT pos[11], r[11], g[11], b[11];
    for (int k = 0; k < 11; k++) {
        pos[k] = k / 10.0;
        r[k] = viridis[k][0] / 255.0;
        g[k] = viridis[k][1] / 255.0;
        b[k] = viridis[k][2] / 255.0;
    }
    plscmap1n(256);
    plscmap1l(1, 11, pos, r, g, b, NULL);

    plvpor(0.11, 0.80, 0.11, 0.87);
    plwind(0.0, N, M, 0.0);
    plimagefr((const PLFLT *const *)idata, N, M, 0.0, N, 0.0, M, zmin, zmax, zmin, zmax, NULL, NULL);
    free(idata);
    free(buf);
    plcol0(COL_FG);
    plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
    plmtex("b", 3.0, 0.5, 0.5, h->xlabel ? h->xlabel : "");
    plmtex("l", 4.0, 0.5, 0.5, h->ylabel ? h->ylabel : "");
    titles(h->title, h->subtitle);

    PLFLT cw, ch;
    PLINT label_opts[1] = {PL_COLORBAR_LABEL_RIGHT};
    const char *labels[1] = {h->zlabel ? h->zlabel : ""};
    const char *axis_opts[1] = {"bcvtm"};
    PLFLT ticks[1] = {0.0};
    PLINT sub_ticks[1] = {0};
    PLINT n_values[1] = {2};
    PLFLT vals[2] = {zmin, zmax};
    const PLFLT *values[1] = {vals};
    plcolorbar(&cw, &ch, PL_COLORBAR_IMAGE, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, 0.03,
               0.0, 0.04, 1.0, COL_BG, COL_FG, 1, 0.0, 0.0, 0, 0.0, 1, label_opts, labels, 1, axis_opts, ticks,
               sub_ticks, n_values, values);
    plschr(0.0, TEXT_SCALE);
}

/* ---- overlays for `xbar sweep` ----------------------------------------------------------
 * Drawn on the panel that xb_plot_lines() has just drawn, in its coordinates. */

void xb_plot_errorbars(xb_plot *p, const xb_plot_axes *a, const xb_plot_series *s, int k, const double *lo,
                       const double *hi)
{
    if (!p || !s || !lo || !hi)
        return;
    plsstrm(p->stream);
    plcol0(COL_LINE0 + ((s->color >= 0 ? s->color : k) % XB_PLOT_COLORS));
    plwidth(1.5);
    pllsty(1);
    for (int q = 0; q < s->n; q++) {
        PLFLT x = ax_x(a, s->x[q]), y0 = ax_y(a, lo[q]), y1 = ax_y(a, hi[q]);
        if (!isnan(x) && !isnan(y0) && !isnan(y1))
            plerry(1, &x, &y0, &y1);
    }
    plwidth(1.0);
    plcol0(COL_FG);
}

void xb_plot_xlabel_at(xb_plot *p, const xb_plot_axes *a, double x, const char *text)
{
    if (!p || !text)
        return;
    plsstrm(p->stream);
    PLFLT wx0, wx1, wy0, wy1;
    plgvpw(&wx0, &wx1, &wy0, &wy1);
    double X = ax_x(a, x);
    if (isnan(X) || !(wx1 > wx0) || X < wx0 || X > wx1)
        return;
    /* a short tick, as the axis draws its own, then the label */
    PLFLT tx[2] = {X, X}, ty[2] = {wy0, wy0 + 0.02 * (wy1 - wy0)};
    plcol0(COL_FG);
    plwidth(1.0);
    plline(2, tx, ty);
    plschr(0.0, TEXT_SCALE);
    plmtex("b", 1.5, (X - wx0) / (wx1 - wx0), 0.5, text);
}
