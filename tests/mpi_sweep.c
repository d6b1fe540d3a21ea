/* mpi_sweep.c: `mpirun -np 2 xbar sweep` writes the CSV a single process
 * writes, and survives the SIGKILL of a rank.
 *
 * The sweep of tests/test_sweep_model.h (a nearest-class-mean classifier on
 * Fashion-MNIST; exact parasitic MVMs, programming errors, a 6-bit ADC):
 *   1. one process: the reference CSV;
 *   2. mpirun -np 2: the same rows, in the same order, with the same numbers
 *      in every column but the timings (7 tasks: whole tasks per rank);
 *   3. a one-point sweep on 2 ranks (its images split between them) against
 *      the same point run by one process;
 *   4. mpirun -np 2 with one rank (chosen at random) SIGKILLed once rows are
 *      being written, then rerun to the end: no row lost or repeated, the
 *      numbers of the reference.
 *
 * argv[1]: the MPI launcher (mpiexec).  XB_TEST_SEED=<n> repeats a run's
 * choice of rank and delay. */
#define _DEFAULT_SOURCE
#include "sweep_test_util.h"

#include <dirent.h>

#include "test_sweep_model.h"

#define N_TASKS 7 /* 6 points and the baseline */

static const char *mpiexec;

static void write_config(const char *name, const char *cache, const char *output, const char *axes,
                         int baseline)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{ \"description\": \"MPI test\",\n"
             "  \"model\": \"tiny32.onnx\", \"dataset\": \"fashion-mnist\",\n"
             "  \"images\": 120, \"batch\": 20, \"calibration_images\": 40,\n"
             "  \"cache_dir\": \"%s\", \"output\": \"%s\", \"baseline\": %s,\n"
             "  \"base\": { \"mvm\": \"exact\", \"error_model\": \"independent\", \"alpha\": 0.02,\n"
             "            \"adc_bits\": 6, \"rows_per_array\": 256, \"seed\": 7 },\n"
             "  \"axes\": %s }\n",
             cache, output, baseline ? "true" : "false", axes);
    write_text(xb_test_tmp(name), text);
}

static int run_single(const char *config)
{
    const char *argv[] = {st_xbar(), "sweep", config, NULL};
    return st_run(argv, -1, NULL);
}

static int run_mpi(const char *config)
{
    const char *argv[] = {mpiexec, "-np", "2", "--oversubscribe", st_xbar(), "sweep", config, NULL};
    return st_run(argv, -1, NULL);
}

/* Every row of ref in got, in the same order, the same in every column but
 * the timings. */
static void compare_same(const char *what, const char *ref_path, const char *got_path, int n_rows)
{
    table ref, got;
    XB_CHECK_MSG(table_read(ref_path, &ref) == 0, "%s: reference CSV", what);
    XB_CHECK_MSG(table_read(got_path, &got) == 0, "%s: a partial or ragged line", what);
    XB_CHECK_MSG(ref.rows == n_rows + 1, "%s: reference has %d rows, expected %d", what, ref.rows - 1, n_rows);
    XB_CHECK_MSG(got.rows == ref.rows, "%s: %d rows, expected %d", what, got.rows - 1, ref.rows - 1);
    XB_CHECK_MSG(got.cols == ref.cols, "%s: %d columns, expected %d", what, got.cols, ref.cols);
    for (int r = 0; r < ref.rows && r < got.rows; r++)
        for (int c = 0; c < ref.cols && c < got.cols; c++)
            if (!is_timing(ref.f[0][c]))
                XB_CHECK_MSG(!strcmp(ref.f[r][c], got.f[r][c]), "%s: row %d column %s: '%s' in one process, "
                             "'%s' on 2 ranks", what, r, ref.f[0][c], ref.f[r][c], got.f[r][c]);
    free(ref.text);
    free(got.text);
}

