#!/usr/bin/python3
"""Train a small MobileNetV2 on Fashion-MNIST and export it as an int8 ONNX model.

Run with Debian's interpreter (python3-torch, python3-torchvision), from a directory
that holds no random.py:

    /usr/bin/python3 tools/train_mobilenetv2_fmnist.py --epochs 8 --lr 0.1 --seed 0 \\
        --out-dir models --ref-dir tests/data

The shipped models/mobilenetv2_fmnist_int8.onnx is that command's output: 8 epochs,
2,590 s of training on one thread of a shared 2-core machine, fp32 test top-1 0.9254,
int8 0.9243 (models/README.md has the log's numbers and the checksum).  --export-only
re-exports a checkpoint bit for bit.

The model: torchvision's mobilenet_v2 with width multiplier --width (0.5), its
inverted-residual blocks unchanged (t, c, n, s as in the paper: total stride 16 after
the stem), num_classes=10, and a stem adapted to 1-channel 32x32 inputs: a 3x3
stride-1 convolution from 1 channel (the stock stem is stride 2 from 3 channels),
so the last feature map is 2x2 and the depthwise layers see 32x32 .. 2x2 maps.

Everything else is the shipped ResNet50's pipeline (tools/train_resnet50.py, whose
functions this script uses): the same data files, the same preprocessing (28x28 ->
zero-pad 2 pixels with raw value 0 -> 32x32 -> (p/255 - 0.2860)/0.3530, which is what
`xbar infer --dataset fashion-mnist` and `xbar sweep` feed a 1x32x32 model), the same
training loop (SGD, Nesterov, one-cycle, label smoothing, random shifts and flips,
a checkpoint per epoch, --resume), BatchNorm folded into every convolution, every
Conv/Gemm weight int8 per output channel (symmetric) behind DequantizeLinear(axis 0),
ONNX opset 13, and an independent node-by-node check of the exported graph.

Besides the model it writes, in --ref-dir:
  mobilenetv2_fmnist_ref.json  PyTorch's int8 model on the test images: its correct
      count on the first 300 (the number tests/test_engine_mobilenetv2.c checks xbar's
      digital engine against) and on all 10,000, with the model's sha256 and the
      versions that computed them, so the test needs no torch;
  mobilenetv2_fmnist_ref_logits.npy, mobilenetv2_fmnist_ref_labels.npy  the int8
      model's logits [300, 10] (float32) and the labels (int64) of those 300 images.
"""

import argparse
import copy
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_resnet50 as base  # noqa: E402  (data, training loop, int8 export)

MODEL_NAME = "mobilenetv2_fmnist_int8.onnx"
REF_NAME = "mobilenetv2_fmnist_ref.json"
NUM_REF = 300        # test images whose PyTorch correct count the ctest checks
NUM_CLASSES = 10


def build_model(width):
    """torchvision mobilenet_v2, 10 classes, 1-channel 3x3 stride-1 stem."""
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=NUM_CLASSES,
                                            width_mult=width)
    stem = model.features[0][0]
    model.features[0][0] = nn.Conv2d(1, stem.out_channels, kernel_size=3, stride=1,
                                     padding=1, bias=False)
    nn.init.kaiming_normal_(model.features[0][0].weight, mode="fan_out")
    return model


