"""Every refusal: an xbar.Error (a ValueError) with a message naming what was
wrong, never a crash and never a silently wrong number."""

import numpy as np
import pytest

import xbar

G = np.full((4, 3), 1e-5)  # siemens
V = np.full(4, 0.1)        # volts


def refused(match, fn, *a, **kw):
    with pytest.raises(xbar.Error, match=match) as e:
        fn(*a, **kw)
    assert isinstance(e.value, ValueError)
    return e.value


def test_error_is_a_value_error_with_status():
    e = refused(r"g\[1\]\[2\] = -1e-05: conductance must be finite", xbar.Crossbar,
                np.where(np.arange(12).reshape(4, 3) == 5, -1e-5, 1e-5))
    assert e.status == "invalid argument"


@pytest.mark.parametrize("bad,match", [
    (np.array([[1e-5, np.nan]]), r"g\[0\]\[1\] = nan"),
    (np.array([[1e-5, np.inf]]), r"g\[0\]\[1\] = inf"),
    (np.zeros((0, 3)), r"G: must be a non-empty M x N matrix"),
    (np.zeros(3), r"G: must be a non-empty M x N matrix, got shape \(3,\)"),
    (np.zeros((2, 2, 2)), r"G: must be a non-empty M x N matrix"),
    (np.full((2, 2), 1e-5 + 0j), r"G: dtype complex128 is not a real number type"),
    (np.array([["a", "b"]]), r"G: dtype <U1 is not a real number type"),
    (np.array([[None, 1e-5]], dtype=object), r"G: dtype object is not a real number type"),
    ([[1e-5, 1e-5], [1e-5]], r"G: not an array of numbers"),
    ("1e-5", r"G: dtype <U4 is not a real number type"),
])
def test_bad_conductances(bad, match):
    refused(match, xbar.Crossbar, bad)


@pytest.mark.parametrize("kw,match", [
    (dict(r_row=-1), r"r_row = -1"),
    (dict(r_col=np.nan), r"r_col"),
    (dict(r_drv="10"), r"r_drv '10': expected a real number"),
    (dict(r_sense=True), r"r_sense True: expected a real number"),
    (dict(r_access=-5), r"r_access"),
    (dict(r_row=np.ones((3, 3))), r"r_row: per-segment values must have shape \(4, 3\), got \(3, 3\)"),
    (dict(r_drv=np.ones(3)), r"r_drv: per-segment values must have shape \(4,\), got \(3,\)"),
    (dict(r_sense=np.ones(4)), r"r_sense: per-segment values must have shape \(3,\)"),
    (dict(r_row=np.full((4, 3), -1.0)), r"r_row"),
    (dict(r_col=np.full((4, 3), np.nan)), r"r_col"),
    (dict(topology="sideways"), r"topology: .*sideways"),
    (dict(topology=3), r"topology 3: expected a string"),
    (dict(access="diode"), r"access 'diode': must be resistor or nmos"),
    (dict(cell="cubic"), r"cell 'cubic': must be linear or sinh"),
    (dict(source_line="diagonal"), r"source_line: .*diagonal"),
    (dict(sl_drive="middle"), r"sl_drive: .*middle"),
    (dict(backend="gpu"), r"backend: .*gpu"),
    (dict(ordering="random"), r"ordering: .*random"),
    (dict(max_memory=-1), r"max_memory -1: expected a positive number of bytes"),
    (dict(access="nmos", nmos={"kp": -1}), r"nmos.kp = -1"),
    (dict(nmos={"beta": 1}), r"nmos: unknown parameter 'beta'"),
    (dict(nmos=[1, 2]), r"nmos: expected a dict"),
    (dict(cell="sinh", sinh_v0=0), r"sinh_v0"),
    (dict(topology="gate-input", r_row=1), r"r_row: gate-input rows carry no wire resistance"),
    (dict(topology="gate-input", v_read=np.nan), r"v_read"),
    (dict(backend="ideal", r_row=1), r"ideal"),
    (dict(backend="column"), r"column"),
])
def test_bad_parameters(kw, match):
    refused(match, xbar.Crossbar, G, **kw)


def test_memory_budget():
    e = refused(r"needs about .* GiB for the cholmod backend .* budget", xbar.Crossbar, np.full((64, 64), 1e-5),
                r_row=1, r_col=1, max_memory=1000)
    assert e.status == "too large for the memory budget"


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        xbar.Crossbar(G, r_wire=1)


@pytest.mark.parametrize("bad,match", [
    (np.full(3, 0.1), r"V: shape \(3,\) does not match the 4 x 3 conductances"),
    (np.full((2, 5), 0.1), r"V: shape \(2, 5\) does not match"),
    (np.full((1, 2, 4), 0.1), r"V: shape \(1, 2, 4\)"),
    (np.array([0.1, np.nan, 0.1, 0.1]), r"nan"),
    (np.array([0.1, np.inf, 0.1, 0.1]), r"inf"),
    (np.full(4, 0.1 + 0j), r"V: dtype complex128"),
    (np.array(["a"] * 4), r"V: dtype <U1"),
    ([0.1, [0.2]], r"V: not an array of numbers"),
    (None, r"V: dtype object"),
])
def test_bad_inputs(bad, match):
    xb = xbar.Crossbar(G, r_row=1)
    refused(match, xb.solve, bad)
    refused(match, xb.node_voltages, bad)
    refused(match, xb.ir_drop, bad)
    assert np.array_equal(xb.solve(V), xbar.Crossbar(G, r_row=1).solve(V))  # still usable


def test_gate_input_needs_bits():
    xb = xbar.Crossbar(G, topology="gate-input", r_col=1)
    refused(r"0 or 1|0/1", xb.solve, np.array([1, 0, 0.5, 1]))


def test_netlist_refusals():
    xb = xbar.Crossbar(G, r_row=1)
    refused(r"netlist: V must be one vector of 4 inputs", xb.netlist, np.full((2, 4), 0.1))
    refused(r"netlist: title must be one line", xb.netlist, V, title="a\nb")
    refused(r"nan", xb.netlist, np.array([0.1, np.nan, 0.1, 0.1]))


def test_closed_crossbar():
    xb = xbar.Crossbar(G, r_row=1)
    with xb:
        xb.solve(V)
    for fn in (xb.solve, xb.node_voltages, xb.ir_drop, xb.netlist):
        refused(r"this Crossbar is closed", fn, V)
    refused(r"this Crossbar is closed", getattr, xb, "stats")
    xb.close()  # twice is fine
    assert "closed" in repr(xb)


@pytest.mark.parametrize("kw,match", [
    (dict(count=-1), r"count -1: expected an integer"),
    (dict(count=1.5), r"count 1.5"),
    (dict(max_size=0), r"max_size 0"),
    (dict(seed=-2), r"seed -2"),
    (dict(tol=0), r"tol 0: expected a positive number"),
    (dict(count=0), r"count"),
    (dict(count=1, progress=3), r"progress: expected a callable"),
])
def test_validate_refusals(kw, match):
    refused(match, xbar.validate, **kw)


def test_threads():
    n = xbar.threads()
    assert n >= 1
    xbar.set_threads(1)
    assert xbar.threads() == 1
    with pytest.raises(xbar.Error, match="-1"):
        xbar.set_threads(-1)
    with pytest.raises(xbar.Error):
        xbar.set_threads("two")
    xbar.set_threads(0)  # the default again
    assert xbar.threads() == n
