"""Memory and threads: no growth over 10,000 calls, and concurrent solves that
give the answers of sequential ones.

ctypes.CDLL releases the GIL for every foreign call, so two threads really do
solve at once; each Crossbar serializes its own calls with a lock (a library
object is used by one thread at a time)."""

import threading

import numpy as np

import xbar


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def grows(fn, n):
    """KiB of resident memory gained by n calls of fn, after a warm-up that
    lets the allocators reach their steady state."""
    for _ in range(200):
        fn()
    before = rss_kib()
    for _ in range(n):
        fn()
    return rss_kib() - before


RNG = np.random.default_rng(3)
G = RNG.uniform(1e-6, 1e-5, (32, 32))  # siemens
V = RNG.uniform(0, 0.2, (4, 32))       # volts


def test_no_leak_over_10000_calls():
    xb = xbar.Crossbar(G[:8, :8], r_row=1, r_col=1, r_drv=10, r_sense=10)
    v = V[:, :8]
    # A leaked output (4 x 8 doubles, 256 bytes) per call would be 2.5 MB over
    # 10,000 calls, a leaked error path as much; the allowance is what the
    # allocators may still round up.
    assert grows(lambda: xb.solve(v), 10000) < 1024
    assert grows(lambda: _swallow(xb.solve, np.full(8, np.nan)), 10000) < 1024
    # The detail and netlist paths (a leaked 2 x 8 x 8 array or netlist text:
    # 1 KiB or more per call) over fewer calls.
    assert grows(lambda: xb.node_voltages(v[0]), 2000) < 1024
    assert grows(lambda: xb.netlist(v[0]), 2000) < 1024


def test_no_leak_over_10000_crossbars():
    # Each one holds a circuit copy and a factorization (tens of KiB): a
    # leaked solver would be hundreds of megabytes.
    g = G[:8, :8]
    assert grows(lambda: xbar.Crossbar(g, r_row=1, r_col=1).solve(V[0, :8]), 10000) < 2048
    assert grows(lambda: _swallow(xbar.Crossbar, np.full((8, 8), -1.0)), 10000) < 1024


def _swallow(fn, *a):
    try:
        fn(*a)
    except xbar.Error:
        pass


def test_two_threads_solve_at_once():
    cases = [xbar.Crossbar(G, r_row=1, r_col=1, r_drv=100, r_sense=100),
             xbar.Crossbar(G, topology="gate-input", r_col=2, source_line="column", r_sl=1)]
    inputs = [RNG.uniform(-0.2, 0.2, (8, 32)), (RNG.random((8, 32)) < 0.5).astype(float)]
    want = [xb.solve(v) for xb, v in zip(cases, inputs)]
    shared = xbar.Crossbar(G, r_row=2, r_col=2)
    want_shared = shared.solve(inputs[0])
    bad = []

    def work(t):
        for _ in range(300):
            if not np.array_equal(cases[t].solve(inputs[t]), want[t]):
                bad.append("own %d" % t)
            if not np.array_equal(shared.solve(inputs[0]), want_shared):  # one Crossbar, two threads
                bad.append("shared %d" % t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not bad, bad[:5]
