/* xbar.h: everything xbar offers to C programs (docs/api.md). */
#ifndef XBAR_H
#define XBAR_H
/* circuit/: the array, errors, dense matrix files */
#include "xb_error.h"
#include "xb_circuit.h"
#include "xb_graph.h"
#include "xb_matrix_io.h"
/* netgen/: SPICE netlists */
#include "xb_netgen.h"
/* solver/: the exact nodal solver, the relaxation baseline, the wire study */
#include "xb_solver.h"
#include "xb_relax.h"
#include "xb_study.h"
/* validation/: checks against ngspice */
#include "xb_validation.h"
/* inference/: ONNX models, datasets, analog inference */
#include "xb_model.h"
#include "xb_dataset.h"
#include "xb_array_mvm.h"
#include "xb_analog.h"
#endif
