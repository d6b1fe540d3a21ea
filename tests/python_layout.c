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
    BEGIN(xb_analog_config); F(xb_analog_config, mvm); F(xb_analog_config, weight_bits);
    F(xb_analog_config, scaling); F(xb_analog_config, gmax); F(xb_analog_config, on_off);
    F(xb_analog_config, mapping); F(xb_analog_config, offset_sub); F(xb_analog_config, slices);
    F(xb_analog_config, slice_bits); F(xb_analog_config, error_model); F(xb_analog_config, alpha);
    F(xb_analog_config, input); F(xb_analog_config, input_bits); F(xb_analog_config, input_percentile);
    F(xb_analog_config, v_read); F(xb_analog_config, adc_bits); F(xb_analog_config, adc_percentile);
    F(xb_analog_config, calib_images); F(xb_analog_config, rows_per_array);
    F(xb_analog_config, cols_per_array); F(xb_analog_config, rp); F(xb_analog_config, r_drv);
    F(xb_analog_config, r_sense); F(xb_analog_config, access); F(xb_analog_config, nmos);
    F(xb_analog_config, cell); F(xb_analog_config, sinh_v0); F(xb_analog_config, seed);
    F(xb_analog_config, source_line); F(xb_analog_config, sl_drive); F(xb_analog_config, r_sl);
    F(xb_analog_config, device); F(xb_analog_config, device_file); F(xb_analog_config, read_noise);
    F(xb_analog_config, read_noise_model); F(xb_analog_config, drift_time); F(xb_analog_config, drift_t0);
    F(xb_analog_config, drift_nu); F(xb_analog_config, drift_nu_std); F(xb_analog_config, drift_compensation);
    F(xb_analog_config, stuck_on); F(xb_analog_config, stuck_off); end();
    BEGIN(xb_analog_key); F(xb_analog_key, key); F(xb_analog_key, values); F(xb_analog_key, choices);
    F(xb_analog_key, help); end();
    BEGIN(xb_analog_stats); F(xb_analog_stats, t_program); F(xb_analog_stats, t_solve);
    F(xb_analog_stats, t_adc); F(xb_analog_stats, t_digital); F(xb_analog_stats, tiles);
    F(xb_analog_stats, mvm_vectors); end();
    BEGIN(xb_sweep_param); F(xb_sweep_param, key); F(xb_sweep_param, value); end();
    BEGIN(xb_sweep_axis); F(xb_sweep_axis, key); F(xb_sweep_axis, values); F(xb_sweep_axis, n); end();
    BEGIN(xb_sweep_plot_spec); F(xb_sweep_plot_spec, x); F(xb_sweep_plot_spec, log); end();
    BEGIN(xb_sweep_config); F(xb_sweep_config, path); F(xb_sweep_config, model);
    F(xb_sweep_config, model_name); F(xb_sweep_config, dataset); F(xb_sweep_config, dataset_name);
    F(xb_sweep_config, labels); F(xb_sweep_config, calib_dataset); F(xb_sweep_config, calib_labels);
    F(xb_sweep_config, images); F(xb_sweep_config, batch); F(xb_sweep_config, cache_dir);
    F(xb_sweep_config, output); F(xb_sweep_config, title); F(xb_sweep_config, base);
    F(xb_sweep_config, n_base); F(xb_sweep_config, baseline); F(xb_sweep_config, baseline_params);
    F(xb_sweep_config, n_baseline); F(xb_sweep_config, axes); F(xb_sweep_config, n_axes);
    F(xb_sweep_config, plots); F(xb_sweep_config, n_plots); F(xb_sweep_config, n_points); end();
    BEGIN(xb_sweep_score); F(xb_sweep_score, done); F(xb_sweep_score, images); F(xb_sweep_score, correct);
    F(xb_sweep_score, top1); F(xb_sweep_score, ci_low); F(xb_sweep_score, ci_high); end();
    BEGIN(xb_sweep_result); F(xb_sweep_result, images); F(xb_sweep_result, correct);
    F(xb_sweep_result, seconds); F(xb_sweep_result, cpu_seconds); F(xb_sweep_result, calib_seconds);
    F(xb_sweep_result, calib_cached); F(xb_sweep_result, stats); F(xb_sweep_result, hash); end();
    BEGIN(xb_sweep_plan); F(xb_sweep_plan, csv_path); F(xb_sweep_plan, images); F(xb_sweep_plan, total);
    F(xb_sweep_plan, done); F(xb_sweep_plan, todo); F(xb_sweep_plan, ranks); F(xb_sweep_plan, dropped); end();
    BEGIN(xb_sweep_options); F(xb_sweep_options, output); F(xb_sweep_options, limit);
    F(xb_sweep_options, plots_only); F(xb_sweep_options, git_version); F(xb_sweep_options, plan);
    F(xb_sweep_options, progress); F(xb_sweep_options, report); F(xb_sweep_options, plot);
    F(xb_sweep_options, warning); F(xb_sweep_options, stop); F(xb_sweep_options, user); end();
    BEGIN(xb_sweep_outcome); F(xb_sweep_outcome, rank); F(xb_sweep_outcome, ranks);
    F(xb_sweep_outcome, failed_here); F(xb_sweep_outcome, must_abort); F(xb_sweep_outcome, stopped); end();
    BEGIN(xb_study_point); F(xb_study_point, topology); F(xb_study_point, size); F(xb_study_point, rp);
    F(xb_study_point, r_wire); F(xb_study_point, rel_rms_err); F(xb_study_point, worst_ir_drop);
    F(xb_study_point, worst_i); F(xb_study_point, worst_j); F(xb_study_point, t_setup);
    F(xb_study_point, t_per_vector); F(xb_study_point, backend); F(xb_study_point, mem_estimate);
    F(xb_study_point, peak_rss); F(xb_study_point, vectors); F(xb_study_point, seed); end();
    BEGIN(xb_study_map); F(xb_study_map, topology); F(xb_study_map, size); F(xb_study_map, rp);
    F(xb_study_map, drop); end();
    BEGIN(xb_study_progress); F(xb_study_progress, done); F(xb_study_progress, total);
    F(xb_study_progress, work_done); F(xb_study_progress, elapsed); F(xb_study_progress, last); end();
    BEGIN(xb_study_options); F(xb_study_options, sizes); F(xb_study_options, n_sizes);
    F(xb_study_options, rp); F(xb_study_options, n_rp); F(xb_study_options, topologies);
    F(xb_study_options, on_off); F(xb_study_options, g_max); F(xb_study_options, v_in);
    F(xb_study_options, v_read); F(xb_study_options, p_on); F(xb_study_options, r_drv);
    F(xb_study_options, r_sense); F(xb_study_options, vectors); F(xb_study_options, seed);
    F(xb_study_options, backend); F(xb_study_options, ordering); F(xb_study_options, refine);
    F(xb_study_options, max_memory); F(xb_study_options, map_rp); F(xb_study_options, map_size);
    F(xb_study_options, progress); F(xb_study_options, user); F(xb_study_options, own_sizes);
    F(xb_study_options, own_rp); end();
    BEGIN(xb_study_result); F(xb_study_result, n_points); F(xb_study_result, points);
    F(xb_study_result, n_maps); F(xb_study_result, maps); F(xb_study_result, t_total);
    F(xb_study_result, opt); end();
    BEGIN(xb_study_files); F(xb_study_files, dir); F(xb_study_files, dir_created); F(xb_study_files, n);
    F(xb_study_files, path); end();
    /* The array lengths the mirrors use, and the enums' size. */
    printf(",\n  \"constants\": {\"XB_ERROR_MSG_LEN\": %d, \"XB_VALIDATE_BUCKETS\": %d, \"XB_VALIDATE_KINDS\": %d, "
           "\"XB_VALIDATE_FULL_CASES\": %d, \"XB_STUDY_MAX_FILES\": %d, \"enum_size\": %zu}\n}\n",
           XB_ERROR_MSG_LEN, XB_VALIDATE_BUCKETS, XB_VALIDATE_KINDS, XB_VALIDATE_FULL_CASES, XB_STUDY_MAX_FILES,
           sizeof(xb_backend));
    return 0;
}
