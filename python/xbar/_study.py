"""xbar.study_wires: wire resistance against array size (xb_study_wires), the
study `xbar study wires` runs, with the same options and the same numbers."""

import ctypes
import signal
import threading

import numpy as np

from . import _lib as L
from ._analog import value_text
from ._lib import Error


class xb_study_point(ctypes.Structure):
    _fields_ = [("topology", L.c_enum), ("size", L.c_int), ("rp", L.c_double), ("r_wire", L.c_double),
                ("rel_rms_err", L.c_double), ("worst_ir_drop", L.c_double), ("worst_i", L.c_int),
                ("worst_j", L.c_int), ("t_setup", L.c_double), ("t_per_vector", L.c_double),
                ("backend", ctypes.c_char * 16), ("mem_estimate", L.c_size_t), ("peak_rss", L.c_size_t),
                ("vectors", L.c_int), ("seed", L.c_ulong)]


class xb_study_map(ctypes.Structure):
    _fields_ = [("topology", L.c_enum), ("size", L.c_int), ("rp", L.c_double), ("drop", L.P_double)]


class xb_study_progress(ctypes.Structure):
    _fields_ = [("done", L.c_int), ("total", L.c_int), ("work_done", L.c_double), ("elapsed", L.c_double),
                ("last", ctypes.POINTER(xb_study_point))]


PROGRESS_FN = ctypes.CFUNCTYPE(L.c_int, L.c_void_p, ctypes.POINTER(xb_study_progress))


class xb_study_options(ctypes.Structure):
    _fields_ = [("sizes", ctypes.POINTER(L.c_int)), ("n_sizes", L.c_int), ("rp", L.P_double), ("n_rp", L.c_int),
                ("topologies", L.c_int), ("on_off", L.c_double), ("g_max", L.c_double), ("v_in", L.c_double),
                ("v_read", L.c_double), ("p_on", L.c_double), ("r_drv", L.c_double), ("r_sense", L.c_double),
                ("vectors", L.c_int), ("seed", L.c_ulong), ("backend", L.c_enum), ("ordering", L.c_int),
                ("refine", L.c_int), ("max_memory", L.c_size_t), ("map_rp", L.c_double), ("map_size", L.c_int),
                ("progress", PROGRESS_FN), ("user", L.c_void_p), ("own_sizes", ctypes.POINTER(L.c_int)),
                ("own_rp", L.P_double)]


class xb_study_result(ctypes.Structure):
    _fields_ = [("n_points", L.c_int), ("points", ctypes.POINTER(xb_study_point)), ("n_maps", L.c_int),
                ("maps", xb_study_map * 2), ("t_total", L.c_double), ("opt", xb_study_options)]


class xb_study_files(ctypes.Structure):
    _fields_ = [("dir", L.c_char_p), ("dir_created", L.c_int), ("n", L.c_int), ("path", L.c_char_p * 16)]


L.MIRRORS += [xb_study_point, xb_study_map, xb_study_progress, xb_study_options, xb_study_result, xb_study_files]
XB_STUDY_MAX_FILES = 16

P_opt = ctypes.POINTER(xb_study_options)
P_result = ctypes.POINTER(xb_study_result)
P_files = ctypes.POINTER(xb_study_files)
xb_study_options_init = L._fn("xb_study_options_init", None, P_opt)
xb_study_options_release = L._fn("xb_study_options_release", None, P_opt)
xb_study_options_set = L._fn("xb_study_options_set", L.c_enum, P_opt, L.c_char_p, L.c_char_p, L.P_err)
xb_study_options_validate = L._fn("xb_study_options_validate", L.c_enum, P_opt, L.P_err)
xb_study_wires = L._fn("xb_study_wires", P_result, P_opt, L.P_err)
xb_study_result_free = L._fn("xb_study_result_free", None, P_result)
xb_study_files_open = L._fn("xb_study_files_open", L.c_enum, P_files, L.c_char_p, L.P_err)
xb_study_write_outputs = L._fn("xb_study_write_outputs", L.c_enum, P_result, L.c_int, P_files, L.P_err)
xb_study_files_undo = L._fn("xb_study_files_undo", None, P_files)
xb_study_files_close = L._fn("xb_study_files_close", None, P_files)
xb_topology_name = L._fn("xb_topology_name", L.c_char_p, L.c_enum)

# The options by their names in `xbar study wires` (underscores for dashes).
OPTIONS = ("sizes", "rp", "topology", "on_off", "gmax", "v_in", "v_read", "fixed_rp", "r_drv", "r_sense",
           "vectors", "seed", "backend", "ordering", "refine", "max_memory", "map_size")


