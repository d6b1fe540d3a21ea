#!/usr/bin/python3
"""Digital inference throughput: xbar's engine against torch on the same ONNX weights.

    /usr/bin/python3 bench/infer_vs_torch.py --build build [--threads 2]

Two models:
  32x32    models/resnet50_fmnist_int8.onnx (the shipped model; with --stand-in
           or when it is missing, a random-weight model in the same format)
  224x224  torchvision resnet50, 3x224x224, 1000 classes, random weights,
           exported to a temporary directory in the same int8 format
For each, xbar (BUILD/infer_vs_torch, a separate process) and torch (this
process, eager mode, weights dequantized from the same ONNX file, BatchNorm
already folded as in the file) run alternately for --rounds rounds; the
table shows the median images/s of each and their ratio.  Both use the same
number of threads: torch.set_num_threads(T); OPENBLAS_NUM_THREADS=T and
OMP_NUM_THREADS=T for xbar.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_test_onnx as mt  # noqa: E402


def compile_graph(model):
    """Fold the constant part of an ONNX graph once (dequantized weights), and
    return a torch function of the input running the rest with F.* ops, in
    place where the input has no other consumer (as torchvision does)."""
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    const = set(env)
    inp = [i.name for i in model.graph.input if i.name not in env][0]
    uses = {}
    for node in model.graph.node:
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    steps = []
    for node in model.graph.node:
        if all((not i) or i in const for i in node.input):
            env[node.output[0]] = _eval_node(node, env, False)
            const.add(node.output[0])
        else:
            steps.append((node, uses.get(node.input[0], 0) == 1))
    consts = {k: env[k] for k in const}
    out_name = model.graph.output[0].name

    def run(x):
        e = dict(consts)
        e[inp] = x
        for node, inplace in steps:
            e[node.output[0]] = _eval_node(node, e, inplace)
        return e[out_name]
    return run


def _eval_node(node, env, inplace):
    a = mt._attrs(node)
    ins = [env[i] if i else None for i in node.input]
    op = node.op_type
    if op == "DequantizeLinear":
        xq, s = ins[0], ins[1]
        z = ins[2] if len(ins) > 2 and ins[2] is not None else torch.zeros_like(s, dtype=xq.dtype)
        shape = mt._quant_shape(xq, a.get("axis", 1), s.numel())
        return (xq.to(torch.float32) - z.to(torch.float32).reshape(shape)) * s.reshape(shape)
    if op == "Conv":
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if pads[:2] != pads[2:]:
            raise ValueError("bench: asymmetric conv pads")
        return F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                        stride=list(a.get("strides", [1, 1])), padding=pads[:2],
                        dilation=list(a.get("dilations", [1, 1])), groups=a.get("group", 1))
    if op == "Relu":
        return F.relu(ins[0], inplace=inplace)
    if op == "Add":
        return ins[0].add_(ins[1]) if inplace else ins[0] + ins[1]
    if op == "Gemm" and a.get("transB", 0) == 1 and a.get("alpha", 1.0) == 1.0 \
            and a.get("beta", 1.0) == 1.0 and not a.get("transA", 0):
        return F.linear(ins[0], ins[1], ins[2] if len(ins) > 2 else None)
    if op == "Flatten":
        return torch.flatten(ins[0], a.get("axis", 1))
    if op == "MaxPool":
        return F.max_pool2d(ins[0], list(a["kernel_shape"]), list(a.get("strides", [1, 1])),
                            mt._pool_pads(a), ceil_mode=bool(a.get("ceil_mode", 0)))
    if op == "GlobalAveragePool":
        return F.adaptive_avg_pool2d(ins[0], 1)
    raise ValueError("bench: op %s not handled" % op)


def torch_rate(fn, x, seconds, warmup=1):
    with torch.no_grad():
        for _ in range(warmup):
            fn(x)
        n, t0 = 0, time.perf_counter()
        while True:
            fn(x)
            n += 1
            el = time.perf_counter() - t0
            if el >= seconds:
                break
    return n * x.shape[0] / el


def xbar_rate(binary, path, batch, seconds, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, "--model", path, "--batch", str(batch), "--seconds",
                          str(seconds)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_same(model, fn, shape):
    """Sanity: torch on the folded graph equals the reference interpreter."""
    x = torch.randn(2, *shape)
    with torch.no_grad():
        a = fn(x.clone()).numpy()
    b = mt.run_graph(model, x.numpy())
    err = np.abs(a - b).max() / np.abs(b).max()
    if err > 1e-4:
        raise RuntimeError("bench torch graph disagrees with run_graph: %.3g" % err)


def make_224(tmp):
    import torchvision
    torch.manual_seed(0)
    net = torchvision.models.resnet50(weights=None, num_classes=1000).eval()
    mt.randomize_bn(net, torch.Generator().manual_seed(0))
    path = os.path.join(tmp, "resnet50_imagenet_random_int8.onnx")
    mt.export_int8(net, torch.randn(1, 3, 224, 224), path)
    return path


def make_32(tmp):
    mt.write_resnet50(tmp)
    return os.path.join(tmp, "resnet50_fmnist_int8.onnx")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="cmake build directory")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    p.add_argument("--batch32", type=int, default=64)
    p.add_argument("--batch224", type=int, default=8)
    p.add_argument("--stand-in", action="store_true", help="random 32x32 model even if the "
                   "shipped one exists")
    p.add_argument("--only", choices=["32", "224"], help="run one size only")
    p.add_argument("--model224", help="reuse this 224x224 ONNX instead of exporting a new one")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    binary = os.path.join(args.build, "infer_vs_torch")
    if not os.path.exists(binary):
        sys.exit("no %s: build the project first (cmake --build %s --target infer_vs_torch)"
                 % (binary, args.build))

    tmp = tempfile.mkdtemp(prefix="xb_bench_")
    cases = []
    if args.only != "224":
        shipped = os.path.join(ROOT, "models", "resnet50_fmnist_int8.onnx")
        if os.path.exists(shipped) and not args.stand_in:
            cases.append(("32x32 shipped", shipped, args.batch32, (1, 32, 32)))
        else:
            cases.append(("32x32 stand-in", make_32(tmp), args.batch32, (1, 32, 32)))
    if args.only != "32":
        path = args.model224 or make_224(tmp)
        cases.append(("224x224 random", path, args.batch224, (3, 224, 224)))

    results = []
    for name, path, batch, shape in cases:
        model = onnx.load(path)
        fn = compile_graph(model)
        check_same(model, fn, shape)
        x = torch.randn(batch, *shape)
        xs, ts = [], []
        for r in range(args.rounds):
            xs.append(xbar_rate(binary, path, batch, args.seconds, args.threads)["images_per_sec"])
            ts.append(torch_rate(fn, x, args.seconds))
            print("  %s round %d: xbar %.2f img/s, torch %.2f img/s" % (name, r + 1, xs[-1], ts[-1]),
                  file=sys.stderr)
        xm, tm = statistics.median(xs), statistics.median(ts)
        results.append({"case": name, "batch": batch, "threads": args.threads,
                        "xbar_img_s": xm, "torch_img_s": tm, "ratio": xm / tm,
                        "xbar_rounds": xs, "torch_rounds": ts})

    print("%-16s %6s %8s %12s %12s %8s" % ("model", "batch", "threads", "xbar img/s",
                                            "torch img/s", "ratio"))
    for r in results:
        print("%-16s %6d %8d %12.2f %12.2f %8.2f" % (r["case"], r["batch"], r["threads"],
                                                     r["xbar_img_s"], r["torch_img_s"], r["ratio"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
