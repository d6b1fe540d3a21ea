#!/usr/bin/python3
"""The Python package's cost per call against C's: one 64 x 64 input-source
array with wires (R^p = 1e-4 at Gmax = 1e-4 S: 1 ohm per segment), solved
1,000 times vector by vector, from Python (xbar.Crossbar(...).solve) and from
C (bench/solve_loop.c, xb_solver_solve), in alternating rounds on the same
machine; prints the medians and their ratio, and checks the currents are the
same bits.

usage: /usr/bin/python3 bench/python_vs_c.py [--build build] [--calls 1000] [--rounds 7] [--size 64]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(a.build, "python"))
    import xbar

    rng = np.random.default_rng(1)
    M = N = a.size
    G = rng.uniform(1e-6, 1e-4, size=(M, N))
    v = rng.uniform(0, 0.2, size=M)
    loop = os.path.join(a.build, "solve_loop")
    py, c = [], []
    with tempfile.TemporaryDirectory() as d:
        gp, vp, op = (os.path.join(d, n) for n in ("G.npy", "V.npy", "out.npy"))
        np.save(gp, G)
        np.save(vp, v)
        xb = xbar.Crossbar(G, r_row=1, r_col=1)
        for _ in range(a.rounds):
            t0 = time.perf_counter()
            for _ in range(a.calls):
                I = xb.solve(v)
            py.append((time.perf_counter() - t0) / a.calls)
            out = subprocess.run([loop, gp, vp, str(a.calls), "1", "1", op], check=True, capture_output=True,
                                 text=True).stdout
            c.append(float(out.split("c_seconds_per_call:")[1]))
            backend = out.split("backend:")[1].split()[0]
        same = np.array_equal(np.load(op), I)
    mp, mc = statistics.median(py), statistics.median(c)
    print("machine load average: %.2f %.2f %.2f" % os.getloadavg())
    print("array %dx%d, backend %s (python: %s), %d calls x %d rounds" % (M, N, backend, xb.backend, a.calls,
                                                                        a.rounds))
    print("python us/call: %s" % " ".join("%.1f" % (1e6 * t) for t in py))
    print("c      us/call: %s" % " ".join("%.1f" % (1e6 * t) for t in c))
    print("same bits: %s" % ("yes" if same else "NO"))
    print("ratio_python_vs_c %dx%d: %.3f" % (M, N, mp / mc))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
