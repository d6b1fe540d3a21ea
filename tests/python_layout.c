/* python_layout.c: the sizes and field offsets of the public structs that the
 * Python package mirrors with ctypes (python/xbar/_lib.py), printed as JSON.
 * python/tests/test_layout.py compares them with the ctypes mirrors, so a field
 * added to or moved in a header fails a test instead of corrupting memory. */
#include <stddef.h>
#include <stdio.h>

#include "xbar.h"

static int first_struct = 1, first_field;

static void begin(const char *name, size_t size)
{
    printf("%s\n  \"%s\": {\"size\": %zu, \"fields\": {", first_struct ? "{" : ",", name, size);
    first_struct = 0;
    first_field = 1;
}

static void field(const char *name, size_t off)
{
    printf("%s\"%s\": %zu", first_field ? "" : ", ", name, off);
    first_field = 0;
}

static void end(void) { printf("}}"); }

#define BEGIN(T) begin(#T, sizeof(T))
#define F(T, f) field(#f, offsetof(T, f))

int main(void)
{
    BEGIN(xb_error); F(xb_error, code); F(xb_error, msg); end();
    BEGIN(xb_nmos); F(xb_nmos, kp); F(xb_nmos, vto); F(xb_nmos, lambda); F(xb_nmos, w); F(xb_nmos, l);
    F(xb_nmos, v_gate); end();
    BEGIN(xb_circuit); F(xb_circuit, rows); F(xb_circuit, cols); F(xb_circuit, topology); F(xb_circuit, v_read);
    F(xb_circuit, g); F(xb_circuit, r_access); F(xb_circuit, access); F(xb_circuit, nmos); F(xb_circuit, cell);
    F(xb_circuit, sinh_v0); F(xb_circuit, r_row); F(xb_circuit, r_row_seg); F(xb_circuit, r_col);
    F(xb_circuit, r_col_seg); F(xb_circuit, r_drv); F(xb_circuit, r_drv_row); F(xb_circuit, r_sense);
    F(xb_circuit, r_sense_col); F(xb_circuit, source_line); F(xb_circuit, sl_drive); F(xb_circuit, r_sl);
    F(xb_circuit, r_sl_seg); end();
    BEGIN(xb_solver_options); F(xb_solver_options, backend); F(xb_solver_options, ordering);
    F(xb_solver_options, max_memory); F(xb_solver_options, rhs_block); F(xb_solver_options, refine);
    F(xb_solver_options, cache); end();
    BEGIN(xb_solver_stats); F(xb_solver_stats, backend); F(xb_solver_stats, n_unknowns);
    F(xb_solver_stats, nnz_matrix); F(xb_solver_stats, nnz_factor); F(xb_solver_stats, flops_factor);
    F(xb_solver_stats, mem_estimate); F(xb_solver_stats, mem_budget); F(xb_solver_stats, n_factor);
    F(xb_solver_stats, n_vectors); F(xb_solver_stats, t_assemble); F(xb_solver_stats, t_analyze);
    F(xb_solver_stats, t_factor); F(xb_solver_stats, t_solve); F(xb_solver_stats, t_transfer);
    F(xb_solver_stats, n_newton_iters); F(xb_solver_stats, n_source_steps); F(xb_solver_stats, transfer_cached);
    end();
    BEGIN(xb_solution); F(xb_solution, v_row); F(xb_solution, v_col); F(xb_solution, i_cell);
    F(xb_solution, i_src); end();
    BEGIN(xb_netgen_options); F(xb_netgen_options, control); F(xb_netgen_options, title); end();
    BEGIN(xb_validate_bucket); F(xb_validate_bucket, max_side); F(xb_validate_bucket, count);
    F(xb_validate_bucket, max_rel_err); F(xb_validate_bucket, t_spice); F(xb_validate_bucket, t_xbar); end();
    BEGIN(xb_validate_kind); F(xb_validate_kind, name); F(xb_validate_kind, count);
    F(xb_validate_kind, max_rel_err); F(xb_validate_kind, max_rel_err_general);
    F(xb_validate_kind, max_rel_err_structured); end();
    BEGIN(xb_validate_full); F(xb_validate_full, rows); F(xb_validate_full, cols);
    F(xb_validate_full, source_line); F(xb_validate_full, sl_drive); F(xb_validate_full, rel_err);
    F(xb_validate_full, rel_err_general); F(xb_validate_full, rel_err_structured); F(xb_validate_full, t_spice);
    F(xb_validate_full, t_general); F(xb_validate_full, t_structured); end();
    BEGIN(xb_validate_report); F(xb_validate_report, count); F(xb_validate_report, max_rel_err);
    F(xb_validate_report, max_rel_err_general); F(xb_validate_report, max_rel_err_klu_vs_cholmod);
    F(xb_validate_report, max_rel_err_fast_vs_cholmod); F(xb_validate_report, max_rel_err_structured);
    F(xb_validate_report, n_structured); F(xb_validate_report, max_rel_err_auto);
    F(xb_validate_report, worst_index); F(xb_validate_report, n_above_tol); F(xb_validate_report, t_spice);
    F(xb_validate_report, t_xbar); F(xb_validate_report, bucket); F(xb_validate_report, kind);
    F(xb_validate_report, n_full); F(xb_validate_report, full); end();
    BEGIN(xb_validate_options); F(xb_validate_options, count); F(xb_validate_options, max_size);
    F(xb_validate_options, seed); F(xb_validate_options, tol); F(xb_validate_options, nonlinear);
    F(xb_validate_options, full_size); F(xb_validate_options, progress); F(xb_validate_options, progress_ctx);
    end();
    /* The array lengths the mirrors use, and the enums' size. */
    printf(",\n  \"constants\": {\"XB_ERROR_MSG_LEN\": %d, \"XB_VALIDATE_BUCKETS\": %d, \"XB_VALIDATE_KINDS\": %d, "
           "\"XB_VALIDATE_FULL_CASES\": %d, \"enum_size\": %zu}\n}\n",
           XB_ERROR_MSG_LEN, XB_VALIDATE_BUCKETS, XB_VALIDATE_KINDS, XB_VALIDATE_FULL_CASES, sizeof(xb_backend));
    return 0;
}
