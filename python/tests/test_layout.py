"""The ctypes mirrors (xbar/_lib.py) against the C compiler's layout."""

import ctypes
import json
import subprocess

import xbar._lib as L
import xbar._study as S


def test_structs_match_headers(layout_probe):
    out = json.loads(subprocess.run([layout_probe], check=True, capture_output=True, text=True).stdout)
    consts = out.pop("constants")
    assert consts["enum_size"] == ctypes.sizeof(L.c_enum)
    for name in ("XB_ERROR_MSG_LEN", "XB_VALIDATE_BUCKETS", "XB_VALIDATE_KINDS", "XB_VALIDATE_FULL_CASES"):
        assert getattr(L, name) == consts[name], name
    assert S.XB_STUDY_MAX_FILES == consts["XB_STUDY_MAX_FILES"]
    mirrors = {m.__name__: m for m in L.MIRRORS}
    assert set(mirrors) == set(out), "mirrored structs and python_layout.c list different structs"
    for name, c in out.items():
        m = mirrors[name]
        assert [f for f, _ in m._fields_] == list(c["fields"]), "%s: fields differ" % name
        for f, off in c["fields"].items():
            assert getattr(m, f).offset == off, "%s.%s at %d in C" % (name, f, off)
        assert ctypes.sizeof(m) == c["size"], "%s: size %d in C" % (name, c["size"])
