#!/usr/bin/python3
"""Trains the bundled Fashion-MNIST models and exports them to ONNX.

  /usr/bin/python3 scripts/train_fashion_mnist.py --arch resnet --epochs 8 \
      --out examples/models/fmnist_resnet.onnx

Data: Debian's dataset-fashion-mnist (60k train / 10k test IDX files); nothing is downloaded.
Writes NAME.onnx (opset 13, input `input` float32 Nx1x28x28 normalized with mean 0.2860 and std
0.3530, output `logits` Nx10, dynamic batch) and NAME.json (test accuracy, epochs, seconds, ...).
Deterministic for a given --seed and thread count, up to floating-point summation order.
"""
import argparse
import json
import math
import os
import sys
import time

# libgomp's default busy-waiting makes 2 threads ~4x slower than 1 when the cores are shared
# (measured here at load 6: 780 vs 193 ms per step); must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist_npy as fmnist  # noqa: E402  (sibling script; shares the IDX reader)


# ---------------------------------------------------------------------------------------------
# Architectures

class BasicBlock(nn.Module):
    """Two 3x3 conv+BN, ReLU, residual Add; 1x1 conv+BN shortcut when the shape changes."""

    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class FmnistResNet(nn.Module):
    """Stem 3x3x16, stages 16@28x28, 32@14x14, 64@7x7 of `blocks` basic blocks, GAP, Linear."""

    def __init__(self, widths=(16, 32, 64), blocks=(2, 2, 2), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        layers = []
        in_ch = widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for i in range(count):
                layers.append(BasicBlock(in_ch, width, 2 if (stage > 0 and i == 0) else 1))
                in_ch = width
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def _activation(name):
    return nn.Hardswish() if name == "hswish" else nn.ReLU6(inplace=True)


class SqueezeExcite(nn.Module):
    """GAP -> 1x1 conv -> ReLU -> 1x1 conv -> Sigmoid -> Mul broadcast over HxW."""

    def __init__(self, channels, squeezed):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.expand(F.relu(self.reduce(s))))
        return x * s


class InvertedResidual(nn.Module):
    """1x1 expand + BN + act, kxk depthwise + BN + act, optional SE, 1x1 project + BN, residual."""

    def __init__(self, in_ch, expanded, out_ch, kernel, stride, use_se, act):
        super().__init__()
        layers = []
        if expanded != in_ch:
            layers += [nn.Conv2d(in_ch, expanded, 1, bias=False), nn.BatchNorm2d(expanded),
                       _activation(act)]
        layers += [nn.Conv2d(expanded, expanded, kernel, stride, kernel // 2, groups=expanded,
                             bias=False),
                   nn.BatchNorm2d(expanded), _activation(act)]
        if use_se:
            layers.append(SqueezeExcite(expanded, max(8, expanded // 4)))
        layers += [nn.Conv2d(expanded, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class FmnistMobileNet(nn.Module):
    """MobileNetV2/V3-style: ReLU6 early, HardSwish + SE late, 3x3 and 5x5 depthwise."""

    # (expanded, out, kernel, stride, squeeze-excite, activation)
    CONFIG = [
        (48, 24, 3, 2, False, "relu6"),   # 28x28 -> 14x14 (the stem keeps full resolution)
        (72, 24, 3, 1, False, "relu6"),
        (96, 40, 5, 2, True, "hswish"),   # 14x14 -> 7x7
        (120, 40, 5, 1, True, "hswish"),
        (144, 48, 3, 1, True, "hswish"),
    ]

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.Hardswish())
        blocks = []
        in_ch = 16
        for expanded, out_ch, kernel, stride, use_se, act in self.CONFIG:
            blocks.append(InvertedResidual(in_ch, expanded, out_ch, kernel, stride, use_se, act))
            in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Conv2d(in_ch, 192, 1, bias=False), nn.BatchNorm2d(192),
                                  nn.Hardswish())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(192, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))


ARCHS = {"resnet": FmnistResNet, "mobilenet": FmnistMobileNet}


# ---------------------------------------------------------------------------------------------
# Training

def augment(batch, generator):
    """Random crop with 2-pixel zero padding (in normalized space: pad with the value of black)
    and horizontal flip, vectorized over the batch."""
    n = batch.shape[0]
    pad = 2
    black = (0.0 - fmnist.MEAN) / fmnist.STD
    padded = F.pad(batch, (pad, pad, pad, pad), value=black)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28)[None, :])            # n x 28
    cols = (dx[:, None] + torch.arange(28)[None, :])            # n x 28
    flip = torch.rand(n, generator=generator) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    idx_n = torch.arange(n)[:, None, None]
    out = padded[idx_n, 0, rows[:, :, None], cols[:, None, :]]  # n x 28 x 28
    return out.unsqueeze(1).contiguous()