def _text(name, v):
    """An option's value as the command line would give it: lists joined by
    commas, numbers and strings as a configuration file writes them."""
    if name in ("sizes", "rp") and not isinstance(v, str):
        try:
            items = list(v)
        except TypeError:
            items = [v]
        return ",".join(value_text(name + "[]", x) for x in items)
    return value_text(name, v)


def _point(p):
    d = {f: getattr(p, f) for f, _ in xb_study_point._fields_}
    d["topology"] = xb_topology_name(p.topology).decode()
    d["backend"] = p.backend.decode()
    return d


class StudyRows(list):
    """The points of a wire study (dicts, the columns of wires.csv); `maps`
    holds the IR-drop maps {topology: (size, rp, array)}, `files` the files
    written (with out=)."""


def study_wires(out=None, plots=True, progress=None, **options):
    """Run the wire study; return its points.  Options are those of `xbar study
    wires` with underscores for dashes (sizes=[32, 64], rp=[1e-6, 1e-4] or
    "1e-7:1e-2:6", topology="gate-input", on_off=100, vectors=8, seed=1, ...),
    with the command's defaults.  out=DIR writes wires.csv, the maps and (with
    plots) the figures there, as the command does.  progress: a function
    called with a dict after each point; returning True stops the study.
    Ctrl-C on the main thread stops it after the running point
    (KeyboardInterrupt)."""
    for k in options:
        if k not in OPTIONS:
            raise Error("study_wires: unknown option %r (known: %s)" % (k, ", ".join(OPTIONS)))
    opt = xb_study_options()
    xb_study_options_init(ctypes.byref(opt))
    err = L.xb_error()
    state = {"interrupted": False, "failure": None}

    def on_progress(user, p):
        p = p.contents
        try:
            last = _point(p.last.contents) if p.last else None
            stop = progress({"done": p.done, "total": p.total, "work_done": p.work_done, "elapsed": p.elapsed,
                             "last": last}) if progress else False
        except BaseException as e:
            state["failure"] = e
            return 1
        return 1 if stop or state["interrupted"] else 0

    def on_sigint(signum, frame):
        state["interrupted"] = True

    cb = PROGRESS_FN(on_progress)
    r = None
    main = threading.current_thread() is threading.main_thread()
    old = None
    try:
        for k, v in options.items():
            L.check(xb_study_options_set(ctypes.byref(opt), k.replace("_", "-").encode(), _text(k, v).encode(),
                                         ctypes.byref(err)), err)
        opt.progress = cb
        L.check(xb_study_options_validate(ctypes.byref(opt), ctypes.byref(err)), err)
        old = signal.signal(signal.SIGINT, on_sigint) if main else None
        r = xb_study_wires(ctypes.byref(opt), ctypes.byref(err))
        if main:
            signal.signal(signal.SIGINT, old if old is not None else signal.SIG_DFL)
            main = False
        if state["failure"] is not None:
            raise state["failure"]
        if state["interrupted"]:
            raise KeyboardInterrupt("xbar.study_wires stopped")
        if not r:
            raise L.fail(err)
        return _collect(r.contents, out, plots)
    finally:
        if main:
            signal.signal(signal.SIGINT, old if old is not None else signal.SIG_DFL)
        if r:
            xb_study_result_free(r)
        xb_study_options_release(ctypes.byref(opt))


def _collect(res, out, plots):
    rows = StudyRows(_point(res.points[i]) for i in range(res.n_points))
    rows.maps = {}
    for m in res.maps[:res.n_maps]:
        drop = np.ctypeslib.as_array(m.drop, shape=(m.size, m.size)).copy()
        rows.maps[xb_topology_name(m.topology).decode()] = (m.size, m.rp, drop)
    rows.t_total = res.t_total
    rows.files = []
    if out is not None:
        err = L.xb_error()
        f = xb_study_files()
        L.check(xb_study_files_open(ctypes.byref(f), L.path_bytes(out, "study_wires: out"), ctypes.byref(err)),
                err)
        if xb_study_write_outputs(ctypes.byref(res), int(bool(plots)), ctypes.byref(f), ctypes.byref(err)):
            xb_study_files_undo(ctypes.byref(f))
            raise L.fail(err)
        rows.files = [f.path[i].decode() for i in range(f.n)]
        xb_study_files_close(ctypes.byref(f))
    return rows
