/* The wire study as a library call (solver/xb_study.h): shape of the result and
 * of the CSV, physics sanity (error grows with R^p, vanishes with it), closed
 * forms on 1 x 1 arrays, reproducibility, and refusal of bad options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_study.h"
#include "xb_test.h"

static const int small_sizes[] = {8, 16};

/* Sizes from the caller's (static) array, R^p in storage the options own:
 * xb_study_options_release after use. */
static void small_options(xb_study_options *o)
{
    xb_study_options_init(o);
    o->sizes = small_sizes;
    o->n_sizes = 2;
    xb_study_rp_logspace(o, 1e-5, 1e-3, 3, NULL);
    o->vectors = 8;
    o->map_size = 16;
    o->map_rp = 1e-4;
}

/* Count fields of one CSV line. */
static int fields(const char *line, size_t len)
{
    int n = 1;
    for (size_t k = 0; k < len; k++)
        n += line[k] == ',';
    return n;
}

/* Field q (0-based) of a CSV line into buf. */
static void field(const char *line, int q, char *buf, size_t cap)
{
    for (int k = 0; k < q; k++)
        line = strchr(line, ',') + 1;
    size_t n = strcspn(line, ",\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
}

/* Column index of name in the header. */
static int column(const char *name)
{
    const char *h = xb_study_csv_header;
    int q = 0;
    size_t nl = strlen(name);
    while (h) {
        if (!strncmp(h, name, nl) && (h[nl] == ',' || h[nl] == '\0'))
            return q;
        h = strchr(h, ',');
        if (h)
            h++;
        q++;
    }
    return -1;
}

static void test_shape_and_physics(void)
{
    xb_study_options o;
    small_options(&o);
    xb_error err = {0};
    xb_study_result *r = xb_study_wires(&o, &err);
    const double *rp_of_options = o.rp;
    xb_study_options_release(&o); /* the result keeps copies of the lists */
    XB_CHECK(o.rp == NULL && o.n_rp == 0 && o.sizes == small_sizes && o.n_sizes == 2);
    XB_CHECK_MSG(r != NULL, "%s", err.msg);
    if (!r)
        return;
    XB_CHECK(r->opt.sizes != small_sizes && r->opt.rp != rp_of_options);
    XB_CHECK(r->opt.own_sizes == NULL && r->opt.own_rp == NULL);
    XB_CHECK(r->opt.n_sizes == 2 && r->opt.sizes[0] == 8 && r->opt.sizes[1] == 16);
    XB_CHECK(r->opt.n_rp == 3 && r->opt.rp[0] == 1e-5 && r->opt.rp[1] == 1e-4 && r->opt.rp[2] == 1e-3);
    XB_CHECK(r->n_points == 2 * 2 * 3);
    XB_CHECK(r->n_maps == 2);
    for (int k = 0; k < r->n_points; k++) {
        const xb_study_point *p = &r->points[k];
        XB_CHECK(isfinite(p->rel_rms_err) && p->rel_rms_err > 0 && p->rel_rms_err < 1);
        XB_CHECK(p->worst_ir_drop > 0 && p->worst_ir_drop < 1);
        XB_CHECK_REL(p->r_wire, p->rp / o.g_max, p->r_wire, 1e-15);
        XB_CHECK(p->t_per_vector >= 0 && p->t_setup >= 0);
        XB_CHECK(p->mem_estimate > 0 && p->peak_rss > 0);
        /* Gate-input always runs the column path; input-source picks transfer when
         * M < K (8 < 8 is false, 16 < 8 is false): the nodal path here. */
        XB_CHECK(!strcmp(p->backend, p->topology == XB_TOPO_GATE_INPUT ? "column" : "cholmod"));
        if (k % 3) {
            const xb_study_point *q = p - 1;
            XB_CHECK_MSG(p->rel_rms_err > q->rel_rms_err, "%s %d: error %.3g at R^p %g <= %.3g at %g",
                         xb_topology_name(p->topology), p->size, p->rel_rms_err, p->rp, q->rel_rms_err, q->rp);
            XB_CHECK(p->worst_ir_drop > q->worst_ir_drop);
        }
    }
    /* Larger arrays lose more at the same R^p. */
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 3; k++)
            XB_CHECK(r->points[t * 6 + 3 + k].rel_rms_err > r->points[t * 6 + k].rel_rms_err);
    /* The map holds the worst drop of its point. */
    for (int t = 0; t < 2; t++) {
        const xb_study_map *m = &r->maps[t];
        XB_CHECK(m->size == 16 && m->rp == 1e-4);
        const xb_study_point *p = xb_study_find(r, m->topology, 16, 1e-4);
        XB_CHECK(p && p->rp == 1e-4);
        double mx = -1;
        for (int q = 0; q < 16 * 16; q++)
            mx = fmax(mx, m->drop[q]);
        XB_CHECK(p && mx == p->worst_ir_drop);
        XB_CHECK(p && m->drop[p->worst_i * 16 + p->worst_j] == mx);
    }
    /* Gate-input: the cell farthest from the sense end (row 0) sees the highest
     * column voltage. */
    const xb_study_point *g = xb_study_find(r, XB_TOPO_GATE_INPUT, 16, 1e-3);
    XB_CHECK(g && g->worst_i == 0);

    /* The CSV: header plus one row per point, every row with the header's fields. */
    char path[4096];
    snprintf(path, sizeof path, "%s/wires.csv", xb_test_tmpdir());
    XB_CHECK_MSG(xb_study_write_csv(r, path, &err) == XB_OK, "%s", err.msg);
    char *csv = xb_test_slurp(path);
    XB_CHECK(*csv);
    if (*csv) {
        int nf = fields(xb_study_csv_header, strlen(xb_study_csv_header));
        XB_CHECK(nf == 20);
        XB_CHECK(!strncmp(csv, xb_study_csv_header, strlen(xb_study_csv_header)));
        int lines = 0;
        int c_topo = column("topology"), c_size = column("size"), c_rp = column("rp"), c_err = column("rel_rms_err"),
            c_be = column("backend");
        XB_CHECK(c_topo == 0 && c_size == 1 && c_rp == 2 && c_err == 4 && c_be >= 0);
        for (char *line = csv; *line;) {
            char *nl = strchr(line, '\n');
            XB_CHECK(nl != NULL);
            if (!nl)
                break;
            XB_CHECK(fields(line, (size_t)(nl - line)) == nf);
            if (lines > 0 && lines <= r->n_points) {
                const xb_study_point *p = &r->points[lines - 1];
                char buf[64];
                field(line, c_topo, buf, sizeof buf);
                XB_CHECK(!strcmp(buf, xb_topology_name(p->topology)));
                field(line, c_size, buf, sizeof buf);
                XB_CHECK(atoi(buf) == p->size);
                field(line, c_rp, buf, sizeof buf);
                XB_CHECK(strtod(buf, NULL) == p->rp);
                field(line, c_err, buf, sizeof buf);
                XB_CHECK(strtod(buf, NULL) == p->rel_rms_err); /* 17 digits round-trip */
                field(line, c_be, buf, sizeof buf);
                XB_CHECK(!strcmp(buf, p->backend));
            }
            lines++;
            line = nl + 1;
        }
        XB_CHECK(lines == 1 + r->n_points);
        free(csv);
    }
    xb_study_result_free(r);
}

