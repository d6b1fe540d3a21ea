"""An ONNX network on crossbar arrays (xb_analog): Model.analog(**config).

The configuration keys are those of a sweep (docs/sweep.md, `analog_keys()`),
given as Python numbers or strings; each goes through the library's own
xb_analog_config_set, so a value means here exactly what it means in a sweep
file.
"""

import ctypes
import weakref

from . import _lib as L
from ._lib import Error


class xb_analog_config(ctypes.Structure):
    _fields_ = [("mvm", L.c_enum), ("weight_bits", L.c_int), ("scaling", L.c_enum), ("gmax", L.c_double),
                ("on_off", L.c_double), ("mapping", L.c_enum), ("offset_sub", L.c_enum), ("slices", L.c_int),
                ("slice_bits", L.c_int), ("error_model", L.c_enum), ("alpha", L.c_double), ("input", L.c_enum),
                ("input_bits", L.c_int), ("input_percentile", L.c_double), ("v_read", L.c_double),
                ("adc_bits", L.c_int), ("adc_percentile", L.c_double), ("calib_images", L.c_int),
                ("rows_per_array", L.c_int), ("cols_per_array", L.c_int), ("rp", L.c_double),
                ("r_drv", L.c_double), ("r_sense", L.c_double), ("access", L.c_enum), ("nmos", L.xb_nmos),
                ("cell", L.c_enum), ("sinh_v0", L.c_double), ("seed", L.c_ulong), ("source_line", L.c_enum),
                ("sl_drive", L.c_enum), ("r_sl", L.c_double),
                ("device", L.c_enum), ("device_file", ctypes.c_char * 1024), ("read_noise", L.c_double),
                ("read_noise_model", L.c_enum), ("drift_time", L.c_double), ("drift_t0", L.c_double),
                ("drift_nu", L.c_double), ("drift_nu_std", L.c_double), ("drift_compensation", L.c_enum),
                ("stuck_on", L.c_double), ("stuck_off", L.c_double)]


class xb_analog_key(ctypes.Structure):
    _fields_ = [("key", L.c_char_p), ("values", L.c_char_p), ("choices", ctypes.POINTER(L.c_char_p)),
                ("help", L.c_char_p)]


class xb_analog_stats(ctypes.Structure):
    _fields_ = [("t_program", L.c_double), ("t_solve", L.c_double), ("t_adc", L.c_double),
                ("t_digital", L.c_double), ("tiles", L.c_long), ("mvm_vectors", L.c_long)]


L.MIRRORS += [xb_analog_config, xb_analog_key, xb_analog_stats]

P_cfg = ctypes.POINTER(xb_analog_config)
P_float = ctypes.POINTER(ctypes.c_float)
xb_analog_config_init = L._fn("xb_analog_config_init", None, P_cfg)
xb_analog_config_key = L._fn("xb_analog_config_key", ctypes.POINTER(xb_analog_key), L.c_int)
xb_analog_config_set = L._fn("xb_analog_config_set", L.c_enum, P_cfg, L.c_char_p, L.c_char_p, L.P_err)
xb_analog_config_get = L._fn("xb_analog_config_get", L.c_enum, P_cfg, L.c_char_p, L.c_char_p, L.c_size_t,
                             L.P_err)
xb_analog_config_validate = L._fn("xb_analog_config_validate", L.c_enum, P_cfg, L.P_err)
xb_analog_new = L._fn("xb_analog_new", L.c_void_p, L.c_void_p, P_cfg, L.P_err)
xb_analog_free = L._fn("xb_analog_free", None, L.c_void_p)
xb_analog_calibrate = L._fn("xb_analog_calibrate", L.c_enum, L.c_void_p, P_float, L.c_int, L.c_int, L.P_err)
xb_analog_save_calibration = L._fn("xb_analog_save_calibration", L.c_enum, L.c_void_p, L.c_char_p, L.P_err)
xb_analog_load_calibration = L._fn("xb_analog_load_calibration", L.c_enum, L.c_void_p, L.c_char_p, L.P_err)
xb_analog_attach = L._fn("xb_analog_attach", L.c_enum, L.c_void_p, L.P_err)
xb_analog_detach = L._fn("xb_analog_detach", None, L.c_void_p)
xb_analog_get_stats = L._fn("xb_analog_get_stats", ctypes.POINTER(xb_analog_stats), L.c_void_p)
xb_model_run = L._fn("xb_model_run", L.c_enum, L.c_void_p, P_float, L.c_int, P_float, L.P_err)

# The sweep's default batch (study/sweep_eval.c): 64 images of up to 4096
# values, else 8.
SMALL_INPUT, BATCH_SMALL, BATCH_LARGE = 4096, 64, 8


def analog_keys():
    """Every analog configuration key: {key: (accepted values, one-line help)},
    in the order of a sweep's result columns."""
    out = {}
    i = 0
    while True:
        k = xb_analog_config_key(i)
        if not k:
            return out
        out[k.contents.key.decode()] = (k.contents.values.decode(), k.contents.help.decode())
        i += 1


