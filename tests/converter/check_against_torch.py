#!/usr/bin/python3
"""End-to-end check of ternrt-convert without the runtime: small PyTorch models covering every
supported op and exporter pattern are exported at opsets 11, 13 and 17, converted with
--method none, evaluated by tern_reference.py (NumPy, NHWC) and compared with PyTorch.
Tolerance: max |diff| <= 1e-4 * max(1, max |torch output|) (float32 vs float64 evaluation).
Also checks that ternary conversions decode to exactly scale * trit with the expected layer choice.
usage: check_against_torch.py <ternrt-convert> <schema/ternrt.fbs> <work dir>"""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tern_reference  # noqa: E402

SEED = 1234


class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.f1, self.f2 = nn.Conv2d(c, 4, 1), nn.Conv2d(4, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.f2(torch.relu(self.f1(nn.functional.adaptive_avg_pool2d(x, 1)))))


class MobileNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 12, 3, 2, 1, bias=False), nn.BatchNorm2d(12)
        self.dw, self.b2 = nn.Conv2d(12, 12, 5, 1, 2, groups=12), nn.BatchNorm2d(12)
        self.se, self.hs = SE(12), nn.Hardswish()
        self.pw, self.r6 = nn.Conv2d(12, 20, 1), nn.ReLU6()
        self.pool = nn.AvgPool2d(3, 2, 1, count_include_pad=True)
        self.mp = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.fc = nn.Linear(20 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = self.se(self.hs(self.b2(self.dw(x))))
        x = self.mp(self.pool(self.r6(self.pw(x))))
        x = x.view(x.size(0), -1)
        return torch.softmax(self.fc(x), 1)


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))           # asymmetric: folded into the conv
        self.c1, self.b1 = nn.Conv2d(3, 7, 5, 2), nn.BatchNorm2d(7)
        self.c2, self.b2 = nn.Conv2d(7, 13, 3, 2, 1), nn.BatchNorm2d(13)
        self.c3, self.b3 = nn.Conv2d(13, 13, 3, 1, 1), nn.BatchNorm2d(13)
        self.short, self.bs = nn.Conv2d(7, 13, 1, 2), nn.BatchNorm2d(13)
        self.branch = nn.Conv2d(13, 5, 1)
        self.avg = nn.AvgPool2d(2)
        self.fc = nn.Linear(18 * 2 * 2, 6)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(self.pad(x))))
        y = self.b3(self.c3(torch.relu(self.b2(self.c2(x)))))
        x = torch.relu(y + self.bs(self.short(x)))
        x = torch.cat([x, self.branch(x)], 1)
        x = self.avg(x)
        return self.fc(torch.flatten(x, 1))             # flatten of 2x2 spatial: FC columns permuted


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(48, 33) * 0.2)
        self.b1 = nn.Parameter(torch.randn(33) * 0.1)
        self.fc2 = nn.Linear(33, 17)
        self.bn = nn.BatchNorm1d(17)
        self.fc3 = nn.Linear(17, 9)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = torch.clamp(torch.matmul(x, self.w1) + self.b1, -1.0, 2.0)   # MatMul + Add, Clip
        x = self.drop(nn.functional.hardsigmoid(self.bn(self.fc2(x))))
        return torch.sigmoid(self.fc3(x))


class InputBN(nn.Module):
    """BN with no foldable producer (Mul + Add), Pad before a max pool (kept as PAD), Concat."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)
        self.c = nn.Conv2d(3, 6, 3, dilation=2)

    def forward(self, x):
        x = self.bn(x)
        y = nn.functional.max_pool2d(nn.functional.pad(x, (1, 1, 1, 1)), 3, 1)
        return torch.cat([torch.relu(self.c(y)), self.c(y) * 0.5], 1)


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def main():
    convert, schema, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    print(f"seed {SEED}")
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    cases = [("mobilenetish", MobileNetish(), (2, 3, 32, 32)), ("resnetish", ResNetish(), (1, 3, 17, 17)),
             ("mlp", MLP(), (3, 3, 4, 4)), ("inputbn", InputBN(), (1, 3, 11, 9))]
    failures = 0
    for name, model, shape in cases:
        randomize_bn(model, gen)
        model.eval()
        x = torch.randn(*shape, generator=gen)
        with torch.no_grad():
            expected = model(x).numpy()
        for opset in (11, 13, 17):
            onnx_path = os.path.join(work, f"{name}-{opset}.onnx")
            tern_path = os.path.join(work, f"{name}-{opset}.tern")
            torch.onnx.export(model, x, onnx_path, opset_version=opset, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}})
            subprocess.run([convert, onnx_path, "-o", tern_path, "--method", "none", "--quiet", "--batch", str(shape[0])],
                           check=True)
            tern = tern_reference.load_tern(tern_path, schema)
            meta = {e["key"]: e["value"] for e in tern["metadata"]}
            xin = x.numpy()
            if meta.get("source_layout") == "NCHW":
                xin = xin.transpose(0, 2, 3, 1)
            (got,) = tern_reference.run(tern, [xin])
            if got.ndim == 4:
                got = got.transpose(0, 3, 1, 2)
            err = float(np.abs(got - expected).max())
            tol = 1e-4 * max(1.0, float(np.abs(expected).max()))
            ok = err <= tol and got.shape == expected.shape
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} opset {opset}: {len(tern['graph']['operators'])} ops, "
                  f"max abs err {err:.3g} (tol {tol:.3g})")

        # Ternary: every ternarized layer decodes to scale * trit and the layer choice follows --keep-float.
        onnx_path = os.path.join(work, f"{name}-13.onnx")
        for method, extra in (("mquant", []), ("tquant", ["--per-tensor", "--pack", "1.6"]), ("l2opt", ["--keep-float", "none"])):
            tern_path = os.path.join(work, f"{name}-{method}.tern")
            subprocess.run([convert, onnx_path, "-o", tern_path, "--method", method, "--quiet"] + extra, check=True)
            tern = tern_reference.load_tern(tern_path, schema)
            g = tern["graph"]
            layers = [op for op in g["operators"] if op.get("opcode", "CONV_2D") in ("CONV_2D", "FULLY_CONNECTED")]
            kinds = [g["tensors"][op["inputs"][1]].get("type", "F32") for op in layers]
            dw = [op.get("options", {}).get("groups", 1) > 1 and g["tensors"][op["inputs"][1]]["shape"][-1] == 1 for op in layers]
            if "none" in extra:
                want = ["TERNARY2"] * len(layers)
            else:
                want = ["F32" if i in (0, len(layers) - 1) or dw[i] else "TERNARY2" for i in range(len(layers))]
            ok = kinds == want
            for op in layers:
                t = g["tensors"][op["inputs"][1]]
                if t.get("type") == "TERNARY2":
                    v = tern_reference.tensor_value(tern, t)
                    ok = ok and list(v.shape) == t["shape"] and set(np.unique(np.sign(v))) <= {-1.0, 0.0, 1.0}
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} {method} {' '.join(extra)}: layer types {kinds}")
    print("FAILED" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