/* Tiny wires: the result is the ideal product to within the wires' own effect. */
static void test_tiny_rp(void)
{
    xb_study_options o;
    small_options(&o);
    xb_study_rp_logspace(&o, 1e-9, 1e-9, 1, NULL); /* replaces (and frees) the list small_options made */
    o.map_rp = 1e-9;
    xb_error err = {0};
    xb_study_result *r = xb_study_wires(&o, &err);
    xb_study_options_release(&o);
    XB_CHECK_MSG(r != NULL, "%s", err.msg);
    for (int k = 0; r && k < r->n_points; k++) {
        XB_CHECK_MSG(r->points[k].rel_rms_err <= 1e-6, "%s %d: %.3g", xb_topology_name(r->points[k].topology),
                     r->points[k].size, r->points[k].rel_rms_err);
        XB_CHECK(r->points[k].worst_ir_drop <= 1e-6);
    }
    xb_study_result_free(r);
}

/* 1 x 1 arrays have closed forms.  Gate-input: the cell (G) and the column
 * segment (R) divide V_read, so the column node sits at V_read R / (R + 1/G):
 * the drop fraction is R / (R + 1/G).  Input-source: the row segment, the cell and
 * the column segment are in series, so the cell keeps 1/G of R + 1/G + R and
 * the current is v / (2R + 1/G): the relative error is 2R / (2R + 1/G). */
