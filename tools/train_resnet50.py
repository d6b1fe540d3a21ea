#!/usr/bin/python3
"""Train the shipped ResNet50 on Fashion-MNIST and export it as an int8 ONNX model.

Run with Debian's interpreter, which sees python3-torch and python3-torchvision:

    /usr/bin/python3 tools/train_resnet50.py --out-dir models --ref-dir tests/data

Steps:
  1. Read Fashion-MNIST from the gzipped IDX files of dataset-fashion-mnist.
  2. Train torchvision's resnet50 (v1.5 layout: the stride-2 sits in the 3x3 conv of
     each bottleneck) with num_classes=10 and a 1-channel 7x7 stem, on 32x32 inputs.
  3. Fold every BatchNorm into the conv before it.
  4. Quantize each Conv/Gemm weight to int8, per output channel, symmetric:
     scale[c] = max|w[c]| / 127, q = round(w / scale) clamped to [-127, 127].
  5. Export ONNX opset 13: int8 initializer -> DequantizeLinear(axis=0) -> Conv/Gemm.
  6. Report float and int8 top-1 on the 10k test set, and write reference logits of
     the int8 model for the first 100 test images.

Preprocessing (the C engine reproduces it exactly):
  raw uint8 28x28 image -> zero-pad 2 pixels on every side with raw pixel value 0
  -> 32x32 -> x = (pixel / 255 - MEAN) / STD, MEAN = 0.2860, STD = 0.3530, float32.
A padded pixel therefore becomes (0 - 0.2860) / 0.3530.

Training runs only here, never in CI. A checkpoint is written after every epoch; pass
--resume to continue after a crash, or --init with --lr to fine-tune a finished model.
"""

import argparse
import gzip
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN = 0.2860  # mean of the Fashion-MNIST training pixels, scaled to [0, 1]
STD = 0.3530   # their standard deviation, same scale
PAD = 2        # 28x28 -> 32x32
SIZE = 32
NUM_CLASSES = 10
QMAX = 127     # symmetric int8: -127..127, -128 unused
OPSET = 13
MODEL_NAME = "resnet50_fmnist_int8.onnx"
NUM_REF = 100


# ----------------------------------------------------------------------------- data

def read_idx(path):
    """Return the array stored in an IDX file (gzipped or not)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("%s: not an IDX file (bad magic)" % path)
    if data[2] != 0x08:
        raise ValueError("%s: element type 0x%02x, expected 0x08 (uint8)" % (path, data[2]))
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError("%s: %d payload bytes, header says %d" % (path, len(data) - offset, count))
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def load_split(data_dir, split):
    """Raw uint8 images padded to [N,1,32,32] with pixel 0, and int64 labels [N]."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % prefix))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % prefix))
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError("%s: unexpected shapes %s / %s" % (split, images.shape, labels.shape))
    padded = np.zeros((images.shape[0], 1, SIZE, SIZE), dtype=np.uint8)
    padded[:, 0, PAD:PAD + 28, PAD:PAD + 28] = images
    return torch.from_numpy(padded), torch.from_numpy(labels.astype(np.int64))


def normalize(raw):
    """uint8 [N,1,32,32] -> float32, exactly as the C engine computes it."""
    x = raw.to(torch.float32) / 255.0
    return (x - MEAN) / STD


def augment(raw, gen, shift=4):
    """Random crop with `shift` pixels of raw-0 padding, and horizontal flip (uint8 in/out)."""
    n = raw.shape[0]
    big = F.pad(raw, (shift, shift, shift, shift), value=0)
    dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty_like(raw)
    for i in range(n):
        crop = big[i, :, dy[i]:dy[i] + SIZE, dx[i]:dx[i] + SIZE]
        out[i] = crop.flip(2) if flip[i] else crop
    return out


# ---------------------------------------------------------------------------- model

def build_model():
    """torchvision resnet50 (v1.5), 10 classes, 1-channel 7x7 stride-2 stem + maxpool."""
    # zero_init_residual: each block starts as the identity, which keeps the short,
    # high-learning-rate schedule from diverging.
    model = torchvision.models.resnet50(weights=None, num_classes=NUM_CLASSES,
                                        zero_init_residual=True)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    return model


def fold_bn(conv, bn):
    """Return (weight, bias) of `conv` with the eval-mode `bn` after it folded in."""
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    b = bn.bias.detach() - bn.running_mean * scale
    if conv.bias is not None:
        b = b + conv.bias.detach() * scale
    return w, b


