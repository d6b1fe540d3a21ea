/* The xbar command end to end: netlists run by `ngspice -b` agree with
 * `xbar solve`, and every kind of bad input gets one clear message, a non-zero
 * exit and no output file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xb_matrix_io.h"
#include "xb_test.h"

static char dir[256];

static const char *p(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *b = buf[slot++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

/* Run a shell command; stderr goes to dir/stderr.txt.  Returns the exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " 2> %s/stderr.txt", dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int stderr_lines(char *first, size_t len)
{
    FILE *f = fopen(p("stderr.txt"), "r");
    int lines = 0;
    char line[2048];
    first[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        if (!lines)
            snprintf(first, len, "%s", line);
        lines++;
    }
    if (f)
        fclose(f);
    return lines;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void write_m(const char *name, const double *d, int ndim, size_t r, size_t c)
{
    size_t shape[2] = {r, c};
    xb_error err = {0};
    if (xb_matrix_write(p(name), d, ndim, shape, &err))
        fprintf(stderr, "setup: %s\n", err.msg);
}

static void write_raw(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(p(name), "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

/* Parse "i(voutJ) = value" lines of `ngspice -b` output. */
static int read_spice(const char *path, double *out, int n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        int j;
        double v;
        if (sscanf(line, "i(vout%d) = %lf", &j, &v) == 2 && j >= 0 && j < n) {
            out[j] = v;
            got++;
        }
    }
    fclose(f);
    return got;
}

static double rel_err(const double *a, const double *b, int n)
{
    double num = 0, den = 0;
    for (int k = 0; k < n; k++) {
        num = fmax(num, fabs(a[k] - b[k]));
        den = fmax(den, fabs(b[k]));
    }
    return den > 0 ? num / den : num;
}

static void test_netlist_matches_solve(const char *x)
{
    enum { M = 12, N = 9, K = 3 };
    double g[M * N], rseg[M * N], v[M], bits[K * M];
    unsigned s = 7;
    for (int k = 0; k < M * N; k++) {
        s = s * 1103515245u + 12345u;
        g[k] = 1e-6 + 99e-6 * (double)(s >> 8) / 16777216.0;
        rseg[k] = (k % 5 == 0) ? 0.0 : 10.0 * (double)((s >> 4) & 1023) / 1024.0;
    }
    for (int i = 0; i < M; i++)
        v[i] = 0.1 * (i % 7) - 0.25;
    for (int k = 0; k < K * M; k++)
        bits[k] = (k * 7 + k / 5) % 3 == 0;
    write_m("g.npy", g, 2, M, N);
    write_m("rseg.npy", rseg, 2, M, N);
    write_m("v.npy", v, 1, M, 0);
    write_m("bits.csv", bits, 2, K, M);
    const char *flags = "--r-drv 50 --r-sense 20 --r-access 1500 --r-col 2.5";
    XB_CHECK(run("%s solve --conductances %s --inputs %s %s --r-row-file %s --out %s --quiet", x, p("g.npy"),
                 p("v.npy"), flags, p("rseg.npy"), p("i.npy")) == 0);
    XB_CHECK(run("%s netlist --conductances %s --inputs %s %s --r-row-file %s -o %s", x, p("g.npy"), p("v.npy"), flags,
                 p("rseg.npy"), p("a.cir")) == 0);
    XB_CHECK(run("ngspice -b %s > %s", p("a.cir"), p("a.out")) == 0);
    double ref[N], *mine;
    xb_matrix m;
    xb_error err = {0};
    XB_CHECK(read_spice(p("a.out"), ref, N) == N);
    XB_CHECK(xb_matrix_read(p("i.npy"), &m, &err) == XB_OK && m.size == N);
    mine = m.data;
    if (mine) {
        double e = rel_err(mine, ref, N);
        XB_CHECK_MSG(e <= 1e-9, "input-source netlist vs solve: %.3g", e);
        printf("input-source: ngspice -b vs xbar solve max rel err %.3g\n", e);
    }
    xb_matrix_release(&m);

    /* gate-input, K vectors: one netlist per vector in a directory */
    XB_CHECK(run("%s solve --topology gate-input --v-read 0.3 --conductances %s --inputs %s --r-col-file %s "
                 "--r-sense 100 --out %s --quiet",
                 x, p("g.npy"), p("bits.csv"), p("rseg.npy"), p("ib.csv")) == 0);
    XB_CHECK(run("%s netlist --topology gate-input --v-read 0.3 --conductances %s --inputs %s --r-col-file %s "
                 "--r-sense 100 -o %s",
                 x, p("g.npy"), p("bits.csv"), p("rseg.npy"), p("nets")) == 0);
    XB_CHECK(xb_matrix_read(p("ib.csv"), &m, &err) == XB_OK && m.size == K * N);
    for (int k = 0; k < K && m.data; k++) {
        char net[64], out[64];
        snprintf(net, sizeof net, "nets/vec%04d.cir", k);
        snprintf(out, sizeof out, "nets/vec%04d.out", k);
        XB_CHECK(run("ngspice -b %s > %s", p(net), p(out)) == 0);
        XB_CHECK(read_spice(p(out), ref, N) == N);
        double e = rel_err(m.data + k * N, ref, N);
        XB_CHECK_MSG(e <= 1e-9, "gate-input vector %d: %.3g", k, e);
    }
    xb_matrix_release(&m);
}

