#!/usr/bin/python3
"""Export a zoo of the networks people bring, with random weights, as ONNX
files the C engine is checked against (tests/test_onnx_zoo.c).

Run with Debian's interpreter (python3-torch, python3-torchvision,
python3-onnx, python3-numpy); nothing is downloaded:

    /usr/bin/python3 tools/make_onnx_zoo.py               # small ones -> tests/data/zoo
    /usr/bin/python3 tools/make_onnx_zoo.py --large DIR   # the full-size ones -> DIR

Each network NAME gives NAME.onnx (float32, opset 13, BatchNorm folded by
the exporter where it follows a convolution), NAME_qdq.onnx (the same with
int8 weights per output channel and uint8 activations in QuantizeLinear /
DequantizeLinear pairs in front of every Conv, Gemm and MatMul, the format
onnxruntime's static quantizer writes), NAME_input.npy (float32, 3 images)
and the reference logits NAME_output.npy and NAME_qdq_output.npy computed by
torch: the module itself, and the QDQ graph run op by op
(run_graph below: an interpreter on torch.nn.functional, checked against
the module on the float file), and NAME_qdq_spread.npy, how far that float32
reference is from the same graph run in float64 (qdq_spread).
BatchNorm statistics are random, so that folding is exercised.

The small ones are width- and depth-reduced versions of torchvision's
builders (the same blocks and the same ops) at 32x32 input; --large writes
the torchvision models at their usual widths, too large for the repository.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision
from onnx import helper, numpy_helper
from torchvision.models import mobilenetv3, resnet, squeezenet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_onnx import _attrs, quantize_per_channel, randomize_bn  # noqa: E402  the shared helpers

OPSET = 13
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ------------------------------------------------------------------------------ networks

class TinySqueeze(nn.Module):
    """SqueezeNet 1.1's structure (torchvision's Fire modules), narrow."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            squeezenet.Fire(16, 8, 16, 16), squeezenet.Fire(32, 8, 16, 16),
            nn.MaxPool2d(3, 2, ceil_mode=True), squeezenet.Fire(32, 8, 24, 24))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(48, classes, 1), nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class TinyResNeXt(nn.Module):
    """Two of torchvision's bottleneck blocks with grouped 3x3 convolutions."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        down = nn.Sequential(nn.Conv2d(32, 64, 1, stride=2, bias=False), nn.BatchNorm2d(64))
        self.b1 = resnet.Bottleneck(32, 16, stride=2, downsample=down, groups=4, base_width=32)
        self.b2 = resnet.Bottleneck(64, 16, groups=8, base_width=32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.b2(self.b1(self.stem(x)))), 1))


class Attention(nn.Module):
    """Multi-head self-attention written batch first, as many vision
    transformers do (torchvision's nn.MultiheadAttention works sequence-first
    inside, which moves the batch: that export is refused)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.h = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)

        def split(z):
            return z.reshape(n, t, self.h, d // self.h).transpose(1, 2)

        q, k, v = split(q), split(k), split(v)
        a = ((q @ k.transpose(-2, -1)) * (d // self.h) ** -0.5).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyViT(nn.Module):
    """A vision transformer: 8x8 patches, a class token, two blocks."""

    def __init__(self, classes=10, dim=32, heads=2, depth=2):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 8, stride=8)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.1)
        self.blocks = nn.Sequential(*[Block(dim, heads, 2 * dim) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.ln(self.blocks(x))[:, 0])


def small_models():
    v3_setting, _ = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return {
        "mobilenet_v2": lambda: torchvision.models.MobileNetV2(
            num_classes=10, width_mult=0.25,
            inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]]),
        "mobilenet_v3": lambda: mobilenetv3.MobileNetV3(v3_setting[:5], last_channel=64, num_classes=10),
        "shufflenet_v2": lambda: torchvision.models.ShuffleNetV2([1, 1, 1], [8, 16, 32, 64, 128], num_classes=10),
        "squeezenet": TinySqueeze,
        "densenet": lambda: torchvision.models.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16,
                                                        bn_size=2, num_classes=10),
        "resnext": TinyResNeXt,
        "vit": TinyViT,
    }, (3, 32, 32)


