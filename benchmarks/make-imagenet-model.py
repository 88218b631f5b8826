#!/usr/bin/env python3
"""Writes an ImageNet-layout network (1x3x224x224, random weights and BatchNorm statistics) as ONNX,
plus a few random calibration inputs, for ternrt-bench's large-model figures (benchmarks/RESULTS.md).
torchvision is not a dependency: the networks are written out here, with the layer shapes of the
torchvision models of the same name. Run with /usr/bin/python3.

usage: make-imagenet-model.py resnet18|mobilenetv2|mobilenetv3 OUT_DIR   -> OUT_DIR/NAME.onnx, OUT_DIR/NAME-calib.npy
"""
import os
import sys

import numpy as np
import torch
from torch import nn


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def conv_bn(cin, cout, kernel, stride, groups=1, relu6=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6()] if relu6 else layers


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = conv_bn(cin, hidden, 1, 1) if expand != 1 else []
        layers += conv_bn(hidden, hidden, 3, stride, groups=hidden)   # depthwise
        layers += conv_bn(hidden, cout, 1, 1, relu6=False)            # linear projection
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    """Width 1.0 (3.4 M parameters, 300 M multiply-adds at 224x224)."""

    def __init__(self):
        super().__init__()
        layers, cin = conv_bn(3, 32, 3, 2), 32
        # expansion t, output channels c, repeats n, first stride s (the paper's Table 2)
        for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                           (6, 160, 3, 2), (6, 320, 1, 1)]:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += conv_bn(cin, 1280, 1, 1)
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(1280, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        squeezed = max(8, (channels // 4 + 4) // 8 * 8)   # torchvision's _make_divisible(channels / 4, 8)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        s = torch.relu(self.reduce(nn.functional.adaptive_avg_pool2d(x, 1)))
        return x * nn.functional.hardsigmoid(self.expand(s))


class V3Block(nn.Module):
    def __init__(self, cin, kernel, hidden, cout, se, hswish, stride):
        super().__init__()
        act = nn.Hardswish if hswish else nn.ReLU
        layers = []
        if hidden != cin:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), act()]
        layers += [nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
                   nn.BatchNorm2d(hidden), act()]
        if se:
            layers.append(SqueezeExcite(hidden))
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV3Large(nn.Module):
    """MobileNetV3-Large, width 1.0 (5.5 M parameters, 220 M multiply-adds at 224x224): HardSwish,
    squeeze-excite with HardSigmoid, 3x3 and 5x5 depthwise layers."""

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish()]
        cin = 16
        # kernel, expanded channels, output channels, squeeze-excite, HardSwish, stride (the paper's Table 1)
        for k, e, c, se, hs, s in [(3, 16, 16, False, False, 1), (3, 64, 24, False, False, 2),
                                   (3, 72, 24, False, False, 1), (5, 72, 40, True, False, 2),
                                   (5, 120, 40, True, False, 1), (5, 120, 40, True, False, 1),
                                   (3, 240, 80, False, True, 2), (3, 200, 80, False, True, 1),
                                   (3, 184, 80, False, True, 1), (3, 184, 80, False, True, 1),
                                   (3, 480, 112, True, True, 1), (3, 672, 112, True, True, 1),
                                   (5, 672, 160, True, True, 2), (5, 960, 160, True, True, 1),
                                   (5, 960, 160, True, True, 1)]:
            layers.append(V3Block(cin, k, e, c, se, hs, s))
            cin = c
        layers += [nn.Conv2d(cin, 960, 1, bias=False), nn.BatchNorm2d(960), nn.Hardswish()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(960, 1280), nn.Hardswish(), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


MODELS = {"resnet18": ResNet18, "mobilenetv2": MobileNetV2, "mobilenetv3": MobileNetV3Large}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit("usage: make-imagenet-model.py %s OUT_DIR" % "|".join(MODELS))
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = MODELS[name]().eval()
    with torch.no_grad():   # plausible BatchNorm statistics so activations neither vanish nor explode
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2.0)
                m.running_mean.uniform_(-0.1, 0.1)
    x = torch.randn(1, 3, 224, 224)
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"])
    calib = os.path.join(out, name + "-calib.npy")
    np.save(calib, np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32))
    print("wrote", path, "and", calib)


if __name__ == "__main__":
    main()
