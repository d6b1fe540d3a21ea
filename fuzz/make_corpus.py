#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Standard library only; the output is deterministic (gzip members carry no time
stamp), so rerunning it changes nothing.  The ONNX seeds are the models of
tests/data.  Inputs that libFuzzer finds and that are worth keeping (new
coverage, regressions) are added next to these by hand.
"""

import gzip
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---- .npy ----------------------------------------------------------------------

def npy(descr, shape, payload, fortran=False, version=(1, 0)):
    tup = "(" + "".join("%d, " % s for s in shape)
    tup = tup[:-2] + ("," if len(shape) == 1 else "") + ")" if shape else "()"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, tup)
    pre = 10 if version[0] == 1 else 12
    total = pre + len(d) + 1
    d += " " * ((64 - total % 64) % 64) + "\n"
    head = b"\x93NUMPY" + bytes(version)
    head += struct.pack("<H" if version[0] == 1 else "<I", len(d))
    return head + d.encode("latin-1") + payload


def npy_seeds():
    put("npy", "f8_2x3", npy("<f8", (2, 3), struct.pack("<6d", 1, -2.5, 3e-5, 0, 1e300, -0.0)))
    put("npy", "f4_fortran_3x2", npy("<f4", (3, 2), struct.pack("<6f", 1, 2, 3, 4, 5, 6), fortran=True))
    put("npy", "f8_fortran_2x2x2", npy("<f8", (2, 2, 2), struct.pack("<8d", *range(8)), fortran=True))
    put("npy", "i2_big_endian_4", npy(">i2", (4,), struct.pack(">4h", -32768, -1, 0, 32767)))
    put("npy", "u1_scalar", npy("|u1", (), b"\x07"))
    put("npy", "b1_2x2", npy("|b1", (2, 2), b"\x00\x01\x02\x00"))
    put("npy", "f2_specials_4", npy("<f2", (4,), struct.pack("<4H", 0x7C00, 0x7E00, 0x0001, 0xC000)))
    put("npy", "i8_v2_2x2", npy("<i8", (2, 2), struct.pack("<4q", 1, -1, 2**53, -(2**53)), version=(2, 0)))
    put("npy", "u8_too_large_1", npy("<u8", (1,), struct.pack("<Q", 2**53 + 1)))
    put("npy", "f8_empty_0x3", npy("<f8", (0, 3), b""))
    put("npy", "f8_truncated_3", npy("<f8", (3,), struct.pack("<2d", 1, 2)))
    put("npy", "i4_native_3", npy("=i4", (3,), struct.pack("=3i", 5, 6, 7)))


# ---- CSV -------------------------------------------------------------------------

def csv_seeds():
    put("csv", "plain_2x3", "1,2,3\n4,5,6\n")
    put("csv", "comments_blanks", "# G in siemens\n\n1e-5, 2e-5\n  # indented comment\n3e-5 ,\t4e-5\n")
    put("csv", "crlf", "0.1,0.2\r\n0.3,0.4\r\n")
    put("csv", "specials", "inf,-inf,nan,-0,1e-320,0x1p-3\n")
    put("csv", "one_value_no_newline", "42")
    put("csv", "ragged", "1,2\n3\n")
    put("csv", "trailing_comma", "1,2,\n")
    put("csv", "empty_field", "1,,2\n")
    put("csv", "column", "1\n2\n3\n4\n")


# ---- JSON configurations (`xbar sweep`) ----------------------------------------------

def config_seeds():
    d = os.path.join(CORPUS, "config_json")
    if os.path.isdir(d):
        shutil.rmtree(d)
    examples = os.path.join(ROOT, "examples")
    for name in sorted(os.listdir(examples)):
        if name.endswith(".json"):
            with open(os.path.join(examples, name), "rb") as f:
                put("config_json", "example_" + name[:-5], f.read())
    put("config_json", "minimal", '{"model": "m.onnx", "dataset": "fashion-mnist"}\n')
    put("config_json", "imagenet_every_key",
        '{"description": "all the keys", "model": "/abs/m.onnx", "dataset": "imagenet:val",\n'
        ' "labels": "val/labels.txt", "calibration_dataset": "imagenet:train",\n'
        ' "calibration_labels": "train/labels.txt", "images": "all", "batch": 8,\n'
        ' "calibration_images": 16, "cache_dir": "cache", "output": "out", "title": "t",\n'
        ' "base": {"mvm": "exact", "mapping": "offset", "offset": "unit-column", "on_off": "inf",\n'
        '          "input": "dac", "input_bits": 6, "rows_per_array": 144, "cols_per_array": 64},\n'
        ' "baseline": {"mvm": "digital", "weight_bits": 8},\n'
        ' "axes": {"rp": [0, 1e-5, 1e-4], "adc_bits": [4, 8, "off"], "seed": [1, 2]},\n'
        ' "plots": [{"x": "rp", "log": true}, "adc_bits"]}\n')
    put("config_json", "newton",
        '{"model": "m.onnx", "dataset": "fashion-mnist:/data", "baseline": false,\n'
        ' "base": {"mvm": "newton", "access": "nmos", "cell": "sinh", "sinh_v0": 0.25,\n'
        '          "nmos_kp": 2e-4, "nmos_vto": 0.4, "nmos_lambda": 0.05, "nmos_w": 1e-6,\n'
        '          "nmos_l": 1e-6, "v_gate": 1.2, "r_drv": 10, "r_sense": 10},\n'
        ' "axes": {"error_model": ["none", "independent", "proportional"], "alpha": [0, 0.05]}}\n')
    put("config_json", "bad_values",
        '{"model": "m.onnx", "dataset": "fashion-mnist",\n'
        ' "base": {"weight_bits": 1, "gmax": "NaN", "slicing": "3x"},\n'
        ' "axes": {"mvm": ["quantum"], "seed": [-1]}}\n')
    put("config_json", "duplicate_and_unknown",
        '{"model": "a", "model": "b", "dataset": "fashion-mnist", "extra": 1}\n')
    put("config_json", "syntax_error", '{"model": "m.onnx", "dataset": [1, 2,\n')


# ---- IDX (Fashion-MNIST) -------------------------------------------------------------

def idx(dims, payload):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + struct.pack(">%dI" % len(dims), *dims) + payload


def pair(labels, images):
    """The input of fuzz_idx: labels length (LE16), labels file, images file."""
    return struct.pack("<H", len(labels)) + labels + images


def pixels(n):
    return bytes((i * 7 + i // 28) % 256 for i in range(n * 28 * 28))


def idx_seeds():
    put("idx", "one_image", pair(idx([1], b"\x03"), idx([1, 28, 28], pixels(1))))
    put("idx", "three_images", pair(idx([3], b"\x00\x05\x09"), idx([3, 28, 28], pixels(3))))
    put("idx", "gzip_both", pair(gz(idx([2], b"\x01\x02")), gz(idx([2, 28, 28], pixels(2)))))
    put("idx", "gzip_images", pair(idx([2], b"\x07\x08"), gz(idx([2, 28, 28], pixels(2)))))
    put("idx", "truncated_images", pair(idx([2], b"\x01\x02"), idx([2, 28, 28], pixels(1) + b"\x00" * 10)))
    put("idx", "label_out_of_range", pair(idx([1], b"\x0a"), idx([1, 28, 28], pixels(1))))
    put("idx", "count_mismatch", pair(idx([2], b"\x01\x02"), idx([1, 28, 28], pixels(1))))
    put("idx", "wrong_side", pair(idx([1], b"\x01"), idx([1, 27, 29], pixels(1)[:27 * 29])))
    put("idx", "trailing_byte", pair(idx([1], b"\x01\x00"), idx([1, 28, 28], pixels(1))))


# ---- labels files --------------------------------------------------------------------

def labels_seeds():
    put("labels", "simple", "a.JPEG 0\nb.jpg 1\n")
    put("labels", "comments_crlf", "# file class\r\n\r\nwith space.JPEG 5\r\n  n01/c.JPEG   999\r\n")
    put("labels", "caffe_val", "ILSVRC2012_val_00000001.JPEG 65\na.JPEG 0\n")
    put("labels", "not_a_file", "folder.JPEG 2\n")
    put("labels", "missing_image", "nothere.JPEG 1\n")
    put("labels", "label_too_large", "a.JPEG 1000001\n")
    put("labels", "negative_label", "a.JPEG -1\n")
    put("labels", "no_label", "a.JPEG\n")
    put("labels", "only_comments", "# nothing\n\n   \n")
    put("labels", "nul_byte", b"a.JPEG 0\nb.jpg\x001\n")


# ---- ONNX ----------------------------------------------------------------------------

def onnx_seeds():
    data = os.path.join(ROOT, "tests", "data")
    for name in sorted(os.listdir(data)):
        if name.endswith(".onnx"):
            d = os.path.join(CORPUS, "onnx")
            os.makedirs(d, exist_ok=True)
            shutil.copyfile(os.path.join(data, name), os.path.join(d, name[:-5]))


if __name__ == "__main__":
    npy_seeds()
    csv_seeds()
    config_seeds()
    idx_seeds()
    labels_seeds()
    onnx_seeds()
