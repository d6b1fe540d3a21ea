#!/usr/bin/python3
"""Figure of docs/results.md section 5c: accuracy against the time since
programming for the PCM model, differential and offset mapping, with and
without global drift compensation, from the sweeps' own CSVs
(docs/results/pcm_t1.csv: 1 s, before any drift; docs/results/pcm_drift.csv:
1 day and 1 year).  Error bars are the CSVs' 95 % Wilson intervals.

    /usr/bin/python3 tools/plot_pcm_drift.py docs/results docs/figures/results_pcm_drift.png
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r["kind"] == "point"]


def main(folder, out):
    t1 = rows(os.path.join(folder, "pcm_t1.csv"))
    drift = rows(os.path.join(folder, "pcm_drift.csv"))
    base = [r for r in csv.DictReader(open(os.path.join(folder, "pcm_drift.csv"))) if r["kind"] == "baseline"][0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mapping, marker in (("differential", "o"), ("offset", "s")):
        start = [r for r in t1 if r["mapping"] == mapping]
        for comp, style in (("none", "--"), ("global", "-")):
            pts = start + [r for r in drift if r["mapping"] == mapping and r["drift_compensation"] == comp]
            pts.sort(key=lambda r: float(r["drift_time"]))
            t = [float(r["drift_time"]) for r in pts]
            y = [float(r["top1"]) for r in pts]
            lo = [float(r["top1"]) - float(r["ci_low"]) for r in pts]
            hi = [float(r["ci_high"]) - float(r["top1"]) for r in pts]
            label = "%s, %s" % (mapping, "global compensation" if comp == "global" else "no compensation")
            ax.errorbar(t, y, yerr=[lo, hi], fmt=marker + style, capsize=3, label=label)
    ax.axhline(float(base["top1"]), color="k", lw=0.8, ls=":", label="digital baseline %.3f" % float(base["top1"]))
    ax.set_xscale("log")
    ax.set_xlabel("time since programming (s); t0 = 20 s, 1 s is before any drift")
    ax.set_ylabel("top-1 accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("ResNet50 on PCM (device = pcm), %s test images per point" % drift[0]["images"], fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