/* The xbar processes that are children of pid (the ranks mpirun started). */
static int children(pid_t parent, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        char path[300], buf[1024];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *rp = strrchr(buf, ')');
        char state;
        int ppid;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent && strstr(buf, "(xbar)"))
            out[n++] = (pid_t)atoi(e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

/* mpirun -np 2 on config; once the CSV has at least min_rows rows, SIGKILL one
 * of the two ranks.  Returns 1 when a rank was killed, 0 when the sweep ended
 * first. */
static int run_mpi_kill_one(const char *config, const char *csv, int min_rows, double extra_delay)
{
    const char *argv[] = {mpiexec, "-np", "2", "--oversubscribe", st_xbar(), "sweep", config, NULL};
    pid_t pid = st_spawn(argv);
    int st, killed = 0;
    double t_rows = -1;
    for (;;) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return killed;
        char *text = xb_test_slurp(csv);
        int rows = xb_test_count_lines(text) - 1;
        free(text);
        if (rows >= min_rows && t_rows < 0)
            t_rows = xb_clock_now();
        if (!killed && t_rows >= 0 && xb_clock_now() >= t_rows + extra_delay) {
            pid_t ranks[4];
            int n = children(pid, ranks, 4);
            if (n == 2) {
                int which = rand() % 2;
                printf("SIGKILL to one rank (pid %d, %d rows written)\n", (int)ranks[which], rows);
                kill(ranks[which], SIGKILL);
                killed = 1;
            }
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mpi_sweep MPIEXEC\n");
        return 2;
    }
    mpiexec = argv[1];
    /* Open MPI refuses root without these; CI runs as root. */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    const char *s = getenv("XB_TEST_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("XB_TEST_SEED=%u\n", seed);
    srand(seed);
    if (tm_write_model(xb_test_tmp("tiny32.onnx")) != 0) {
        fprintf(stderr, "cannot write the test model\n");
        return 1;
    }
    const char *axes = "{ \"mapping\": [\"differential\", \"offset\"], \"rp\": [0, 1e-5, 1e-4] }";
    const char *one = "{ \"mapping\": [\"offset\"], \"rp\": [1e-4] }";
    write_config("ref.json", "cache-ref", "out-ref", axes, 1);
    write_config("mpi.json", "cache-mpi", "out-mpi", axes, 1);
    write_config("kill.json", "cache-kill", "out-kill", axes, 1);
    write_config("one-ref.json", "cache-one-ref", "out-one-ref", one, 0);
    write_config("one-mpi.json", "cache-one-mpi", "out-one-mpi", one, 0);

    double t0 = xb_clock_now();
    int rc = run_single("ref.json");
    double t_single = xb_clock_now() - t0;
    char *out = xb_test_slurp(xb_test_tmp("stdout")), *err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("one process: exit %d in %.1f s\n%s%s", rc, t_single, out, err);
    XB_CHECK(rc == 0);
    free(out);
    free(err);

    t0 = xb_clock_now();
    rc = run_mpi("mpi.json");
    double t_mpi = xb_clock_now() - t0;
    out = xb_test_slurp(xb_test_tmp("stdout"));
    err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("2 ranks: exit %d in %.1f s\n%s%s", rc, t_mpi, out, err);
    XB_CHECK(rc == 0);
    XB_CHECK_MSG(strstr(out, "0 done, 7 to run on 2 MPI ranks") != NULL, "the ranks did not share the run");
    free(out);
    free(err);
    compare_same("7 tasks on 2 ranks", xb_test_tmp("out-ref/sweep.csv"), xb_test_tmp("out-mpi/sweep.csv"), N_TASKS);

    /* One point: its images are split between the ranks. */
    XB_CHECK(run_single("one-ref.json") == 0);
    rc = run_mpi("one-mpi.json");
    out = xb_test_slurp(xb_test_tmp("stdout"));
    err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("one point on 2 ranks: exit %d\n%s%s", rc, out, err);
    XB_CHECK(rc == 0);
    free(out);
    free(err);
    compare_same("one point, images split", xb_test_tmp("out-one-ref/sweep.csv"), xb_test_tmp("out-one-mpi/sweep.csv"),
                 1);

    /* A rank SIGKILLed while rows are being written; then run to the end. */
    const char *csv = xb_test_tmp("out-kill/sweep.csv");
    int killed = run_mpi_kill_one("kill.json", csv, 1 + rand() % 3, 0.5 * t_mpi / N_TASKS * (rand() / (double)RAND_MAX));
    out = xb_test_slurp(csv);
    int rows_after_kill = xb_test_count_lines(out) - 1;
    free(out);
    printf("killed run: %s, %d rows\n", killed ? "one rank killed" : "ended before the kill", rows_after_kill);
    XB_CHECK_MSG(killed, "the sweep ended before a rank could be killed");
    XB_CHECK_MSG(rows_after_kill < N_TASKS, "every row was written before the kill took effect");
    rc = run_mpi("kill.json");
    out = xb_test_slurp(xb_test_tmp("stdout"));
    err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("rerun: exit %d\n%s%s", rc, out, err);
    XB_CHECK(rc == 0);
    free(out);
    free(err);
    compare_same("after a killed rank", xb_test_tmp("out-ref/sweep.csv"), csv, N_TASKS);
    printf("speed-up: one process %.1f s, 2 ranks %.1f s (%.2fx)\n", t_single, t_mpi, t_single / t_mpi);
    XB_TEST_DONE();
}
