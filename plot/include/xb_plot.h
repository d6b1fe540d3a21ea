/* xb_plot.h: figures through PLplot's cairo drivers, as PNG or SVG.
 *
 * One figure is one file, with one or more panels laid out on a grid:
 *
 *   xb_plot *p = xb_plot_open("out.png", 1000, 700, 1, 1, &err);
 *   xb_plot_lines(p, &axes, series, n);     // or xb_plot_heatmap(p, &map)
 *   xb_plot_close(p, &err);                  // the file appears only now
 *
 * The format follows the extension (.png: pngcairo, .svg: svgcairo).  The figure
 * is drawn into a temporary file beside the target and renamed on success, so a
 * failure leaves nothing behind.  Text goes through PLplot, so '#' starts an
 * escape sequence ("#u" superscript, "#d" subscript, "##" a literal '#'); UTF-8
 * is drawn as is. */
#ifndef XB_PLOT_H
#define XB_PLOT_H

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of a line plot.  x and y are data values (not logarithms); points
 * that a log axis cannot show (<= 0, or not finite) are skipped. */
typedef struct {
    const char *label;   /* legend text; NULL = not in the legend */
    const double *x, *y;
    int n;
    int dashed;          /* 1: dashed line */
    int marker;          /* 1: a symbol at every point */
    int color;           /* palette index 0..XB_PLOT_COLORS-1; -1 = by position */
} xb_plot_series;

#define XB_PLOT_COLORS 8

/* Where the legend goes, inside the panel. */
typedef enum {
    XB_LEGEND_UPPER_LEFT = 0,
    XB_LEGEND_UPPER_RIGHT,
    XB_LEGEND_LOWER_LEFT,
    XB_LEGEND_LOWER_RIGHT
} xb_plot_legend_pos;

/* Axes of one line-plot panel. */
typedef struct {
    const char *title, *xlabel, *ylabel;
    const char *subtitle;    /* smaller line under the title; NULL = none */
    int xlog, ylog;          /* 1: log10 axis */
    int xlog2;               /* 1: log2 x axis with plain numbers at each power of two
                                (array sizes); overrides xlog */
    double xmin, xmax;       /* axis range; both 0 = from the data */
    double ymin, ymax;
    double hline;            /* y of a dashed horizontal reference line; NAN = none */
    const char *hline_label; /* its legend text */
    xb_plot_legend_pos legend;
} xb_plot_axes;

/* One heat-map panel: z is rows x cols, row-major; row 0 is drawn at the top and
 * column 0 at the left, as a matrix is printed. */
typedef struct {
    const char *title, *xlabel, *ylabel;
    const char *subtitle;    /* smaller line under the title; NULL = none */
    const char *zlabel;      /* colour-bar label */
    const double *z;
    int rows, cols;
    double zmin, zmax;       /* colour range; equal = from the data */
} xb_plot_map;

typedef struct xb_plot xb_plot;

/* Start a figure of width x height pixels (points for SVG) with nx x ny panels. */
xb_plot *xb_plot_open(const char *path, int width, int height, int nx, int ny, xb_error *err);

/* Draw the next panel. */
void xb_plot_lines(xb_plot *p, const xb_plot_axes *a, const xb_plot_series *s, int ns);
void xb_plot_heatmap(xb_plot *p, const xb_plot_map *h);

/* Finish the figure and move it into place; on failure nothing is left behind.
 * Frees p either way. */
xb_status xb_plot_close(xb_plot *p, xb_error *err);

/* Give up on a figure: nothing is written.  Frees p. */
void xb_plot_discard(xb_plot *p);

/* ---- overlays for `xbar sweep` ----------------------------------------------------------
 * Drawn on the panel that xb_plot_lines() has just drawn, in its coordinates.  These
 * must follow that call, before the next panel or xb_plot_close(). */

/* Vertical error bars from lo[q] to hi[q] at s->x[q] (q < s->n), in the colour that
 * xb_plot_lines() gave series number k of the same call. */
void xb_plot_errorbars(xb_plot *p, const xb_plot_axes *a, const xb_plot_series *s, int k, const double *lo,
                       const double *hi);

/* A tick and a label under the x axis at data x: for a value that the axis cannot
 * show in place (zero left of a log axis, "off" right of a bit count), drawn at a
 * stand-in position. */
void xb_plot_xlabel_at(xb_plot *p, const xb_plot_axes *a, double x, const char *text);

#ifdef __cplusplus
}
#endif
#endif