def resnet18_gray():
    m = torchvision.models.resnet18(num_classes=10)
    m.conv1 = nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
    return m


def large_models():
    return {
        "mobilenet_v2_full": (lambda: torchvision.models.mobilenet_v2(num_classes=10), (3, 64, 64)),
        "mobilenet_v3_small_full": (lambda: torchvision.models.mobilenet_v3_small(num_classes=10), (3, 64, 64)),
        "shufflenet_v2_full": (lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10), (3, 64, 64)),
        "squeezenet1_1_full": (lambda: torchvision.models.squeezenet1_1(num_classes=10), (3, 64, 64)),
        "densenet121_full": (lambda: torchvision.models.densenet121(num_classes=10), (3, 64, 64)),
        "resnext50_full": (lambda: torchvision.models.resnext50_32x4d(num_classes=10), (3, 64, 64)),
        "resnet18_gray_full": (resnet18_gray, (1, 28, 28)),
    }


# ------------------------------------------------------------------------------ export

def export_float(module, x, path):
    torch.onnx.export(module, x, path, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    return onnx.load(path)


def act_qparams(lo, hi):
    """uint8 asymmetric, the range widened to hold 0 (as onnxruntime's MinMax)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    zp = int(np.clip(np.round(-lo / scale), 0, 255))
    return scale, zp


# ------------------------------------------------------------------ reference interpreter

def _pads2d(a):
    p = list(a.get("pads", [0, 0, 0, 0]))
    return p[1], p[3], p[0], p[2]  # F.pad order: left, right, top, bottom


def _qshape(x, axis, n):
    shape = [1] * x.dim()
    shape[axis if axis >= 0 else axis + x.dim()] = n
    return shape


def run_graph(model, x, record=None):
    """The graph on torch tensors, op by op with torch.nn.functional: the
    reference for the QDQ files, itself checked against the torch module on
    the float files.  record: a dict that receives (min, max) of input 0 of
    every Conv/Gemm/MatMul node, by node index."""
    import torch.nn.functional as F
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    env[model.graph.input[0].name] = torch.as_tensor(x)
    for k, n in enumerate(model.graph.node):
        a, i = _attrs(n), [env.get(v) if v else None for v in n.input]
        op = n.op_type
        if record is not None and op in ("Conv", "Gemm", "MatMul"):
            lo, hi = record.get(k, (0.0, 0.0))
            record[k] = (min(lo, float(i[0].min())), max(hi, float(i[0].max())))
        if op == "Conv":
            y = F.conv2d(F.pad(i[0], _pads2d(a)), i[1], i[2] if len(i) > 2 else None, a.get("strides", [1, 1]),
                         0, a.get("dilations", [1, 1]), a.get("group", 1))
        elif op == "Gemm":
            w = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (i[0] @ w) + (a.get("beta", 1.0) * i[2] if len(i) > 2 else 0)
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "Clip":
            y = torch.clamp(i[0], float(i[1]) if len(i) > 1 and i[1] is not None else None,
                            float(i[2]) if len(i) > 2 and i[2] is not None else None)
        elif op == "HardSigmoid":
            y = torch.clamp(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = F.hardswish(i[0])
        elif op == "Sigmoid":
            y = torch.sigmoid(i[0])
        elif op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul}.get(op)
            y = f(i[0], i[1]) if f else (i[0] // i[1] if not i[0].is_floating_point() else i[0] / i[1])
        elif op == "Softmax":
            y = torch.softmax(i[0], a.get("axis", -1))
        elif op == "Erf":
            y = torch.erf(i[0])
        elif op == "Sqrt":
            y = torch.sqrt(i[0])
        elif op == "Pow":
            y = torch.pow(i[0], i[1])
        elif op == "Expand":
            shape = [int(v) for v in i[1]]
            y = i[0] * torch.ones(shape, dtype=i[0].dtype) if i[0].is_floating_point() else i[0].expand(shape)
        elif op == "Equal":
            y = torch.eq(i[0], i[1])
        elif op == "Where":
            y = torch.where(i[0], i[1], i[2])
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            y = torch.full([int(q) for q in i[0]], torch.from_numpy(v.copy()).reshape(()).item(),
                           dtype=torch.from_numpy(v.copy()).dtype)
        elif op == "LayerNormalization":
            ax = a.get("axis", -1)
            y = F.layer_norm(i[0], i[0].shape[ax:], i[1], i[2] if len(i) > 2 else None, a.get("epsilon", 1e-5))
        elif op == "Concat":
            y = torch.cat(i, a["axis"])
        elif op in ("Identity", "Dropout"):
            y = i[0]
        elif op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Reshape":
            y = i[0].reshape([int(v) if int(v) != 0 else i[0].shape[q] for q, v in enumerate(i[1])])
        elif op == "Transpose":
            y = i[0].permute(a["perm"])
        elif op == "Slice":
            y = i[0]
            axes = [int(v) for v in i[3]] if len(i) > 3 and i[3] is not None else list(range(len(i[1])))
            steps = [int(v) for v in i[4]] if len(i) > 4 and i[4] is not None else [1] * len(axes)
            for ax, b, e, st in zip(axes, i[1], i[2], steps):
                if st != 1:
                    raise RuntimeError("run_graph: Slice with step %d" % st)
                d = y.shape[ax]
                b, e = int(b), int(e)
                b, e = max(0, min(d, b + d if b < 0 else b)), max(0, min(d, e + d if e < 0 else e))
                y = y.narrow(ax, b, max(0, e - b))
        elif op == "Split":
            parts = torch.split(i[0], [int(v) for v in i[1]], a.get("axis", 0))
            for name, part in zip(n.output, parts):
                env[name] = part
            continue
        elif op == "Shape":
            y = torch.tensor(list(i[0].shape), dtype=torch.int64)
        elif op == "Gather":
            ax = a.get("axis", 0)
            idx = i[1].reshape(-1).long()
            idx = torch.where(idx < 0, idx + i[0].shape[ax], idx)
            y = torch.index_select(i[0], ax, idx).reshape(
                list(i[0].shape[:a.get("axis", 0)]) + list(i[1].shape) + list(i[0].shape[a.get("axis", 0) + 1:]))
        elif op == "Unsqueeze":
            y = i[0]
            for ax in sorted(int(v) for v in i[1]):
                y = y.unsqueeze(ax)
        elif op == "Cast":
            y = i[0].to({1: torch.float32, 7: torch.int64, 6: torch.int32}[a["to"]])
        elif op == "GlobalAveragePool":
            y = i[0].mean((2, 3), keepdim=True)
        elif op == "ReduceMean":
            y = i[0].mean(tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
        elif op in ("MaxPool", "AveragePool"):
            p = list(a.get("pads", [0, 0, 0, 0]))
            if op == "MaxPool":
                y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides", [1, 1]), p[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            else:
                y = F.avg_pool2d(i[0], a["kernel_shape"], a.get("strides", [1, 1]), p[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)),
                                 count_include_pad=bool(a.get("count_include_pad", 0)))
        elif op == "Pad":
            pads = [int(v) for v in i[1]]
            r = len(pads) // 2
            y = F.pad(i[0], [v for q in reversed(range(r)) for v in (pads[q], pads[q + r])],
                      value=float(i[2]) if len(i) > 2 and i[2] is not None else 0.0)
        elif op == "BatchNormalization":
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
        elif op == "QuantizeLinear":
            ax = a.get("axis", 1)
            s, z = i[1], i[2]
            lo, hi = (0, 255) if z.dtype == torch.uint8 else (-128, 127)
            sh = _qshape(i[0], ax, s.numel()) if s.numel() > 1 else [1]
            y = torch.clamp(torch.round(i[0] / s.reshape(sh)) + z.to(torch.float32).reshape(sh), lo, hi)
            y = y.to(z.dtype)
        elif op == "DequantizeLinear":
            ax = a.get("axis", 1)
            s = i[1]
            z = i[2] if len(i) > 2 and i[2] is not None else torch.zeros_like(s, dtype=torch.int32)
            sh = _qshape(i[0], ax, s.numel()) if s.numel() > 1 else [1]
            y = (i[0].to(torch.float32) - z.to(torch.float32).reshape(sh)) * s.reshape(sh)
        else:
            raise RuntimeError("run_graph: no reference for op %s" % op)
        env[n.output[0]] = y
    return env[model.graph.output[0].name].numpy()


def make_qdq(x, fmodel, path):
    """The QDQ twin of fmodel (weights int8 per output channel, the inputs of
    every Conv/Gemm/MatMul quantized to uint8 with ranges from x), saved to
    path; returns the reference interpreter's logits of it."""
    ranges = {}
    with torch.no_grad():
        run_graph(fmodel, x, ranges)
    g = fmodel.graph
    inits = {t.name: t for t in g.initializer}
    before, replaced = {}, set()
    for k, node in enumerate(g.node):
        if k not in ranges or node.input[1] not in inits:
            continue
        scale, zp = act_qparams(*ranges[k])
        a = node.input[0]
        sn, zn = a + "_qscale", a + "_qzero"
        extra = []
        if sn not in inits:
            g.initializer.extend([numpy_helper.from_array(np.array(scale, np.float32), sn),
                                  numpy_helper.from_array(np.array(zp, np.uint8), zn)])
            inits[sn] = None
            extra += [helper.make_node("QuantizeLinear", [a, sn, zn], [a + "_q"], name=a + "_QuantizeLinear"),
                      helper.make_node("DequantizeLinear", [a + "_q", sn, zn], [a + "_dq"],
                                       name=a + "_DequantizeLinear")]
        node.input[0] = a + "_dq"
        wname = node.input[1]
        w = numpy_helper.to_array(inits[wname])
        if node.op_type == "Gemm" and not _attrs(node).get("transB", 0):
            raise RuntimeError("%s: Gemm without transB" % path)
        q, ws = quantize_per_channel(w)
        qn, wsn, wzn = wname + "_quantized", wname + "_scale", wname + "_zero_point"
        g.initializer.extend([numpy_helper.from_array(q, qn), numpy_helper.from_array(ws, wsn),
                              numpy_helper.from_array(np.zeros(ws.shape[0], np.int8), wzn)])
        extra.append(helper.make_node("DequantizeLinear", [qn, wsn, wzn], [wname + "_dq"],
                                      name=wname + "_DequantizeLinear", axis=0))
        node.input[1] = wname + "_dq"
        replaced.add(wname)
        before[k] = extra
    keep = [t for t in g.initializer if t.name not in replaced]
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = []
    for k, n in enumerate(list(g.node)):
        nodes.extend(before.get(k, []))
        nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(fmodel)
    onnx.save(fmodel, path)
    with torch.no_grad():
        return run_graph(fmodel, x)


def qdq_spread(path, x, ref32):
    """How far the float32 reference of a QDQ graph is from the same graph in
    float64, relative to max |logit|: values that fall within a float32
    rounding of a quantization step's edge land in the other step, and a deep
    network carries that on.  No float32 engine can be held closer than this;
    the test's tolerance for the file is max(1e-2, 2 x this)."""
    m = onnx.load(path)
    for t in m.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float64), t.name))
    with torch.no_grad():
        ref64 = run_graph(m, x.double())
    return float(np.abs(ref32 - ref64).max() / np.abs(ref64).max())


