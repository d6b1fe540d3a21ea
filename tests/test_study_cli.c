/* `xbar study wires` end to end on small arrays: the files it writes, the CSV's
 * rows and columns, bit-for-bit reproducibility from the seed, and one clear
 * message, a non-zero exit and no files for every kind of bad argument. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xb_matrix_io.h"
#include "xb_study.h"
#include "xb_test.h"

#define QUICK "--sizes 8,16 --rp 1e-5:1e-3:3 --vectors 8 --map-size 16"

static char dir[256];

static const char *p(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *b = buf[slot++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

/* Run a shell command; stdout and stderr go to dir/stdout.txt and dir/stderr.txt. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " > %s/stdout.txt 2> %s/stderr.txt", dir, dir);
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

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) ? -1 : (long)sb.st_size;
}

/* Index of a header column. */
static int column(const char *name)
{
    const char *h = xb_study_csv_header;
    size_t nl = strlen(name);
    for (int q = 0; h; q++) {
        if (!strncmp(h, name, nl) && (h[nl] == ',' || h[nl] == '\0'))
            return q;
        h = strchr(h, ',');
        if (h)
            h++;
    }
    return -1;
}

/* The CSV with the measured columns (times, resident memory) blanked: what the
 * seed fixes. */
static char *deterministic(const char *path)
{
    char *s = xb_test_slurp(path);
    if (!*s) {
        free(s);
        return NULL;
    }
    int skip[3] = {column("t_setup_s"), column("t_per_vector_s"), column("peak_rss_bytes")};
    char *out = malloc(strlen(s) + 1), *o = out;
    int q = 0, line = 0;
    for (char *c = s; *c; c++) {
        int drop = line > 0 && (q == skip[0] || q == skip[1] || q == skip[2]);
        if (*c == ',' || *c == '\n') {
            *o++ = *c;
            q = *c == ',' ? q + 1 : 0;
            line += *c == '\n';
        } else if (!drop) {
            *o++ = *c;
        }
    }
    *o = '\0';
    free(s);
    return out;
}

static const char *const outputs[] = {
    "wires.csv",
    "wires_err_vs_rp.png",
    "wires_err_vs_rp.svg",
    "wires_err_vs_size.png",
    "wires_err_vs_size.svg",
    "wires_ir_map_input-source.png",
    "wires_ir_map_input-source.svg",
    "wires_ir_map_gate-input.png",
    "wires_ir_map_gate-input.svg",
    "wires_ir_map_input-source.npy",
    "wires_ir_map_gate-input.npy",
};