static void test_closed_form_1x1(void)
{
    xb_study_options o;
    xb_study_options_init(&o);
    static const int one[] = {1};
    o.sizes = one;
    o.n_sizes = 1;
    xb_study_rp_logspace(&o, 1e-4, 1e-1, 4, NULL);
    o.vectors = 16;
    o.p_on = 1.0; /* every gate-input vector enables the one row */
    xb_error err = {0};
    xb_study_result *r = xb_study_wires(&o, &err);
    xb_study_options_release(&o);
    XB_CHECK_MSG(r != NULL, "%s", err.msg);
    if (!r)
        return;
    /* One series loop: the error of every vector equals the drop of the full-scale
     * one.  The drop is 1 - V_cell / V, so it keeps about eps / drop of relative
     * precision. */
    for (int k = 0; k < r->n_points; k++)
        XB_CHECK_REL(r->points[k].rel_rms_err, r->points[k].worst_ir_drop, r->points[k].worst_ir_drop, 1e-9);
    /* The same G in both topologies: the drops follow from one conductance.
     * From the gate-input drop d = R G / (1 + R G): G = d / (R (1 - d)). */
    for (int k = 0; k < 4; k++) {
        const xb_study_point *is = &r->points[k], *gi = &r->points[4 + k];
        XB_CHECK(is->topology == XB_TOPO_INPUT_SOURCE && gi->topology == XB_TOPO_GATE_INPUT);
        double R = gi->r_wire, d = gi->worst_ir_drop;
        double G = d / (R * (1 - d));
        XB_CHECK(G >= o.g_max / o.on_off * (1 - 1e-9) && G <= o.g_max * (1 + 1e-9));
        XB_CHECK_REL(is->worst_ir_drop, 2 * R / (2 * R + 1 / G), is->worst_ir_drop, 1e-9);
        if (k > 0) { /* and G is the same at every R^p */
            const xb_study_point *g0 = &r->points[4];
            double G0 = g0->worst_ir_drop / (g0->r_wire * (1 - g0->worst_ir_drop));
            XB_CHECK_REL(G, G0, G0, 1e-9);
        }
    }
    xb_study_result_free(r);
}

/* The gate-input closed form with a known G: On/Off = 1 makes every cell Gmax. */
static void test_closed_form_known_g(void)
{
    xb_study_options o;
    xb_study_options_init(&o);
    static const int one[] = {1};
    static const double rp[] = {1e-3};
    o.sizes = one;
    o.n_sizes = 1;
    o.rp = rp;
    o.n_rp = 1;
    o.on_off = 1.0;
    o.p_on = 1.0;
    o.vectors = 4;
    o.g_max = 1e-4;
    xb_error err = {0};
    xb_study_result *r = xb_study_wires(&o, &err); /* o owns nothing: no release needed */
    XB_CHECK_MSG(r != NULL, "%s", err.msg);
    if (!r)
        return;
    double R = 1e-3 / 1e-4, G = 1e-4;
    const xb_study_point *gi = xb_study_find(r, XB_TOPO_GATE_INPUT, 1, 1e-3);
    const xb_study_point *is = xb_study_find(r, XB_TOPO_INPUT_SOURCE, 1, 1e-3);
    XB_CHECK(gi && is);
    if (gi && is) {
        XB_CHECK_REL(gi->worst_ir_drop, R / (R + 1 / G), R / (R + 1 / G), 1e-11);
        XB_CHECK_REL(is->worst_ir_drop, 2 * R / (2 * R + 1 / G), 2 * R / (2 * R + 1 / G), 1e-11);
        XB_CHECK_REL(is->rel_rms_err, 2 * R / (2 * R + 1 / G), 2 * R / (2 * R + 1 / G), 1e-12);
    }
    xb_study_result_free(r);
}

