"""Loading libxbar and the ctypes view of its public headers.

The structs below mirror the C headers field for field (xb_error.h,
xb_circuit.h, xb_solver.h, xb_netgen.h, xb_validation.h).  A mirror that no
longer matches its header would corrupt memory, so the build's test suite
compares every size and offset with the compiler's (tests/python_layout.c and
python/tests/test_layout.py).

ctypes.CDLL releases the GIL for the duration of every foreign call, so a long
solve in one Python thread does not stop the others.
"""

import ctypes
import threading
import weakref
import os

from . import _paths


class Error(ValueError):
    """A failure reported by libxbar or a bad argument refused before the call.

    ``str(e)`` is the library's one-line message (what was wrong and where);
    ``e.status`` is the xb_status name (``"invalid argument"``, ...), or None
    when Python refused the argument before calling the library."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


# ---- loading -------------------------------------------------------------------
ENV_LIBRARY = "XBAR_LIBRARY"  # a path to libxbar.so that overrides every other place


def _candidates():
    env = os.environ.get(ENV_LIBRARY)
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for rel in _paths.LIBRARY_PATHS:
        out.append(rel if os.path.isabs(rel) else os.path.normpath(os.path.join(here, rel)))
    return out, False


def _load():
    paths, from_env = _candidates()
    tried = []
    for p in paths:
        if not os.path.exists(p):
            tried.append(p + " (missing)")
            continue
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            tried.append("%s (%s)" % (p, e))
    where = ("%s=%s" % (ENV_LIBRARY, paths[0])) if from_env else ", ".join(tried)
    raise ImportError(
        "xbar: cannot load libxbar: %s; build it (cmake --build build) and set %s to "
        "build/libxbar.so, or install with cmake --install" % (where if from_env else "; ".join(tried), ENV_LIBRARY))


lib, library_path = _load()

# ---- the structs ------------------------------------------------------------------
c_int, c_double, c_size_t, c_long = ctypes.c_int, ctypes.c_double, ctypes.c_size_t, ctypes.c_long
c_char_p, c_void_p, c_ulong = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_ulong
P_double = ctypes.POINTER(c_double)
c_enum = c_int  # C enums with small non-negative values are int-sized (checked by test_layout)

XB_ERROR_MSG_LEN = 512
XB_VALIDATE_BUCKETS = 8
XB_VALIDATE_KINDS = 5
XB_VALIDATE_FULL_CASES = 4


class xb_error(ctypes.Structure):
    _fields_ = [("code", c_enum), ("msg", ctypes.c_char * XB_ERROR_MSG_LEN)]


class xb_nmos(ctypes.Structure):
    _fields_ = [("kp", c_double), ("vto", c_double), ("lambda", c_double), ("w", c_double),
                ("l", c_double), ("v_gate", c_double)]


class xb_circuit(ctypes.Structure):
    _fields_ = [("rows", c_int), ("cols", c_int), ("topology", c_enum), ("v_read", c_double),
                ("g", P_double), ("r_access", c_double), ("access", c_enum), ("nmos", xb_nmos),
                ("cell", c_enum), ("sinh_v0", c_double),
                ("r_row", c_double), ("r_row_seg", P_double), ("r_col", c_double), ("r_col_seg", P_double),
                ("r_drv", c_double), ("r_drv_row", P_double), ("r_sense", c_double), ("r_sense_col", P_double),
                ("source_line", c_enum), ("sl_drive", c_enum), ("r_sl", c_double), ("r_sl_seg", P_double)]


class xb_solver_options(ctypes.Structure):
    _fields_ = [("backend", c_enum), ("ordering", c_enum), ("max_memory", c_size_t), ("rhs_block", c_int),
                ("refine", c_int), ("cache", c_void_p)]


class xb_solver_stats(ctypes.Structure):
    _fields_ = [("backend", c_char_p), ("n_unknowns", c_int), ("nnz_matrix", c_long), ("nnz_factor", c_double),
                ("flops_factor", c_double), ("mem_estimate", c_size_t), ("mem_budget", c_size_t),
                ("n_factor", c_long), ("n_vectors", c_long), ("t_assemble", c_double), ("t_analyze", c_double),
                ("t_factor", c_double), ("t_solve", c_double), ("t_transfer", c_double),
                ("n_newton_iters", c_long), ("n_source_steps", c_long), ("transfer_cached", c_int)]


class xb_solution(ctypes.Structure):
    _fields_ = [("v_row", P_double), ("v_col", P_double), ("i_cell", P_double), ("i_src", P_double)]


class xb_netgen_options(ctypes.Structure):
    _fields_ = [("control", c_int), ("title", c_char_p)]


class xb_validate_bucket(ctypes.Structure):
    _fields_ = [("max_side", c_int), ("count", c_int), ("max_rel_err", c_double), ("t_spice", c_double),
                ("t_xbar", c_double)]


class xb_validate_kind(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("count", c_int), ("max_rel_err", c_double),
                ("max_rel_err_general", c_double), ("max_rel_err_structured", c_double)]


class xb_validate_full(ctypes.Structure):
    _fields_ = [("rows", c_int), ("cols", c_int), ("source_line", c_enum), ("sl_drive", c_enum),
                ("rel_err", c_double), ("rel_err_general", c_double), ("rel_err_structured", c_double),
                ("t_spice", c_double), ("t_general", c_double), ("t_structured", c_double)]


class xb_validate_report(ctypes.Structure):
    _fields_ = [("count", c_int), ("max_rel_err", c_double), ("max_rel_err_general", c_double),
                ("max_rel_err_klu_vs_cholmod", c_double), ("max_rel_err_fast_vs_cholmod", c_double),
                ("max_rel_err_structured", c_double), ("n_structured", c_int), ("max_rel_err_auto", c_double),
                ("worst_index", c_int), ("n_above_tol", c_int), ("t_spice", c_double), ("t_xbar", c_double),
                ("bucket", xb_validate_bucket * XB_VALIDATE_BUCKETS),
                ("kind", xb_validate_kind * XB_VALIDATE_KINDS), ("n_full", c_int),
                ("full", xb_validate_full * XB_VALIDATE_FULL_CASES)]


# void (*progress)(void *ctx, int done, int total, int rows, int cols, double rel_err)
PROGRESS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_int, c_int, c_int, c_double)


class xb_validate_options(ctypes.Structure):
    _fields_ = [("count", c_int), ("max_size", c_int), ("seed", c_ulong), ("tol", c_double),
                ("nonlinear", c_int), ("full_size", c_int), ("progress", PROGRESS_FN), ("progress_ctx", c_void_p)]


MIRRORS = [xb_error, xb_nmos, xb_circuit, xb_solver_options, xb_solver_stats, xb_solution, xb_netgen_options,
           xb_validate_bucket, xb_validate_kind, xb_validate_full, xb_validate_report, xb_validate_options]

# ---- the functions ------------------------------------------------------------------
P_err = ctypes.POINTER(xb_error)
P_circuit = ctypes.POINTER(xb_circuit)


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


xb_status_str = _fn("xb_status_str", c_char_p, c_enum)
xb_circuit_new = _fn("xb_circuit_new", P_circuit, c_int, c_int, P_err)
xb_circuit_free = _fn("xb_circuit_free", None, P_circuit)
xb_circuit_validate = _fn("xb_circuit_validate", c_enum, P_circuit, P_err)
xb_circuit_use_row_segments = _fn("xb_circuit_use_row_segments", c_enum, P_circuit, P_err)
xb_circuit_use_col_segments = _fn("xb_circuit_use_col_segments", c_enum, P_circuit, P_err)
xb_circuit_use_driver_rows = _fn("xb_circuit_use_driver_rows", c_enum, P_circuit, P_err)
xb_circuit_use_sense_cols = _fn("xb_circuit_use_sense_cols", c_enum, P_circuit, P_err)
xb_circuit_use_sl_segments = _fn("xb_circuit_use_sl_segments", c_enum, P_circuit, P_err)
xb_nmos_defaults = _fn("xb_nmos_defaults", None, ctypes.POINTER(xb_nmos))
xb_topology_parse = _fn("xb_topology_parse", c_enum, c_char_p, ctypes.POINTER(c_enum), P_err)
xb_source_line_parse = _fn("xb_source_line_parse", c_enum, c_char_p, ctypes.POINTER(c_enum), P_err)
xb_sl_drive_parse = _fn("xb_sl_drive_parse", c_enum, c_char_p, ctypes.POINTER(c_enum), P_err)

xb_solver_options_init = _fn("xb_solver_options_init", None, ctypes.POINTER(xb_solver_options))
xb_backend_parse = _fn("xb_backend_parse", c_enum, c_char_p, ctypes.POINTER(c_enum), P_err)
xb_ordering_parse = _fn("xb_ordering_parse", c_enum, c_char_p, ctypes.POINTER(c_enum), P_err)
xb_solver_new = _fn("xb_solver_new", c_void_p, P_circuit, ctypes.POINTER(xb_solver_options), P_err)
xb_solver_free = _fn("xb_solver_free", None, c_void_p)
xb_solver_solve = _fn("xb_solver_solve", c_enum, c_void_p, P_double, c_size_t, P_double,
                      ctypes.POINTER(xb_solution), P_err)
xb_solver_get_stats = _fn("xb_solver_get_stats", ctypes.POINTER(xb_solver_stats), c_void_p)
xb_solver_circuit = _fn("xb_solver_circuit", P_circuit, c_void_p)

xb_netgen_options_init = _fn("xb_netgen_options_init", None, ctypes.POINTER(xb_netgen_options))
# Returns a malloc'ed string: kept as a raw pointer so that it can be freed.
xb_netgen_string = _fn("xb_netgen_string", c_void_p, P_circuit, P_double, ctypes.POINTER(xb_netgen_options), P_err)

xb_validate_options_init = _fn("xb_validate_options_init", None, ctypes.POINTER(xb_validate_options))
xb_validate_random = _fn("xb_validate_random", c_enum, ctypes.POINTER(xb_validate_options),
                         ctypes.POINTER(xb_validate_report), P_err)

xb_threads_get = _fn("xb_threads_get", c_int)
xb_threads_set = _fn("xb_threads_set", c_enum, c_int, P_err)

# The C library's free(), for the strings libxbar hands over.
_libc = ctypes.CDLL(None)
c_free = _libc.free
c_free.restype = None
c_free.argtypes = [c_void_p]


def fail(err):
    """The Error for a filled-in xb_error."""
    msg = err.msg.decode("utf-8", "replace") or "unknown error"
    return Error(msg, xb_status_str(err.code).decode())


def check(status, err):
    """Raise the library's message when status is not XB_OK."""
    if status:
        raise fail(err)


