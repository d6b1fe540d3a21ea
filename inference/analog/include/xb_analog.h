/* xb_analog.h: analog inference.  Every matrix multiply of a network is split
 * into crossbar tiles and every tile is solved as the circuit of DESIGN.md.
 *
 * Flow: xb_analog_new() reads the network's matmul layers and the configuration;
 * xb_analog_calibrate() fixes the activation ranges (8-bit inputs per layer) and
 * the ADC ranges (per layer and slice, a percentile of the analog outputs) on
 * calibration images; xb_analog_attach() installs the matmul hook, after which
 * xb_model_run() runs through the arrays.  Tiles are programmed once, on first
 * use: conductances mapped from the weights, programming errors drawn (seeded),
 * the factorization or transfer matrix cached.  After that every input vector
 * costs only its solve.
 *
 * Per layer (and conv group) the weight matrix W (outputs x inputs) becomes
 * conductances G (inputs = array rows, outputs = array columns):
 *   differential: w > 0: G+ = Gmin + |w|/wmax (Gmax - Gmin), G- = Gmin (mirrored
 *                 for w < 0; w = 0 puts both at Gmin).  Output I+ - I-.
 *   offset:       G = Gmin + (w/wmax + 1)/2 (Gmax - Gmin); the offset is removed
 *                 digitally (from the inputs) or by a unit column of midpoint cells
 *                 in the same array (same parasitics, same ADC).
 *   bit slicing:  k slices of b bits, one array (pair) per slice, an ADC per
 *                 slice, digital shift-and-add.  k = 1 stores the whole weight.
 * Inputs are quantized to input_bits per layer.  Bit-serial (gate-input
 * topology): one 0/1 plane per bit; differential sums the planes' charge in
 * analog (sum 2^b I_b) before one conversion, offset converts every plane;
 * signed inputs take a positive and a negative pass.  DAC (input-source): one
 * analog MVM with voltages proportional to the quantized input.  Tiles hold at
 * most rows_per_array inputs and cols_per_array outputs; partial sums are added
 * digitally after each tile's ADC. */
#ifndef XB_ANALOG_H
#define XB_ANALOG_H

#include <stddef.h>

#include "xb_circuit.h"
#include "xb_error.h"
#include "xb_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XB_MVM_IDEAL = 0,  /* ideal product of the programmed conductances: no wires */
    XB_MVM_EXACT,      /* the circuit with its parasitics, solved exactly (column path for
                          gate-input, transfer matrix for input-source) */
    XB_MVM_NEWTON,     /* nonlinear devices (access NMOS, sinh cells) with wires: Newton on each
                          column's ladder (bit-serial), Newton/KLU over the array (DAC) */
    XB_MVM_DIGITAL     /* no arrays: the same quantized weights and inputs multiplied
                          exactly in software (the digital baseline) */
} xb_mvm_kind;

typedef enum { XB_MAP_DIFFERENTIAL = 0, XB_MAP_OFFSET } xb_mapping;
typedef enum { XB_OFFSET_DIGITAL = 0, XB_OFFSET_UNIT_COLUMN } xb_offset_sub;
typedef enum { XB_SCALE_CHANNEL = 0, XB_SCALE_LAYER } xb_weight_scaling;
typedef enum { XB_PROG_NONE = 0, XB_PROG_INDEPENDENT, XB_PROG_PROPORTIONAL } xb_prog_error;
typedef enum { XB_INPUT_BIT_SERIAL = 0, XB_INPUT_DAC } xb_input_mode;
/* The devices' statistics (docs/devices.md): ideal (exactly the target, unless
 * error_model says otherwise), the published PCM and RRAM models, or the
 * user's measured table. */
typedef enum { XB_DEVICE_IDEAL = 0, XB_DEVICE_PCM, XB_DEVICE_RRAM, XB_DEVICE_TABLE } xb_device_kind;
typedef enum { XB_READ_INDEPENDENT = 0, XB_READ_PROPORTIONAL } xb_read_noise_model;
typedef enum { XB_DRIFT_COMP_NONE = 0, XB_DRIFT_COMP_GLOBAL } xb_drift_comp;

