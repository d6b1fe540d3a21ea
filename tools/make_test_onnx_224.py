#!/usr/bin/python3
"""Write tests/data/tiny224.onnx: a tiny network with an ImageNet-shaped input.

Run with Debian's interpreter, which sees python3-onnx:

    /usr/bin/python3 tools/make_test_onnx_224.py [--out tests/data/tiny224.onnx]

The network takes [N, 3, 224, 224] and returns [N, 10] logits:

    Conv 1x1 (identity weights, zero bias) -> Relu -> GlobalAveragePool -> Flatten
    -> Gemm (transB=1) with an int8 weight through DequantizeLinear (per row)

So logit k = sum_c W[k][c] * mean over pixels of relu(x[c]), with
    W[0] = (1, 0, 0), W[1] = (0, 1, 0), W[2] = (0, 0, 1),
    W[k] = -0.1 k (1, 1, 1) for k = 3..9, and zero bias.
A solid red image is class 0, green class 1, blue class 2; mid-gray ranks the
classes 2, 1, 0, 3, 4, ... .  The CLI test relies on these rankings.  The file
is deterministic: the same script writes the same bytes.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CLASSES = 10
CHANNELS = 3
SIDE = 224


def gemm_weight():
    w = np.zeros((CLASSES, CHANNELS), dtype=np.float32)
    for k in range(CHANNELS):
        w[k, k] = 1.0
    for k in range(CHANNELS, CLASSES):
        w[k, :] = -0.1 * k
    return w


def build():
    conv_w = np.eye(CHANNELS, dtype=np.float32).reshape(CHANNELS, CHANNELS, 1, 1)
    conv_b = np.zeros(CHANNELS, dtype=np.float32)
    w = gemm_weight()
    scale = (np.abs(w).max(axis=1) / 127.0).astype(np.float32)
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    zero = np.zeros(CLASSES, dtype=np.int8)
    gemm_b = np.zeros(CLASSES, dtype=np.float32)

    inits = [
        numpy_helper.from_array(conv_w, "conv.weight"),
        numpy_helper.from_array(conv_b, "conv.bias"),
        numpy_helper.from_array(q, "fc.weight_q"),
        numpy_helper.from_array(scale, "fc.weight_scale"),
        numpy_helper.from_array(zero, "fc.weight_zero_point"),
        numpy_helper.from_array(gemm_b, "fc.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv"], name="conv",
                         kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("DequantizeLinear",
                         ["fc.weight_q", "fc.weight_scale", "fc.weight_zero_point"],
                         ["fc.weight"], name="fc.dequant", axis=0),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny224",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", CHANNELS, SIDE, SIDE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", CLASSES])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="xbar-tools",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    model.doc_string = "Test fixture: 3x224x224 input, 10 classes (tools/make_test_onnx_224.py)."
    onnx.checker.check_model(model)
    return model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "tests", "data", "tiny224.onnx")))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    onnx.save(build(), args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