/* One bad input: non-zero exit, exactly one stderr line containing `needle`,
 * and no output file. */
static void expect_fail(const char *what, const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void expect_fail(const char *what, const char *needle, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    remove(p("out.npy"));
    int rc = run("%s --out %s", cmd, p("out.npy"));
    char first[2048];
    int lines = stderr_lines(first, sizeof first);
    XB_CHECK_MSG(rc != 0 && rc < 128, "%s: exit status %d", what, rc);
    XB_CHECK_MSG(lines == 1, "%s: %d stderr lines (first: %s)", what, lines, first);
    XB_CHECK_MSG(strstr(first, needle) != NULL, "%s: message '%s' lacks '%s'", what, first, needle);
    XB_CHECK_MSG(!exists(p("out.npy")), "%s: left an output file", what);
}

static void test_bad_inputs(const char *x)
{
    double g[6] = {1e-5, 2e-5, 3e-5, 4e-5, 5e-5, 6e-5}, v3[3] = {0.1, 0.2, 0.3}, v2[2] = {0.1, 0.2};
    write_m("g3x2.npy", g, 2, 3, 2);
    write_m("v3.npy", v3, 1, 3, 0);
    write_m("v2.npy", v2, 1, 2, 0);
    double gnan[6] = {1e-5, NAN, 3e-5, 4e-5, 5e-5, 6e-5};
    write_m("gnan.npy", gnan, 2, 3, 2);
    double ginf[6] = {1e-5, 2e-5, INFINITY, 4e-5, 5e-5, 6e-5};
    write_m("ginf.npy", ginf, 2, 3, 2);
    double gneg[6] = {1e-5, 2e-5, 3e-5, 4e-5, -5e-5, 6e-5};
    write_m("gneg.npy", gneg, 2, 3, 2);
    double half[3] = {1, 0.5, 0};
    write_m("half.npy", half, 1, 3, 0);
    double rneg[6] = {1, 1, 1, -1, 1, 1};
    write_m("rneg.npy", rneg, 2, 3, 2);
    char G[512], V[512];
    snprintf(G, sizeof G, "%s", p("g3x2.npy"));
    snprintf(V, sizeof V, "%s", p("v3.npy"));

    expect_fail("NaN conductance", "g[0][1] = nan", "%s solve --conductances %s --inputs %s", x, p("gnan.npy"), V);
    expect_fail("Inf conductance", "g[1][0] = inf", "%s solve --conductances %s --inputs %s", x, p("ginf.npy"), V);
    expect_fail("negative conductance", "g[2][0] = -5e-05", "%s solve --conductances %s --inputs %s", x,
                p("gneg.npy"), V);
    expect_fail("negative resistance", "r_col = -3", "%s solve --conductances %s --inputs %s --r-col -3", x, G, V);
    expect_fail("NaN resistance", "--r-row 'nan'", "%s solve --conductances %s --inputs %s --r-row nan", x, G, V);
    expect_fail("negative segment", "r_row_seg[1][1] = -1", "%s solve --conductances %s --inputs %s --r-row-file %s",
                x, G, V, p("rneg.npy"));
    expect_fail("shape mismatch", "does not match", "%s solve --conductances %s --inputs %s", x, G, p("v2.npy"));
    expect_fail("gate bits", "input[0][1] = 0.5", "%s solve --topology gate-input --conductances %s --inputs %s", x, G,
                p("half.npy"));
    expect_fail("missing file", "cannot open", "%s solve --conductances %s --inputs %s", x, p("nothere.npy"), V);
    expect_fail("unknown topology", "topology", "%s solve --topology sideways --conductances %s --inputs %s", x, G, V);

    /* Malformed .npy files */
    FILE *f = fopen(G, "rb");
    unsigned char buf[1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_raw("trunc.npy", buf, n - 5);
    expect_fail("truncated npy", "truncated", "%s solve --conductances %s --inputs %s", x, p("trunc.npy"), V);
    write_raw("junk.npy", "this is not a numpy file at all", 31);
    expect_fail("malformed npy", "not a .npy", "%s solve --conductances %s --inputs %s", x, p("junk.npy"), V);
    unsigned char c16[1024];
    memcpy(c16, buf, n);
    char *d = memchr(c16, '<', 40);
    if (d) {
        memcpy(d, "<c8", 3); /* complex64: same item size, unsupported */
        write_raw("complex.npy", c16, n);
        expect_fail("unsupported dtype", "dtype", "%s solve --conductances %s --inputs %s", x, p("complex.npy"), V);
    }
    /* Big-endian float64 is converted, not refused: same answer as little-endian. */
    memcpy(c16, buf, n);
    d = memchr(c16, '<', 40);
    size_t hdr = 10 + (size_t)(c16[8] | c16[9] << 8);
    if (d) {
        *d = '>';
        for (size_t k = hdr; k + 8 <= n; k += 8)
            for (int b = 0; b < 4; b++) {
                unsigned char t = c16[k + b];
                c16[k + b] = c16[k + 7 - b];
                c16[k + 7 - b] = t;
            }
        write_raw("be.npy", c16, n);
        XB_CHECK(run("%s solve --conductances %s --inputs %s --r-col 1 --out %s --quiet", x, p("be.npy"), V,
                     p("be_out.npy")) == 0);
        XB_CHECK(run("%s solve --conductances %s --inputs %s --r-col 1 --out %s --quiet", x, G, V, p("le_out.npy")) ==
                 0);
        xb_matrix a, b;
        xb_error err = {0};
        XB_CHECK(xb_matrix_read(p("be_out.npy"), &a, &err) == XB_OK);
        XB_CHECK(xb_matrix_read(p("le_out.npy"), &b, &err) == XB_OK);
        XB_CHECK(a.size == 2 && b.size == 2 && a.data[0] == b.data[0] && a.data[1] == b.data[1]);
        xb_matrix_release(&a);
        xb_matrix_release(&b);
    }
    /* Too large for the memory budget: refused before the factorization. */
    double big[64 * 64], bv[64];
    for (int k = 0; k < 64 * 64; k++)
        big[k] = 5e-5;
    for (int k = 0; k < 64; k++)
        bv[k] = 0.2;
    write_m("big.npy", big, 2, 64, 64);
    write_m("bv.npy", bv, 1, 64, 0);
    expect_fail("memory budget", "budget", "%s solve --conductances %s --inputs %s --r-row 1 --r-col 1 --max-memory 1M",
                x, p("big.npy"), p("bv.npy"));
    /* netlist: the same checks apply, and no partial netlist is left */
    remove(p("bad.cir"));
    XB_CHECK(run("%s netlist --conductances %s --inputs %s -o %s", x, p("gneg.npy"), V, p("bad.cir")) != 0);
    XB_CHECK(!exists(p("bad.cir")));
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", xb_test_tmpdir());
    const char *x = xb_test_xbar();
    test_netlist_matches_solve(x);
    test_bad_inputs(x);
    XB_TEST_DONE();
}
