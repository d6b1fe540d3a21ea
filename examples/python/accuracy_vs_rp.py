#!/usr/bin/python3
"""The accuracy-vs-R^p curve of the README's main job, from Python.

Runs (or, after the main job, only reads: the sweep resumes) the sweep of
examples/parasitics.json through xbar.sweep and plots top-1 accuracy against
R^p for differential and offset mapping, with the 95 % Wilson interval of
each point, into accuracy_vs_rp_python.png (matplotlib, where installed).

usage (from the repository's root): python3 examples/python/accuracy_vs_rp.py
"""

import xbar

rows = xbar.sweep("examples/parasitics.json")       # output folder: sweep-parasitics/
base = [r for r in rows if r["kind"] == "baseline"][0]
print("digital baseline: %.3f (%d images)" % (base["top1"], base["images"]))
curves = {}
for r in rows:
    if r["kind"] == "point":
        curves.setdefault(r["mapping"], []).append((r["rp"], r["top1"], r["ci_low"], r["ci_high"]))
for mapping, pts in curves.items():
    print(mapping, " ".join("%g:%.3f" % (rp, t) for rp, t, _, _ in sorted(pts)))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for mapping, pts in sorted(curves.items()):
        pts.sort()
        # R^p = 0 drawn at a tenth of the smallest non-zero value (log axis).
        floor = min(p[0] for p in pts if p[0] > 0) / 10
        x = [p[0] if p[0] > 0 else floor for p in pts]
        y = [p[1] for p in pts]
        err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=mapping)
    ax.axhline(base["top1"], color="gray", ls="--", lw=1, label="digital")
    ax.set_xscale("log")
    ax.set_xlabel("R̂p = R_wire · Gmax  (leftmost point: 0)")
    ax.set_ylabel("top-1 accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend()
    fig.savefig("accuracy_vs_rp_python.png", dpi=120, bbox_inches="tight")
    print("accuracy_vs_rp_python.png")
