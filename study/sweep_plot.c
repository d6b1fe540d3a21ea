/* sweep_plot.c: accuracy plots of a sweep: top-1 against one axis, one line
 * per combination of the other axes, 95 % Wilson intervals as error bars and
 * the digital baseline as a dashed line. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_plot.h"
#include "sweep_internal.h"

#define PLOT_WIDTH 1000       /* pixels (points for SVG) */
#define PLOT_HEIGHT 700
#define LOG_AUTO_SPAN 100.0   /* automatic log x axis when max/min of the positive values reaches this */
#define STANDIN_DECADES 0.6   /* zero (or inf) drawn this many decades beyond the data on a log axis */
#define MARGIN_DECADES 0.15   /* room left and right of the outermost points on a log axis */
#define DODGE 0.012           /* sideways shift between lines, in decades or fractions of the span */
#define MAX_LINES 48          /* legend entries that still fit */
#define LEGEND_ENTRY 0.036    /* height of one legend entry, as a fraction of the panel */
#define LEGEND_TOP 0.03       /* the legend's margins, same unit */
#define LEGEND_LEFT 0.09      /* width of the legend's line sample and margins, fraction of the panel */
#define LEGEND_CHAR 0.0099    /* width of one legend character, same unit */

/* Axis titles for the parameters that have a well-known name. */
static const struct {
    const char *key, *name, *label; /* name for titles, label for the x axis */
} axis_labels[] = {
    {"rp", "wire resistance", "normalized wire resistance R\xcc\x82#dp#u = R#dwire#u G#dmax#u"},
    {"alpha", "programming errors", "programming error \xce\xb1 (\xcf\x83 = \xce\xb1 G#dmax#u or \xce\xb1 G)"},
    {"adc_bits", "ADC resolution", "ADC resolution (bits)"},
    {"on_off", "On/Off ratio", "On/Off ratio G#dmax#u / G#dmin#u"},
    {"rows_per_array", "array size", "rows per array"},
    {"cols_per_array", "array size", "columns per array"},
    {"weight_bits", "weight bits", "weight bits"},
    {"input_bits", "input bits", "input bits"},
    {"gmax", "G#dmax#u", "G#dmax#u (S)"},
    {"v_read", "read voltage", "read voltage (V)"},
    {"r_drv", "driver resistance", "driver resistance (\xce\xa9)"},
    {"r_sense", "sense resistance", "sense resistance (\xce\xa9)"},
};

static const char *axis_text(const char *key, int label)
{
    for (size_t i = 0; i < sizeof axis_labels / sizeof axis_labels[0]; i++)
        if (!strcmp(axis_labels[i].key, key))
            return label ? axis_labels[i].label : axis_labels[i].name;
    return key;
}

static const char *const log_keys[] = {"rp", "on_off", "gmax"};

/* Where each value of an axis goes on the x axis. */
typedef struct {
    double *pos;     /* data x of value v */
    char **special;  /* label for a stand-in position, or NULL */
    int log;
    double xmin, xmax;
} x_layout;

static void layout_free(x_layout *l, int n)
{
    for (int v = 0; l->special && v < n; v++)
        free(l->special[v]);
    free(l->special);
    free(l->pos);
}

/* Numbers where they are numbers; zero left of a log axis, "off"/"inf" (any
 * text) right of the data.  Returns 0 when no value is a number. */