/* Same seed, same numbers bit for bit; another seed, other numbers. */
static void test_reproducible(void)
{
    xb_study_options o;
    small_options(&o);
    xb_error err = {0};
    xb_study_result *a = xb_study_wires(&o, &err), *b = xb_study_wires(&o, &err);
    o.seed = 2;
    xb_study_result *c = xb_study_wires(&o, &err);
    xb_study_options_release(&o);
    XB_CHECK_MSG(a && b && c, "%s", err.msg);
    if (a && b && c) {
        int differ = 0;
        for (int k = 0; k < a->n_points; k++) {
            XB_CHECK(a->points[k].rel_rms_err == b->points[k].rel_rms_err);
            XB_CHECK(a->points[k].worst_ir_drop == b->points[k].worst_ir_drop);
            XB_CHECK(a->points[k].mem_estimate == b->points[k].mem_estimate);
            differ += a->points[k].rel_rms_err != c->points[k].rel_rms_err;
        }
        XB_CHECK(differ == a->n_points);
        XB_CHECK(!memcmp(a->maps[0].drop, b->maps[0].drop, 16 * 16 * sizeof(double)));
    }
    /* A size's numbers do not depend on the other sizes of the study. */
    xb_study_options o1;
    small_options(&o1);
    o1.sizes = small_sizes + 1; /* 16 alone */
    o1.n_sizes = 1;
    xb_study_result *d = xb_study_wires(&o1, &err);
    xb_study_options_release(&o1);
    XB_CHECK_MSG(d != NULL, "%s", err.msg);
    if (a && d)
        for (int k = 0; k < 3; k++) {
            XB_CHECK(d->points[k].rel_rms_err == a->points[3 + k].rel_rms_err);
            XB_CHECK(d->points[3 + k].rel_rms_err == a->points[9 + k].rel_rms_err);
        }
    xb_study_result_free(a);
    xb_study_result_free(b);
    xb_study_result_free(c);
    xb_study_result_free(d);
}

/* Forced backends agree with the automatic choice, and the transfer path is
 * picked when it is cheaper (M < K). */
static void test_backends(void)
{
    xb_study_options o;
    small_options(&o);
    o.topologies = XB_STUDY_INPUT_SOURCE;
    o.vectors = 12; /* 8 < 12: transfer; 16 >= 12: cholmod */
    xb_error err = {0};
    xb_study_result *a = xb_study_wires(&o, &err);
    o.backend = XB_BACKEND_KLU;
    xb_study_result *b = xb_study_wires(&o, &err);
    xb_study_options_release(&o);
    XB_CHECK_MSG(a && b, "%s", err.msg);
    if (a && b) {
        XB_CHECK(!strcmp(a->points[0].backend, "transfer"));
        XB_CHECK(!strcmp(a->points[3].backend, "cholmod"));
        XB_CHECK(!strcmp(b->points[0].backend, "klu"));
        for (int k = 0; k < a->n_points; k++) {
            XB_CHECK_REL(a->points[k].rel_rms_err, b->points[k].rel_rms_err, a->points[k].rel_rms_err, 1e-8);
            XB_CHECK_REL(a->points[k].worst_ir_drop, b->points[k].worst_ir_drop, a->points[k].worst_ir_drop, 1e-8);
        }
    }
    xb_study_result_free(a);
    xb_study_result_free(b);
}

static int cancel_after_two(void *user, const xb_study_progress *p)
{
    int *calls = user;
    (*calls)++;
    XB_CHECK(p->total == 12);
    XB_CHECK(p->work_done >= 0 && p->work_done <= 1);
    XB_CHECK((p->done == 0) == (p->last == NULL));
    return p->done >= 2;
}

static void spoil_on_off(xb_study_options *o) { o->on_off = 0.5; }
static void spoil_vectors(xb_study_options *o) { o->vectors = 0; }
static void spoil_map_size(xb_study_options *o) { o->map_size = 12; }
static void spoil_backend(xb_study_options *o) { o->backend = XB_BACKEND_COLUMN; }
static void spoil_r_drv(xb_study_options *o)
{
    o->topologies = XB_STUDY_GATE_INPUT;
    o->r_drv = 10;
}

