/* sweep_test_util.h: what the tests of `xbar sweep` share: files in the
 * test's temporary folder, running a command there (and killing it), and
 * reading a results CSV as a table to compare with another. */
#ifndef XB_SWEEP_TEST_UTIL_H
#define XB_SWEEP_TEST_UTIL_H

#include "xb_base.h"
#include "xb_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROWS 64
#define MAX_COLS 96

/* Columns that hold times: they differ from run to run. */
__attribute__((unused)) static const char *const timing_cols[] = {"seconds", "cpu_seconds", "calib_seconds",
                                          "program_s", "solve_s", "adc_s", "digital_s"};

static __attribute__((unused)) void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* Start argv (argv[0] a program, found on PATH; NULL-terminated) in the
 * temporary folder, output in tmp/stdout and tmp/stderr.  Returns its pid. */
static __attribute__((unused)) pid_t st_spawn(const char *const *argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        int o = open(xb_test_tmp("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(xb_test_tmp("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(xb_test_tmpdir()) != 0)
            _exit(127);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Run argv as st_spawn does and wait for it.  kill_after >= 0: SIGKILL it
 * after that many seconds if it is still running (*killed says whether it
 * was).  Returns the exit status, or -1 when killed. */
static __attribute__((unused)) int st_run(const char *const *argv, double kill_after, int *killed)
{
    pid_t pid = st_spawn(argv);
    int st = 0;
    if (killed)
        *killed = 0;
    if (kill_after >= 0) {
        double end = xb_clock_now() + kill_after;
        for (;;) {
            pid_t w = waitpid(pid, &st, WNOHANG);
            if (w == pid)
                break;
            if (xb_clock_now() >= end) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                break;
            }
            struct timespec ts = {0, 2000000}; /* 2 ms */
            nanosleep(&ts, NULL);
        }
    } else {
        waitpid(pid, &st, 0);
    }
    if (WIFSIGNALED(st)) {
        if (killed)
            *killed = WTERMSIG(st) == SIGKILL;
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The xbar executable, as an absolute path (runs change folder). */
static __attribute__((unused)) const char *st_xbar(void)
{
    static char xbar[4096];
    if (!xbar[0] && !realpath(xb_test_xbar(), xbar)) {
        perror(xb_test_xbar());
        exit(2);
    }
    return xbar;
}

/* A CSV as rows of fields (no quoted fields in these files). */
typedef struct {
    char *text;
    char *f[MAX_ROWS][MAX_COLS];
    int rows, cols;
} table;

static __attribute__((unused)) int table_read(const char *path, table *t)
{
    memset(t, 0, sizeof *t);
    t->text = xb_test_slurp(path);
    char *line = t->text;
    while (*line && t->rows < MAX_ROWS) {
        char *nl = strchr(line, '\n');
        if (!nl)
            return -1; /* the file must end with a whole line */
        *nl = '\0';
        int n = 0;
        for (char *p = line; n < MAX_COLS;) {
            t->f[t->rows][n++] = p;
            p = strchr(p, ',');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (t->rows == 0)
            t->cols = n;
        else if (n != t->cols)
            return -1;
        t->rows++;
        line = nl + 1;
    }
    return 0;
}

static __attribute__((unused)) int col_index(const table *t, const char *name)
{
    for (int c = 0; c < t->cols; c++)
        if (!strcmp(t->f[0][c], name))
            return c;
    return -1;
}

static __attribute__((unused)) int is_timing(const char *name)
{
    for (size_t k = 0; k < sizeof timing_cols / sizeof timing_cols[0]; k++)
        if (!strcmp(name, timing_cols[k]))
            return 1;
    return 0;
}

/* Rows r of a and s of b are the same task (the columns before "correct"). */
static __attribute__((unused)) int same_id(const table *a, int r, const table *b, int s, int n_id)
{
    for (int c = 0; c < n_id; c++)
        if (strcmp(a->f[r][c], b->f[s][c]))
            return 0;
    return 1;
}

#endif
