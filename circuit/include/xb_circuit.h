/* xb_circuit.h: the physical description of one resistive crossbar.
 *
 * The canonical circuit (DESIGN.md) that netgen/, solver/ and ngspice agree on:
 *
 *   M rows (word lines, inputs) x N columns (bit lines, outputs).  Cell (i,j) is a
 *   conductance G[i][j] in series with an optional linear access resistance.
 *
 *   input-source topology: row i is driven by an ideal source v_i behind R_drv[i].
 *     The row wire has one segment before each cell: segment (i,0) joins the driver
 *     output to cell (i,0), segment (i,j) joins cell (i,j-1) to cell (i,j).
 *   gate-input topology: input bit x_i in {0,1} enables row i.  An enabled cell joins
 *     the read supply V_read through its access resistance and G to the column; a
 *     disabled cell is open.  Rows carry no wire resistance.  V_read reaches the
 *     cells directly (source_line = ideal) or along a resistive source line:
 *       column: beside each bit line, one segment per cell; segment (i,j) feeds
 *         cell (i,j) from the supply side.  Driven at the sense end (sl_drive =
 *         near: segment (M-1,j) joins the supply to cell (M-1,j), segment (i,j)
 *         joins cell (i+1,j) to cell (i,j)) or at the other end (far: segment
 *         (0,j) joins the supply to cell (0,j), segment (i,j) joins cell (i-1,j)
 *         to cell (i,j)).  The columns stay independent.
 *       row: along each row beside the word line, driven at the row's driver end:
 *         segment (i,0) joins the supply to cell (i,0), segment (i,j) joins cell
 *         (i,j-1) to cell (i,j).  The columns are coupled.
 *   Columns (both topologies): one segment after each cell toward the sense end:
 *     segment (i,j) joins cell (i,j) to cell (i+1,j), and segment (M-1,j) joins cell
 *     (M-1,j) to the column terminal.  Then R_sense[j] to a virtual ground at 0 V.
 *     The output of column j is the current into its virtual ground (amperes).
 *
 * A zero resistance is an ideal wire.  Units are SI: ohms, siemens, volts, amperes.
 */
#ifndef XB_CIRCUIT_H
#define XB_CIRCUIT_H

#include <stddef.h>

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XB_TOPO_INPUT_SOURCE = 0, /* rows driven by voltage sources through R_drv */
    XB_TOPO_GATE_INPUT = 1    /* rows enabled by 0/1 gate bits, cells fed by V_read */
} xb_topology;

/* The access device in series with each cell. */
typedef enum {
    XB_ACCESS_RESISTOR = 0, /* a linear on-resistance r_access (0 = none) */
    XB_ACCESS_NMOS          /* a level-1 (Shichman-Hodges) NMOS transistor, ngspice LEVEL=1 */
} xb_access_kind;

/* Level-1 NMOS parameters, with ngspice's names and meaning.  Drain on the row
 * side (or V_read), source toward the cell, bulk tied to the source (no body
 * effect), no junctions.  Enabled rows hold the gates at v_gate; in gate-input a
 * disabled row's transistors are off (open). */
typedef struct {
    double kp;     /* A/V^2: transconductance parameter KP */
    double vto;    /* volts: threshold VTO */
    double lambda; /* 1/V: channel-length modulation LAMBDA */
    double w;      /* metres: channel width W */
    double l;      /* metres: channel length L */
    double v_gate; /* volts on the gates of enabled rows */
} xb_nmos;

/* How V_read reaches the cells of a gate-input array (see above). */
typedef enum {
    XB_SL_IDEAL = 0, /* an ideal supply at every cell */
    XB_SL_COLUMN,    /* a resistive source line beside each bit line */
    XB_SL_ROW        /* a resistive source line along each row */
} xb_source_line;

/* Which end of a column source line the supply drives. */
typedef enum {
    XB_SL_NEAR = 0, /* the sense end (row M-1), where the bit line leaves the array */
    XB_SL_FAR       /* the other end (row 0) */
} xb_sl_drive;

/* The cell's own I-V. */
typedef enum {
    XB_CELL_LINEAR = 0, /* I = G V */
    XB_CELL_SINH        /* I = G V0 sinh(V / V0): slope G at the origin, stiffer beyond V0 */
} xb_cell_kind;

typedef struct {
    int rows;              /* M: word lines (inputs), >= 1 */
    int cols;              /* N: bit lines (outputs), >= 1 */
    xb_topology topology;  /* which of the two canonical topologies */
    double v_read;         /* volts: read supply of gate-input (unused for input-source) */

    double *g;             /* siemens, M*N row-major, cell (i,j) at g[i*N+j]; 0 = open cell */
    double r_access;       /* ohms in series with every cell; 0 = no access device */
    xb_access_kind access; /* resistor (r_access) or NMOS transistor (nmos) */
    xb_nmos nmos;          /* access transistor parameters when access == XB_ACCESS_NMOS */
    xb_cell_kind cell;     /* linear conductance or sinh I-V */
    double sinh_v0;        /* volts: V0 of the sinh cell */

    double r_row;          /* ohms per row segment when r_row_seg is NULL */
    double *r_row_seg;     /* ohms, M*N or NULL: segment (i,j) feeds cell (i,j) from the driver side */
    double r_col;          /* ohms per column segment when r_col_seg is NULL */
    double *r_col_seg;     /* ohms, M*N or NULL: segment (i,j) leaves cell (i,j) toward the sense end */
    double r_drv;          /* ohms, driver output resistance when r_drv_row is NULL */
    double *r_drv_row;     /* ohms, M or NULL: per-row driver resistance */
    double r_sense;        /* ohms, sense resistance when r_sense_col is NULL */
    double *r_sense_col;   /* ohms, N or NULL: per-column sense resistance */

    xb_source_line source_line; /* gate-input: ideal supply or a resistive source line */
    xb_sl_drive sl_drive;  /* column source lines: the end the supply drives */
    double r_sl;           /* ohms per source-line segment when r_sl_seg is NULL */
    double *r_sl_seg;      /* ohms, M*N or NULL: segment (i,j) feeds cell (i,j) from the supply side */
} xb_circuit;

