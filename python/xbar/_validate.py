"""xbar.validate: the randomized suite against ngspice (`xbar validate`)."""

import ctypes
import numbers
import threading

from . import _lib as L
from ._lib import Error

# ngspice keeps global state: one suite at a time in a process.
_spice_lock = threading.Lock()

# `xbar validate --nonlinear` lowers these defaults (cli/cmd_validate.c): fewer,
# smaller circuits, and Newton's tolerance.
NONLINEAR_DEFAULTS = {"count": 200, "max_size": 64, "tol": 1e-6}


def _int(x, what, lo, hi):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or not lo <= x <= hi:
        raise Error("%s %r: expected an integer in %d..%d" % (what, x, lo, hi))
    return int(x)


def validate(count=None, nonlinear=False, seed=1, max_size=None, tol=None, full_size=False, progress=None):
    """Solve random circuits with ngspice and with every xbar backend that
    applies, as `xbar validate` does, and return its report as a dict.

    Defaults are the command's: 1000 circuits up to 128 x 128 and a tolerance
    of 1e-9 on the relative error; with nonlinear=True (NMOS access, sinh
    cells), 200 circuits up to 64 x 64 and 1e-6.  full_size adds the 1152 x 4
    tiles.  progress, if given, is called after each circuit as
    progress(done, total, rows, cols, rel_err).  The report's "passed" is
    False when some circuit was above the tolerance (the command then exits 1)."""
    opt = L.xb_validate_options()
    L.xb_validate_options_init(ctypes.byref(opt))
    nl = NONLINEAR_DEFAULTS if nonlinear else {}
    opt.count = _int(count if count is not None else nl.get("count", opt.count), "count", 0, 10000000)
    opt.max_size = _int(max_size if max_size is not None else nl.get("max_size", opt.max_size), "max_size", 1, 4096)
    opt.seed = _int(seed, "seed", 0, 2**63 - 1)
    t = tol if tol is not None else nl.get("tol", opt.tol)
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not t > 0:
        raise Error("tol %r: expected a positive number" % (t,))
    opt.tol = float(t)
    opt.nonlinear = 1 if nonlinear else 0
    opt.full_size = 1 if full_size else 0
    raised = []
    if progress is not None:
        if not callable(progress):
            raise Error("progress: expected a callable")

        def relay(ctx, done, total, rows, cols, rel_err):
            if raised:
                return
            try:
                progress(done, total, rows, cols, rel_err)
            except BaseException as e:  # kept, raised once the suite returns
                raised.append(e)
        opt.progress = L.PROGRESS_FN(relay)
    rep = L.xb_validate_report()
    err = L.xb_error()
    with _spice_lock:
        st = L.xb_validate_random(ctypes.byref(opt), ctypes.byref(rep), ctypes.byref(err))
    if raised:
        raise raised[0]
    L.check(st, err)
    return _report(rep, opt)


def _fields(s):
    return {name: getattr(s, name) for name, _ in type(s)._fields_}


def _report(rep, opt):
    d = _fields(rep)
    d["buckets"] = [_fields(b) for b in rep.bucket if b.count]
    d["kinds"] = [dict(_fields(k), name=k.name.decode()) for k in rep.kind]
    full = []
    for f in list(rep.full)[:rep.n_full]:
        x = _fields(f)
        x["source_line"] = ("ideal", "column", "row")[f.source_line]
        x["sl_drive"] = ("near", "far")[f.sl_drive]
        full.append(x)
    d["full"] = full
    for k in ("bucket", "kind"):
        del d[k]
    d["passed"] = rep.n_above_tol == 0
    d["tol"] = opt.tol
    d["seed"] = opt.seed
    d["max_size"] = opt.max_size
    d["nonlinear"] = bool(opt.nonlinear)
    return d
