"""xbar.Crossbar: one array with its parasitics, solved exactly by libxbar."""

import ctypes
import numbers

import numpy as np

from . import _lib as L
from ._lib import Error

# The parameters of `xbar solve` that are not physics defaults of the library:
# the command sets them in cli/cli_util.c (xb_circuit_args_init) and the
# Python defaults must stay equal (tests/test_crossbar.py checks against it).
DEFAULT_V_READ = 0.2   # volts: read supply of gate-input arrays
DEFAULT_SINH_V0 = 0.25  # volts: V0 of the sinh cell
NMOS_KEYS = ("kp", "vto", "lambda", "w", "l", "v_gate")  # xb_nmos, in ngspice's units (A/V^2, V, 1/V, m, m, V)
_SIDE_MAX = 1 << 20  # rows or columns: the command refuses larger sides too


def nmos_defaults():
    """The level-1 NMOS access transistor's default parameters (xb_nmos_defaults) as a dict."""
    m = L.xb_nmos()
    L.xb_nmos_defaults(ctypes.byref(m))
    return {k: getattr(m, k) for k in NMOS_KEYS}


def _real_array(x, what):
    """x as a C-contiguous float64 array, or Error: bool and integer arrays
    convert, complex, text and object arrays are refused."""
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged nested lists and the like
        raise Error("%s: not an array of numbers (%s)" % (what, e)) from None
    if a.dtype.kind not in "biuf":
        raise Error("%s: dtype %s is not a real number type" % (what, a.dtype))
    return np.ascontiguousarray(a, dtype=np.float64)


def _number(x, what):
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise Error("%s %r: expected a real number" % (what, x))
    return float(x)


def _ptr(a):
    return a.ctypes.data_as(L.P_double)