static int layout_make(const xb_sweep_axis *ax, int log_spec, x_layout *l)
{
    const int n = ax->n;
    l->pos = calloc((size_t)n, sizeof *l->pos);
    l->special = calloc((size_t)n, sizeof *l->special);
    if (!l->pos || !l->special)
        return -1;
    double lo = INFINITY, hi = -INFINITY, plo = INFINITY, phi = -INFINITY;
    int numeric = 0;
    for (int v = 0; v < n; v++) {
        double x;
        if (xb_parse_double(ax->values[v], &x)) {
            l->pos[v] = x;
            numeric++;
            lo = fmin(lo, x);
            hi = fmax(hi, x);
            if (x > 0) {
                plo = fmin(plo, x);
                phi = fmax(phi, x);
            }
        } else {
            l->pos[v] = NAN;
        }
    }
    if (!numeric)
        return 0;
    int log_key = 0; /* parameters read on a log scale whatever their span */
    for (size_t k = 0; k < sizeof log_keys / sizeof log_keys[0]; k++)
        log_key |= !strcmp(ax->key, log_keys[k]);
    l->log = log_spec >= 0 ? log_spec
                           : (plo < INFINITY && lo >= 0 && (log_key || phi / plo >= LOG_AUTO_SPAN));
    if (l->log && !(plo < INFINITY))
        l->log = 0;
    double step = n > 1 && hi > lo ? (hi - lo) / (numeric > 1 ? numeric - 1 : 1) : 1;
    double left = l->log ? plo : lo, right = l->log ? phi : hi;
    for (int v = 0; v < n; v++) {
        if (!isnan(l->pos[v]) && (!l->log || l->pos[v] > 0))
            continue;
        int is_left = !isnan(l->pos[v]); /* a zero or negative number on a log axis */
        char text[XB_SWEEP_VALUE_LEN + 8];
        snprintf(text, sizeof text, "%s", !strcmp(ax->values[v], "inf") ? "\xe2\x88\x9e" : ax->values[v]);
        l->special[v] = strdup(text);
        if (l->log)
            l->pos[v] = is_left ? plo / pow(10, STANDIN_DECADES) : phi * pow(10, STANDIN_DECADES);
        else
            l->pos[v] = hi + step;
        if (is_left)
            left = fmin(left, l->pos[v]);
        else
            right = fmax(right, l->pos[v]);
    }
    if (l->log) {
        l->xmin = left / pow(10, MARGIN_DECADES);
        l->xmax = right * pow(10, MARGIN_DECADES);
    } else {
        double pad = right > left ? 0.05 * (right - left) : 0.5;
        l->xmin = left - pad;
        l->xmax = right + pad;
    }
    return 1;
}

/* The other axes' values of point p, as a legend label: "key = value" for
 * one other axis, the values alone for more (the subtitle names the keys). */
static void line_label(const xb_sweep_config *c, int xa, long p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < c->n_axes && used + 1 < len; a++) {
        if (a == xa)
            continue;
        const char *v = c->axes[a].values[xb_sweep_point_value(c, p, a)];
        int n = c->n_axes == 2 ? snprintf(buf + used, len - used, "%s = %s", c->axes[a].key, v)
                               : snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, len, "analog");
}

