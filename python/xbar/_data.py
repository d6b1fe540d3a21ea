"""xbar.dataset: labelled images read and preprocessed by libxbar, exactly as
`xbar infer` and `xbar sweep` see them."""

import ctypes

import numpy as np

from . import _lib as L
from ._lib import Error

xb_dataset_open_spec = L._fn("xb_dataset_open_spec", L.c_enum, L.c_char_p, L.c_char_p,
                             ctypes.POINTER(L.c_void_p), L.P_err)
xb_dataset_free = L._fn("xb_dataset_free", None, L.c_void_p)
xb_dataset_count = L._fn("xb_dataset_count", L.c_size_t, L.c_void_p)
xb_dataset_input_shape = L._fn("xb_dataset_input_shape", None, L.c_void_p, ctypes.POINTER(L.c_int),
                               ctypes.POINTER(L.c_int), ctypes.POINTER(L.c_int))
xb_dataset_read_batch = L._fn("xb_dataset_read_batch", L.c_enum, L.c_void_p, L.c_size_t, L.c_int,
                              ctypes.POINTER(ctypes.c_float), ctypes.POINTER(L.c_int), L.P_err)

CHUNK = 256  # images per library call


def dataset(spec, limit=None, start=0, labels=None):
    """Images and labels of a dataset, preprocessed as the command line does:
    `spec` as `xbar infer --dataset` takes it ("fashion-mnist",
    "fashion-mnist-train", "imagenet:DIR", each with an optional ":DIR"),
    images start .. start+limit-1 (all by default).  Returns (x, y): float32
    N x C x H x W and int32 labels."""
    if not isinstance(spec, str):
        raise Error("dataset: spec %r: expected a string such as 'fashion-mnist'" % (spec,))
    for name, v in (("limit", limit), ("start", start)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
            raise Error("dataset: %s %r: expected a whole number >= 0" % (name, v))
    err = L.xb_error()
    d = L.c_void_p()
    lab = None if labels is None else L.path_bytes(labels, "dataset: labels")
    L.check(xb_dataset_open_spec(spec.encode(), lab, ctypes.byref(d), ctypes.byref(err)), err)
    try:
        total = xb_dataset_count(d)
        if start > total:
            raise Error("dataset: start %d is past the %d images of %s" % (start, total, spec))
        n = total - start if limit is None else min(int(limit), total - start)
        c, h, w = L.c_int(), L.c_int(), L.c_int()
        xb_dataset_input_shape(d, ctypes.byref(c), ctypes.byref(h), ctypes.byref(w))
        x = np.empty((n, c.value, h.value, w.value), dtype=np.float32)
        y = np.empty(n, dtype=np.int32)
        for i in range(0, n, CHUNK):
            k = min(CHUNK, n - i)
            st = xb_dataset_read_batch(d, start + i, k, x[i:].ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                       y[i:].ctypes.data_as(ctypes.POINTER(L.c_int)), ctypes.byref(err))
            L.check(st, err)
        return x, y
    finally:
        xb_dataset_free(d)
