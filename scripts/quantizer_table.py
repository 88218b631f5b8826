#!/usr/bin/env python3
"""Weight-error table per quantization method on the fixture models' layers (docs/quantizers.md).

  scripts/quantizer_table.py BUILD_DIR FIXTURES_DIR
FIXTURES_DIR is what tests/fixtures/make_fixtures.py writes (ctest puts it in BUILD_DIR/fixtures).
Converts each fixture with every method (per channel, every Conv/FC ternary) through ternrt-convert
--report and prints a Markdown table: SQNR (median over layers), relative MSE (MSE / mean w^2, mean
over layers), max error (median over layers) and zero fraction (mean over layers)."""
import json
import os
import subprocess
import sys
import tempfile

METHODS = ["rtn", "twn", "tquant", "mquant", "l2opt"]
MODELS = ["resnet", "mobilenet", "mlp"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    convert = os.path.join(sys.argv[1], "converter", "ternrt-convert")
    fixtures = sys.argv[2]
    print("| model | method | layers | SQNR dB (median) | relative MSE (mean) | max error (median) | zeros (mean) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            for method in METHODS:
                report = os.path.join(tmp, f"{model}-{method}.json")
                subprocess.run([convert, os.path.join(fixtures, model + ".onnx"), "-o", os.path.join(tmp, "m.tern"),
                                "--method", method, "--keep-float", "none", "--report", report, "--quiet"], check=True)
                layers = json.load(open(report))["layers"]
                sqnr = sorted(l["sqnr_db"] for l in layers if l["sqnr_db"] is not None)
                rel_mse = [10 ** (-l["sqnr_db"] / 10) for l in layers if l["sqnr_db"] is not None]
                zeros = [l["zero_fraction"] for l in layers]
                max_err = sorted(l["max_error"] for l in layers)
                print(f"| {model} | {method} | {len(layers)} | {sqnr[len(sqnr) // 2]:.2f} | "
                      f"{sum(rel_mse) / len(rel_mse):.3f} | {max_err[len(max_err) // 2]:.3f} | {100 * sum(zeros) / len(zeros):.1f}% |")


if __name__ == "__main__":
    main()