class Crossbar(L.Handle):
    """An M x N crossbar, its wires and terminals, and a solver set up once for it.

    G is M x N siemens.  Every keyword is an option of ``xbar solve`` with the
    same default (``--r-row`` is ``r_row``, ...); a resistance is ohms, and
    ``r_row``, ``r_col``, ``r_sl`` (M x N), ``r_drv`` (M) and ``r_sense`` (N) take
    either one value for every segment or an array of per-segment values (the
    command's ``--r-*-file``).  0 is an ideal wire.  ``nmos`` is a dict of any of
    ``kp, vto, lambda, w, l, v_gate`` (see ``xbar.nmos_defaults()``);
    ``max_memory`` is bytes (None: the machine's RAM).

    The nodal matrix is assembled, ordered and (input-source) factorized here,
    once; every ``solve`` reuses it.  One Crossbar may be shared by threads:
    its calls take turns (the library's objects are used by one thread at a
    time), while different Crossbars solve in parallel."""

    def __init__(self, G, *, r_row=0.0, r_col=0.0, r_drv=0.0, r_sense=0.0, r_access=0.0,
                 topology="input-source", v_read=DEFAULT_V_READ, access="resistor", cell="linear",
                 nmos=None, sinh_v0=DEFAULT_SINH_V0, source_line="ideal", r_sl=0.0, sl_drive="near",
                 backend="auto", ordering="default", max_memory=None):
        self._solver = None
        g = _real_array(G, "G")
        if g.ndim != 2 or g.shape[0] == 0 or g.shape[1] == 0:
            raise Error("G: must be a non-empty M x N matrix, got shape %s" % (g.shape,))
        if g.shape[0] > _SIDE_MAX or g.shape[1] > _SIDE_MAX:
            raise Error("G: %d x %d is too large" % g.shape)
        self.rows, self.cols = M, N = g.shape
        opt = L.xb_solver_options()
        L.xb_solver_options_init(ctypes.byref(opt))
        opt.backend = L.parse_enum(L.xb_backend_parse, "backend", backend)
        opt.ordering = L.parse_enum(L.xb_ordering_parse, "ordering", ordering)
        if max_memory is not None:
            if isinstance(max_memory, bool) or not isinstance(max_memory, numbers.Integral) or max_memory <= 0:
                raise Error("max_memory %r: expected a positive number of bytes" % (max_memory,))
            opt.max_memory = int(max_memory)
        err = L.xb_error()
        c = L.xb_circuit_new(M, N, ctypes.byref(err))
        if not c:
            raise L.fail(err)
        try:
            self._fill(c.contents, g, dict(
                r_row=r_row, r_col=r_col, r_drv=r_drv, r_sense=r_sense, r_access=r_access, topology=topology,
                v_read=v_read, access=access, cell=cell, nmos=nmos, sinh_v0=sinh_v0, source_line=source_line,
                r_sl=r_sl, sl_drive=sl_drive))
            s = L.xb_solver_new(c, ctypes.byref(opt), ctypes.byref(err))
            if not s:
                raise L.fail(err)
        finally:
            L.xb_circuit_free(c)
        self._solver = s
        # Frees the solver when the Crossbar goes, even without close().
        self._own(s, L.xb_solver_free)
        c = L.xb_solver_circuit(s).contents
        self.topology = "gate-input" if c.topology == 1 else "input-source"
        self.v_read = c.v_read

    @staticmethod
    def _fill(c, g, kw):
        """The keywords into the library's fresh circuit c (xb_circuit_new: all ideal)."""
        M, N = g.shape
        ctypes.memmove(c.g, g.ctypes.data, g.nbytes)
        c.topology = L.parse_enum(L.xb_topology_parse, "topology", kw["topology"])
        c.source_line = L.parse_enum(L.xb_source_line_parse, "source_line", kw["source_line"])
        c.sl_drive = L.parse_enum(L.xb_sl_drive_parse, "sl_drive", kw["sl_drive"])
        kinds = {"access": ("resistor", "nmos"), "cell": ("linear", "sinh")}
        for key, names in kinds.items():
            if kw[key] not in names:
                raise Error("%s %r: must be %s or %s" % ((key, kw[key]) + names))
            setattr(c, key, names.index(kw[key]))
        for key in ("v_read", "r_access", "sinh_v0"):
            setattr(c, key, _number(kw[key], key))
        nm = nmos_defaults()
        if kw["nmos"] is not None:
            if not isinstance(kw["nmos"], dict):
                raise Error("nmos: expected a dict of %s" % ", ".join(NMOS_KEYS))
            for k, v in kw["nmos"].items():
                if k not in NMOS_KEYS:
                    raise Error("nmos: unknown parameter %r (known: %s)" % (k, ", ".join(NMOS_KEYS)))
                nm[k] = _number(v, "nmos[%r]" % k)
        for k in NMOS_KEYS:
            setattr(c.nmos, k, nm[k])
        # Uniform resistance or per-segment array: (field, segment field, allocator, entries).
        wires = {"r_row": ("r_row_seg", L.xb_circuit_use_row_segments, (M, N)),
                 "r_col": ("r_col_seg", L.xb_circuit_use_col_segments, (M, N)),
                 "r_drv": ("r_drv_row", L.xb_circuit_use_driver_rows, (M,)),
                 "r_sense": ("r_sense_col", L.xb_circuit_use_sense_cols, (N,)),
                 "r_sl": ("r_sl_seg", L.xb_circuit_use_sl_segments, (M, N))}
        err = L.xb_error()
        for key, (seg, use, shape) in wires.items():
            v = kw[key]
            if np.ndim(v) == 0:
                setattr(c, key, _number(v.item() if isinstance(v, np.ndarray) else v, key))
                continue
            a = _real_array(v, key)
            if a.shape != shape:
                raise Error("%s: per-segment values must have shape %s, got %s" % (key, shape, a.shape))
            L.check(use(ctypes.pointer(c), ctypes.byref(err)), err)
            ctypes.memmove(getattr(c, seg), a.ctypes.data, a.nbytes)
        L.check(L.xb_circuit_validate(ctypes.pointer(c), ctypes.byref(err)), err)

    # ---- inputs and calls --------------------------------------------------------
    def _inputs(self, V):
        """V as K x M float64 and whether it was one vector: (M,), (K, M), or (M, 1)
        for M > 1, as `xbar solve --inputs` accepts."""
        v = _real_array(V, "V")
        M = self.rows
        if v.ndim == 1 and v.shape[0] == M:
            return v.reshape(1, M), True
        if v.ndim == 2 and v.shape[1] == M:
            return v, False
        if v.ndim == 2 and M > 1 and v.shape == (M, 1):
            return v.reshape(1, M), True
        raise Error("V: shape %s does not match the %d x %d conductances: expected %d values or K x %d"
                    % (v.shape, M, self.cols, M, M))

    def _call(self, v, out, detail):
        self._check_open()
        err = L.xb_error()
        with self._lock:
            st = L.xb_solver_solve(self._solver, _ptr(v), v.shape[0], _ptr(out),
                                   ctypes.byref(detail) if detail is not None else None, ctypes.byref(err))
        L.check(st, err)

    def solve(self, V):
        """Column currents, amperes into each virtual ground: N values for one
        vector of M inputs, K x N for K x M.  Inputs are volts (input-source) or
        0/1 gate bits (gate-input)."""
        v, single = self._inputs(V)
        out = np.empty((v.shape[0], self.cols))
        if v.shape[0]:
            self._call(v, out, None)
        return out[0] if single else out

    def _node_voltages(self, v):
        K, M, N = v.shape[0], self.rows, self.cols
        nv = np.empty((K, 2, M, N))
        out = np.empty((K, N))
        if K:
            # v_row and v_col are K blocks of M x N each: both live in nv, strided.
            rows = np.empty((K, M, N))
            cols = np.empty((K, M, N))
            d = L.xb_solution(_ptr(rows), _ptr(cols), None, None)
            self._call(v, out, d)
            nv[:, 0] = rows
            nv[:, 1] = cols
        return nv

    def node_voltages(self, V):
        """Volts at every node: 2 x M x N for one vector, K x 2 x M x N for K, as
        `xbar solve --node-voltages` writes them: [0] the row node of cell (i,j)
        (gate-input: V_read on an enabled row, else 0), [1] its column node."""
        v, single = self._inputs(V)
        nv = self._node_voltages(v)
        return nv[0] if single else nv

    def ir_drop(self, V):
        """Volts each cell loses to the wires: |applied - (row node - column node)|,
        M x N (or K x M x N), where applied is what an ideal array puts across
        the cell (the input volts, or V_read on an enabled gate-input row).
        Cells of disabled gate-input rows conduct nothing and read 0."""
        v, single = self._inputs(V)
        nv = self._node_voltages(v)
        if self.topology == "gate-input":
            applied = np.where(v != 0, self.v_read, 0.0)
        else:
            applied = v
        drop = np.abs(applied[:, :, None] - (nv[:, 0] - nv[:, 1]))
        if self.topology == "gate-input":
            drop[v == 0] = 0.0
        return drop[0] if single else drop

    def netlist(self, V, *, control=True, title=None):
        """The circuit with one input vector (M values) as SPICE text that
        ``ngspice -b`` runs unchanged, the same as ``xbar netlist``; control=False
        ends in a bare .op (``--bare``)."""
        v, single = self._inputs(V)
        if v.shape[0] != 1:
            raise Error("netlist: V must be one vector of %d inputs, got shape %s" % (self.rows, np.shape(V)))
        self._check_open()
        opt = L.xb_netgen_options()
        L.xb_netgen_options_init(ctypes.byref(opt))
        opt.control = 1 if control else 0
        if title is not None:
            if not isinstance(title, str) or "\n" in title:
                raise Error("netlist: title must be one line of text")
            title_b = title.encode()
            opt.title = title_b
        err = L.xb_error()
        with self._lock:
            p = L.xb_netgen_string(L.xb_solver_circuit(self._solver), _ptr(v), ctypes.byref(opt),
                                   ctypes.byref(err))
        if not p:
            raise L.fail(err)
        try:
            return ctypes.string_at(p).decode()
        finally:
            L.c_free(p)

    # ---- what the solver did -----------------------------------------------------
    @property
    def shape(self):
        return (self.rows, self.cols)

    @property
    def backend(self):
        """The backend that solves this array (the one `auto` chose)."""
        return self.stats["backend"]

    @property
    def stats(self):
        """xb_solver_stats as a dict: sizes, flops, bytes and seconds so far."""
        self._check_open()
        with self._lock:
            st = L.xb_solver_get_stats(self._solver).contents
            d = {name: getattr(st, name) for name, _ in L.xb_solver_stats._fields_}
        d["backend"] = d["backend"].decode()
        return d

    def __repr__(self):
        state = self.backend if self._finalizer.alive else "closed"
        return "<xbar.Crossbar %d x %d %s, %s>" % (self.rows, self.cols, self.topology, state)
