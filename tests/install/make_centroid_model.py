#!/usr/bin/python3
"""A small, exactly checkable Fashion-MNIST classifier for the install/classify tests.

  /usr/bin/python3 tests/install/make_centroid_model.py OUT_DIR

Nearest class mean in normalized pixel space, written as ONNX Flatten + Gemm (no training, no
torch; deterministic): logits[c] = m_c . x - |m_c|^2 / 2 with x = (pixel / 255 - MEAN) / STD and
m_c the mean normalized training image of class c. Writes into OUT_DIR:
  centroid.onnx                 input `input` 1x1x28x28 float32 (NCHW), output `logits` 1x10
  centroid_expected.json        mean/std/labels to store as metadata, and reference logits for
                                the bundled test image and for a constant model input (float64)
  test_input_nchw.npy           the preprocessed bundled test image (float32 NCHW, what classify
                                computes from examples/classify/fmnist_test_39.png)
  test_u8.npy                   the same image as uint8 (28, 28)
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
TEST_INDEX = 39     # examples/classify/fmnist_test_39.png (make_sample_image.py)
CONSTANT_INPUT = 0.25  # the consumer programs fill the whole model input with this value


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def normalize(pixels_u8):
    return (pixels_u8.astype(np.float64) / 255.0 - MEAN) / STD


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    train_x, train_y = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")
    flat = normalize(train_x.reshape(len(train_x), -1))
    centroids = np.stack([flat[train_y == c].mean(axis=0) for c in range(10)])   # (10, 784)
    bias = -0.5 * (centroids ** 2).sum(axis=1)
    w32, b32 = centroids.astype(np.float32), bias.astype(np.float32)

    def logits(x_flat):  # float64 reference from the float32 weights the model stores
        return x_flat.astype(np.float64) @ w32.astype(np.float64).T + b32.astype(np.float64)

    test_pred = logits(normalize(test_x.reshape(len(test_x), -1))).argmax(axis=1)
    accuracy = float((test_pred == test_y).mean())

    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["flat"], axis=1, name="flatten"),
         helper.make_node("Gemm", ["flat", "centroids", "bias"], ["logits"], transB=1, name="centroid_scores")],
        "fmnist_centroid",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(w32, "centroids"), numpy_helper.from_array(b32, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_centroid_model")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out, "centroid.onnx"))

    image = normalize(test_x[TEST_INDEX].reshape(1, -1))
    np.save(os.path.join(out, "test_input_nchw.npy"), image.reshape(1, 1, 28, 28).astype(np.float32))
    np.save(os.path.join(out, "test_u8.npy"), test_x[TEST_INDEX].copy())
    expected = {
        "mean": MEAN, "std": STD, "labels": LABELS, "test_accuracy": accuracy,
        "test_index": TEST_INDEX, "test_label": int(test_y[TEST_INDEX]), "test_logits": logits(image)[0].tolist(),
        "constant_input": CONSTANT_INPUT,
        "constant_logits": logits(np.full((1, 784), CONSTANT_INPUT))[0].tolist(),
    }
    with open(os.path.join(out, "centroid_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"{out}/centroid.onnx: nearest-centroid classifier, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
