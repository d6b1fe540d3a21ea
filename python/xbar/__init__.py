"""xbar: analog compute-in-memory crossbars solved as exact circuits, from Python.

NumPy in, NumPy out, over libxbar (ctypes, no temporary files):

    import numpy as np, xbar
    G = np.full((64, 64), 1e-5)                   # siemens
    xb = xbar.Crossbar(G, r_row=1, r_col=1, r_drv=100, r_sense=100)
    I = xb.solve(np.full(64, 0.2))                # amperes into each column
    drop = xb.ir_drop(np.full(64, 0.2))           # volts lost per cell

Networks: xbar.Model(path).infer(x), .analog(rp=1e-4, ...) on arrays solved
as circuits; xbar.sweep(config) and xbar.study_wires(...) run the command's
studies and return their rows.  See docs/python.md.  Errors raise xbar.Error (a ValueError) with the library's
message.  The library is found next to the installed package, or through the
XBAR_LIBRARY environment variable (a path to libxbar.so).
"""

from ._lib import Error, library_path
from ._crossbar import Crossbar, nmos_defaults
from ._validate import validate
from ._model import Model
from ._analog import AnalogModel, analog_keys
from ._data import dataset
from ._sweep import sweep, read_rows
from ._study import study_wires
from ._lib import threads, set_threads

__all__ = ["Crossbar", "Model", "AnalogModel", "Error", "validate", "nmos_defaults", "library_path", "analog_keys",
           "dataset", "sweep", "read_rows", "study_wires", "threads", "set_threads"]