def folded_model(model):
    """A copy of `model` in eval mode with every BatchNorm2d that follows a Conv2d in
    the same Sequential folded into it (MobileNetV2 has no other kind)."""
    out = copy.deepcopy(model).eval()
    with torch.no_grad():
        for parent in out.modules():
            if not isinstance(parent, nn.Sequential):
                continue
            names = [n for n, _ in parent.named_children()]
            for a, b in zip(names, names[1:]):
                conv, bn = getattr(parent, a), getattr(parent, b)
                if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
                    continue
                w, bias = base.fold_bn(conv, bn)
                new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                conv.stride, conv.padding, conv.dilation, conv.groups,
                                bias=True)
                new.weight.copy_(w)
                new.bias.copy_(bias)
                setattr(parent, a, new)
                setattr(parent, b, nn.Identity())
    left = [n for n, m in out.named_modules() if isinstance(m, nn.BatchNorm2d)]
    if left:
        raise RuntimeError("BatchNorm not folded: %s" % ", ".join(left))
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_and_report(args, model, test_raw, test_labels, train_time):
    model.eval()
    float_acc, _ = base.evaluate(model, test_raw, test_labels)
    folded = folded_model(model)
    folded_acc, _ = base.evaluate(folded, test_raw, test_labels)
    qmodel, table = base.quantized_model(folded)
    int8_acc, logits = base.evaluate(qmodel, test_raw, test_labels)
    base.log("test top-1: float %.4f  folded %.4f  int8 %.4f" % (float_acc, folded_acc,
                                                                int8_acc))

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, MODEL_NAME)
    doc = ("MobileNetV2 (torchvision, width %g, 1-channel 3x3 stride-1 stem) for "
           "Fashion-MNIST, 1x32x32 input. BatchNorm folded; Conv/Gemm weights int8 per "
           "output channel, symmetric." % args.width)
    m = base.export_onnx(qmodel, table, path, path + ".float.tmp",
                         name="mobilenetv2_fmnist_int8", doc=doc)
    size = os.path.getsize(path)
    ops = sorted({n.op_type for n in m.graph.node})
    base.log("wrote %s: %d bytes, ops %s" % (path, size, ",".join(ops)))

    # The exported graph, run node by node, against the int8 torch model.
    check_x = base.normalize(test_raw[:100])
    with torch.no_grad():
        ref_logits = qmodel(check_x)
        graph_logits = base.run_onnx_graph(m, check_x)
    err = ((graph_logits - ref_logits).abs().max() / ref_logits.abs().max()).item()
    base.log("ONNX graph vs torch int8 model, first 100 images: max rel err %.3g" % err)
    if err > 1e-5:
        raise RuntimeError("exported graph disagrees with the int8 torch model")

    pred = logits.argmax(1)
    correct = (pred == test_labels)
    ref = {
        "model": "models/" + MODEL_NAME,
        "sha256": sha256(path),
        "produced_by": "tools/train_mobilenetv2_fmnist.py (PyTorch %s, torchvision %s), "
                       "the int8 torch model on t10k of dataset-fashion-mnist, file order"
                       % (torch.__version__, torchvision.__version__),
        "ref_images": NUM_REF,
        "ref_correct": int(correct[:NUM_REF].sum().item()),
        "test_images": int(test_labels.shape[0]),
        "test_correct": int(correct.sum().item()),
        "float_top1": float_acc, "folded_top1": folded_acc, "int8_top1": int8_acc,
        "first_predictions": [int(v) for v in pred[:20]],
    }
    os.makedirs(args.ref_dir, exist_ok=True)
    with torch.no_grad():
        ref_x = base.normalize(test_raw[:NUM_REF])
        ref_logits = qmodel(ref_x).to(torch.float32)
    if not torch.equal(ref_logits.argmax(1), pred[:NUM_REF]):
        raise RuntimeError("top-1 of the first %d images depends on the batch" % NUM_REF)
    np.save(os.path.join(args.ref_dir, "mobilenetv2_fmnist_ref_logits.npy"),
            np.ascontiguousarray(ref_logits.numpy()))
    np.save(os.path.join(args.ref_dir, "mobilenetv2_fmnist_ref_labels.npy"),
            np.ascontiguousarray(test_labels[:NUM_REF].numpy().astype(np.int64)))
    with open(os.path.join(args.ref_dir, REF_NAME), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    summary = dict(ref, onnx_bytes=size, onnx_ops=ops, train_seconds=train_time,
                   onnx_graph_max_rel_err=err,
                   params=sum(p.numel() for p in model.parameters()))
    base.log("summary " + json.dumps(summary))
    return summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=base.DATA_DIR)
    p.add_argument("--out-dir", default="models", help="where the ONNX model goes")
    p.add_argument("--ref-dir", default="tests/data", help="where the reference JSON goes")
    p.add_argument("--checkpoint", default="/tmp/mobilenetv2_fmnist.pt")
    p.add_argument("--width", type=float, default=0.5, help="width multiplier")
    base.add_training_args(p, epochs=8, lr=0.1, warmup=0.15, weight_decay=4e-5, shift=2, threads=1)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--export-only", action="store_true",
                   help="skip training, export the weights in --checkpoint")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    train_raw, train_labels = base.load_split(args.data_dir, "train")
    test_raw, test_labels = base.load_split(args.data_dir, "test")
    base.log("data: train %s test %s" % (tuple(train_raw.shape), tuple(test_raw.shape)))
    model = build_model(args.width)
    base.log("mobilenet_v2 width %g: %d parameters" % (
        args.width, sum(p.numel() for p in model.parameters())))

    train_time = None
    if args.export_only:
        model.load_state_dict(torch.load(args.checkpoint, map_location="cpu")["model"])
    else:
        train_time = base.train(args, model, train_raw, train_labels, test_raw, test_labels)
        if args.max_batches:
            return
    export_and_report(args, model, test_raw, test_labels, train_time)


if __name__ == "__main__":
    main()
