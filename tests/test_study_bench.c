/* The benchmarks as library calls (study/include/xb_bench.h): the relaxation
 * table on a small tile (rows in order, through the callback, a cancel), the
 * same numbers as one point alone, and refusal of bad options with err NULL. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xb_bench.h"
#include "xb_test.h"

static void small_relax(xb_bench_relax_options *o)
{
    xb_bench_relax_options_init(o);
    o->rows = 32;
    o->cols = 8;
    o->vectors = 4;
    o->repeat = 1;
    /* 1.0 is 10 kOhm per segment: the relaxation gives up on every vector */
    static const double rhat[] = {1e-6, 1.0};
    o->n_rhat = 2;
    o->rhat = rhat;
}

typedef struct {
    int calls, stop_after;
    double rhat[4];
} seen;

static int on_row(void *user, const xb_bench_relax_row *row, int k, int n)
{
    seen *s = user;
    XB_CHECK(k == s->calls && n == 2);
    s->rhat[s->calls++] = row->rhat;
    return s->stop_after && s->calls == s->stop_after;
}

static void test_relax(void)
{
    xb_bench_relax_options o;
    small_relax(&o);
    xb_bench_relax_row rows[2];
    seen s = {0};
    xb_error err = {0};
    XB_CHECK_MSG(xb_bench_relax(&o, rows, on_row, &s, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(s.calls == 2 && s.rhat[0] == 1e-6 && s.rhat[1] == 1.0);
    /* Low R̂p: every vector converges, close to the exact answer; the wires
     * still move the ideal product further than the relaxation's error. */
    XB_CHECK(rows[0].n_failed == 0 && rows[0].vectors == 4);
    XB_CHECK(rows[0].err_relax < 1e-3 && rows[0].err_ideal > 0);
    XB_CHECK_REL(rows[0].r_wire, 1e-6 / XB_BENCH_G_MAX, 1.0, 1e-12);
    XB_CHECK(rows[0].t_relax > 0 && rows[0].t_exact > 0 && rows[0].sweeps_max >= 1);
    /* High R̂p: none converges, and the error says so rather than a number. */
    XB_CHECK(rows[1].n_failed == 4 && isnan(rows[1].err_relax));

    /* One point alone gives the same deterministic numbers. */
    xb_bench_relax_row one;
    XB_CHECK(xb_bench_relax_point(&o, 1e-6, &one, NULL) == XB_OK);
    XB_CHECK(one.err_relax == rows[0].err_relax && one.err_ideal == rows[0].err_ideal &&
             one.sweeps_max == rows[0].sweeps_max);

    /* The callback stops the table. */
    seen stop = {0, 1, {0}};
    XB_CHECK(xb_bench_relax(&o, NULL, on_row, &stop, &err) == XB_EINVAL && stop.calls == 1);
    XB_CHECK(strstr(err.msg, "cancelled") != NULL);
}

static void test_bad_options(void)
{
    xb_bench_relax_options o;
    small_relax(&o);
    o.vectors = 0;
    XB_CHECK(xb_bench_relax(&o, NULL, NULL, NULL, NULL) == XB_EINVAL);
    small_relax(&o);
    o.density = 1.5;
    xb_error err = {0};
    XB_CHECK(xb_bench_relax(&o, NULL, NULL, NULL, &err) == XB_EINVAL && strstr(err.msg, "density"));
    small_relax(&o);
    o.n_rhat = XB_BENCH_MAX_RHAT + 1;
    XB_CHECK(xb_bench_relax(&o, NULL, NULL, NULL, NULL) == XB_EINVAL);
    small_relax(&o);
    XB_CHECK(xb_bench_relax_point(&o, -1.0, NULL, NULL) == XB_EINVAL);
    XB_CHECK(xb_bench_relax(NULL, NULL, NULL, NULL, NULL) == XB_EINVAL);

    xb_bench_mvm_options m;
    xb_bench_mvm_options_init(&m);
    XB_CHECK(m.vectors == 1000 && m.repeat == 5 && m.rhat == 1e-4);
    xb_bench_mvm_result res[XB_BENCH_MVM_TILES];
    m.repeat = 0;
    XB_CHECK(xb_bench_mvm(&m, res, NULL) == XB_EINVAL);
    xb_bench_mvm_options_init(&m);
    m.rhat = NAN;
    XB_CHECK(xb_bench_mvm(&m, res, &err) == XB_EINVAL && strstr(err.msg, "R̂p"));
    XB_CHECK(xb_bench_mvm(NULL, res, NULL) == XB_EINVAL);
}

static void test_options_set(void)
{
    xb_bench_relax_options o, before;
    xb_bench_relax_options_init(&o);
    xb_error err = {0};
    XB_CHECK(xb_bench_relax_options_set(&o, "rhat", "0,1e-5,2", &err) == XB_OK);
    XB_CHECK(o.n_rhat == 3 && o.rhat[0] == 0 && o.rhat[2] == 2);
    XB_CHECK(xb_bench_relax_options_set(&o, "vectors", "7", &err) == XB_OK && o.vectors == 7);
    XB_CHECK(xb_bench_relax_options_set(&o, "seed", "0", &err) == XB_OK && o.seed == 0);
    XB_CHECK(xb_bench_relax_options_set(&o, "max-iter", "12", &err) == XB_OK && o.relax.max_iter == 12);
    XB_CHECK(xb_bench_relax_options_set(&o, "damping-min", "0.05", &err) == XB_OK && o.relax.damping_min == 0.05);
    static const struct {
        const char *key, *value;
    } bad[] = {{"rhat", "1e-6,"}, {"rhat", "-1"}, {"rows", "0"}, {"seed", "-1"}, {"repeat", "1.5"},
               {"density", "2"}, {"tol", "abc"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        before = o;
        XB_CHECK(xb_bench_relax_options_set(&o, bad[k].key, bad[k].value, &err) == XB_EINVAL);
        XB_CHECK_MSG(!strncmp(err.msg, bad[k].key, strlen(bad[k].key)), "'%s'", err.msg);
        XB_CHECK(!memcmp(&o, &before, sizeof o));
        XB_CHECK(xb_bench_relax_options_set(&o, bad[k].key, bad[k].value, NULL) == XB_EINVAL);
    }
    XB_CHECK(xb_bench_relax_options_set(&o, "baseline", "1", NULL) == XB_EUNSUPPORTED);
    XB_CHECK(xb_bench_relax_options_set(NULL, "rows", "1", NULL) == XB_EINVAL);
    /* the list set from text is the options' own: release frees it */
    XB_CHECK(o.own_rhat != NULL && o.rhat == o.own_rhat);
    xb_bench_relax_options_release(&o);
    XB_CHECK(o.own_rhat == NULL && o.rhat == NULL && o.n_rhat == 0);
}

static void test_machine(void)
{
    xb_bench_machine mc;
    xb_bench_machine_get(&mc);
    XB_CHECK(mc.cpu[0] != '\0' && mc.cores >= 1 && mc.threads >= 1);
    xb_bench_machine_get(NULL);
}

int main(void)
{
    test_relax();
    test_bad_options();
    test_options_set();
    test_machine();
    XB_TEST_DONE();
}