/* "; lines: error_model, mapping" when the legend shows values alone. */
static void lines_note(const xb_sweep_config *c, int xa, char *buf, size_t len)
{
    buf[0] = '\0';
    if (c->n_axes <= 2)
        return;
    size_t used = 0;
    for (int a = 0; a < c->n_axes && used + 1 < len; a++) {
        if (a == xa)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "; lines: ", c->axes[a].key);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Where the legend goes: the corner (of the panel as it would be drawn with y
 * from y0 to y1) that covers the fewest markers, error bars, line pieces and
 * the baseline. */
typedef struct {
    const double *buf;  /* per line: x, y, lo, hi, n values each */
    long lines;
    int n, log;
    double x0, x1;      /* x range in data units */
    double hline;       /* NAN: none */
    double w, h;        /* legend size, fractions of the panel */
} legend_fit;

static int corner_cost(const legend_fit *L, int corner, double y0, double y1)
{
    const double X0 = L->log ? log10(L->x0) : L->x0, X1 = L->log ? log10(L->x1) : L->x1;
    const int right = corner == XB_LEGEND_UPPER_RIGHT || corner == XB_LEGEND_LOWER_RIGHT;
    const int upper = corner == XB_LEGEND_UPPER_LEFT || corner == XB_LEGEND_UPPER_RIGHT;
    const double bx0 = right ? 1 - L->w : 0, bx1 = right ? 1 : L->w;
    const double by0 = upper ? 1 - L->h : 0, by1 = upper ? 1 : L->h;
#define NX(x) (((L->log ? log10(x) : (x)) - X0) / (X1 - X0))
#define NY(y) (((y) - y0) / (y1 - y0))
    int cost = 0;
    if (!isnan(L->hline) && NY(L->hline) >= by0 && NY(L->hline) <= by1)
        cost++;
    for (long k = 0; k < L->lines; k++) {
        const double *x = L->buf + (size_t)k * L->n * 4, *y = x + L->n, *lo = y + L->n,
                     *hi = lo + L->n;
        for (int i = 0; i < L->n; i++) {
            if (isnan(y[i]))
                continue;
            double nx = NX(x[i]);
            if (nx < bx0 || nx > bx1)
                continue;
            if (NY(hi[i]) >= by0 && NY(lo[i]) <= by1)
                cost += 2; /* a marker or its bar */
        }
        for (int i = 0; i + 1 < L->n; i++) {
            if (isnan(y[i]) || isnan(y[i + 1]))
                continue;
            for (int q = 1; q < 16; q++) { /* samples along the line piece */
                double t = q / 16.0;
                double nx = (1 - t) * NX(x[i]) + t * NX(x[i + 1]);
                double ny = (1 - t) * NY(y[i]) + t * NY(y[i + 1]);
                if (nx >= bx0 && nx <= bx1 && ny >= by0 && ny <= by1) {
                    cost++;
                    break;
                }
            }
        }
    }
#undef NX
#undef NY
    return cost;
}

/* Choose the legend corner, and widen the y range (within 0..100) toward it when
 * that frees the corner. */
static xb_plot_legend_pos place_legend(const legend_fit *L, int preferred, double *y0,
                                       double *y1)
{
    const double span = *y1 - *y0, room = span * L->h / (1 - L->h);
    static const int lower[2] = {XB_LEGEND_LOWER_LEFT, XB_LEGEND_LOWER_RIGHT};
    static const int upper[2] = {XB_LEGEND_UPPER_LEFT, XB_LEGEND_UPPER_RIGHT};
    int best = preferred, best_cost = -1;
    double by0 = *y0, by1 = *y1;
    /* as drawn, the preferred corner first */
    for (int k = 0; k < 5; k++) {
        int corner = k == 0 ? preferred : k - 1;
        int cost = corner_cost(L, corner, *y0, *y1);
        if (best_cost < 0 || cost < best_cost) {
            best = corner, best_cost = cost, by0 = *y0, by1 = *y1;
        }
    }
    /* with room made below or above */
    for (int k = 0; k < 4 && best_cost > 0; k++) {
        int corner = k < 2 ? lower[k] : upper[k - 2];
        double a = k < 2 ? fmax(0, *y0 - room) : *y0, b = k < 2 ? *y1 : fmin(100, *y1 + room);
        int cost = corner_cost(L, corner, a, b);
        if (cost < best_cost)
            best = corner, best_cost = cost, by0 = a, by1 = b;
    }
    *y0 = by0;
    *y1 = by1;
    return (xb_plot_legend_pos)best;
}

/* The lines of a figure: the points that share every other axis value. */
typedef struct {
    long n_lines;
    int n;                  /* values of the x axis */
    int *order;             /* value indices, left to right */
    double *buf;            /* per line: x, y, lo, hi (n each) */
    xb_plot_series *series;
    char (*labels)[256];
    double ylo, yhi, trend; /* range of the bars; > 0 when the curves fall to the right */
    int n_done;             /* points with a row */
} lines;

static void lines_free(lines *l)
{
    free(l->order);
    free(l->buf);
    free(l->series);
    free(l->labels);
}

static int lines_make(const xb_sweep_config *c, const xb_sweep_score *scores, int xa,
                      const x_layout *lay, lines *l)
{
    const int n = c->axes[xa].n;
    l->n = n;
    l->n_lines = c->n_points / n;
    l->order = malloc((size_t)n * sizeof *l->order);
    l->buf = malloc((size_t)l->n_lines * n * 4 * sizeof *l->buf);
    l->series = calloc((size_t)l->n_lines, sizeof *l->series);
    l->labels = calloc((size_t)l->n_lines, sizeof *l->labels);
    if (!l->order || !l->buf || !l->series || !l->labels)
        return -1;
    /* Values left to right. */
    for (int v = 0; v < n; v++)
        l->order[v] = v;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && lay->pos[l->order[j]] < lay->pos[l->order[j - 1]]; j--) {
            int t = l->order[j];
            l->order[j] = l->order[j - 1];
            l->order[j - 1] = t;
        }
    /* Stride of the x axis in the point numbering (the last axis varies fastest). */
    long stride = 1;
    for (int a = c->n_axes - 1; a > xa; a--)
        stride *= c->axes[a].n;
    l->ylo = INFINITY;
    l->yhi = -INFINITY;
    for (long L = 0; L < l->n_lines; L++) {
        /* point of line L at value v: digits of L with v inserted at the x axis */
        long outer = L / stride, inner = L % stride;
        double *x = l->buf + (size_t)L * n * 4, *y = x + n, *lo = y + n, *hi = lo + n;
        double dodge = l->n_lines > 1 ? DODGE * ((double)L - 0.5 * (double)(l->n_lines - 1)) : 0;
        for (int i = 0; i < n; i++) {
            int v = l->order[i];
            const xb_sweep_score *sc = &scores[(outer * n + v) * stride + inner + 1];
            x[i] = lay->log ? lay->pos[v] * pow(10, dodge)
                            : lay->pos[v] + dodge * (lay->xmax - lay->xmin);
            y[i] = sc->done ? 100 * sc->top1 : NAN;
            lo[i] = sc->done ? 100 * sc->ci_low : NAN;
            hi[i] = sc->done ? 100 * sc->ci_high : NAN;
            if (sc->done) {
                l->n_done++;
                l->ylo = fmin(l->ylo, lo[i]);
                l->yhi = fmax(l->yhi, hi[i]);
                l->trend += (i < n / 2 ? 1 : i >= (n + 1) / 2 ? -1 : 0) * y[i];
            }
        }
        line_label(c, xa, outer * n * stride + inner, l->labels[L], sizeof l->labels[L]);
        l->series[L].label = L < MAX_LINES ? l->labels[L] : NULL;
        l->series[L].x = x;
        l->series[L].y = y;
        l->series[L].n = n;
        l->series[L].marker = 1;
        l->series[L].color = -1;
    }
    return 0;
}