@torch.no_grad()
def evaluate(model, images, labels, batch_size=1000):
    model.eval()
    correct = 0
    for start in range(0, images.shape[0], batch_size):
        batch = images[start:start + batch_size].contiguous(memory_format=torch.channels_last)
        logits = model(batch)
        correct += (logits.argmax(1) == labels[start:start + batch_size]).sum().item()
    return correct / images.shape[0]


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    train_u8, train_labels = fmnist.load_split("train", args.data_dir)
    test_u8, test_labels = fmnist.load_split("test", args.data_dir)
    if args.limit_train:
        train_u8, train_labels = train_u8[:args.limit_train], train_labels[:args.limit_train]
    train_x = torch.from_numpy(fmnist.normalize(train_u8))
    train_y = torch.from_numpy(train_labels)
    test_x = torch.from_numpy(fmnist.normalize(test_u8))
    test_y = torch.from_numpy(test_labels)

    model = ARCHS[args.arch]()
    # channels_last makes PyTorch's CPU depthwise/3x3 convs markedly faster (about 1.6x here).
    model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    print(f"arch {args.arch}: {params} parameters, {train_x.shape[0]} train images, "
          f"{args.epochs} epochs, batch {args.batch_size}, threads {torch.get_num_threads()}, "
          f"seed {args.seed}", flush=True)

    steps_per_epoch = math.ceil(train_x.shape[0] / args.batch_size)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)   # no weight decay on BN and biases
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch,
        pct_start=0.25)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    start_time = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=generator)
        loss_sum, seen = 0.0, 0
        epoch_start = time.time()
        for step in range(steps_per_epoch):
            idx = order[step * args.batch_size:(step + 1) * args.batch_size]
            x = train_x[idx]
            if not args.no_augment:
                x = augment(x, generator)
            x = x.contiguous(memory_format=torch.channels_last)
            loss = criterion(model(x), train_y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * idx.shape[0]
            seen += idx.shape[0]
            if (step + 1) % 100 == 0:
                print(f"  epoch {epoch + 1} step {step + 1}/{steps_per_epoch}: loss "
                      f"{loss_sum / seen:.4f}, {time.time() - epoch_start:.0f} s", flush=True)
        accuracy = evaluate(model, test_x, test_y)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss_sum / seen:.4f}, "
              f"test accuracy {accuracy * 100:.2f}%, {time.time() - epoch_start:.0f} s",
              flush=True)
    seconds = time.time() - start_time
    model.eval()
    model = model.to(memory_format=torch.contiguous_format)
    return model, evaluate(model, test_x, test_y), seconds, params, test_x, test_y


# ---------------------------------------------------------------------------------------------
# Export

def export(model, out_path, test_x, test_y):
    import onnx
    sample = test_x[:1]
    # Default export (TrainingMode.EVAL) folds each BatchNorm into its conv, as users usually get.
    torch.onnx.export(model, sample, out_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    proto = onnx.load(out_path)
    onnx.checker.check_model(proto)
    ops = sorted({node.op_type for node in proto.graph.node})

    # The exported graph must reproduce PyTorch on real images, at batch 1 and a larger batch.
    try:
        import onnxruntime  # optional: not a Debian package
    except ImportError:
        onnxruntime = None
    if onnxruntime is not None:
        session = onnxruntime.InferenceSession(out_path, providers=["CPUExecutionProvider"])
        with torch.no_grad():
            ref = model(test_x[:64]).numpy()
        got = session.run(None, {"input": test_x[:64].numpy()})[0]
        print(f"onnxruntime max |diff| vs torch: {np.abs(got - ref).max():.2e}")
    return ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(ARCHS), required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", required=True, help="output NAME.onnx; NAME.json is written next to it")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1, help="peak learning rate (one-cycle)")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--limit-train", type=int, default=0,
                        help="use only the first N training images (smoke tests)")
    parser.add_argument("--data-dir", default=fmnist.DEFAULT_DATA_DIR)
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    if not args.out.endswith(".onnx"):
        parser.error("--out must end in .onnx")

    torch.set_num_threads(args.threads)
    try:
        for split in ("train", "test"):   # fail before any training on missing data
            fmnist.load_split(split, args.data_dir)
    except (OSError, ValueError) as e:
        print(f"train_fashion_mnist.py: error: {e}", file=sys.stderr)
        return 1
    model, accuracy, seconds, params, test_x, test_y = train(args)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    ops = export(model, args.out, test_x, test_y)

    sidecar = {
        "arch": args.arch,
        "test_accuracy": round(accuracy, 4),
        "epochs": args.epochs,
        "seconds": round(seconds, 1),
        "threads": args.threads,
        "seed": args.seed,
        "parameters": params,
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "layout": "NCHW",
                  "dtype": "float32", "preprocess": "x = (pixel / 255 - mean) / std"},
        "output": {"name": "logits", "shape": ["batch", 10]},
        "mean": fmnist.MEAN,
        "std": fmnist.STD,
        "class_names": fmnist.CLASS_NAMES,
        "onnx_opset": 13,
        "onnx_ops": ops,
        "torch_version": torch.__version__,
        "command": "/usr/bin/python3 scripts/train_fashion_mnist.py " + " ".join(sys.argv[1:]),
    }
    json_path = os.path.splitext(args.out)[0] + ".json"
    with open(json_path, "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print(f"test accuracy {accuracy * 100:.2f}% after {args.epochs} epochs in {seconds:.0f} s; "
          f"wrote {args.out} ({os.path.getsize(args.out)} bytes, ops {', '.join(ops)}) "
          f"and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
