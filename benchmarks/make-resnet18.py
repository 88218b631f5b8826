#!/usr/bin/env python3
"""Writes a ResNet-18 (ImageNet layout, 1x3x224x224, random weights and BatchNorm statistics) as ONNX,
plus a few random calibration inputs, for ternrt-bench's large-model figures (benchmarks/RESULTS.md).
torchvision is not a dependency: the network is written out here. Run with /usr/bin/python3.

usage: make-resnet18.py OUT_DIR   -> OUT_DIR/resnet18.onnx, OUT_DIR/resnet18-calib.npy
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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = ResNet18().eval()
    with torch.no_grad():   # plausible BatchNorm statistics so activations neither vanish nor explode
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2.0)
                m.running_mean.uniform_(-0.1, 0.1)
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, x, os.path.join(out, "resnet18.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"])
    np.save(os.path.join(out, "resnet18-calib.npy"), np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32))
    print("wrote", os.path.join(out, "resnet18.onnx"), "and resnet18-calib.npy")


if __name__ == "__main__":
    main()