static void test_run(void)
{
    const char *x = xb_test_xbar();
    int rc = run("%s study wires " QUICK " --out %s", x, p("a"));
    char first[2048];
    XB_CHECK_MSG(rc == 0, "exit %d: %s", rc, (stderr_lines(first, sizeof first), first));
    XB_CHECK(stderr_lines(first, sizeof first) == 0); /* quiet when stderr is not a terminal */
    for (size_t k = 0; k < sizeof outputs / sizeof outputs[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "a/%s", outputs[k]);
        XB_CHECK_MSG(file_size(p(name)) > 0, "%s missing or empty", name);
    }
    /* PNG and SVG signatures. */
    char *png = xb_test_slurp(p("a/wires_err_vs_rp.png")), *svg = xb_test_slurp(p("a/wires_err_vs_rp.svg"));
    XB_CHECK(!strncmp(png, "\x89PNG", 4));
    XB_CHECK(strstr(svg, "<svg") != NULL);
    free(png);
    free(svg);

    /* Rows: header + 2 topologies x 2 sizes x 3 R^p; every row as wide as the header. */
    char *csv = xb_test_slurp(p("a/wires.csv"));
    XB_CHECK(*csv);
    if (*csv) {
        int lines = 0, commas_header = -1;
        for (char *line = csv, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
            int commas = 0;
            for (char *c = line; c < nl; c++)
                commas += *c == ',';
            if (lines == 0) {
                commas_header = commas;
                XB_CHECK(!strncmp(line, xb_study_csv_header, (size_t)(nl - line)));
            }
            XB_CHECK(commas == commas_header);
        }
        XB_CHECK_MSG(lines == 1 + 12, "%d lines", lines);
        XB_CHECK(strstr(csv, "\ninput-source,8,1e-05,1,"));
        XB_CHECK(strstr(csv, "\ngate-input,16,0.001,"));
        free(csv);
    }
    /* The map is a 16 x 16 .npy of drop fractions in [0, 1). */
    xb_matrix m = {0};
    xb_error err = {0};
    XB_CHECK_MSG(xb_matrix_read(p("a/wires_ir_map_gate-input.npy"), &m, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(m.ndim == 2 && m.shape[0] == 16 && m.shape[1] == 16);
    for (size_t k = 0; k < m.size; k++)
        XB_CHECK(m.data[k] >= 0 && m.data[k] < 1);
    xb_matrix_release(&m);

    /* Same seed: the same numbers; another seed: other numbers. */
    XB_CHECK(run("%s study wires " QUICK " --no-plots --quiet --out %s", x, p("b")) == 0);
    XB_CHECK(run("%s study wires " QUICK " --no-plots --quiet --seed 7 --out %s", x, p("c")) == 0);
    XB_CHECK(file_size(p("b/wires_err_vs_rp.png")) < 0); /* --no-plots */
    char *a = deterministic(p("a/wires.csv")), *b = deterministic(p("b/wires.csv")),
         *c = deterministic(p("c/wires.csv"));
    XB_CHECK(a && b && c);
    if (a && b && c) {
        XB_CHECK_MSG(!strcmp(a, b), "same seed, different CSV");
        XB_CHECK(strcmp(a, c) != 0);
    }
    free(a);
    free(b);
    free(c);
    /* The maps are bit-for-bit identical too. */
    char *ma = xb_test_slurp(p("a/wires_ir_map_input-source.npy"));
    char *mb = xb_test_slurp(p("b/wires_ir_map_input-source.npy"));
    long na = file_size(p("a/wires_ir_map_input-source.npy"));
    XB_CHECK(na > 0 && na == file_size(p("b/wires_ir_map_input-source.npy")) &&
             !memcmp(ma, mb, (size_t)na));
    free(ma);
    free(mb);

    /* One topology: its rows only, and its own map. */
    XB_CHECK(run("%s study wires " QUICK " --topology gate-input --quiet --out %s", x, p("d")) == 0);
    csv = xb_test_slurp(p("d/wires.csv"));
    XB_CHECK(!strstr(csv, "input-source,") && strstr(csv, "gate-input,"));
    free(csv);
    XB_CHECK(file_size(p("d/wires_ir_map_input-source.png")) < 0);
    XB_CHECK(file_size(p("d/wires_ir_map_gate-input.png")) > 0);

    /* The summary names the files. */
    XB_CHECK(run("%s study wires " QUICK " --no-plots --out %s", x, p("e")) == 0);
    char *so = xb_test_slurp(p("stdout.txt"));
    XB_CHECK(strstr(so, "wires.csv") && strstr(so, "input-source") && strstr(so, "gate-input"));
    free(so);
}

static void test_bad_arguments(void)
{
    const char *x = xb_test_xbar();
    static const struct {
        const char *args;
        const char *msg; /* in the one line on stderr */
    } bad[] = {
        {"--sizes 8,abc", "--sizes"},
        {"--sizes 8,,16", "--sizes"},
        {"--sizes 0", "--sizes"},
        {"--sizes 8,8", "twice"},
        {"--sizes 8,", "--sizes"},
        {"--rp 1e-3:1e-6:3", "--rp"},
        {"--rp 1e-6:1e-3", "--rp"},
        {"--rp 1e-6:1e-3:0", "--rp"},
        {"--rp -1e-4", "--rp"},
        {"--rp nan", "--rp"},
        {"--rp 1e-4,zero", "--rp"},
        {"--topology sideways", "--topology"},
        {"--on-off 0.5", "--on-off"},
        {"--gmax 0", "--gmax"},
        {"--gmax -1e-5", "--gmax"},
        {"--vectors 0", "--vectors"},
        {"--vectors 2.5", "--vectors"},
        {"--seed -3", "--seed"},
        {"--backend column", "--backend"},
        {"--ordering fast", "--ordering"},
        {"--max-memory lots", "--max-memory"},
        {"--fixed-rp 0", "--fixed-rp"},
        {"--map-size 12", "map_size"},
        {"--r-drv -1", "--r-drv"},
        {"--topology gate-input --r-drv 5", "r_drv"},
        {"--frobnicate", "--frobnicate"},
        {"--sizes", "--sizes"},
        {"--max-memory 1K", "budget"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char out[64];
        snprintf(out, sizeof out, "bad%zu", k);
        /* QUICK first so that the bad value is the one that counts. */
        int rc = run("%s study wires " QUICK " %s --out %s", x, bad[k].args, p(out));
        char first[2048];
        int lines = stderr_lines(first, sizeof first);
        XB_CHECK_MSG(rc != 0, "'%s' exited 0", bad[k].args);
        XB_CHECK_MSG(lines == 1, "'%s': %d lines on stderr", bad[k].args, lines);
        XB_CHECK_MSG(strstr(first, bad[k].msg) != NULL, "'%s': message '%s' lacks '%s'", bad[k].args, first,
                     bad[k].msg);
        XB_CHECK_MSG(strncmp(first, "xbar study", 10) == 0, "'%s': message '%s'", bad[k].args, first);
        XB_CHECK_MSG(file_size(p(out)) < 0, "'%s' left %s behind", bad[k].args, out);
    }
    /* An output path that is a file, not a directory. */
    FILE *f = fopen(p("plainfile"), "w");
    if (f)
        fclose(f);
    XB_CHECK(run("%s study wires " QUICK " --out %s", x, p("plainfile")) != 0);
    XB_CHECK(file_size(p("plainfile")) == 0);
    /* No study, or an unknown one. */
    XB_CHECK(run("%s study", x) != 0);
    XB_CHECK(run("%s study pipes", x) != 0);
    XB_CHECK(run("%s study wires --help", x) == 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", xb_test_tmpdir());
    test_run();
    test_bad_arguments();
    XB_TEST_DONE();
}