def folded_model(model):
    """A copy of `model` whose convs carry bias and whose BatchNorms are Identity."""
    model = model.eval()
    out = build_model().eval()
    out.load_state_dict(model.state_dict())

    def fold_pair(parent, conv_name, bn_name):
        conv = getattr(parent, conv_name)
        bn = getattr(parent, bn_name)
        w, b = fold_bn(conv, bn)
        new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                        conv.padding, conv.dilation, conv.groups, bias=True)
        new.weight.data.copy_(w)
        new.bias.data.copy_(b)
        setattr(parent, conv_name, new)
        setattr(parent, bn_name, nn.Identity())

    with torch.no_grad():
        fold_pair(out, "conv1", "bn1")
        for layer in (out.layer1, out.layer2, out.layer3, out.layer4):
            for block in layer:
                fold_pair(block, "conv1", "bn1")
                fold_pair(block, "conv2", "bn2")
                fold_pair(block, "conv3", "bn3")
                if block.downsample is not None:
                    fold_pair(block.downsample, "0", "1")
    return out.eval()


def quantize_per_channel(w):
    """Symmetric int8 per output channel (axis 0). Returns (q int8, scale float32)."""
    flat = w.detach().reshape(w.shape[0], -1).to(torch.float32)
    amax = flat.abs().max(dim=1).values
    scale = amax / QMAX
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # all-zero channel
    shape = (-1,) + (1,) * (w.dim() - 1)
    q = torch.clamp(torch.round(w / scale.reshape(shape)), -QMAX, QMAX).to(torch.int8)
    return q, scale.to(torch.float32)


def dequantize(q, scale):
    """(q - 0) * scale in float32, as ONNX DequantizeLinear does."""
    shape = (-1,) + (1,) * (q.dim() - 1)
    return q.to(torch.float32) * scale.reshape(shape)


def quantized_model(folded):
    """Copy of a folded model with every Conv/Linear weight replaced by its int8
    dequantization. Returns (model, {param name: (q, scale)})."""
    out = folded_model_copy(folded)
    table = {}
    with torch.no_grad():
        for name, mod in out.named_modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                q, scale = quantize_per_channel(mod.weight)
                mod.weight.copy_(dequantize(q, scale))
                table[name + ".weight"] = (q, scale)
    return out, table


def folded_model_copy(folded):
    import copy
    return copy.deepcopy(folded).eval()


# ------------------------------------------------------------------------- training

def evaluate(model, raw, labels, batch=500):
    """Top-1 accuracy and float32 logits of `model` on normalized `raw` images."""
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, raw.shape[0], batch):
            logits.append(model(normalize(raw[i:i + batch])))
    logits = torch.cat(logits)
    acc = (logits.argmax(1) == labels).float().mean().item()
    return acc, logits


def log(msg, stream=sys.stdout):
    stream.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    stream.flush()


