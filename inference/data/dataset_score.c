/* dataset_score.c: top-k hits and confidence intervals for accuracies. */
#include "xb_dataset.h"

#include <math.h>

int xb_dataset_label_rank(const float *logits, int n, int label)
{
    if (!logits || label < 0 || label >= n)
        return n;
    const float t = logits[label];
    if (isnan(t))
        return n;
    int rank = 0;
    for (int j = 0; j < n; j++)
        if (logits[j] > t || (j < label && logits[j] == t))
            rank++;
    return rank;
}

void xb_dataset_wilson_interval(size_t k, size_t n, double z, double *lo, double *hi)
{
    if (n == 0 || k > n) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    /* E. B. Wilson, J. Am. Stat. Assoc. 22 (1927) 209: the p for which
     * |p_hat - p| = z sqrt(p (1 - p) / n). */
    const double nn = (double)n, p = (double)k / nn, z2 = z * z;
    const double denom = 1.0 + z2 / nn;
    const double centre = (p + z2 / (2.0 * nn)) / denom;
    const double half = z / denom * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    *lo = k == 0 ? 0.0 : fmax(0.0, centre - half);
    *hi = k == n ? 1.0 : fmin(1.0, centre + half);
}