/* Titles, ranges, the baseline and the legend's place. */
static void make_axes(const xb_sweep_config *c, const xb_sweep_score *scores, int xa,
                      const x_layout *lay, const lines *l, xb_plot_axes *axes, char *title,
                      char *subtitle, char *hline_label, size_t len)
{
    const xb_sweep_axis *ax = &c->axes[xa];
    const xb_sweep_score *bl = &scores[0];
    double ylo = l->ylo, yhi = l->yhi;
    hline_label[0] = '\0';
    if (c->baseline && bl->done) {
        snprintf(hline_label, len, "digital baseline: %.2f %%", 100 * bl->top1);
        ylo = fmin(ylo, 100 * bl->top1);
        yhi = fmax(yhi, 100 * bl->top1);
    }
    double pad = yhi > ylo ? 0.06 * (yhi - ylo) : 1;
    double y0 = fmax(0, ylo - pad), y1 = fmin(100, yhi + pad);
    if (!(y1 > y0))
        y0 = 0, y1 = 100;
    /* The legend's size, from its entries and longest text. */
    const int entries = (int)(l->n_lines < MAX_LINES ? l->n_lines : MAX_LINES) +
                        (hline_label[0] != 0);
    size_t longest = strlen(hline_label);
    for (long L = 0; L < l->n_lines && L < MAX_LINES; L++)
        longest = strlen(l->labels[L]) > longest ? strlen(l->labels[L]) : longest;
    legend_fit fit = {l->buf, l->n_lines, l->n, lay->log, lay->xmin, lay->xmax,
                      hline_label[0] ? 100 * bl->top1 : NAN,
                      fmin(0.9, LEGEND_LEFT + LEGEND_CHAR * (double)longest),
                      fmin(0.6, LEGEND_TOP + LEGEND_ENTRY * entries)};
    /* by default where the curves are not: low on the side they fall toward */
    xb_plot_legend_pos legend = place_legend(&fit, l->trend >= 0 ? XB_LEGEND_LOWER_LEFT
                                                                 : XB_LEGEND_LOWER_RIGHT,
                                             &y0, &y1);
    if (c->title)
        snprintf(title, len, "%s", c->title);
    else
        snprintf(title, len, "Top-1 accuracy vs %s", axis_text(ax->key, 0));
    size_t per_point = scores[0].images;
    for (long p = 0; p < c->n_points && !per_point; p++)
        per_point = scores[p + 1].images;
    char note[256];
    lines_note(c, xa, note, sizeof note);
    snprintf(subtitle, len, "%s on %s, %zu test images per point; bars: 95%% Wilson "
             "intervals%s", base_name(c->model_name), c->dataset_name, per_point, note);
    *axes = (xb_plot_axes){
        .title = title,
        .subtitle = subtitle,
        .xlabel = axis_text(ax->key, 1),
        .ylabel = "top-1 accuracy (%)",
        .xlog = lay->log,
        .xmin = lay->xmin,
        .xmax = lay->xmax,
        .ymin = y0,
        .ymax = y1,
        .hline = hline_label[0] ? 100 * bl->top1 : NAN,
        .hline_label = hline_label[0] ? hline_label : NULL,
        .legend = legend,
    };
}