#define XB_DEVICE_FILE_MAX 1024 /* bytes of device_file, with its terminating 0 */

typedef struct {
    xb_mvm_kind mvm;           /* how a tile multiplies (default exact) */
    int weight_bits;           /* signed weight bits, 2..16 (default 8: -127..127) */
    xb_weight_scaling scaling; /* per output channel (default) or per layer */
    double gmax;               /* siemens (default 1e-5: Rmin = 100 kohm) */
    double on_off;             /* Gmax/Gmin (default 100; INFINITY puts Gmin at 0) */
    xb_mapping mapping;        /* differential (default) or offset */
    xb_offset_sub offset_sub;  /* offset mapping: digital (default) or unit column */
    int slices;                /* k arrays per weight (default 1) */
    int slice_bits;            /* b bits per slice; 0 = all magnitude bits in one slice */
    xb_prog_error error_model; /* none (default), independent (sigma = alpha Gmax),
                                  proportional (sigma = alpha G) */
    double alpha;              /* relative programming error */
    xb_input_mode input;       /* bit-serial on gate-input (default) or DAC on input-source */
    int input_bits;            /* activation bits per layer (default 8) */
    double input_percentile;   /* activation range: this percentile of |x| (default 99.99) */
    double v_read;             /* volts: read supply (bit-serial) or DAC full scale (default 0.2) */
    int adc_bits;              /* ADC resolution 4..16, or 0 = off (default 8) */
    double adc_percentile;     /* ADC range: this percentile of |analog output| (default 99.98) */
    int calib_images;          /* calibration images from the training set (default 500) */
    int rows_per_array;        /* default 1152 */
    int cols_per_array;        /* default 256 */
    double rp;                 /* normalized wire resistance R^p = R_wire Gmax (default 0) */
    double r_drv;              /* ohms, driver resistance (input-source; default 0) */
    double r_sense;            /* ohms, sense resistance (default 0) */
    xb_access_kind access;     /* newton: access device (default resistor, r_access 0) */
    xb_nmos nmos;              /* newton: NMOS parameters */
    xb_cell_kind cell;         /* newton: cell I-V */
    double sinh_v0;            /* newton: V0 of sinh cells, volts */
    unsigned long seed;        /* programming errors: the same seed gives the same numbers */
    xb_source_line source_line; /* bit-serial (gate-input) arrays: how V_read reaches the cells
                                  (default ideal) */
    xb_sl_drive sl_drive;      /* column source lines: the end the supply drives (default near) */
    double r_sl;               /* normalized source-line resistance per segment R_sl Gmax, or
                                  XB_R_SL_AS_RP (default): the bit line's R^p, so rp scales both */
    /* Devices (docs/devices.md).  Every key at its default leaves the arrays
     * exactly as without it.  XB_FROM_DEVICE: the selected device's own value. */
    xb_device_kind device;     /* default ideal */
    char device_file[XB_DEVICE_FILE_MAX]; /* device = table: the CSV file */
    double read_noise;         /* sigma of the noise of every read, as a fraction (of Gmax or of G,
                                  read_noise_model), or XB_FROM_DEVICE (default) */
    xb_read_noise_model read_noise_model; /* independent (sigma Gmax, default) or proportional (sigma G) */
    double drift_time;         /* seconds since programming; 0 (default): no drift */
    double drift_t0;           /* seconds: the reference of the drift law, or XB_FROM_DEVICE (default:
                                  1 s, PCM 20 s) */
    double drift_nu, drift_nu_std; /* drift exponent: mean and spread over devices, or XB_FROM_DEVICE */
    xb_drift_comp drift_compensation; /* none (default) or global: one scale per layer */
    double stuck_on, stuck_off; /* fractions of cells stuck at Gmax / at Gmin (default 0) */
} xb_analog_config;

/* A device parameter that takes the device model's own value. */
#define XB_FROM_DEVICE (-1.0)

/* r_sl: the source line is the same wire as the bit line (R_sl = R_wire). */
#define XB_R_SL_AS_RP (-1.0)

void xb_analog_config_init(xb_analog_config *cfg);

