"""xbar.Crossbar against `xbar solve` and `xbar netlist` on the same inputs:
equal to the last bit (np.array_equal on float64, not a tolerance)."""

import re

import numpy as np
import pytest

import xbar

RNG = np.random.default_rng(16)


def conductances(M, N):
    return RNG.uniform(1e-6, 1e-5, size=(M, N))  # siemens, Gmin..Gmax at an On/Off of 10


def volts(K, M):
    return RNG.uniform(-0.2, 0.2, size=(K, M))


def bits(K, M):
    return (RNG.random((K, M)) < 0.5).astype(np.float64)


# (name, keywords of Crossbar, the same as `xbar solve` options, the inputs' kind)
CASES = [
    ("ideal", {}, [], "volts"),
    ("input-source", dict(r_row=1, r_col=1, r_drv=100, r_sense=100),
     ["--r-row", "1", "--r-col", "1", "--r-drv", "100", "--r-sense", "100"], "volts"),
    ("transfer", dict(r_row=2.5, r_col=0.5, backend="transfer"),
     ["--r-row", "2.5", "--r-col", "0.5", "--backend", "transfer"], "volts"),
    ("klu-access", dict(r_row=1, r_col=1, r_access=2000, backend="klu"),
     ["--r-row", "1", "--r-col", "1", "--r-access", "2000", "--backend", "klu"], "volts"),
    ("gate-input", dict(topology="gate-input", r_col=3, r_sense=50),
     ["--topology", "gate-input", "--r-col", "3", "--r-sense", "50"], "bits"),
    ("sl-column-far", dict(topology="gate-input", r_col=1, source_line="column", r_sl=2, sl_drive="far",
                           v_read=0.3),
     ["--topology", "gate-input", "--r-col", "1", "--source-line", "column", "--r-sl", "2",
      "--sl-drive", "far", "--v-read", "0.3"], "bits"),
    ("sl-row", dict(topology="gate-input", r_col=1, source_line="row", r_sl=1),
     ["--topology", "gate-input", "--r-col", "1", "--source-line", "row", "--r-sl", "1"], "bits"),
    ("nmos-gate", dict(topology="gate-input", r_col=1, access="nmos", nmos={"v_gate": 1.5, "kp": 3e-4}),
     ["--topology", "gate-input", "--r-col", "1", "--access", "nmos", "--v-gate", "1.5", "--nmos-kp", "3e-4"],
     "bits"),
    ("nmos-sinh-newton", dict(r_row=1, r_col=1, access="nmos", cell="sinh"),
     ["--r-row", "1", "--r-col", "1", "--access", "nmos", "--cell", "sinh"], "volts"),
    ("sinh-v0", dict(r_row=1, r_col=2, cell="sinh", sinh_v0=0.15),
     ["--r-row", "1", "--r-col", "2", "--cell", "sinh", "--sinh-v0", "0.15"], "volts"),
]


@pytest.mark.parametrize("name,kw,flags,kind", CASES, ids=[c[0] for c in CASES])
def test_solve_equals_cli(run_xbar, tmp_path, name, kw, flags, kind):
    M, N, K = 13, 7, 5
    G = conductances(M, N)
    V = volts(K, M) if kind == "volts" else bits(K, M)
    # Each comparison on a fresh Crossbar: a warm-started Newton (nonlinear
    # devices) ends in other last bits after other vectors, in the command too.
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{V}", "--out", "{tmp}/I.npy", "--quiet"] + flags,
             G=G, V=V)
    I = np.load(tmp_path / "I.npy")
    assert I.shape == (K, N)
    assert np.array_equal(xbar.Crossbar(G, **kw).solve(V), I)
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{V}", "--out", "{tmp}/I2.npy",
              "--node-voltages", "{tmp}/nv.npy"] + flags, G=G, V=V)
    assert np.array_equal(xbar.Crossbar(G, **kw).node_voltages(V), np.load(tmp_path / "nv.npy"))
    # One vector in, N currents out, as the command writes them; the summary
    # printed (not --quiet) does not change them.
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{v}", "--out", "{tmp}/i1.npy"] + flags,
             G=G, v=V[2])
    i1 = np.load(tmp_path / "i1.npy")
    assert i1.shape == (N,)
    assert np.array_equal(xbar.Crossbar(G, **kw).solve(V[2]), i1)


def test_per_segment_arrays_equal_cli(run_xbar, tmp_path):
    M, N, K = 9, 11, 3
    G = conductances(M, N)
    V = volts(K, M)
    seg = dict(r_row=RNG.uniform(0, 3, (M, N)), r_col=RNG.uniform(0, 3, (M, N)),
               r_drv=RNG.uniform(0, 200, M), r_sense=RNG.uniform(0, 200, N))
    xb = xbar.Crossbar(G, **seg)
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{V}", "--out", "{tmp}/I.npy", "--quiet",
              "--r-row-file", "{a}", "--r-col-file", "{b}", "--r-drv-file", "{c}", "--r-sense-file", "{d}"],
             G=G, V=V, a=seg["r_row"], b=seg["r_col"], c=seg["r_drv"], d=seg["r_sense"])
    assert np.array_equal(xb.solve(V), np.load(tmp_path / "I.npy"))
    # The source line per segment, on a gate-input array.
    x = bits(K, M)
    rsl = RNG.uniform(0, 3, (M, N))
    gi = xbar.Crossbar(G, topology="gate-input", r_col=1, source_line="column", r_sl=rsl)
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{x}", "--out", "{tmp}/Ig.npy", "--quiet",
              "--topology", "gate-input", "--r-col", "1", "--source-line", "column", "--r-sl-file", "{s}"],
             G=G, x=x, s=rsl)
    assert np.array_equal(gi.solve(x), np.load(tmp_path / "Ig.npy"))