/* Allocate an M x N circuit: G zeroed, every resistance 0 (ideal), input-source,
 * V_read = 0.  Per-segment arrays start NULL.  NULL (and err set) on failure. */
xb_circuit *xb_circuit_new(int rows, int cols, xb_error *err);
void xb_circuit_free(xb_circuit *c);

/* Deep copy. */
xb_circuit *xb_circuit_copy(const xb_circuit *c, xb_error *err);

/* Allocate (zeroed) per-segment / per-terminal arrays on demand.  Each copies the
 * uniform value into every entry, so switching to per-segment loses nothing. */
xb_status xb_circuit_use_row_segments(xb_circuit *c, xb_error *err);
xb_status xb_circuit_use_col_segments(xb_circuit *c, xb_error *err);
xb_status xb_circuit_use_driver_rows(xb_circuit *c, xb_error *err);
xb_status xb_circuit_use_sense_cols(xb_circuit *c, xb_error *err);
xb_status xb_circuit_use_sl_segments(xb_circuit *c, xb_error *err);

/* Check every field.  The message names the field, the index and the value
 * ("g[3][7] = -1e-05: conductance must be finite and >= 0"). */
xb_status xb_circuit_validate(const xb_circuit *c, xb_error *err);

/* Resistance accessors that hide uniform vs per-segment storage (ohms). */
static inline double xb_circuit_r_row(const xb_circuit *c, int i, int j)
{ return c->r_row_seg ? c->r_row_seg[(size_t)i * c->cols + j] : c->r_row; }
static inline double xb_circuit_r_col(const xb_circuit *c, int i, int j)
{ return c->r_col_seg ? c->r_col_seg[(size_t)i * c->cols + j] : c->r_col; }
static inline double xb_circuit_r_drv(const xb_circuit *c, int i)
{ return c->r_drv_row ? c->r_drv_row[i] : c->r_drv; }
static inline double xb_circuit_r_sense(const xb_circuit *c, int j)
{ return c->r_sense_col ? c->r_sense_col[j] : c->r_sense; }
static inline double xb_circuit_r_sl(const xb_circuit *c, int i, int j)
{ return c->r_sl_seg ? c->r_sl_seg[(size_t)i * c->cols + j] : c->r_sl; }

/* Conductance of cell (i,j) in series with the access resistance (siemens).
 * Exactly g when r_access is 0; 0 for an open cell. */
double xb_circuit_cell_g(const xb_circuit *c, int i, int j);

/* 1 when an access transistor or a nonlinear cell makes the circuit nonlinear. */
int xb_circuit_is_nonlinear(const xb_circuit *c);

/* Default level-1 parameters: KP 2e-4 A/V^2, VTO 0.4 V, LAMBDA 0.05 /V,
 * W = L = 1 um, gate at 1.2 V (an on-resistance of a few kilohms). */
void xb_nmos_defaults(xb_nmos *m);

/* 1 when every wire, driver, sense and source-line resistance is zero: the
 * result is then exactly the ideal product (with the access resistance folded
 * into the cell). */
int xb_circuit_is_ideal(const xb_circuit *c);

/* Make every wire segment, driver and sense resistance ideal (zero, uniform),
 * replace a source line by the ideal supply, and free the per-segment arrays;
 * cells and access devices are left as they are.  Afterwards
 * xb_circuit_is_ideal(c) holds.  c may be NULL. */
void xb_circuit_strip_parasitics(xb_circuit *c);

/* Check a batch of K input vectors (K x M row-major) for this circuit: finite
 * volts for input-source, exactly 0 or 1 for gate-input. */
xb_status xb_circuit_check_inputs(const xb_circuit *c, const double *v, size_t k, xb_error *err);

/* 64-bit FNV-1a hash of everything that defines the circuit (size, topology,
 * V_read, every conductance and resistance), for caches keyed by circuit. */
unsigned long long xb_circuit_hash(const xb_circuit *c);

const char *xb_topology_name(xb_topology t);
/* Parse "input-source" or "gate-input". */
xb_status xb_topology_parse(const char *s, xb_topology *t, xb_error *err);
/* "ideal", "column", "row" and back. */
const char *xb_source_line_name(xb_source_line s);
xb_status xb_source_line_parse(const char *s, xb_source_line *out, xb_error *err);
/* "near", "far" and back. */
const char *xb_sl_drive_name(xb_sl_drive d);
xb_status xb_sl_drive_parse(const char *s, xb_sl_drive *out, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
