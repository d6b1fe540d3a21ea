"""xbar.sweep and Model.analog against `xbar sweep`: the same rows bit for bit,
the same count of correct images, resuming, Ctrl-C, and the refusals.

The network is the shipped ResNet50 on the first 16 Fashion-MNIST test images
at R^p = 3e-5, where the analog accuracy (12 of 16) is neither 0 nor 100 %, so
a count that agrees says something."""

import csv
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import xbar

TIMING = {"seconds", "cpu_seconds", "calib_seconds", "program_s", "solve_s", "adc_s", "digital_s"}
RP = 3e-5


@pytest.fixture(scope="module")
def model_path():
    src = os.environ.get("XB_SOURCE_DIR")
    if not src:
        pytest.skip("XB_SOURCE_DIR is not set: run through ctest")
    return os.path.join(src, "models", "resnet50_fmnist_int8.onnx")


def config(model_path, cache, **extra):
    c = {"model": model_path, "dataset": "fashion-mnist", "images": 16, "batch": 8, "calibration_images": 16,
         "cache_dir": str(cache), "base": {"mvm": "exact", "adc_bits": 8}, "axes": {"rp": [RP]}}
    c.update(extra)
    return c


def table(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def cli_run(model_path, tmp_path_factory, xbar_cmd):
    """The command's sweep: its CSV, run once for the module."""
    d = tmp_path_factory.mktemp("cli")
    (d / "s.json").write_text(json.dumps(config(model_path, d / "cache")))
    subprocess.run([xbar_cmd, "sweep", "s.json", "--out", "out"], cwd=d, check=True, capture_output=True)
    return d


def test_sweep_equals_cli(cli_run, model_path, tmp_path):
    """Its own calibration cache, so that its calibrations are made here."""
    events = []
    rows = xbar.sweep(config(model_path, tmp_path / "cache"), out=str(tmp_path / "out"), progress=events.append)
    want, got = table(cli_run / "out" / "sweep.csv"), table(rows.csv)
    assert want[0] == got[0] and len(want) == len(got) == 3
    for w, g in zip(want[1:], got[1:]):
        for name, a, b in zip(want[0], w, g):
            if name not in TIMING:
                assert a == b, "column %s: %s from the command, %s from python" % (name, a, b)
    assert [r["kind"] for r in rows] == ["baseline", "point"] and rows[1]["rp"] == RP
    assert rows[1]["correct"] == 12 and rows[1]["images"] == 16  # neither 0 nor all
    kinds = [e["event"] for e in events]
    assert kinds[0] == "plan" and kinds.count("row") == 2 and "images" in kinds and "plot" in kinds
    assert rows.plan["todo"] == 2 and os.path.exists(os.path.join(tmp_path, "out", "accuracy_vs_rp.png"))
    # Resumed: nothing runs, the same rows come back.
    again = xbar.sweep(config(model_path, tmp_path / "cache"), out=str(tmp_path / "out"), progress=False)
    assert again == rows and again.plan["todo"] == 0


def test_analog_model_counts_as_the_sweep(cli_run, model_path, tmp_path):
    """Model.analog with the sweep's images, calibration and batch gets the
    sweep's count; a file round trip of the calibration is what the sweep does."""
    m = xbar.Model(model_path)
    x, y = xbar.dataset("fashion-mnist", limit=16)
    cx, _ = xbar.dataset("fashion-mnist-train", limit=16)
    a = m.analog(mvm="exact", adc_bits=8, rp=RP, calib_images=16)
    assert float(a.config["rp"]) == RP and a.config["mapping"] == "differential"
    with pytest.raises(xbar.Error, match="calibrat"):
        a.infer(x)  # not calibrated yet
    a.calibrate(cx, batch=8)
    a.save_calibration(str(tmp_path / "c.txt"))
    a.load_calibration(str(tmp_path / "c.txt"))
    logits = np.concatenate([a.infer(x[i:i + 8]) for i in (0, 8)])
    row = [r for r in xbar.read_rows(str(cli_run / "out" / "sweep.csv")) if r["kind"] == "point"][0]
    assert int((logits.argmax(1) == y).sum()) == row["correct"] == 12
    st = a.stats
    assert st["tiles"] > 0 and st["mvm_vectors"] > 0 and st["t_solve"] > 0
    # The digital engine is untouched by the analog model's runs.
    assert (m.infer(x).argmax(1) == y).sum() == 16
    # A calibration for another configuration is refused.
    b = m.analog(mvm="exact", adc_bits=8, rp=1e-4, calib_images=16)
    with pytest.raises(xbar.Error, match="c.txt"):
        b.load_calibration(str(tmp_path / "c.txt"))
    m.close()
    assert "closed" in repr(a) and "closed" in repr(b)
    with pytest.raises(xbar.Error, match="closed"):
        a.infer(x)


def test_analog_refusals(model_path):
    m = xbar.Model(model_path)
    with pytest.raises(xbar.Error, match="nonsense"):
        m.analog(nonsense=1)
    with pytest.raises(xbar.Error, match="adc_bits"):
        m.analog(adc_bits=99)
    with pytest.raises(xbar.Error, match="mapping"):
        m.analog(mapping="sideways")
    with pytest.raises(xbar.Error, match="rp"):
        m.analog(rp=None)
    a = m.analog()
    with pytest.raises(xbar.Error, match="shape"):
        a.calibrate(np.zeros((2, 3, 32, 32)))
    with pytest.raises(xbar.Error, match="NaN"):
        a.calibrate(np.full((2, 1, 32, 32), np.nan))
    with pytest.raises(xbar.Error, match="batch"):
        a.calibrate(np.zeros((2, 1, 32, 32)), batch=0)
    with pytest.raises(xbar.Error, match="no images"):
        a.calibrate(np.zeros((0, 1, 32, 32)))
    keys = xbar.analog_keys()
    assert "rp" in keys and "source_line" in keys and all(len(v) == 2 for v in keys.values())


def test_dataset_refusals():
    with pytest.raises(xbar.Error, match="nonexistent"):
        xbar.dataset("imagenet:/nonexistent/folder")
    with pytest.raises(xbar.Error, match="limit"):
        xbar.dataset("fashion-mnist", limit=-1)
    with pytest.raises(xbar.Error, match="past"):
        xbar.dataset("fashion-mnist", start=10**6)
    x, y = xbar.dataset("fashion-mnist", limit=3, start=2)
    x2, y2 = xbar.dataset("fashion-mnist", limit=5)
    assert np.array_equal(x, x2[2:]) and np.array_equal(y, y2[2:])


def test_sweep_refusals(cli_run, model_path, tmp_path):
    with pytest.raises(xbar.Error, match="out=DIR"):
        xbar.sweep(config(model_path, tmp_path))
    with pytest.raises(xbar.Error, match="nothing.json"):
        xbar.sweep(str(tmp_path / "nothing.json"))
    bad = config(model_path, tmp_path, axes={"rp": [1e-5, "big"]})
    with pytest.raises(xbar.Error, match="rp"):
        xbar.sweep(bad, out=str(tmp_path / "o"))
    with pytest.raises(xbar.Error, match="JSON"):
        xbar.sweep({"model": float("nan")}, out=str(tmp_path / "o"))
    with pytest.raises(xbar.Error, match="limit"):
        xbar.sweep(config(model_path, tmp_path), out=str(tmp_path / "o"), limit=0)

    def boom(e):
        raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError, match="from the callback"):
        xbar.sweep(config(model_path, cli_run / "cache"), out=str(tmp_path / "o2"), limit=8, progress=boom)
    assert not os.path.exists(tmp_path / "o2" / "accuracy_vs_rp.png")


