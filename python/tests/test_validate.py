"""xbar.validate: the randomized ngspice suite's report as a dict."""

import numpy as np

import xbar


def test_linear_report():
    seen = []
    rep = xbar.validate(count=12, max_size=8, seed=5, progress=lambda *a: seen.append(a))
    assert rep["count"] == 12 and rep["passed"] and rep["n_above_tol"] == 0
    assert 0 <= rep["max_rel_err"] < 1e-9 and rep["tol"] == 1e-9 and rep["seed"] == 5
    assert sum(b["count"] for b in rep["buckets"]) == 12
    assert [k["name"] for k in rep["kinds"]] == ["input-source", "gate-input", "sl-column-near", "sl-column-far",
                                                  "sl-row"]
    assert sum(k["count"] for k in rep["kinds"]) == 12
    assert rep["full"] == []
    assert len(seen) == 12 and seen[-1][:2] == (12, 12)
    # The same seed gives the same circuits.
    again = xbar.validate(count=12, max_size=8, seed=5)
    assert again["max_rel_err"] == rep["max_rel_err"] and again["worst_index"] == rep["worst_index"]


def test_nonlinear_defaults_are_the_commands():
    rep = xbar.validate(count=6, nonlinear=True, seed=3)
    assert rep["nonlinear"] and rep["tol"] == 1e-6 and rep["max_size"] == 64
    assert rep["passed"] and np.isfinite(rep["max_rel_err"])


def test_progress_exception_is_raised_after_the_suite():
    class Stop(Exception):
        pass

    def stop(*a):
        raise Stop()
    try:
        xbar.validate(count=3, max_size=4, progress=stop)
    except Stop:
        pass
    else:
        raise AssertionError("the callback's exception was lost")
