"""How the package finds libxbar: the build's copy (build/python, what ctest
runs), XBAR_LIBRARY, and an installation made by `cmake --install`."""

import os
import subprocess
import sys

import pytest

import xbar

PROBE = "import numpy as np, xbar; print(xbar.library_path); print(xbar.Crossbar(np.full((3, 2), 1e-5)).solve(np.ones(3)).tolist())"


def run(env, cwd=None):
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XBAR_LIBRARY")}
    e.update(env)
    return subprocess.run([sys.executable, "-c", PROBE], env=e, cwd=cwd, capture_output=True, text=True)


def test_build_tree_copy_points_at_the_build(binary_dir):
    assert os.path.samefile(os.path.dirname(xbar.library_path), binary_dir)


def test_xbar_library_overrides(binary_dir, tmp_path):
    lib = os.path.join(binary_dir, "libxbar.so")
    p = run({"PYTHONPATH": os.path.join(binary_dir, "python"), "XBAR_LIBRARY": lib})
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == lib
    assert eval(p.stdout.splitlines()[1]) == [1e-5 + 1e-5 + 1e-5] * 2  # amperes: 3 rows at 1 V through 10 uS
    p = run({"PYTHONPATH": os.path.join(binary_dir, "python"), "XBAR_LIBRARY": str(tmp_path / "nothing.so")})
    assert p.returncode != 0
    assert "XBAR_LIBRARY=" in p.stderr and "nothing.so" in p.stderr and "ImportError" in p.stderr


def test_installed_package(binary_dir, tmp_path):
    """cmake --install into a scratch prefix, then import from there alone,
    from another folder: the package finds the installed library beside it."""
    prefix = tmp_path / "prefix"
    p = subprocess.run(["cmake", "--install", binary_dir, "--prefix", str(prefix)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    inits = list(prefix.glob("lib/python3*/dist-packages/xbar/__init__.py"))
    assert len(inits) == 1, list(prefix.rglob("__init__.py"))
    site = inits[0].parent.parent
    p = run({"PYTHONPATH": str(site)}, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert os.path.samefile(os.path.dirname(p.stdout.splitlines()[0]), prefix / "lib")
    # Moved as a whole, it still works.
    moved = tmp_path / "moved"
    prefix.rename(moved)
    p = run({"PYTHONPATH": str(moved / site.relative_to(prefix))}, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