def path_bytes(path, name="path"):
    """A file name (str, bytes or os.PathLike) as the bytes the C library takes."""
    try:
        p = os.fsencode(path)
    except TypeError:
        raise Error("%s %r: expected a file name" % (name, path)) from None
    if not p or b"\0" in p:
        raise Error("%s %r: expected a file name" % (name, path))
    return p


def threads():
    """Threads libxbar's pool uses inside one call (analog layers, sweeps)."""
    return xb_threads_get()


def set_threads(n):
    """Use n threads inside each call (xbar --threads N; 0: every CPU the
    process may use); the results do not depend on it."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise Error("set_threads: %r: expected a whole number of threads" % (n,))
    err = xb_error()
    check(xb_threads_set(n, ctypes.byref(err)), err)


def parse_enum(parse, name, value):
    """An enum value through one of the library's *_parse functions."""
    if not isinstance(value, str):
        raise Error("%s %r: expected a string" % (name, value))
    out = c_enum()
    err = xb_error()
    if parse(value.encode(), ctypes.byref(out), ctypes.byref(err)):
        raise Error("%s: %s" % (name, fail(err)), xb_status_str(err.code).decode())
    return out.value


class Handle:
    """What Crossbar and Model share: a library object freed by close(), by the
    end of a ``with`` block or when collected, and a lock that makes the calls
    of threads sharing one object take turns."""

    def _own(self, ptr, free):
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, free, ptr)

    def _check_open(self):
        if not self._finalizer.alive:
            raise Error("this %s is closed" % type(self).__name__)

    def close(self):
        """Release the library object now (otherwise when this is collected)."""
        with self._lock:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
