"""Shared fixtures: the built `xbar` command and a runner for it.

ctest sets XB_XBAR (the command), XB_PYTHON_LAYOUT (tests/python_layout),
XB_SOURCE_DIR and XB_BINARY_DIR (tests/python.cmake)."""

import os
import subprocess

import numpy as np
import pytest


def _env(name):
    v = os.environ.get(name)
    if not v:
        pytest.skip("%s is not set: run through ctest (tests/python.cmake)" % name)
    return v


@pytest.fixture(scope="session")
def xbar_cmd():
    return _env("XB_XBAR")


@pytest.fixture(scope="session")
def binary_dir():
    return _env("XB_BINARY_DIR")


@pytest.fixture(scope="session")
def layout_probe():
    return _env("XB_PYTHON_LAYOUT")


@pytest.fixture
def run_xbar(xbar_cmd, tmp_path):
    """run_xbar(args, **arrays): write each array to tmp_path/<name>.npy, run
    `xbar <args>` with {name} in args replaced by that path, and return the
    finished process (check=True)."""
    def run(args, **arrays):
        paths = {}
        for name, a in arrays.items():
            p = tmp_path / (name + ".npy")
            np.save(p, a)
            paths[name] = str(p)
        argv = [xbar_cmd] + [a.format(tmp=str(tmp_path), **paths) for a in args]
        return subprocess.run(argv, check=True, capture_output=True, text=True)
    return run
