"""xbar.Model: an ONNX network run by libxbar's digital engine."""

import ctypes
import weakref

import numpy as np

from . import _lib as L
from ._lib import Error
from ._analog import AnalogModel

L.xb_model_load = L._fn("xb_model_load", L.c_void_p, L.c_char_p, L.P_err)
L.xb_model_free = L._fn("xb_model_free", None, L.c_void_p)
L.xb_model_input_shape = L._fn("xb_model_input_shape", L.c_enum, L.c_void_p, ctypes.POINTER(L.c_int),
                               ctypes.POINTER(L.c_int), ctypes.POINTER(L.c_int))
L.xb_model_num_classes = L._fn("xb_model_num_classes", L.c_int, L.c_void_p)
L.xb_model_run = L._fn("xb_model_run", L.c_enum, L.c_void_p, ctypes.POINTER(ctypes.c_float), L.c_int,
                       ctypes.POINTER(ctypes.c_float), L.P_err)


class Model(L.Handle):
    """An ONNX network (xb_model_load): `infer(x)` runs it digitally (float32,
    OpenBLAS), the same engine as `xbar infer`.  Calls on one Model take turns."""

    def __init__(self, path):
        err = L.xb_error()
        m = L.xb_model_load(L.path_bytes(path, "Model: path"), ctypes.byref(err))
        if not m:
            raise L.fail(err)
        self._m = m
        self._own(m, L.xb_model_free)
        c, h, w = L.c_int(), L.c_int(), L.c_int()
        L.xb_model_input_shape(m, ctypes.byref(c), ctypes.byref(h), ctypes.byref(w))
        self.input_shape = (c.value, h.value, w.value)
        self.num_classes = L.xb_model_num_classes(m)
        self._children = weakref.WeakSet()

    def analog(self, **config):
        """This network on crossbar arrays: an AnalogModel configured with the
        keys of a sweep (docs/sweep.md; `xbar.analog_keys()` lists them), e.g.
        `m.analog(rp=1e-4, mapping="offset", adc_bits=8)`.  Calibrate it, then
        infer.  Closing this Model closes its analog models first."""
        return AnalogModel(self, config)

    def close(self):
        for c in list(self._children):
            c.close()
        super().close()

    def _images(self, x):
        """x as a C-contiguous float32 N x C x H x W array, and whether it was
        one C x H x W image."""
        self._check_open()
        try:
            a = np.asarray(x)
        except Exception as e:
            raise Error("x: not an array of numbers (%s)" % e) from None
        if a.dtype.kind not in "biuf":
            raise Error("x: dtype %s is not a real number type" % a.dtype)
        single = a.shape == self.input_shape
        if single:
            a = a[None]
        if a.ndim != 4 or a.shape[1:] != self.input_shape:
            raise Error("x: shape %s does not match the model's input: expected N x %d x %d x %d"
                        % ((np.shape(x),) + self.input_shape))
        a = np.ascontiguousarray(a, dtype=np.float32)
        if not np.isfinite(a).all():
            raise Error("x: holds NaN or infinite values")
        if a.shape[0] > 2**31 - 1:
            raise Error("x: %d images are too many for one call" % a.shape[0])
        return a, single

    def _logits(self, n):
        return np.empty((n, self.num_classes), dtype=np.float32)

    def infer(self, x):
        """Logits, batch x classes (float32), for an N x C x H x W array (one
        C x H x W image gives one row of logits), computed digitally."""
        a, single = self._images(x)
        out = self._logits(a.shape[0])
        if a.shape[0]:
            err = L.xb_error()
            fp = ctypes.POINTER(ctypes.c_float)
            with self._lock:
                self._check_open()
                st = L.xb_model_run(self._m, a.ctypes.data_as(fp), a.shape[0], out.ctypes.data_as(fp),
                                    ctypes.byref(err))
            L.check(st, err)
        return out[0] if single else out

    def __repr__(self):
        if not hasattr(self, "_finalizer"):
            return "<xbar.Model, not loaded>"
        return "<xbar.Model %s -> %d classes%s>" % ("x".join(map(str, self.input_shape)), self.num_classes,
                                                    "" if self._finalizer.alive else ", closed")