def train(args, model, train_raw, train_labels, test_raw, test_labels):
    params_bn = [p for n, p in model.named_parameters() if p.dim() == 1]
    params_w = [p for n, p in model.named_parameters() if p.dim() > 1]
    opt = torch.optim.SGD([{"params": params_w, "weight_decay": args.weight_decay},
                           {"params": params_bn, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    n = train_raw.shape[0]
    steps_per_epoch = n // args.batch  # drop the last partial batch
    total = steps_per_epoch * args.epochs
    if args.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=args.lr, total_steps=total, pct_start=args.warmup,
            div_factor=25.0, final_div_factor=1e3, anneal_strategy="cos",
            three_phase=False, cycle_momentum=False)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, total) / total)))
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    gen = torch.Generator().manual_seed(args.seed)
    start_epoch, start_step, perm, t_train = 0, 0, None, 0.0

    def save(epoch, step, perm, acc=None):
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "generator": gen.get_state(),
                    "epoch": epoch, "step": step, "perm": perm, "test_acc": acc,
                    "train_seconds": t_train, "args": vars(args)},
                   args.checkpoint + ".tmp")
        os.replace(args.checkpoint + ".tmp", args.checkpoint)

    if args.resume and os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        gen.set_state(ck["generator"])
        start_epoch, start_step, perm = ck["epoch"], ck["step"], ck["perm"]
        t_train = ck["train_seconds"]
        log("resumed from %s at epoch %d step %d" % (args.checkpoint, start_epoch + 1,
                                                     start_step))

    model.to(memory_format=torch.channels_last)  # about 10% faster on CPU
    for epoch in range(start_epoch, args.epochs):
        model.train()
        if start_step == 0:
            perm = torch.randperm(n, generator=gen)
        t0 = time.time()
        t_mark = t0
        loss_sum, correct, seen = 0.0, 0, 0
        for step in range(start_step, steps_per_epoch):
            if args.max_batches and step >= args.max_batches:
                break
            idx = perm[step * args.batch:(step + 1) * args.batch]
            x = normalize(augment(train_raw[idx], gen, args.shift))
            x = x.contiguous(memory_format=torch.channels_last)
            y = train_labels[idx]
            out = model(x)
            loss = criterion(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            sched.step()
            loss_sum += loss.item() * y.shape[0]
            correct += (out.argmax(1) == y).sum().item()
            seen += y.shape[0]
            if (step + 1) % args.log_every == 0:
                now = time.time()
                t_train += now - t_mark
                log("epoch %d step %d/%d loss %.4f acc %.4f lr %.4f  %.3f s/batch "
                    "(last %d: %.3f)" % (
                        epoch + 1, step + 1, steps_per_epoch, loss_sum / seen, correct / seen,
                        sched.get_last_lr()[0], (now - t0) / (seen // args.batch),
                        args.log_every, (now - t_mark) / args.log_every))
                t_mark = now
                if not args.max_batches and step + 1 < steps_per_epoch:
                    save(epoch, step + 1, perm)
        t_train += time.time() - t_mark
        t_epoch = time.time() - t0
        batches = max(1, seen // args.batch)
        if args.max_batches:
            log("timing run: %d batches in %.1f s = %.3f s/batch -> %.1f s per epoch" % (
                batches, t_epoch, t_epoch / batches, t_epoch / batches * steps_per_epoch))
            return None
        t1 = time.time()
        acc, _ = evaluate(model, test_raw, test_labels)
        log("epoch %d done: train loss %.4f train acc %.4f test acc %.4f  "
            "train %.1f s eval %.1f s, total train %.1f s" % (
                epoch + 1, loss_sum / seen, correct / seen, acc, t_epoch,
                time.time() - t1, t_train))
        start_step = 0
        save(epoch + 1, 0, None, acc)
    model.to(memory_format=torch.contiguous_format)
    log("training time (all runs): %.1f s" % t_train)
    return t_train


# --------------------------------------------------------------------------- export

def export_onnx(qmodel, table, path, float_path, name="resnet50_fmnist_int8",
                doc=("ResNet50 (torchvision v1.5 layout) for Fashion-MNIST, 1x32x32 input. "
                     "BatchNorm folded; Conv/Gemm weights int8 per output channel, symmetric.")):
    """Export the folded float model, then swap each Conv/Gemm weight initializer for
    an int8 initializer fed through DequantizeLinear(axis=0). `name` and `doc` become
    the graph's name and the model's doc string (tools/train_mobilenetv2_fmnist.py
    exports through this too)."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    dummy = torch.zeros(1, 1, SIZE, SIZE)
    torch.onnx.export(qmodel, dummy, float_path, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True, export_params=True)
    m = onnx.load(float_path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}

    # The exporter merges equal initializers and re-creates the duplicates with Identity
    # nodes; point their consumers at the initializer itself instead.
    outputs = {o.name for o in g.output}
    alias = {n.output[0]: n.input[0] for n in g.node
             if n.op_type == "Identity" and n.input[0] in inits and n.output[0] not in outputs}
    kept_nodes = [n for n in g.node if not (n.op_type == "Identity" and n.output[0] in alias)]
    for node in kept_nodes:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = alias[name]
    del g.node[:]
    g.node.extend(kept_nodes)
    uses = {}
    for node in g.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1

    dq_nodes = []
    replaced = set()
    for node in g.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        wname = node.input[1]
        if wname not in inits:
            raise RuntimeError("node %s: weight %s is not an initializer" % (node.name, wname))
        if uses[wname] != 1:
            raise RuntimeError("weight %s is shared by %d nodes" % (wname, uses[wname]))
        if node.op_type == "Gemm":
            attrs = {a.name: a for a in node.attribute}
            if "transB" not in attrs or attrs["transB"].i != 1:
                raise RuntimeError("Gemm %s: expected transB=1" % node.name)
        if wname not in table:
            raise RuntimeError("weight %s has no quantization entry" % wname)
        q, scale = table[wname]
        w_onnx = numpy_helper.to_array(inits[wname])
        w_deq = dequantize(q, scale).numpy()
        if w_onnx.shape != w_deq.shape or not np.array_equal(w_onnx, w_deq):
            raise RuntimeError("weight %s: exported values differ from the int8 grid" % wname)
        qname, sname, zname = wname + "_quantized", wname + "_scale", wname + "_zero_point"
        g.initializer.extend([
            numpy_helper.from_array(q.numpy(), qname),
            numpy_helper.from_array(scale.numpy().astype(np.float32), sname),
            numpy_helper.from_array(np.zeros(scale.shape[0], dtype=np.int8), zname),
        ])
        dq_out = wname + "_dequantized"
        dq_nodes.append(helper.make_node("DequantizeLinear", [qname, sname, zname], [dq_out],
                                         name=wname + "_DequantizeLinear", axis=0))
        node.input[1] = dq_out
        replaced.add(wname)

    keep = [t for t in g.initializer if t.name not in replaced]
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = dq_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)

    if any(n.op_type == "BatchNormalization" for n in g.node):
        raise RuntimeError("BatchNormalization left in the exported graph")
    g.name = name
    m.doc_string = doc
    meta = {"preprocess.pad": str(PAD), "preprocess.pad_value_raw": "0",
            "preprocess.scale": "1/255", "preprocess.mean": repr(MEAN),
            "preprocess.std": repr(STD),
            "classes": "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"}
    del m.metadata_props[:]
    for k, v in meta.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)
    os.remove(float_path)
    return m


def run_onnx_graph(m, x):
    """Execute the exported graph node by node with torch functional ops, as an
    independent check that the file describes the int8 model (no onnxruntime here)."""
    from onnx import numpy_helper
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    env["input"] = x
    for node in m.graph.node:
        a = {at.name: at for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(a["value"].t).copy())
        elif op == "DequantizeLinear":
            axis = a["axis"].i if "axis" in a else 1
            shape = [1] * ins[0].dim()
            shape[axis] = -1
            y = (ins[0].to(torch.float32) - ins[2].to(torch.float32).reshape(shape)) \
                * ins[1].reshape(shape)
        elif op == "Conv":
            pads = list(a["pads"].ints)
            if pads[:2] != pads[2:]:
                raise RuntimeError("asymmetric pads")
            y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                         stride=list(a["strides"].ints), padding=pads[:2],
                         dilation=list(a["dilations"].ints) if "dilations" in a else 1,
                         groups=a["group"].i if "group" in a else 1)
        elif op == "Relu":
            y = F.relu(ins[0])
        elif op == "Clip":  # ReLU6 (MobileNetV2), min and max as inputs from opset 11
            lo = ins[1].item() if len(ins) > 1 and ins[1] is not None else None
            hi = ins[2].item() if len(ins) > 2 and ins[2] is not None else None
            y = torch.clamp(ins[0], lo, hi)
        elif op == "MaxPool":
            pads = list(a["pads"].ints)
            y = F.max_pool2d(ins[0], list(a["kernel_shape"].ints), list(a["strides"].ints),
                             pads[:2], ceil_mode=bool(a["ceil_mode"].i) if "ceil_mode" in a else False)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "GlobalAveragePool":
            y = ins[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            axis = a["axis"].i if "axis" in a else 1
            y = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            alpha = a["alpha"].f if "alpha" in a else 1.0
            beta = a["beta"].f if "beta" in a else 1.0
            A = ins[0].t() if ("transA" in a and a["transA"].i) else ins[0]
            B = ins[1].t() if ("transB" in a and a["transB"].i) else ins[1]
            y = alpha * (A @ B) + beta * ins[2]
        else:
            raise RuntimeError("unexpected op %s in exported graph" % op)
        env[node.output[0]] = y
    return env[m.graph.output[0].name]


def export_and_report(args, model, test_raw, test_labels, train_time):
    import onnx
    model.eval()
    float_acc, _ = evaluate(model, test_raw, test_labels)
    folded = folded_model(model)
    folded_acc, _ = evaluate(folded, test_raw, test_labels)
    qmodel, table = quantized_model(folded)
    int8_acc, logits = evaluate(qmodel, test_raw, test_labels)
    log("test top-1: float %.4f  folded %.4f  int8 %.4f" % (float_acc, folded_acc, int8_acc))

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, MODEL_NAME)
    m = export_onnx(qmodel, table, path, path + ".float.tmp")
    size = os.path.getsize(path)
    ops = sorted({n.op_type for n in m.graph.node})
    log("wrote %s: %d bytes, ops %s" % (path, size, ",".join(ops)))

    # Reference data for the C engine: first NUM_REF test images in file order.
    ref_x = normalize(test_raw[:NUM_REF])
    with torch.no_grad():
        ref_logits = qmodel(ref_x).to(torch.float32)
        graph_logits = run_onnx_graph(m, ref_x)
    err = ((graph_logits - ref_logits).abs().max() / ref_logits.abs().max()).item()
    log("ONNX graph vs torch int8 model, first %d images: max rel err %.3g" % (NUM_REF, err))
    if err > 1e-5:
        raise RuntimeError("exported graph disagrees with the int8 torch model")
    if not torch.equal(ref_logits, logits[:NUM_REF]):
        d = (ref_logits - logits[:NUM_REF]).abs().max().item()
        log("note: batch-size dependent rounding, max abs diff %.3g" % d)
    os.makedirs(args.ref_dir, exist_ok=True)
    np.save(os.path.join(args.ref_dir, "resnet50_fmnist_ref_logits.npy"),
            np.ascontiguousarray(ref_logits.numpy().astype(np.float32)))
    np.save(os.path.join(args.ref_dir, "resnet50_fmnist_ref_labels.npy"),
            np.ascontiguousarray(test_labels[:NUM_REF].numpy().astype(np.int64)))
    np.save(os.path.join(args.ref_dir, "resnet50_fmnist_ref_input0.npy"),
            np.ascontiguousarray(ref_x[:1].numpy().astype(np.float32)))
    ref_acc = (ref_logits.argmax(1) == test_labels[:NUM_REF]).float().mean().item()
    summary = {"float_top1": float_acc, "folded_top1": folded_acc, "int8_top1": int8_acc,
               "ref_top1_first100": ref_acc, "onnx_bytes": size, "onnx_ops": ops,
               "train_seconds": train_time, "onnx_graph_max_rel_err": err}
    log("summary " + json.dumps(summary))
    return summary


# ----------------------------------------------------------------------------- main

def add_training_args(p, epochs, lr, warmup, weight_decay, shift, threads):
    """The training options of this recipe, with a network's own defaults
    (train_mobilenetv2_fmnist.py takes the same)."""
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate")
    p.add_argument("--clip", type=float, default=5.0, help="gradient norm clip")
    p.add_argument("--schedule", choices=["onecycle", "cosine"], default="onecycle")
    p.add_argument("--warmup", type=float, default=warmup, help="onecycle warm-up fraction")
    p.add_argument("--weight-decay", type=float, default=weight_decay)
    p.add_argument("--shift", type=int, default=shift,
                   help="random-crop padding: shifts of up to this many pixels")
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=threads)
    p.add_argument("--max-batches", type=int, default=0,
                   help="timing run: train this many batches, print s/epoch, exit")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=DATA_DIR)
    p.add_argument("--out-dir", default="models", help="where the ONNX model goes")
    p.add_argument("--ref-dir", default="tests/data", help="where the reference .npy go")
    p.add_argument("--checkpoint", default="/tmp/resnet50_fmnist.pt")
    add_training_args(p, epochs=10, lr=0.05, warmup=0.2, weight_decay=5e-4, shift=4, threads=2)
    p.add_argument("--test-limit", type=int, default=0,
                   help="smoke test: use only this many test images")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--init", default="", help="start from the weights of this checkpoint "
                   "with a fresh optimizer and schedule (fine-tuning)")
    p.add_argument("--export-only", action="store_true",
                   help="skip training, export the weights in --checkpoint")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    train_raw, train_labels = load_split(args.data_dir, "train")
    test_raw, test_labels = load_split(args.data_dir, "test")
    if args.test_limit:
        test_raw, test_labels = test_raw[:args.test_limit], test_labels[:args.test_limit]
    log("data: train %s test %s" % (tuple(train_raw.shape), tuple(test_raw.shape)))
    model = build_model()

    train_time = None
    if args.export_only:
        model.load_state_dict(torch.load(args.checkpoint, map_location="cpu")["model"])
    else:
        if args.init:
            model.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
            log("initialized from %s" % args.init)
        train_time = train(args, model, train_raw, train_labels, test_raw, test_labels)
        if args.max_batches:
            return
    export_and_report(args, model, test_raw, test_labels, train_time)


if __name__ == "__main__":
    main()