def write(name, build, shape, out, seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    module = build()
    randomize_bn(module, gen)
    module.eval()
    x = torch.randn((3,) + shape, generator=gen)
    with torch.no_grad():
        want = module(x).numpy()
    fmodel = export_float(module, x, os.path.join(out, name + ".onnx"))
    with torch.no_grad():
        check = run_graph(fmodel, x)
    err = np.abs(check - want).max() / np.abs(want).max()
    if err > 1e-5:
        raise RuntimeError("%s: the reference interpreter disagrees with torch: %.3g" % (name, err))
    np.save(os.path.join(out, name + "_input.npy"), x.numpy())
    np.save(os.path.join(out, name + "_output.npy"), want)
    qdq = make_qdq(x, fmodel, os.path.join(out, name + "_qdq.onnx"))
    np.save(os.path.join(out, name + "_qdq_output.npy"), qdq)
    spread = qdq_spread(os.path.join(out, name + "_qdq.onnx"), x, qdq)
    np.save(os.path.join(out, name + "_qdq_spread.npy"), np.array([spread]))
    size = sum(os.path.getsize(os.path.join(out, name + s)) for s in (".onnx", "_qdq.onnx"))
    print("%-26s %s  %7.1f kB  max|logit| %.3g  QDQ float32/float64 spread %.2g" % (
        name, "x".join(map(str, shape)), size / 1e3, np.abs(want).max(), spread))


# ------------------------------------------------------------------------------ refusals

# Graphs the engine must refuse, each with the line it must say (node, op,
# reason): tests/test_onnx_zoo.c reads this table's twin.
REFUSALS = {
    "transpose_batch": ("Transpose", {"perm": [1, 0, 2, 3]}, [], "perm moves the batch dimension"),
    "slice_batch": ("Slice", {}, [("starts", [1]), ("ends", [2]), ("axes", [0])], "slicing the batch dimension"),
    "gather_range": ("Gather", {"axis": 1}, [("indices", [5])], "index 5 is out of range"),
    "pad_reflect": ("Pad", {"mode": "reflect"}, [("pads", [0, 0, 9, 0, 0, 0, 9, 0])], "reflect pads"),
    "reduce_all": ("ReduceMean", {}, [], "average over the batch"),
    "cast_int": ("Cast", {"to": 7}, [], "can only be cast to float32"),
    "split_sizes": ("Split", {"axis": 1}, [("split", [1, 1])], "split sizes do not add up"),
    "expand_rank": ("Expand", {}, [("shape", [2, 1, 3, 4, 4])], "to a higher rank"),
    "unknown_attr": ("Transpose", {"perm": [0, 1, 3, 2], "fast": 1}, [], "attribute 'fast' is not supported"),
}


def write_refusals(out):
    # torchvision's VisionTransformer: nn.MultiheadAttention turns the batch
    # into dimension 1 inside (sequence first), which the engine refuses.
    torch.manual_seed(0)
    vit = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2,
                                               hidden_dim=16, mlp_dim=32, num_classes=10).eval()
    export_float(vit, torch.zeros(2, 3, 32, 32), os.path.join(out, "refuse_torchvision_vit.onnx"))
    for name, (op, attrs, consts, _) in REFUSALS.items():
        inits = [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in consts]
        outs = ["y", "y2"] if op == "Split" else ["y"]
        node = helper.make_node(op, ["x"] + [k for k, _ in consts], outs, name=name, **attrs)
        g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT,
                                                                            ["N", 3, 4, 4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
        onnx.save(m, os.path.join(out, "refuse_%s.onnx" % name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", metavar="DIR", help="write the full-size networks to DIR instead")
    ap.add_argument("--only", help="comma-separated names")
    a = ap.parse_args()
    if a.large:
        items = {k: v for k, v in large_models().items()}
        out = a.large
    else:
        models, shape = small_models()
        items = {k: (v, shape) for k, v in models.items()}
        out = os.path.join(ROOT, "tests", "data", "zoo")
    seeds = {name: 100 + i for i, name in enumerate(sorted(items))}  # --only keeps them
    if a.only:
        items = {k: v for k, v in items.items() if k in a.only.split(",")}
    os.makedirs(out, exist_ok=True)
    if not a.large and not a.only:
        write_refusals(out)
    for name, (build, shape) in sorted(items.items()):
        write(name, build, shape, out, seed=seeds[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
