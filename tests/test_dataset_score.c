/* test_dataset_score.c: top-k ranks and Wilson confidence intervals. */
#include "xb_test.h"

#include "xb_dataset.h"

static void test_rank(void)
{
    const float l[6] = {0.5f, 2.0f, -1.0f, 2.0f, 0.5f, 3.0f};
    XB_CHECK(xb_dataset_label_rank(l, 6, 5) == 0);
    XB_CHECK(xb_dataset_label_rank(l, 6, 1) == 1);
    XB_CHECK(xb_dataset_label_rank(l, 6, 3) == 2); /* tie with class 1, which comes first */
    XB_CHECK(xb_dataset_label_rank(l, 6, 0) == 3);
    XB_CHECK(xb_dataset_label_rank(l, 6, 4) == 4);
    XB_CHECK(xb_dataset_label_rank(l, 6, 2) == 5);
    XB_CHECK(xb_dataset_label_rank(l, 6, 6) == 6);
    XB_CHECK(xb_dataset_label_rank(l, 6, -1) == 6);
    const float m[3] = {NAN, 1.0f, 0.0f};
    XB_CHECK(xb_dataset_label_rank(m, 3, 0) == 3);
    XB_CHECK(xb_dataset_label_rank(m, 3, 1) == 0);
    XB_CHECK(xb_dataset_label_rank(m, 3, 2) == 1);
}

/* Both ends satisfy Wilson's defining equation (p_hat - p)^2 = z^2 p (1-p) / n. */
static void check_wilson(size_t k, size_t n)
{
    double lo, hi, z = XB_Z95, ph = (double)k / (double)n;
    xb_dataset_wilson_interval(k, n, z, &lo, &hi);
    XB_CHECK(0.0 <= lo && lo <= ph && ph <= hi && hi <= 1.0);
    const double ends[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        double p = ends[i];
        if ((i == 0 && k == 0) || (i == 1 && k == n))
            continue;
        double lhs = (ph - p) * (ph - p), rhs = z * z * p * (1 - p) / (double)n;
        XB_CHECK_REL(lhs, rhs, rhs, 1e-9);
    }
}

static void test_wilson(void)
{
    double lo, hi;
    /* 8 of 10 at 95 %: [0.4902, 0.9433] (the textbook example). */
    xb_dataset_wilson_interval(8, 10, XB_Z95, &lo, &hi);
    XB_CHECK(fabs(lo - 0.4902) < 1e-4 && fabs(hi - 0.9433) < 1e-4);
    xb_dataset_wilson_interval(0, 10, XB_Z95, &lo, &hi);
    XB_CHECK(lo == 0.0 && hi > 0.27 && hi < 0.28); /* 0.2775 */
    xb_dataset_wilson_interval(10, 10, XB_Z95, &lo, &hi);
    XB_CHECK(hi == 1.0 && lo > 0.72 && lo < 0.73);
    xb_dataset_wilson_interval(0, 0, XB_Z95, &lo, &hi);
    XB_CHECK(lo == 0.0 && hi == 1.0);
    const size_t cases[][2] = {{1, 2}, {3, 4}, {8, 10}, {9123, 10000}, {1, 10000}, {49999, 50000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_wilson(cases[i][0], cases[i][1]);
}

int main(void)
{
    test_rank();
    test_wilson();
    XB_TEST_DONE();
}