/* One parameter of the text form, for listings and documentation. */
typedef struct {
    const char *key;            /* as xb_analog_config_set() takes it, e.g. "adc_bits" */
    const char *values;         /* the text it accepts: "number", "integer 2..16", "enum", ... */
    const char *const *choices; /* "enum": the accepted names, NULL-terminated; else NULL */
    const char *help;           /* one line: meaning and unit */
} xb_analog_key;

/* The i-th parameter (0-based), in the order of a sweep's result columns, or
 * NULL when i is out of range: every key that _set and _get accept. */
const xb_analog_key *xb_analog_config_key(int i);

/* Set one parameter from text, as configuration files and sweep axes give them
 * (the keys and what they accept: xb_analog_config_key()).  "inf" is accepted
 * for on_off, "off" for adc_bits, "KxB" (e.g. "4x2") or "1" for slicing.
 * Unknown keys and bad values are refused with a message naming both. */
xb_status xb_analog_config_set(xb_analog_config *cfg, const char *key, const char *value, xb_error *err);
/* Check the whole configuration (ranges, slicing covers the weight bits, ...). */
xb_status xb_analog_config_validate(const xb_analog_config *cfg, xb_error *err);
/* Write the value of key into buf (the inverse of _set), for CSV columns.
 * XB_EINVAL when it does not fit in len bytes (buf then holds what fits). */
xb_status xb_analog_config_get(const xb_analog_config *cfg, const char *key, char *buf, size_t len, xb_error *err);
/* Hash of every parameter: two configurations with the same hash calibrate and
 * run identically (calibration caches are keyed by it). */
unsigned long long xb_analog_config_hash(const xb_analog_config *cfg);

typedef struct xb_analog xb_analog;

/* Prepare analog execution of model m (which must outlive the result). */
xb_analog *xb_analog_new(xb_model *m, const xb_analog_config *cfg, xb_error *err);
/* Detaches the hook if attached and frees every tile. */
void xb_analog_free(xb_analog *a);

/* Calibrate on n images (NCHW floats, the model's input shape), in batches:
 * first the activation range of every layer (digital pass), then the ADC range
 * of every layer and slice (analog pass, ADC off). */
xb_status xb_analog_calibrate(xb_analog *a, const float *x, int n, int batch, xb_error *err);
/* Save / load a calibration (a small text file that records the configuration
 * hash and the model; loading a file made for anything else is refused). */
xb_status xb_analog_save_calibration(const xb_analog *a, const char *path, xb_error *err);
xb_status xb_analog_load_calibration(xb_analog *a, const char *path, xb_error *err);

/* Route the model's matrix multiplies through the arrays (after a calibration,
 * which fixes the input quantization) / restore the default sgemm. */
xb_status xb_analog_attach(xb_analog *a, xb_error *err);
void xb_analog_detach(xb_analog *a);

/* The circuit of one physical array exactly as it is programmed (errors
 * included): layer index, conv group g, depth tile dt, output tile ot, slice s,
 * polarity p (0: G+ or the only array of offset mapping, 1: G-).  For checks
 * and for users who want to solve a tile themselves.  Free with xb_circuit_free. */
xb_circuit *xb_analog_array_circuit(xb_analog *a, int layer, int g, int dt, int ot, int s, int p, xb_error *err);

/* Where the time goes (seconds, summed over the threads), and how much was done. */
typedef struct {
    double t_program;  /* mapping, programming errors, factorizations / transfer matrices */
    double t_solve;    /* array MVMs */
    double t_adc;      /* conversions */
    double t_digital;  /* quantization, bit planes, shift-and-add, partial sums */
    long tiles;        /* physical arrays programmed */
    long mvm_vectors;  /* array input vectors solved */
} xb_analog_stats;

const xb_analog_stats *xb_analog_get_stats(const xb_analog *a);

/* A checksum of the bits of every matrix multiply's sums so far (the doubles
 * after the ADCs, before the float output), for reproducibility checks: the
 * same for any number of threads, and it changes with any last bit. */
unsigned long long xb_analog_sums_hash(const xb_analog *a);

#ifdef __cplusplus
}
#endif
#endif
