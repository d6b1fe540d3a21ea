"""xbar: analog compute-in-memory crossbars solved as exact circuits, from Python.

NumPy in, NumPy out, over libxbar (ctypes, no temporary files):

    import numpy as np, xbar
    G = np.full((64, 64), 1e-5)                   # siemens
    xb = xbar.Crossbar(G, r_row=1, r_col=1, r_drv=100, r_sense=100)
    I = xb.solve(np.full(64, 0.2))                # amperes into each column
    drop = xb.ir_drop(np.full(64, 0.2))           # volts lost per cell

See docs/python.md.  Errors raise xbar.Error (a ValueError) with the library's
message.  The library is found next to the installed package, or through the
XBAR_LIBRARY environment variable (a path to libxbar.so).
"""

from ._lib import Error, library_path
from ._crossbar import Crossbar, nmos_defaults
from ._validate import validate
from ._model import Model

__all__ = ["Crossbar", "Model", "Error", "validate", "nmos_defaults", "library_path"]
