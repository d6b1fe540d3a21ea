/* test_device_model.c: the published device statistics at points where the
 * papers' formulas give closed forms, and the user's table: interpolation,
 * the ends, and every malformed table refused with its row named. */
#include "xb_test.h"

#include <math.h>
#include <string.h>

#include "device_model.h"

/* a within tol of b, relative to b */
#define REL(a, b, tol) XB_CHECK_REL(a, b, b, tol)

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void refused(const char *text, const char *want)
{
    const char *path = xb_test_tmp("bad.csv");
    write_file(path, text);
    xb_device_table t;
    xb_error err;
    xb_status s = xb_device_table_load(path, &t, &err);
    printf("refused: %s\n", s ? err.msg : "(loaded)");
    XB_CHECK_MSG(s != XB_OK && strstr(err.msg, want) && strstr(err.msg, "bad.csv"), "'%s' lacks '%s'", err.msg,
                 want);
    XB_CHECK(t.n == 0 && !t.g);
}

int main(void)
{
    const double gmax = 25e-6;
    /* PCM programming noise: (0.26348 + 1.9650 x - 1.1731 x^2) uS at Gmax = 25 uS. */
    REL(xb_pcm_prog_sigma(0.5 * gmax, gmax), (0.26348 + 0.98250 - 0.293275) * 1e-6, 1e-12);
    REL(xb_pcm_prog_sigma(gmax, 2 * gmax), 2 * (0.26348 + 0.98250 - 0.293275) * 1e-6, 1e-12);
    XB_CHECK(xb_pcm_prog_sigma(0, gmax) == 0.26348e-6);
    /* Drift exponent: mean clamped to [0.049, 0.1], spread to [0.008, 0.045]. */
    XB_CHECK(xb_pcm_nu_mean(gmax, gmax) == 0.049);
    REL(xb_pcm_nu_mean(0.01 * gmax, gmax), -0.0155 * log(0.01) + 0.0244, 1e-12);
    XB_CHECK(xb_pcm_nu_mean(1e-12, gmax) == 0.1);
    XB_CHECK(xb_pcm_nu_std(0.01 * gmax, gmax) == 0.045);
    REL(xb_pcm_nu_std(0.1 * gmax, gmax), -0.0125 * log(0.1) - 0.0059, 1e-12);
    XB_CHECK(xb_pcm_nu_std(gmax, gmax) == 0.008);
    /* Read noise: none at t = 0; at Gmax, Q_s = 0.0088; it grows as sqrt(ln t). */
    XB_CHECK(xb_pcm_read_sigma(gmax, gmax, gmax, 0) == 0);
    double r1 = xb_pcm_read_sigma(gmax, gmax, gmax, 1.0), r2 = xb_pcm_read_sigma(gmax, gmax, gmax, 3600.0);
    REL(r1, gmax * 0.0088 * sqrt(log((1.0 + 250e-9) / 500e-9)), 1e-12);
    REL(r2 / r1, sqrt(log((3600.0 + 250e-9) / 500e-9) / log((1.0 + 250e-9) / 500e-9)), 1e-12);
    XB_CHECK(xb_pcm_read_sigma(gmax, 1e-9 * gmax, gmax, 1.0) == gmax * 0.2 * sqrt(log((1.0 + 250e-9) / 500e-9)));
    /* RRAM: the polynomial's coefficients add up to 1.103 uS at x = 1, Gmax = 40 uS. */
    REL(xb_rram_prog_sigma(40e-6, 40e-6), 1.103e-6, 1e-12);
    REL(xb_rram_prog_sigma(0, 20e-6), 0.348e-6 / 2, 1e-12);

    /* The user's table. */
    const char *path = xb_test_tmp("dev.csv");
    write_file(path, "# measured at 25 C\ntarget_S,mean_S,sigma_S,read_S\n1e-6, 1.1e-6, 1e-7, 1e-8\n"
                     "2e-6,2.1e-6,2e-7,2e-8\n\n4e-6,3.9e-6,4e-7,4e-8\r\n");
    xb_device_table t;
    xb_error err;
    XB_CHECK_MSG(xb_device_table_load(path, &t, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(t.n == 3 && t.read);
    double m, s, r;
    xb_device_table_at(&t, 3e-6, &m, &s, &r);
    REL(m, 3.0e-6, 1e-15);
    REL(s, 3e-7, 1e-15);
    REL(r, 3e-8, 1e-15);
    xb_device_table_at(&t, 1.5e-6, &m, &s, &r);
    REL(m, 1.6e-6, 1e-15);
    xb_device_table_at(&t, 1e-9, &m, &s, &r); /* below the table: its first row */
    XB_CHECK(m == 1.1e-6 && s == 1e-7);
    xb_device_table_at(&t, 1, &m, &s, &r); /* above: its last */
    XB_CHECK(m == 3.9e-6 && s == 4e-7 && r == 4e-8);
    xb_device_table_free(&t);
    write_file(path, "1e-6,1e-6,0\n5e-6,5e-6,1e-7\n");
    XB_CHECK(xb_device_table_load(path, &t, &err) == XB_OK && t.n == 2 && !t.read);
    xb_device_table_at(&t, 2e-6, &m, &s, &r);
    XB_CHECK(r == 0);
    xb_device_table_free(&t);

    refused("1e-6,1e-6,1e-8\n3e-6,3e-6,1e-8\n2e-6,2e-6,1e-8\n", "row 3: target 2e-06 S is not above");
    refused("1e-6,1e-6,1e-8\n2e-6,nan,1e-8\n", "row 2: expected 3 or 4 numbers");
    refused("1e-6,1e-6,1e-8\n2e-6,2e-6,-1e-8\n", "row 2: a sigma is negative");
    refused("1e-6,1e-6,1e-8,1e-9\n2e-6,2e-6,1e-8\n", "row 2: 3 numbers, the rows before 4");
    refused("1e-6,1e-6\n2e-6,2e-6\n", "row 1: expected 3 or 4 numbers");
    refused("1e-6,1e-6,1e-8\n", "1 row of numbers");
    refused("0,1e-6,1e-8\n2e-6,2e-6,1e-8\n", "row 1: target conductance 0 S must be > 0");
    XB_CHECK(xb_device_table_load(xb_test_tmp("absent.csv"), &t, &err) == XB_EIO);
    XB_TEST_DONE();
}