# Ctrl-C in a separate interpreter: SIGINT sent to itself while the first
# point runs; the point finishes and writes its row, KeyboardInterrupt follows.
CHILD = r"""
import os, signal, sys, xbar
cfg = dict(model=sys.argv[1], dataset="fashion-mnist", images=16, batch=8, calibration_images=16,
           cache_dir=sys.argv[2], base={"mvm": "exact"}, axes={"rp": [3e-5, 1e-5]}, baseline=False)
sent = []
def progress(e):
    if e["event"] == "images" and not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGINT)
try:
    xbar.sweep(cfg, out=sys.argv[3], progress=progress)
    print("finished")
except KeyboardInterrupt as e:
    print("interrupted:", e)
"""


def test_ctrl_c_stops_at_a_point_boundary(cli_run, model_path, tmp_path):
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-c", CHILD, model_path, str(cli_run / "cache"), str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("interrupted:") and "again to resume" in p.stdout, p.stdout + p.stderr
    rows = xbar.read_rows(str(out / "sweep.csv"))
    assert len(rows) == 1 and rows[0]["rp"] == 3e-5 and rows[0]["images"] == 16
    cfg = dict(model=model_path, dataset="fashion-mnist", images=16, batch=8, calibration_images=16,
               cache_dir=str(cli_run / "cache"), base={"mvm": "exact"}, axes={"rp": [3e-5, 1e-5]},
               baseline=False)
    rows = xbar.sweep(cfg, out=str(out), progress=False)
    assert [r["rp"] for r in rows] == [3e-5, 1e-5] and rows.plan["todo"] == 1