/* DIR/accuracy_vs_<key>.png and .svg. */
static xb_status write_files(const char *dir, const char *key, const xb_plot_axes *axes,
                             const lines *l, const x_layout *lay, const xb_sweep_options *o,
                             xb_error *err)
{
    static const char *const ext[] = {"png", "svg"};
    xb_status s = XB_OK;
    for (int e = 0; e < 2 && s == XB_OK; e++) {
        size_t len = strlen(dir) + strlen(key) + 32;
        char *path = malloc(len);
        if (!path)
            return xb_error_set(err, XB_ENOMEM, "out of memory");
        snprintf(path, len, "%s/accuracy_vs_%s.%s", dir, key, ext[e]);
        xb_plot *pl = xb_plot_open(path, PLOT_WIDTH, PLOT_HEIGHT, 1, 1, err);
        if (!pl) {
            free(path);
            return err->code;
        }
        xb_plot_lines(pl, axes, l->series, (int)l->n_lines);
        for (long L = 0; L < l->n_lines; L++) {
            const double *x = l->buf + (size_t)L * l->n * 4;
            xb_plot_errorbars(pl, axes, &l->series[L], (int)L, x + 2 * l->n, x + 3 * l->n);
        }
        for (int v = 0; v < l->n; v++)
            if (lay->special[v])
                xb_plot_xlabel_at(pl, axes, lay->pos[v], lay->special[v]);
        if ((s = xb_plot_close(pl, err)) == XB_OK && o->plot)
            o->plot(o->user, key, path, NULL);
        free(path);
    }
    return s;
}

/* One figure, as PNG and SVG. */
static xb_status draw(const xb_sweep_config *c, const xb_sweep_score *scores, int xa,
                      int log_spec, const char *dir, const xb_sweep_options *o, xb_error *err)
{
    const xb_sweep_axis *ax = &c->axes[xa];
    x_layout lay = {0};
    lines l = {0};
    xb_status s = XB_OK;
    int ok = layout_make(ax, log_spec, &lay);
    if (ok < 0 || (ok > 0 && lines_make(c, scores, xa, &lay, &l) < 0)) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
    } else if (ok == 0 || l.n_done == 0) {
        if (o->plot)
            o->plot(o->user, ax->key, NULL, ok == 0 ? "its values are not numbers"
                                                    : "no finished points yet");
    } else {
        char title[512], subtitle[512], hline_label[512];
        xb_plot_axes axes;
        make_axes(c, scores, xa, &lay, &l, &axes, title, subtitle, hline_label, 512);
        s = write_files(dir, ax->key, &axes, &l, &lay, o, err);
    }
    lines_free(&l);
    layout_free(&lay, ax->n);
    return s;
}

xb_status sw_plots_draw(const xb_sweep_config *c, const xb_sweep_score *scores, const char *dir,
                        const xb_sweep_options *o, xb_error *err)
{
    for (int k = 0; k < c->n_plots; k++)
        for (int a = 0; a < c->n_axes; a++)
            if (!strcmp(c->axes[a].key, c->plots[k].x)) {
                xb_status s = draw(c, scores, a, c->plots[k].log, dir, o, err);
                if (s != XB_OK)
                    return s;
            }
    return XB_OK;
}
