/* `xbar bench relax` on a small tile: the table has a converged row and a row
 * where every vector fails, and bad options stop with one message. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "xb_test.h"

static int run(const char *out, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "CI=true OMP_NUM_THREADS=1 %s bench %s > %s 2> %s.err", xb_test_xbar(), args, out, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The table row that starts with "| <rhat> |". */
static const char *row(const char *text, const char *rhat)
{
    char key[64];
    snprintf(key, sizeof key, "\n| %s |", rhat);
    return strstr(text, key);
}

int main(void)
{
    char out[512], err[520];
    snprintf(out, sizeof out, "%s/relax.txt", xb_test_tmpdir());
    snprintf(err, sizeof err, "%s.err", out);

    XB_CHECK(run(out, "relax --rows 64 --cols 16 --vectors 4 --repeat 1 --rhat 1e-6,1") == 0);
    char *t = xb_test_slurp(out);
    printf("%s", t);
    const char *lo = row(t, "1e-06"), *hi = row(t, "1");
    XB_CHECK(lo != NULL && hi != NULL);
    if (lo && hi) {
        XB_CHECK(strstr(lo, "| 0/4 (0%) |") != NULL && strstr(lo, "| 0/4 (0%) |") < hi);
        XB_CHECK(strstr(hi, "| 4/4 (100%) |") != NULL);
        XB_CHECK(strstr(hi, "none converged") != NULL);
    }
    free(t);

    const char *bad[] = {"nope", "relax --rhat abc", "relax --rhat 1e-6,", "relax --density 2", "relax --vectors 0",
                         "relax --damping 3", "mvm --rhat -1", "relax --frobnicate"};
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        int st = run(out, bad[q]);
        char *e = xb_test_slurp(err);
        XB_CHECK_MSG(st == 1, "xbar bench %s: exit %d", bad[q], st);
        XB_CHECK_MSG(strstr(e, "xbar bench: ") != NULL, "xbar bench %s: stderr '%s'", bad[q], e);
        free(e);
    }
    XB_TEST_DONE();
}
