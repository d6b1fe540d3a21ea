"""xbar.sweep: a network's accuracy over a grid of analog parameters, through
the library's own sweep engine (xb_sweep_run), so the results file, the
resuming and the plots are those of `xbar sweep`.

Ctrl-C (KeyboardInterrupt) while a sweep runs on the main thread stops it at
the next point boundary: the running point finishes and writes its row, no
other starts, and KeyboardInterrupt is raised once the library has returned.
A second Ctrl-C drops the running point too.  Either way every row already
written stays, and calling sweep() again resumes.
"""

import csv
import ctypes
import json
import os
import signal
import sys
import threading
import time
import warnings

from . import _lib as L
from . import _paths
from ._analog import xb_analog_stats
from ._lib import Error


class xb_sweep_param(ctypes.Structure):
    _fields_ = [("key", L.c_char_p), ("value", L.c_char_p)]


class xb_sweep_axis(ctypes.Structure):
    _fields_ = [("key", L.c_char_p), ("values", ctypes.POINTER(L.c_char_p)), ("n", L.c_int)]


class xb_sweep_plot_spec(ctypes.Structure):
    _fields_ = [("x", L.c_char_p), ("log", L.c_int)]


class xb_sweep_config(ctypes.Structure):
    _fields_ = [("path", L.c_char_p), ("model", L.c_char_p), ("model_name", L.c_char_p),
                ("dataset", L.c_char_p), ("dataset_name", L.c_char_p), ("labels", L.c_char_p),
                ("calib_dataset", L.c_char_p), ("calib_labels", L.c_char_p), ("images", L.c_long),
                ("batch", L.c_int), ("cache_dir", L.c_char_p), ("output", L.c_char_p), ("title", L.c_char_p),
                ("base", ctypes.POINTER(xb_sweep_param)), ("n_base", L.c_int), ("baseline", L.c_int),
                ("baseline_params", ctypes.POINTER(xb_sweep_param)), ("n_baseline", L.c_int),
                ("axes", ctypes.POINTER(xb_sweep_axis)), ("n_axes", L.c_int),
                ("plots", ctypes.POINTER(xb_sweep_plot_spec)), ("n_plots", L.c_int), ("n_points", L.c_long)]


class xb_sweep_score(ctypes.Structure):
    _fields_ = [("done", L.c_int), ("images", L.c_size_t), ("correct", L.c_size_t), ("top1", L.c_double),
                ("ci_low", L.c_double), ("ci_high", L.c_double)]


class xb_sweep_result(ctypes.Structure):
    _fields_ = [("images", L.c_size_t), ("correct", L.c_size_t), ("seconds", L.c_double),
                ("cpu_seconds", L.c_double), ("calib_seconds", L.c_double), ("calib_cached", L.c_int),
                ("stats", xb_analog_stats), ("hash", ctypes.c_ulonglong)]


class xb_sweep_plan(ctypes.Structure):
    _fields_ = [("csv_path", L.c_char_p), ("images", L.c_long), ("total", L.c_long), ("done", L.c_long),
                ("todo", L.c_long), ("ranks", L.c_int), ("dropped", L.c_size_t)]


PLAN_FN = ctypes.CFUNCTYPE(None, L.c_void_p, ctypes.POINTER(xb_sweep_plan))
PROGRESS_FN = ctypes.CFUNCTYPE(None, L.c_void_p, L.c_long, L.c_char_p, L.c_size_t, L.c_size_t)
REPORT_FN = ctypes.CFUNCTYPE(None, L.c_void_p, L.c_long, ctypes.POINTER(xb_sweep_result),
                             ctypes.POINTER(xb_sweep_score))
PLOT_FN = ctypes.CFUNCTYPE(None, L.c_void_p, L.c_char_p, L.c_char_p, L.c_char_p)
WARNING_FN = ctypes.CFUNCTYPE(None, L.c_void_p, L.c_char_p)
STOP_FN = ctypes.CFUNCTYPE(L.c_int, L.c_void_p)


class xb_sweep_options(ctypes.Structure):
    _fields_ = [("output", L.c_char_p), ("limit", L.c_long), ("plots_only", L.c_int),
                ("git_version", L.c_char_p), ("plan", PLAN_FN), ("progress", PROGRESS_FN), ("report", REPORT_FN),
                ("plot", PLOT_FN), ("warning", WARNING_FN), ("stop", STOP_FN), ("user", L.c_void_p)]