static void test_progress_and_errors(void)
{
    xb_study_options o;
    small_options(&o);
    int calls = 0;
    o.progress = cancel_after_two;
    o.user = &calls;
    xb_error err = {0};
    xb_study_result *r = xb_study_wires(&o, &err);
    XB_CHECK(r == NULL && err.code == XB_EINVAL && strstr(err.msg, "cancelled"));
    XB_CHECK(calls == 3);
    xb_study_options_release(&o);

    /* Lists from the caller's arrays: the message names the entry. */
    xb_study_options b;
    const int zero_size[] = {8, 0}, twice[] = {8, 8};
    const double negative[] = {1e-5, -1, 1e-3}, not_a_number[] = {1e-5, 1e-4, NAN};
    small_options(&b);
    b.sizes = zero_size;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "sizes[1] = 0"));
    b.sizes = twice;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "twice"));
    b.sizes = NULL;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "sizes: NULL"));
    b.sizes = small_sizes;
    b.n_sizes = XB_STUDY_MAX_SIZES + 1;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "sizes"));
    b.n_sizes = 2;
    b.rp = negative;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "rp[1]"));
    b.rp = not_a_number;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "rp[2]"));
    b.rp = NULL;
    XB_CHECK(xb_study_wires(&b, &err) == NULL && strstr(err.msg, "rp: NULL"));
    xb_study_options_release(&b); /* frees the R^p list small_options made, though rp points elsewhere */
    XB_CHECK(b.own_rp == NULL && b.rp == NULL);

    static const struct {
        const char *field;
        void (*spoil)(xb_study_options *);
    } bad[] = {{"on_off", spoil_on_off}, {"vectors", spoil_vectors}, {"map_size", spoil_map_size},
               {"backend", spoil_backend}, {"r_drv", spoil_r_drv}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        small_options(&b);
        bad[k].spoil(&b);
        XB_CHECK_MSG(xb_study_wires(&b, &err) == NULL && strstr(err.msg, bad[k].field), "%s: %s", bad[k].field,
                     err.msg);
        xb_study_options_release(&b);
    }
    small_options(&b);
    b.max_memory = 1024; /* far too little */
    XB_CHECK(xb_study_wires(&b, &err) == NULL && err.code == XB_ETOOBIG);

    /* A failed logspace leaves the list as it was; a good one replaces it. */
    const double *before = b.rp;
    XB_CHECK(xb_study_rp_logspace(&b, 1e-3, 1e-6, 3, &err) == XB_EINVAL);
    XB_CHECK(xb_study_rp_logspace(&b, 0, 1e-6, 3, &err) == XB_EINVAL);
    XB_CHECK(xb_study_rp_logspace(&b, 1e-6, 1e-6, 3, &err) == XB_EINVAL);
    XB_CHECK(xb_study_rp_logspace(&b, 1e-6, 1e-3, XB_STUDY_MAX_RP + 1, &err) == XB_EINVAL);
    XB_CHECK(b.rp == before && b.n_rp == 3);
    XB_CHECK(xb_study_rp_logspace(&b, 1e-7, 1e-2, 11, &err) == XB_OK && b.rp[6] == 1e-4 && b.rp[0] == 1e-7 &&
             b.rp[10] == 1e-2 && b.rp[2] == 1e-6 && b.n_rp == 11 && b.rp == b.own_rp);
    xb_study_options_release(&b);
    xb_study_options_release(NULL);
}

/* The defaults are static lists the options do not own; they equal what
 * xb_study_rp_logspace makes of the default range. */
static void test_defaults(void)
{
    xb_study_options o, l;
    xb_study_options_init(&o);
    XB_CHECK(o.own_sizes == NULL && o.own_rp == NULL);
    XB_CHECK(o.n_sizes == 6 && o.sizes[0] == 32 && o.sizes[5] == 1024);
    xb_study_options_init(&l);
    XB_CHECK(xb_study_rp_logspace(&l, 1e-7, 1e-2, 6, NULL) == XB_OK && l.n_rp == o.n_rp);
    for (int k = 0; k < o.n_rp; k++)
        XB_CHECK_MSG(l.rp[k] == o.rp[k], "rp[%d]: %.17g vs %.17g", k, l.rp[k], o.rp[k]);
    XB_CHECK(xb_study_options_validate(&o, NULL) == XB_OK);
    xb_study_options_release(&o); /* owns nothing: the static lists stay */
    XB_CHECK(o.sizes != NULL && o.n_sizes == 6 && o.rp != NULL && o.n_rp == 6);
    xb_study_options_release(&l);
}

int main(void)
{
    test_shape_and_physics();
    test_tiny_rp();
    test_closed_form_1x1();
    test_closed_form_known_g();
    test_reproducible();
    test_backends();
    test_progress_and_errors();
    test_defaults();
    XB_TEST_DONE();
}