def value_text(key, v):
    """A Python value as the text a configuration file would hold."""
    if isinstance(v, bool) or v is None:
        raise Error("%s: %r is not a number or a string" % (key, v))
    if isinstance(v, str):
        return v
    try:
        if float(v) == int(v) and not isinstance(v, float):
            return str(int(v))
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        return repr(float(v))
    except (TypeError, ValueError):
        raise Error("%s: %r is not a number or a string" % (key, v)) from None


def make_config(params):
    """An xb_analog_config: the defaults, then params in order, then checked."""
    cfg = xb_analog_config()
    xb_analog_config_init(ctypes.byref(cfg))
    err = L.xb_error()
    for key, v in params.items():
        if not isinstance(key, str):
            raise Error("analog configuration: key %r is not a string" % (key,))
        text = value_text(key, v)
        L.check(xb_analog_config_set(ctypes.byref(cfg), key.encode(), text.encode(), ctypes.byref(err)), err)
    L.check(xb_analog_config_validate(ctypes.byref(cfg), ctypes.byref(err)), err)
    return cfg


def config_dict(cfg):
    """Every key's value as text, as a sweep's CSV columns hold them."""
    out = {}
    buf = ctypes.create_string_buffer(1100)
    err = L.xb_error()
    for key in analog_keys():
        L.check(xb_analog_config_get(ctypes.byref(cfg), key.encode(), buf, len(buf), ctypes.byref(err)), err)
        out[key] = buf.value.decode()
    return out


class AnalogModel(L.Handle):
    """A Model whose matrix multiplies run on crossbar arrays solved as circuits
    (made by Model.analog).  Calibrate it (or load a calibration), then infer.
    It shares its Model's lock: calls on the two take turns."""

    def __init__(self, model, params):
        cfg = make_config(params)
        err = L.xb_error()
        with model._lock:
            model._check_open()
            a = xb_analog_new(model._m, ctypes.byref(cfg), ctypes.byref(err))
        if not a:
            raise L.fail(err)
        self._a, self._model, self._cfg = a, model, cfg
        self._finalizer = weakref.finalize(self, xb_analog_free, a)
        self._lock = model._lock
        self.calibrated = False
        model._children.add(self)

    @property
    def config(self):
        """Every analog parameter as text (the sweep's columns)."""
        return config_dict(self._cfg)

    @property
    def stats(self):
        """Where the time went (seconds) and how much was done, so far."""
        with self._lock:
            self._check_open()
            s = xb_analog_get_stats(self._a).contents
            return {f: getattr(s, f) for f, _ in xb_analog_stats._fields_}

    def _call(self, fn, *args):
        err = L.xb_error()
        with self._lock:
            self._check_open()
            self._model._check_open()
            L.check(fn(self._a, *args, ctypes.byref(err)), err)

    def calibrate(self, x, batch=None):
        """Fix the input and ADC ranges from images x (N x C x H x W): a digital
        pass, then an analog one with the ADC off, `batch` images at a time
        (default: as a sweep, 64 small images or 8 large ones)."""
        a, _ = self._model._images(x)
        if a.shape[0] < 1:
            raise Error("calibrate: no images")
        if batch is None:
            batch = BATCH_SMALL if a[0].size <= SMALL_INPUT else BATCH_LARGE
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise Error("calibrate: batch %r: expected a positive integer" % (batch,))
        self._call(xb_analog_calibrate, a.ctypes.data_as(P_float), a.shape[0], batch)
        self.calibrated = True

    def save_calibration(self, path):
        """Write the calibration (a small text file tied to this configuration)."""
        self._call(xb_analog_save_calibration, L.path_bytes(path))

    def load_calibration(self, path):
        """Read a calibration saved for this configuration and model.  A sweep
        stores every calibration it makes and reads it back before it runs
        the test images; saving and loading here gives the same numbers."""
        self._call(xb_analog_load_calibration, L.path_bytes(path))
        self.calibrated = True

    def infer(self, x):
        """Logits (float32), batch x classes, with every weight layer on arrays;
        one C x H x W image gives one row."""
        a, single = self._model._images(x)
        out = self._model._logits(a.shape[0])
        if a.shape[0]:
            err = L.xb_error()
            with self._lock:
                self._check_open()
                self._model._check_open()
                L.check(xb_analog_attach(self._a, ctypes.byref(err)), err)
                try:
                    st = xb_model_run(self._model._m, a.ctypes.data_as(P_float), a.shape[0],
                                      out.ctypes.data_as(P_float), ctypes.byref(err))
                finally:
                    xb_analog_detach(self._a)
            L.check(st, err)
        return out[0] if single else out

    def __repr__(self):
        c = self.config
        return "<xbar.AnalogModel mvm=%s mapping=%s rp=%s%s>" % (c["mvm"], c["mapping"], c["rp"],
                                                                 "" if self._finalizer.alive else ", closed")
