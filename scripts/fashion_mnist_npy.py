#!/usr/bin/python3
"""Fashion-MNIST from Debian's dataset-fashion-mnist package, as numpy arrays.

As a script: `fashion_mnist_npy.py OUT_DIR [--data-dir DIR]` writes the 10k test images as
float32 NCHW `test_images.npy` (10000x1x28x28, normalized with the training mean/std below, the
same preprocessing the bundled models were trained with) and `test_labels.npy` (int64), for tools
that take .npy input (e.g. `ternrt-eval --images X.npy --labels Y.npy`).

As a module: load_split() reads one split; scripts/train_fashion_mnist.py uses it.
"""
import argparse
import gzip
import os
import sys

import numpy as np

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Statistics of the 60k training images scaled to [0, 1]; fixed so every tool normalizes alike.
MEAN = 0.2860
STD = 0.3530
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_UBYTE = 0x08


def _open_maybe_gz(path):
    """Opens PATH, or PATH.gz when only the compressed file exists (Debian ships *.gz)."""
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            return gzip.open(candidate, "rb") if candidate.endswith(".gz") else open(candidate, "rb")
    raise FileNotFoundError(
        f"{path}(.gz) not found; install the Debian package dataset-fashion-mnist "
        f"or pass --data-dir")


def read_idx(path, expected_rank):
    """Reads an unsigned-byte IDX file (big-endian header: 0,0,type,rank, then rank uint32 dims)."""
    with _open_maybe_gz(path) as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    if data[2] != _IDX_UBYTE:
        raise ValueError(f"{path}: IDX element type 0x{data[2]:02x}, expected 0x08 (ubyte)")
    rank = data[3]
    if rank != expected_rank:
        raise ValueError(f"{path}: IDX rank {rank}, expected {expected_rank}")
    header_bytes = 4 + 4 * rank
    if len(data) < header_bytes:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank))
    count = int(np.prod(shape))
    if len(data) - header_bytes != count:
        raise ValueError(f"{path}: {len(data) - header_bytes} data bytes, expected {count} for shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_bytes).reshape(shape)


def load_split(split, data_dir=DEFAULT_DATA_DIR):
    """Returns (images uint8 Nx28x28, labels int64 N) of 'train' or 'test'."""
    image_file, label_file = _FILES[split]
    images = read_idx(os.path.join(data_dir, image_file), 3)
    labels = read_idx(os.path.join(data_dir, label_file), 1).astype(np.int64)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"{data_dir}: {split} images {images.shape} do not match labels {labels.shape}")
    if labels.max() > 9:
        raise ValueError(f"{data_dir}: {split} labels outside 0..9")
    return images, labels


def normalize(images_u8):
    """uint8 Nx28x28 -> float32 Nx1x28x28, (x/255 - MEAN) / STD."""
    x = images_u8.astype(np.float32)[:, None, :, :] / np.float32(255.0)
    return (x - np.float32(MEAN)) / np.float32(STD)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="directory for test_images.npy and test_labels.npy")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    args = parser.parse_args()

    try:
        images, labels = load_split("test", args.data_dir)
    except (OSError, ValueError) as e:
        print(f"fashion_mnist_npy.py: error: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    images_path = os.path.join(args.out_dir, "test_images.npy")
    labels_path = os.path.join(args.out_dir, "test_labels.npy")
    np.save(images_path, np.ascontiguousarray(normalize(images)))
    np.save(labels_path, labels)
    print(f"wrote {images_path} (float32 {len(labels)}x1x28x28, mean {MEAN} std {STD}) "
          f"and {labels_path} (int64 {len(labels)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
