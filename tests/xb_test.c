#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include <stdlib.h>
#include <string.h>

int xb_test_failures = 0;

const char *xb_test_src(const char *rel)
{
    static char buf[8][4096];
    static int slot = 0;
    const char *root = getenv("XB_SOURCE_DIR");
    char *b = buf[slot++ % 8];
    snprintf(b, 4096, "%s/%s", root ? root : ".", rel);
    return b;
}

const char *xb_test_xbar(void)
{
    const char *x = getenv("XB_XBAR");
    return x ? x : "./xbar";
}

const char *xb_test_tmpdir(void)
{
    static char dir[256] = "";
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/xbtestXXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return dir;
}
