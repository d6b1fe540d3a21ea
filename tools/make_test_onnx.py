#!/usr/bin/python3
"""Write the small ONNX models and reference outputs that the C tests use.

Run with Debian's interpreter (python3-onnx, python3-torch, python3-numpy):

    /usr/bin/python3 tools/make_test_onnx.py                 # tests/data/onnx_*
    /usr/bin/python3 tools/make_test_onnx.py --resnet50 DIR  # a random-weight
        ResNet50 in the shipped model's format, plus reference logits, in DIR
        (a stand-in for models/resnet50_fmnist_int8.onnx; never committed)

Files written to tests/data/ (all small, committed, so CI needs no Python):
  onnx_allops.onnx          every supported op, with the attributes and the
                            initializer encodings (raw_data, float_data,
                            int32_data, int64_data) the loader must handle
  onnx_allops_input.npy     float32 [3, 2, 9, 9]
  onnx_allops_output.npy    float32 [3, 5], computed by torch (run_graph below)
  onnx_tinyresnet.onnx      a small bottleneck ResNet exported by
                            torch.onnx.export, BatchNorm folded by the exporter,
                            weights int8 per output channel via DequantizeLinear
  onnx_tinyresnet_input.npy / _output.npy
  onnx_unsupported.onnx     Conv -> Hardmax (node 'head/hardmax')
  onnx_external.onnx        a weight stored as external data
  onnx_badshape.onnx        a Conv weight that does not fit its input
  onnx_lstm.onnx            an unnamed LSTM node (named 'LSTM_1' in errors)

Reference outputs come from run_graph(), an interpreter built on
torch.nn.functional, which is independent of the C engine; it is itself
checked against torch modules on the float exports.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ------------------------------------------------------------------ reference interpreter

def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pool_pads(a):
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if pads[:2] != pads[2:]:
        raise ValueError("reference pooling needs symmetric pads")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("reference pooling handles auto_pad NOTSET only")
    return pads[:2]


def _quant_shape(x, axis, n):
    shape = [1] * x.dim()
    if n > 1:
        shape[axis % x.dim()] = -1
    return shape


def run_graph(model, x):
    """Evaluate an ONNX model (supported ops only) with torch, float32."""
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in env]
    env[inputs[0]] = torch.as_tensor(x, dtype=torch.float32)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            if "value" in a:
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            elif "value_floats" in a:
                y = torch.tensor(a["value_floats"], dtype=torch.float32)
            elif "value_ints" in a:
                y = torch.tensor(a["value_ints"], dtype=torch.int64)
            elif "value_float" in a:
                y = torch.tensor(a["value_float"], dtype=torch.float32)
            else:
                y = torch.tensor(a["value_int"], dtype=torch.int64)
        elif op == "Identity":
            y = ins[0]
        elif op == "DequantizeLinear":
            xq, s = ins[0], ins[1]
            z = ins[2] if len(ins) > 2 and ins[2] is not None else torch.zeros_like(s, dtype=xq.dtype)
            shape = _quant_shape(xq, a.get("axis", 1), s.numel())
            y = (xq.to(torch.float32) - z.to(torch.float32).reshape(shape)) * s.reshape(shape)
        elif op == "QuantizeLinear":
            xf, s = ins[0], ins[1]
            z = ins[2] if len(ins) > 2 and ins[2] is not None else torch.zeros(s.shape, dtype=torch.uint8)
            shape = _quant_shape(xf, a.get("axis", 1), s.numel())
            lo, hi = (-128, 127) if z.dtype == torch.int8 else (0, 255)
            q = torch.round(xf / s.reshape(shape)) + z.to(torch.float32).reshape(shape)
            y = torch.clamp(q, lo, hi).to(z.dtype)
        elif op == "Conv":
            pads = list(a.get("pads", [0, 0, 0, 0]))
            xin = F.pad(ins[0], (pads[1], pads[3], pads[0], pads[2]))
            y = F.conv2d(xin, ins[1], ins[2] if len(ins) > 2 else None,
                         stride=list(a.get("strides", [1, 1])),
                         dilation=list(a.get("dilations", [1, 1])), groups=a.get("group", 1))
        elif op == "BatchNormalization":
            y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], training=False,
                             eps=a.get("epsilon", 1e-5))
        elif op == "Relu":
            y = F.relu(ins[0])
        elif op == "MaxPool":
            y = F.max_pool2d(ins[0], list(a["kernel_shape"]), list(a.get("strides", [1, 1])),
                             _pool_pads(a), dilation=list(a.get("dilations", [1, 1])),
                             ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "AveragePool":
            y = F.avg_pool2d(ins[0], list(a["kernel_shape"]), list(a.get("strides", [1, 1])),
                             _pool_pads(a), ceil_mode=bool(a.get("ceil_mode", 0)),
                             count_include_pad=bool(a.get("count_include_pad", 0)))
        elif op == "GlobalAveragePool":
            y = ins[0].mean(dim=tuple(range(2, ins[0].dim())), keepdim=True)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Flatten":
            axis = a.get("axis", 1) % max(ins[0].dim(), 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Reshape":
            shape = [int(v) for v in ins[1]]
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            y = ins[0].reshape(shape)
        elif op == "Gemm":
            A = ins[0].t() if a.get("transA", 0) else ins[0]
            B = ins[1].t() if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        else:
            raise ValueError("run_graph: unsupported op %s" % op)
        env[node.output[0]] = y
    return env[model.graph.output[0].name].to(torch.float32).numpy()


# ------------------------------------------------------------------------- int8 export

def quantize_per_channel(w):
    """Symmetric int8 along axis 0: scale = max|w| / 127."""
    flat = w.reshape(w.shape[0], -1).astype(np.float32)
    scale = np.abs(flat).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def int8_weights(model):
    """Replace every Conv/Gemm weight initializer by int8 + DequantizeLinear(axis=0),
    the format of the shipped model.  Modifies and returns model."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    dq_nodes, replaced = [], set()
    for node in g.node:
        if node.op_type not in ("Conv", "Gemm") or node.input[1] not in inits:
            continue
        if node.op_type == "Gemm" and _attrs(node).get("transB", 0) != 1:
            continue
        wname = node.input[1]
        q, scale = quantize_per_channel(numpy_helper.to_array(inits[wname]))
        qn, sn, zn = wname + "_quantized", wname + "_scale", wname + "_zero_point"
        g.initializer.extend([numpy_helper.from_array(q, qn),
                              numpy_helper.from_array(scale, sn),
                              numpy_helper.from_array(np.zeros(scale.shape[0], np.int8), zn)])
        dq_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [wname + "_dq"],
                                         name=wname + "_DequantizeLinear", axis=0))
        node.input[1] = wname + "_dq"
        replaced.add(wname)
    keep = [t for t in g.initializer if t.name not in replaced]
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = dq_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def export_int8(module, example, path, check_input=None):
    """torch.onnx.export (eval: BatchNorm folded into Conv), then int8 weights.
    The float export is checked against the module with run_graph first."""
    module = module.eval()
    tmp = path + ".float.tmp"
    torch.onnx.export(module, example, tmp, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    m = onnx.load(tmp)
    os.remove(tmp)
    x = example if check_input is None else check_input
    with torch.no_grad():
        want = module(x).numpy()
    got = run_graph(m, x)
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    if err > 1e-5:
        raise RuntimeError("run_graph disagrees with torch on %s: %.3g" % (path, err))
    m = int8_weights(m)
    onnx.save(m, path)
    return m


# ----------------------------------------------------------------------------- models

def make_allops():
    """A graph using every supported op; returns the ModelProto."""
    rng = np.random.default_rng(4)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)
    inits, nodes = [], []

    def raw(name, arr):
        inits.append(numpy_helper.from_array(arr, name))
        return name

    def typed(name, arr, dtype):
        vals = arr.flatten().tolist()
        inits.append(helper.make_tensor(name, dtype, arr.shape, vals, raw=False))
        return name

    def node(op, ins, outs, name, **kw):
        nodes.append(helper.make_node(op, ins, outs, name=name, **kw))
        return outs[0]

    # runtime quantization of the input, per tensor, int8
    raw("s_in", np.array(0.05, np.float32))
    raw("z_in", np.array(0, np.int8))
    node("QuantizeLinear", ["x", "s_in", "z_in"], ["x_q"], "quant_in")
    node("DequantizeLinear", ["x_q", "s_in", "z_in"], ["x_dq"], "dequant_in")

    # conv1: int8 weights in int32_data, scales in float_data, zero points raw
    w1 = rng.integers(-127, 128, size=(6, 2, 3, 3)).astype(np.int8)
    typed("w1_q", w1, TensorProto.INT8)
    typed("w1_s", (rng.random(6) * 0.05 + 0.01).astype(np.float32), TensorProto.FLOAT)
    raw("w1_z", np.zeros(6, np.int8))
    node("DequantizeLinear", ["w1_q", "w1_s", "w1_z"], ["w1"], "w1_dq", axis=0)
    raw("b1", f32(6))
    node("Conv", ["x_dq", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1], strides=[1, 1],
         kernel_shape=[3, 3])
    raw("bn1_g", (rng.random(6) + 0.5).astype(np.float32))
    raw("bn1_b", f32(6))
    raw("bn1_m", f32(6) * 0.1)
    raw("bn1_v", (rng.random(6) + 0.5).astype(np.float32))
    node("BatchNormalization", ["c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v"], ["bn1"], "bn1",
         epsilon=1e-3)
    node("Relu", ["bn1"], ["r1"], "relu1")
    node("MaxPool", ["r1"], ["mp"], "maxpool", kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], ceil_mode=1)                                    # [N,6,5,5]
    # conv2: grouped, dilated along w, asymmetric pads, weights as float_data
    typed("w2", f32(6, 3, 3, 3) * 0.3, TensorProto.FLOAT)
    node("Conv", ["mp", "w2"], ["c2"], "conv2", group=2, dilations=[1, 2], pads=[1, 2, 1, 2])
    node("Add", ["c2", "mp"], ["a2"], "residual_add")
    node("Relu", ["a2"], ["r2"], "relu2")
    raw("bn2_g", (rng.random(6) + 0.5).astype(np.float32))
    raw("bn2_b", f32(6))
    raw("bn2_m", f32(6) * 0.1)
    raw("bn2_v", (rng.random(6) + 0.5).astype(np.float32))
    node("BatchNormalization", ["r2", "bn2_g", "bn2_b", "bn2_m", "bn2_v"], ["bn2"], "bn2")
    node("AveragePool", ["bn2"], ["ap1"], "avgpool_pad", kernel_shape=[3, 3], strides=[1, 1],
         pads=[1, 1, 1, 1], count_include_pad=1)                            # [N,6,5,5]
    raw("w3", f32(8, 6, 1, 1) * 0.4)
    raw("b3", f32(8))
    node("Conv", ["ap1", "w3", "b3"], ["c3"], "conv3_1x1")
    node("Relu", ["c3"], ["r3"], "relu3")                                   # [N,8,5,5]
    raw("w4", f32(8, 8, 1, 1) * 0.4)
    node("Conv", ["r3", "w4"], ["c4"], "conv4_1x1_s2", strides=[2, 2])      # [N,8,3,3]
    nodes.append(helper.make_node("Constant", [], ["cb"], name="const_bias",
                                  value=numpy_helper.from_array(f32(8, 1, 1), "cb_value")))
    node("Add", ["c4", "cb"], ["a4"], "add_const")
    node("AveragePool", ["a4"], ["ap2"], "avgpool_ceil", kernel_shape=[2, 2], strides=[2, 2],
         ceil_mode=1, count_include_pad=0)                                  # [N,8,2,2]
    node("Identity", ["ap2"], ["ap2_id"], "identity")
    node("Flatten", ["ap2_id"], ["flat"], "flatten", axis=1)                # [N,32]
    # runtime quantization per channel (axis 1), uint8
    raw("s_f", (rng.random(32) * 0.02 + 0.02).astype(np.float32))
    raw("z_f", rng.integers(100, 156, size=32).astype(np.uint8))
    node("QuantizeLinear", ["flat", "s_f", "z_f"], ["flat_q"], "quant_feat", axis=1)
    node("DequantizeLinear", ["flat_q", "s_f", "z_f"], ["flat_dq"], "dequant_feat", axis=1)
    # Gemm with int8 weights (transB=1), alpha, beta, C
    raw("g1_q", rng.integers(-127, 128, size=(16, 32)).astype(np.int8))
    raw("g1_s", (rng.random(16) * 0.02 + 0.01).astype(np.float32))
    raw("g1_z", np.zeros(16, np.int8))
    node("DequantizeLinear", ["g1_q", "g1_s", "g1_z"], ["g1"], "g1_dq", axis=0)
    raw("g1_c", f32(16))
    node("Gemm", ["flat_dq", "g1", "g1_c"], ["gm1"], "gemm1", transB=1, alpha=0.5, beta=2.0)
    node("Relu", ["gm1"], ["rg1"], "relu_gemm1")                            # [N,16]
    nodes.append(helper.make_node("Constant", [], ["shp3"], name="const_shape",
                                  value_ints=[-1, 4, 4]))
    node("Reshape", ["rg1", "shp3"], ["rs3"], "reshape_3d")                  # [N,4,4]
    typed("shp2", np.array([0, 16], np.int64), TensorProto.INT64)
    node("Reshape", ["rs3", "shp2"], ["rs2"], "reshape_2d")                  # [N,16]
    # MatMul with int8 weights quantized along axis 1 (per output feature)
    raw("mm_q", rng.integers(-127, 128, size=(16, 5)).astype(np.int8))
    raw("mm_s", (rng.random(5) * 0.02 + 0.01).astype(np.float32))
    node("DequantizeLinear", ["mm_q", "mm_s"], ["mm_w"], "mm_dq", axis=1)
    node("MatMul", ["rs2", "mm_w"], ["mm"], "matmul")                      # [N,5]
    # side branch: GlobalAveragePool -> Flatten -> Gemm (transB=0), added to the main path
    node("GlobalAveragePool", ["r3"], ["gap"], "gap")                      # [N,8,1,1]
    node("Flatten", ["gap"], ["gapf"], "flatten_gap")
    raw("g2", f32(8, 5) * 0.5)
    node("Gemm", ["gapf", "g2"], ["gm2"], "gemm2_transB0")
    node("Add", ["mm", "gm2"], ["y"], "final_add")

    graph = helper.make_graph(
        nodes, "allops",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 9, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])], inits)
    m = helper.make_model(graph, producer_name="make_test_onnx",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(m)
    return m


class Bottleneck(nn.Module):
    """torchvision's v1.5 bottleneck (stride in the 3x3 conv), narrow."""

    def __init__(self, cin, width, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + idt)


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(Bottleneck(8, 4, 16, 1), Bottleneck(16, 4, 16, 1))
        self.layer2 = nn.Sequential(Bottleneck(16, 8, 32, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomize_bn(module, gen):
    """Non-trivial BatchNorm statistics, so that folding is really exercised."""
    for mod in module.modules():
        if isinstance(mod, nn.BatchNorm2d):
            n = mod.num_features
            mod.weight.data = torch.rand(n, generator=gen) + 0.5
            mod.bias.data = torch.randn(n, generator=gen) * 0.1
            mod.running_mean = torch.randn(n, generator=gen) * 0.1
            mod.running_var = torch.rand(n, generator=gen) + 0.5


def make_unsupported():
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Flatten", ["c"], ["f"], name="flatten"),
             helper.make_node("Hardmax", ["f"], ["y"], name="head/hardmax", axis=1)]
    graph = helper.make_graph(
        nodes, "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 48])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def make_external():
    w = TensorProto()
    w.name = "w_external"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([3, 1, 3, 3])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "108")):
        e = w.external_data.add()
        e.key, e.value = k, v
    nodes = [helper.make_node("Conv", ["x", "w_external"], ["y"], name="conv")]
    graph = helper.make_graph(
        nodes, "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 2, 2])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def make_badshape():
    """A Conv whose weight expects 2 input channels on a 1-channel input."""
    w = numpy_helper.from_array(np.ones((3, 2, 3, 3), np.float32), "w_bad")
    nodes = [helper.make_node("Conv", ["x", "w_bad"], ["y"], name="conv_bad")]
    graph = helper.make_graph(
        nodes, "badshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 2, 2])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def make_lstm():
    """An unnamed LSTM node: the error names it by op type and index."""
    rng = np.random.default_rng(2)
    W = numpy_helper.from_array(rng.standard_normal((1, 16, 4)).astype(np.float32), "W")
    R = numpy_helper.from_array(rng.standard_normal((1, 16, 4)).astype(np.float32), "R")
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu_in"),
             helper.make_node("LSTM", ["r", "W", "R"], ["y"], hidden_size=4)]
    graph = helper.make_graph(
        nodes, "lstm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [W, R])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr.astype(np.float32)))


def write_test_data(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)

    m = make_allops()
    onnx.save(m, os.path.join(out, "onnx_allops.onnx"))
    x = rng.standard_normal((3, 2, 9, 9)).astype(np.float32)
    save_npy(os.path.join(out, "onnx_allops_input.npy"), x)
    save_npy(os.path.join(out, "onnx_allops_output.npy"), run_graph(m, x))

    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    net = TinyResNet()
    randomize_bn(net, gen)
    x = torch.randn(4, 1, 16, 16, generator=gen)
    m = export_int8(net, x[:1], os.path.join(out, "onnx_tinyresnet.onnx"), check_input=x)
    save_npy(os.path.join(out, "onnx_tinyresnet_input.npy"), x.numpy())
    save_npy(os.path.join(out, "onnx_tinyresnet_output.npy"), run_graph(m, x))

    onnx.save(make_unsupported(), os.path.join(out, "onnx_unsupported.onnx"))
    onnx.save(make_external(), os.path.join(out, "onnx_external.onnx"))
    onnx.save(make_badshape(), os.path.join(out, "onnx_badshape.onnx"))
    onnx.save(make_lstm(), os.path.join(out, "onnx_lstm.onnx"))
    for f in sorted(os.listdir(out)):
        if f.startswith("onnx_"):
            print("%-32s %7d bytes" % (f, os.path.getsize(os.path.join(out, f))))


def write_resnet50(out, seed=0):
    """Random-weight ResNet50 exported exactly as tools/train_resnet50.py exports
    the trained one, with reference logits for the first 100 Fashion-MNIST test
    images (same file names as the shipped references)."""
    sys.path.insert(0, HERE)
    import train_resnet50 as tr
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed)
    model = tr.build_model().eval()
    gen = torch.Generator().manual_seed(seed)
    randomize_bn(model, gen)
    folded = tr.folded_model(model)
    qmodel, table = tr.quantized_model(folded)
    path = os.path.join(out, tr.MODEL_NAME)
    m = tr.export_onnx(qmodel, table, path, path + ".float.tmp")
    test_raw, test_labels = tr.load_split(tr.DATA_DIR, "test")
    x = tr.normalize(test_raw[:tr.NUM_REF])
    with torch.no_grad():
        logits = qmodel(x).numpy()
    graph = run_graph(m, x.numpy())
    err = np.abs(graph - logits).max() / np.abs(logits).max()
    print("run_graph vs torch: %.3g" % err)
    save_npy(os.path.join(out, "resnet50_fmnist_ref_logits.npy"), logits)
    np.save(os.path.join(out, "resnet50_fmnist_ref_labels.npy"),
            test_labels[:tr.NUM_REF].numpy().astype(np.int64))
    save_npy(os.path.join(out, "resnet50_fmnist_ref_input0.npy"), x[:1].numpy())
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "data"))
    p.add_argument("--resnet50", metavar="DIR", help="write a random-weight ResNet50 stand-in "
                   "and its reference logits to DIR instead")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.resnet50:
        write_resnet50(args.resnet50)
    else:
        write_test_data(args.out)


if __name__ == "__main__":
    main()
