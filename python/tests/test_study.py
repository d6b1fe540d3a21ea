"""xbar.study_wires against `xbar study wires`: the same numbers, the same
maps, the same files; progress, stopping and refusals."""

import csv
import os
import subprocess

import numpy as np
import pytest

import xbar

ARGS = dict(sizes=[16, 24], rp=[1e-5, 1e-3], vectors=4, seed=3, r_sense=10)
TIMES = {"t_setup", "t_per_vector", "peak_rss"}


def test_study_equals_cli(xbar_cmd, tmp_path):
    cli = tmp_path / "cli"
    subprocess.run([xbar_cmd, "study", "wires", "--sizes", "16,24", "--rp", "1e-5,1e-3", "--vectors", "4",
                    "--seed", "3", "--r-sense", "10", "--out", str(cli), "--no-plots", "--quiet"],
                   check=True, capture_output=True)
    seen = []
    rows = xbar.study_wires(out=str(tmp_path / "py"), plots=False, progress=seen.append, **ARGS)
    with open(cli / "wires.csv", newline="") as f:
        want = list(csv.DictReader(f))
    assert len(rows) == len(want) == 8
    for w, g in zip(want, rows):
        for k, v in w.items():
            if k in g and k not in TIMES:
                if isinstance(g[k], float):
                    assert float(v) == g[k], (k, v, g[k])  # the CSV's shortest round-trip text
                else:
                    assert v == str(g[k]), (k, v, g[k])
    assert sorted(os.listdir(cli)) == sorted(os.listdir(tmp_path / "py"))
    assert sorted(map(os.path.basename, rows.files)) == sorted(os.listdir(cli))
    for topo, (size, rp, drop) in rows.maps.items():
        assert size == 24 and drop.shape == (24, 24)
        assert np.array_equal(np.load(cli / ("wires_ir_map_%s.npy" % topo)), drop)
    assert len(seen) == 9 and seen[0]["last"] is None and seen[-1]["done"] == 8 and seen[-1]["last"]["size"] in (16, 24)
    assert rows[0]["topology"] == "input-source" and rows[-1]["topology"] == "gate-input"
    assert all(r["rel_rms_err"] > 0 for r in rows)
    assert max(r["rel_rms_err"] for r in rows if r["rp"] == 1e-3) > max(
        r["rel_rms_err"] for r in rows if r["rp"] == 1e-5)


def test_study_stops_and_refuses(tmp_path):
    with pytest.raises(xbar.Error, match="cancel"):
        xbar.study_wires(progress=lambda p: True, **ARGS)
    with pytest.raises(xbar.Error, match="unknown option 'size'"):
        xbar.study_wires(size=[16])
    with pytest.raises(xbar.Error, match="sizes"):
        xbar.study_wires(sizes=[16, 16], rp=[1e-4])
    with pytest.raises(xbar.Error, match="topology"):
        xbar.study_wires(sizes=[16], rp=[1e-4], topology="diagonal")
    with pytest.raises(xbar.Error, match="vectors"):
        xbar.study_wires(sizes=[16], rp=[1e-4], vectors=None)

    def boom(p):
        raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError, match="from the callback"):
        xbar.study_wires(progress=boom, **ARGS)
    # A folder that cannot be made: nothing is left behind, the error says why.
    (tmp_path / "file").write_text("x")
    with pytest.raises(xbar.Error, match="file"):
        xbar.study_wires(out=str(tmp_path / "file" / "sub"), sizes=[16], rp=[1e-4], vectors=2)
