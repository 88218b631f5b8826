#!/usr/bin/python3
"""ctest driver: runs examples/classify on the bundled image and checks its answers.

  check_classify.py --classify BIN --convert TERNRT_CONVERT --source-dir SRC --work DIR

1. Builds the nearest-centroid Fashion-MNIST model (make_centroid_model.py), converts it with
   ternrt-convert --input-mean/--input-std/--metadata labels=..., and checks that classify's top-5
   (classes, order, scores) on examples/classify/fmnist_test_39.png equals the numpy reference,
   which preprocesses independently; the same for the image as a 2x PGM (resize), as RGB PPM
   (channel conversion), at 37x33 (bilinear resize vs a numpy implementation), as a float NCHW
   .npy and as a uint8 .npy; and that bad inputs give a precise error and exit code 1.
2. When examples/models/fmnist_resnet.onnx exists (the bundled trained model), converts it as
   ternary (default method) and as float and checks that both call the image an ankle boot.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import make_centroid_model  # noqa: E402

LINE = re.compile(r"^(\d+)\. class (\d+) (.*) score (\S+)$")
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect_rc:
        print(f"command: {' '.join(cmd)}\nexit {p.returncode} (expected {expect_rc})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def top5(classify, model, image):
    p = run([classify, model, image])
    rows = [LINE.match(line) for line in p.stdout.splitlines()]
    return p, [(int(m.group(2)), m.group(3), float(m.group(4))) for m in rows if m]


def check_against(name, got, ref_logits, labels):
    ref_order = list(np.argsort(-np.asarray(ref_logits), kind="stable")[:5])
    check([c for c, _, _ in got] == ref_order, f"{name}: top-5 classes {[c for c, _, _ in got]} == reference {ref_order}")
    tol = 1e-4 * float(np.max(np.abs(ref_logits))) + 1e-3
    worst = max((abs(s - ref_logits[c]) for c, _, s in got), default=float("inf"))
    check(worst <= tol, f"{name}: scores within {tol:.3g} of the reference (worst {worst:.3g})")
    check(all(n == labels[c] for c, n, _ in got), f"{name}: label names from the model metadata")


def write_pnm(path, pixels):
    """Binary PGM (H, W) or PPM (H, W, 3)."""
    kind = b"P6" if pixels.ndim == 3 else b"P5"
    with open(path, "wb") as f:
        f.write(kind + b"\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.astype(np.uint8).tobytes())


def bilinear(src, out_h, out_w):
    """Half-pixel-centre bilinear resize, edges clamped (the formula classify documents)."""
    h, w = src.shape
    ys = np.clip((np.arange(out_h) + 0.5) * h / out_h - 0.5, 0, None)
    xs = np.clip((np.arange(out_w) + 0.5) * w / out_w - 0.5, 0, None)
    y0, x0 = np.minimum(ys.astype(int), h - 1), np.minimum(xs.astype(int), w - 1)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    ay, ax = (ys - y0)[:, None], (xs - x0)[None, :]
    s = src.astype(np.float64)
    top = s[y0][:, x0] + ax * (s[y0][:, x1] - s[y0][:, x0])
    bottom = s[y1][:, x0] + ax * (s[y1][:, x1] - s[y1][:, x0])
    return top + ay * (bottom - top)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classify", required=True)
    ap.add_argument("--convert", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    image = os.path.join(a.source_dir, "examples", "classify", "fmnist_test_39.png")

    subprocess.run([sys.executable, os.path.join(HERE, "make_centroid_model.py"), a.work], check=True)
    with open(os.path.join(a.work, "centroid_expected.json")) as f:
        ref = json.load(f)
    labels = ref["labels"]
    model = os.path.join(a.work, "centroid.tern")
    run([a.convert, os.path.join(a.work, "centroid.onnx"), "-o", model, "--method", "none", "--quiet",
         "--input-mean", str(ref["mean"]), "--input-std", str(ref["std"]), "--metadata", "labels=" + ",".join(labels)])

    p, got = top5(a.classify, model, image)
    check(p.returncode == 0 and len(got) == 5, "png: classify printed 5 results")
    check_against("png", got, ref["test_logits"], labels)
    check(got[:1] and got[0][0] == ref["test_label"] and got[0][1] == "Ankle boot",
          f"png: top-1 is the true class {ref['test_label']} ({labels[ref['test_label']]})")

    pixels = np.load(os.path.join(a.work, "test_u8.npy"))
    variants = {
        "pgm 56x56 (nearest 2x, resized back)": (pixels.repeat(2, 0).repeat(2, 1), ".pgm"),
        "ppm rgb (gray in 3 channels)": (np.stack([pixels] * 3, axis=-1), ".ppm"),
    }
    for name, (img, ext) in variants.items():
        path = os.path.join(a.work, "variant" + ext)
        write_pnm(path, img)
        check_against(name, top5(a.classify, model, path)[1], ref["test_logits"], labels)

    # A size that needs real interpolation: classify's resize must match the documented formula.
    odd = np.clip(np.round(bilinear(pixels, 33, 37)), 0, 255).astype(np.uint8)
    write_pnm(os.path.join(a.work, "odd.pgm"), odd)
    x = make_centroid_model.normalize(bilinear(odd, 28, 28).reshape(1, -1).astype(np.float32))
    import onnx  # reference logits from the float32 weights in the ONNX file
    from onnx import numpy_helper
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(a.work, "centroid.onnx")).graph.initializer}
    odd_logits = (x @ inits["centroids"].astype(np.float64).T + inits["bias"])[0]
    check_against("pgm 37x33 (bilinear)", top5(a.classify, model, os.path.join(a.work, "odd.pgm"))[1], odd_logits, labels)

    check_against("float npy (NCHW)", top5(a.classify, model, os.path.join(a.work, "test_input_nchw.npy"))[1],
                  ref["test_logits"], labels)
    check_against("uint8 npy", top5(a.classify, model, os.path.join(a.work, "test_u8.npy"))[1], ref["test_logits"], labels)

    # Bad inputs: exit code 1 and a message that names the file and what was expected.
    missing = os.path.join(a.work, "missing.png")
    p = run([a.classify, model, missing], expect_rc=1)
    check(p.returncode == 1 and missing in p.stderr, "missing image: exit 1, message names the file")
    garbage = os.path.join(a.work, "garbage.png")
    with open(garbage, "wb") as f:
        f.write(b"this is not an image\n")
    p = run([a.classify, model, garbage], expect_rc=1)
    check(p.returncode == 1 and "cannot decode" in p.stderr, "undecodable image: exit 1, 'cannot decode'")
    wrong = os.path.join(a.work, "wrong_shape.npy")
    np.save(wrong, np.zeros((1, 3, 28, 28), np.float32))
    p = run([a.classify, model, wrong], expect_rc=1)
    check(p.returncode == 1 and "(1, 1, 28, 28)" in p.stderr, "wrong .npy shape: exit 1, names the expected shape")
    p = run([a.classify, os.path.join(a.work, "centroid.onnx"), image], expect_rc=1)
    check(p.returncode == 1 and "INVALID_MODEL" in p.stderr, "an ONNX file as model: exit 1, INVALID_MODEL")

    # The bundled trained model, once it exists.
    resnet = os.path.join(a.source_dir, "examples", "models", "fmnist_resnet.onnx")
    if os.path.exists(resnet):
        for method in ("mquant", "none"):
            out = os.path.join(a.work, f"fmnist_resnet_{method}.tern")
            run([a.convert, resnet, "-o", out, "--method", method, "--quiet", "--input-mean", str(ref["mean"]),
                 "--input-std", str(ref["std"]), "--metadata", "labels=" + ",".join(labels)])
            got = top5(a.classify, out, image)[1]
            check(got[:1] and got[0][0] == 9 and got[0][1] == "Ankle boot",
                  f"fmnist_resnet ({method}): top-1 is class 9 Ankle boot (got {got[:1]})")
    else:
        print(f"skip {resnet} does not exist yet: bundled-model check not run")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