def test_conversions_give_the_same_bits():
    """float32, integer, Fortran-ordered and strided inputs are converted, not refused."""
    M, N = 16, 8
    G = conductances(M, N)
    V = volts(4, M)
    xb = xbar.Crossbar(G, r_row=1, r_col=1)
    ref = xb.solve(V)
    assert np.array_equal(xbar.Crossbar(np.asfortranarray(G), r_row=1, r_col=1).solve(V), ref)
    assert np.array_equal(xb.solve(np.asfortranarray(V)), ref)
    wide = np.zeros((4, 2 * M))
    wide[:, ::2] = V
    assert np.array_equal(xb.solve(wide[:, ::2]), ref)          # a non-contiguous view
    assert np.array_equal(xb.solve(V.tolist()), ref)            # nested lists
    V32 = V.astype(np.float32)
    assert np.array_equal(xb.solve(V32), xb.solve(V32.astype(np.float64)))
    x = bits(3, M)
    gi = xbar.Crossbar(G, topology="gate-input", r_col=1)
    assert np.array_equal(gi.solve(x.astype(bool)), gi.solve(x))
    assert np.array_equal(gi.solve(x.astype(np.int8)), gi.solve(x))
    assert np.array_equal(xb.solve(V[0].reshape(M, 1)), xb.solve(V[0]))  # a column, as the command takes it
    assert xb.solve(np.empty((0, M))).shape == (0, N)


def test_netlist_equals_cli(run_xbar, tmp_path):
    M, N = 5, 4
    G = conductances(M, N)
    v = volts(1, M)[0]
    kw = dict(r_row=1, r_col=1, r_drv=10, r_sense=10, r_access=500)
    flags = ["--r-row", "1", "--r-col", "1", "--r-drv", "10", "--r-sense", "10", "--r-access", "500"]
    xb = xbar.Crossbar(G, **kw)
    run_xbar(["netlist", "--conductances", "{G}", "--inputs", "{v}", "-o", "{tmp}/a.cir"] + flags, G=G, v=v)
    assert xb.netlist(v) == (tmp_path / "a.cir").read_text()
    run_xbar(["netlist", "--conductances", "{G}", "--inputs", "{v}", "-o", "{tmp}/b.cir", "--bare"] + flags,
             G=G, v=v)
    assert xb.netlist(v, control=False) == (tmp_path / "b.cir").read_text()
    assert xb.netlist(v, title="my array").splitlines()[0] == "my array"


@pytest.mark.parametrize("topology", ["input-source", "gate-input"])
def test_ir_drop_matches_cli_summary(run_xbar, topology):
    M, N = 32, 24
    G = conductances(M, N)
    V = bits(2, M) if topology == "gate-input" else np.abs(volts(2, M))
    # ohms: gate-input rows carry no wire and no driver resistance
    r_row, r_drv = (0, 0) if topology == "gate-input" else (2, 50)
    xb = xbar.Crossbar(G, topology=topology, r_row=r_row, r_col=2, r_drv=r_drv, r_sense=50)
    p = run_xbar(["solve", "--conductances", "{G}", "--inputs", "{V}", "--out", "{V}.out.npy", "--topology",
                  topology, "--r-row", str(r_row), "--r-col", "2", "--r-drv", str(r_drv), "--r-sense", "50"],
                 G=G, V=V)
    m = re.search(r"ir_drop \(vector 0\): worst (\S+) V = \S+ of \S+ V at cell \((\d+),(\d+)\), mean (\S+) V",
                  p.stdout)
    assert m, p.stdout
    drop = xb.ir_drop(V)
    assert drop.shape == (2, M, N)
    d0 = drop[0]
    assert "%.6g" % d0.max() == m.group(1)
    assert np.unravel_index(np.argmax(d0), d0.shape) == (int(m.group(2)), int(m.group(3)))
    assert "%.6g" % d0.mean() == m.group(4)
    assert np.array_equal(xb.ir_drop(V[1]), drop[1])
    if topology == "gate-input":
        assert not drop[0][V[0] == 0].any()


def test_defaults_are_the_commands(run_xbar, tmp_path):
    """v_read, sinh_v0 and the NMOS parameters default as `xbar solve`'s do."""
    M, N = 6, 5
    G = conductances(M, N)
    x = bits(2, M)
    xb = xbar.Crossbar(G, topology="gate-input", r_col=1, access="nmos", cell="sinh")
    run_xbar(["solve", "--conductances", "{G}", "--inputs", "{x}", "--out", "{tmp}/I.npy", "--quiet",
              "--topology", "gate-input", "--r-col", "1", "--access", "nmos", "--cell", "sinh"], G=G, x=x)
    assert np.array_equal(xb.solve(x), np.load(tmp_path / "I.npy"))
    assert xbar.nmos_defaults() == {"kp": 2e-4, "vto": 0.4, "lambda": 0.05, "w": 1e-6, "l": 1e-6, "v_gate": 1.2}


def test_solver_is_set_up_once():
    M, N = 20, 20
    xb = xbar.Crossbar(conductances(M, N), r_row=1, r_col=1)
    s0 = xb.stats
    assert xb.backend == "cholmod" and s0["n_factor"] == 1
    for _ in range(5):
        xb.solve(volts(3, M))
    s1 = xb.stats
    assert s1["n_factor"] == 1 and s1["n_vectors"] == 15
    assert xbar.Crossbar(conductances(M, N)).backend == "ideal"
