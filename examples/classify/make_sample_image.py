#!/usr/bin/python3
"""Writes the bundled test image: one Fashion-MNIST test image as an 8-bit grayscale PNG.

  /usr/bin/python3 examples/classify/make_sample_image.py [--index 39] [--out examples/classify/fmnist_test_39.png]

Source: Debian's dataset-fashion-mnist (t10k-images-idx3-ubyte.gz). Test image 39 (the default) is an ankle
boot (class 9). Only the standard library is used; the PNG has one IDAT chunk, no filtering.
"""
import argparse
import gzip
import struct
import zlib

IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
LABELS = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def read_image(index):
    with gzip.open(IMAGES, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x00000803 or not 0 <= index < count:
            raise SystemExit(f"{IMAGES}: not an IDX u8 image file or index {index} out of range")
        f.seek(16 + index * rows * cols)
        return rows, cols, f.read(rows * cols)


def read_label(index):
    with gzip.open(LABELS, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic != 0x00000801 or not 0 <= index < count:
            raise SystemExit(f"{LABELS}: not an IDX u8 label file or index {index} out of range")
        f.seek(8 + index)
        return f.read(1)[0]


def png_gray8(rows, cols, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + pixels[r * cols:(r + 1) * cols] for r in range(rows))  # filter 0 per row
    header = struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)  # 8-bit grayscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=int, default=39)
    parser.add_argument("--out", default="examples/classify/fmnist_test_39.png")
    args = parser.parse_args()
    rows, cols, pixels = read_image(args.index)
    data = png_gray8(rows, cols, pixels)
    with open(args.out, "wb") as f:
        f.write(data)
    label = read_label(args.index)
    print(f"{args.out}: {cols}x{rows}, {len(data)} bytes, class {label} ({CLASSES[label]})")


if __name__ == "__main__":
    main()