class xb_sweep_outcome(ctypes.Structure):
    _fields_ = [("rank", L.c_int), ("ranks", L.c_int), ("failed_here", L.c_int), ("must_abort", L.c_int),
                ("stopped", L.c_int)]


L.MIRRORS += [xb_sweep_param, xb_sweep_axis, xb_sweep_plot_spec, xb_sweep_config, xb_sweep_score,
              xb_sweep_result, xb_sweep_plan, xb_sweep_options, xb_sweep_outcome]

XB_SWEEP_GO_ON, XB_SWEEP_STOP_AFTER, XB_SWEEP_STOP_NOW = 0, 1, 2
XB_SWEEP_BASELINE = -1

P_config = ctypes.POINTER(xb_sweep_config)
xb_sweep_config_load = L._fn("xb_sweep_config_load", L.c_enum, L.c_char_p, P_config, L.P_err)
xb_sweep_config_parse = L._fn("xb_sweep_config_parse", L.c_enum, L.c_char_p, L.c_char_p, P_config, L.P_err)
xb_sweep_config_free = L._fn("xb_sweep_config_free", None, P_config)
xb_sweep_task_label = L._fn("xb_sweep_task_label", None, P_config, L.c_long, L.c_char_p, L.c_size_t)
xb_sweep_run = L._fn("xb_sweep_run", L.c_enum, P_config, ctypes.POINTER(xb_sweep_options),
                     ctypes.POINTER(xb_sweep_outcome), L.P_err)

DICT_NAME = "sweep configuration (dict)"  # names a dict configuration in messages
PERIOD = 0.25                              # seconds between progress lines


