#include "xb_solver.h"
xb_status xb_solver_solve_group_noisy(xb_solver *const *s, const xb_read_noise *nz, int n, const double *v,
                                      size_t k, const unsigned long long *reads, double *const *out,
                                      xb_solver_work *w, xb_error *err)
{ (void)s;(void)nz;(void)n;(void)v;(void)k;(void)reads;(void)out;(void)w; return xb_error_set(err, XB_EINVAL, "stub"); }
double xb_read_normal(unsigned long long key, unsigned long long read, unsigned long long cell) {(void)key;(void)read;(void)cell;return 0;}
