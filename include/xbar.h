/* xbar.h: everything xbar offers to C programs (docs/api.md).  Each module's
 * public header, in the order of the layers (docs/architecture.md). */
#ifndef XBAR_H
#define XBAR_H
/* base/: errors, the clock, files, dense matrix files */
#include "xb_error.h"
#include "xb_base.h"
#include "xb_threads.h"
#include "xb_matrix_io.h"
/* circuit/: the array */
#include "xb_circuit.h"
/* netgen/: SPICE netlists */
#include "xb_netgen.h"
/* solver/: the exact nodal solver, the relaxation baseline */
#include "xb_solver.h"
#include "xb_relax.h"
/* validation/: checks against ngspice */
#include "xb_validation.h"
/* inference/: ONNX models and the digital engine; datasets; the analog core */
#include "xb_model.h"
#include "xb_dataset.h"
#include "xb_array_mvm.h"
#include "xb_analog.h"
/* plot/: figures */
#include "xb_plot.h"
/* study/: sweeps, the wire study, benchmarks */
#include "xb_sweep.h"
#include "xb_study.h"
#include "xb_bench.h"
#endif