def _cell(text):
    """A CSV field as a Python value: int, float, or the text."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def read_rows(path):
    """The rows of a results file (sweep.csv) as dicts of Python values."""
    with open(path, newline="") as f:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(f)]


class Rows(list):
    """The rows of a sweep (dicts, one per task, the CSV's columns); `csv` is
    the results file and `plan` what the run found and did."""


class _Run:
    """The callbacks of one run and what they heard."""

    def __init__(self, cfg, progress):
        self.cfg, self.progress = cfg, progress
        self.interrupts = 0
        self.failure = None  # the first exception a callback raised
        self.plan = {}
        self.shown = 0.0
        self.line = False

    def label(self, task):
        buf = ctypes.create_string_buffer(1024)
        xb_sweep_task_label(ctypes.byref(self.cfg), task, buf, len(buf))
        return buf.value.decode("utf-8", "replace")

    def emit(self, event):
        if callable(self.progress):
            self.progress(event)
        elif self.progress:
            self.show(event)

    def show(self, e):
        """The default: one line on stderr, rewritten in place."""
        now = time.monotonic()
        kind = e["event"]
        if kind == "images" and e["done"] < e["total"] and now - self.shown < PERIOD:
            return
        self.shown = now
        if kind in ("calibrating", "images"):
            text = "xbar.sweep: %s: %s %d/%d" % (e["label"], kind, e["done"], e["total"])
            sys.stderr.write("\r\033[K" + text)
            self.line = True
        elif kind == "row":
            self.clear()
            sys.stderr.write("xbar.sweep: %s: top1 %.4f (%d/%d)\n" % (e["label"], e["top1"], e["correct"],
                                                                       e["images"]))
        elif kind == "plan":
            sys.stderr.write("xbar.sweep: %s: %d of %d tasks to run, %d done\n" % (
                e["csv"], e["todo"], e["total"], e["done"]))
        sys.stderr.flush()

    def clear(self):
        if self.line:
            sys.stderr.write("\r\033[K")
            self.line = False

    def guard(self, fn, *args):
        """Run a callback; an exception in it stops the sweep at once and is
        raised again when the library returns."""
        try:
            return fn(*args)
        except BaseException as e:  # KeyboardInterrupt included
            if self.failure is None:
                self.failure = e
            return None

    # ---- the C callbacks ----
    def on_plan(self, user, p):
        p = p.contents
        self.plan = {"event": "plan", "csv": p.csv_path.decode(), "images": p.images, "total": p.total,
                     "done": p.done, "todo": p.todo, "ranks": p.ranks}
        self.guard(self.emit, dict(self.plan))

    def on_progress(self, user, task, phase, done, total):
        e = {"event": phase.decode(), "task": task, "label": self.label(task), "done": done, "total": total}
        self.guard(self.emit, e)

    def on_report(self, user, task, r, sc):
        r, sc = r.contents, sc.contents
        e = {"event": "row", "task": task, "label": self.label(task), "images": sc.images, "correct": sc.correct,
             "top1": sc.top1, "ci_low": sc.ci_low, "ci_high": sc.ci_high, "seconds": r.seconds}
        self.guard(self.emit, e)

    def on_plot(self, user, axis, path, why):
        e = {"event": "plot", "axis": axis.decode(), "path": path.decode() if path else None,
             "why": why.decode() if why else None}
        self.guard(self.emit, e)

    def on_warning(self, user, msg):
        self.guard(warnings.warn, "xbar.sweep: " + msg.decode("utf-8", "replace"), RuntimeWarning)

    def on_stop(self, user):
        if self.failure is not None:
            return XB_SWEEP_STOP_NOW
        return min(self.interrupts, XB_SWEEP_STOP_NOW)

    def on_sigint(self, signum, frame):
        self.interrupts += 1
        self.clear()
        sys.stderr.write("xbar.sweep: stopping after the running point (Ctrl-C again: stop now)\n"
                         if self.interrupts == 1 else "xbar.sweep: stopping now\n")
        sys.stderr.flush()


def _load(config):
    """The library's configuration from a file name or a dict."""
    cfg = xb_sweep_config()
    err = L.xb_error()
    if isinstance(config, dict):
        try:
            text = json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise Error("%s: not JSON: %s" % (DICT_NAME, e)) from None
        st = xb_sweep_config_parse(text.encode(), DICT_NAME.encode(), ctypes.byref(cfg), ctypes.byref(err))
    else:
        st = xb_sweep_config_load(L.path_bytes(config, "sweep: configuration"), ctypes.byref(cfg),
                                  ctypes.byref(err))
    L.check(st, err)
    return cfg


def sweep(config, out=None, limit=None, plots_only=False, progress=True):
    """Run (or resume) a sweep, as `xbar sweep CONFIG.json` does; return its rows.

    config: a configuration file (docs/sweep.md) or the same as a dict (its
    relative paths are taken from the working directory; give `out`, or an
    "output" key).  out: the output folder (default: the configuration's
    "output", else sweep-<file name>).  limit: at most this many test images
    per point.  plots_only: run nothing, draw the plots from the rows there.
    progress: True (a line on stderr), False, or a function called with a
    dict per event ("plan", "calibrating", "images", "row", "plot").

    Returns Rows: a list of dicts (one per task, the CSV's columns as numbers
    or text) with .csv, the results file, and .plan."""
    if isinstance(config, dict) and out is None and "output" not in config:
        raise Error("%s: give out=DIR or an \"output\" key: a dict has no file name to make one from"
                    % DICT_NAME)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise Error("sweep: limit %r: expected a positive integer" % (limit,))
    cfg = _load(config)
    run = _Run(cfg, progress)
    keep = [PLAN_FN(run.on_plan), PROGRESS_FN(run.on_progress), REPORT_FN(run.on_report), PLOT_FN(run.on_plot),
            WARNING_FN(run.on_warning), STOP_FN(run.on_stop)]
    o = xb_sweep_options(None if out is None else L.path_bytes(out, "sweep: out"), limit or 0, int(bool(plots_only)),
                         _paths.GIT_VERSION.encode(), *keep, None)
    outcome = xb_sweep_outcome()
    err = L.xb_error()
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, run.on_sigint) if main else None
    try:
        st = xb_sweep_run(ctypes.byref(cfg), ctypes.byref(o), ctypes.byref(outcome), ctypes.byref(err))
    finally:
        if main:
            signal.signal(signal.SIGINT, old if old is not None else signal.SIG_DFL)
        run.clear()
        xb_sweep_config_free(ctypes.byref(cfg))
    del keep
    if run.failure is not None:
        raise run.failure
    L.check(st, err)
    if outcome.stopped:
        raise KeyboardInterrupt("xbar.sweep stopped: the finished rows are in %s; call sweep() again to resume"
                                % run.plan.get("csv", "the results file"))
    path = run.plan.get("csv")
    rows = Rows(read_rows(path) if path and os.path.exists(path) else [])
    rows.csv, rows.plan = path, run.plan
    return rows
