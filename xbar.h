/* xbar.h: everything xbar offers to C programs. */
#ifndef XBAR_H
#define XBAR_H
#include "xb_error.h"
#include "xb_circuit.h"
#include "xb_graph.h"
#include "xb_matrix_io.h"
#include "xb_netgen.h"
#include "xb_solver.h"
#endif
