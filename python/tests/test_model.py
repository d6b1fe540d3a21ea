"""xbar.Model: the digital engine against torch's reference outputs of the
test networks (tests/data, made by tools/make_test_onnx.py), and its refusals."""

import os

import numpy as np
import pytest

import xbar


@pytest.fixture(scope="module")
def data():
    src = os.environ.get("XB_SOURCE_DIR")
    if not src:
        pytest.skip("XB_SOURCE_DIR is not set: run through ctest")
    return os.path.join(src, "tests", "data")


def rel_err(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


def test_infer_matches_reference(data):
    m = xbar.Model(os.path.join(data, "onnx_tinyresnet.onnx"))
    x = np.load(os.path.join(data, "onnx_tinyresnet_input.npy"))
    want = np.load(os.path.join(data, "onnx_tinyresnet_output.npy"))
    assert m.input_shape == x.shape[1:] and m.num_classes == want.shape[1]
    got = m.infer(x)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert rel_err(got, want) <= 1e-4  # float32 engine against torch, as test_onnx_engine
    assert rel_err(m.infer(x[1]), want[1]) <= 1e-4  # one image, one row (sgemm blocks differ by batch)
    assert np.array_equal(m.infer(x.astype(np.float64)), got)  # converted to float32
    assert m.infer(np.empty((0,) + m.input_shape)).shape == (0, m.num_classes)


def test_model_refusals(data, tmp_path):
    with pytest.raises(xbar.Error, match="nothing.onnx"):
        xbar.Model(str(tmp_path / "nothing.onnx"))
    with pytest.raises(xbar.Error, match="unsupported|Unsupported|not supported"):
        xbar.Model(os.path.join(data, "onnx_unsupported.onnx"))
    with pytest.raises(xbar.Error, match="expected a file name"):
        xbar.Model(3)
    m = xbar.Model(os.path.join(data, "onnx_tinyresnet.onnx"))
    c, h, w = m.input_shape
    for bad, match in [(np.zeros((2, c, h + 1, w)), "does not match the model's input"),
                       (np.zeros((c, h)), "does not match"),
                       (np.full((1, c, h, w), np.nan), "NaN"),
                       (np.zeros((1, c, h, w), dtype=complex), "dtype complex128")]:
        with pytest.raises(xbar.Error, match=match):
            m.infer(bad)
    m.close()
    with pytest.raises(xbar.Error, match="closed"):
        m.infer(np.zeros((1, c, h, w)))
