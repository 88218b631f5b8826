#!/usr/bin/python3
"""Turns ternrt-kernel-bench JSON (with --benchmark_repetitions and aggregates) into the markdown
tables of RESULTS.md: median GMAC/s per backend and shape, ratios to XNNPACK, fraction of peak.
Usage: kernel-results.py bench.json"""
import json
import sys


def main(path):
    data = json.load(open(path))
    median = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        median[b["run_name"]] = b["GMACs"]
    peaks = {n: v for n, v in median.items() if n.startswith("peak_")}
    rows = {}
    direct = {}
    for name, gmacs in median.items():
        if name.startswith("peak_"):
            continue
        backend, shape = name.split("/", 1)
        if shape.startswith("direct/"):
            direct.setdefault(shape[len("direct/"):], {})[backend[len("t2i8_gemm_"):]] = gmacs
            continue
        rows.setdefault(shape, {})[backend] = gmacs
    print("| probe | GMAC/s |\n|---|---|")
    for n, v in peaks.items():
        print(f"| {n} | {v:.1f} |")
    peak_for = {"avx2": peaks.get("peak_vpmaddubsw_ymm"), "avx512bw": peaks.get("peak_vpmaddubsw_zmm"),
                "avx512vnni": peaks.get("peak_vpdpbusd_zmm")}
    print()
    print("| shape (list/M/N/K) | scalar | avx2 | avx512bw | avx512vnni | xnnpack_qs8 | xnnpack_qc8 | xnnpack_f32 | best/qs8 | best/qc8 | best/f32 | avx2/qs8 | best % of its peak |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for shape, backends in rows.items():
        by_isa = {}
        for backend, v in backends.items():
            if backend.startswith("t2i8_gemm_"):
                by_isa[backend.rsplit("__", 1)[1]] = v
        qs8, qc8, f32 = backends.get("xnnpack_qs8"), backends.get("xnnpack_qc8"), backends.get("xnnpack_f32")
        if not by_isa or not qs8 or not f32:
            continue   # incomplete run
        best_isa = max(by_isa, key=by_isa.get)
        best = by_isa[best_isa]
        peak = peak_for.get(best_isa)
        cells = [f"{by_isa[i]:.1f}" if i in by_isa else "-" for i in ("scalar", "avx2", "avx512bw", "avx512vnni")]
        avx2 = f"{by_isa['avx2'] / qs8:.2f}x" if "avx2" in by_isa and qs8 else "-"
        qc8_value, qc8_ratio = (f"{qc8:.1f}", f"{best / qc8:.2f}x") if qc8 else ("-", "-")   # older runs: no qc8
        print(f"| {shape} | " + " | ".join(cells) + f" | {qs8:.1f} | {qc8_value} | {f32:.1f} | {best / qs8:.2f}x | "
              + f"{qc8_ratio} | {best / f32:.2f}x | {avx2} | "
              + (f"{100 * best / peak:.0f}% ({best_isa})" if peak and shape.split('/')[1] != 'M:1' else "-") + " |")
    if direct:
        # Every GEMM micro-kernel of the list alone (ternrt-kernel-bench --benchmark_filter=direct).
        kernels = sorted({k for r in direct.values() for k in r}, key=lambda k: (k.rsplit("__", 1)[1], k))
        print()
        print("| shape (list/M/N/K) | " + " | ".join(kernels) + " |")
        print("|---|" + "---|" * len(kernels))
        for shape, r in direct.items():
            print(f"| {shape} | " + " | ".join(f"{r[k]:.0f}" if k in r else "-" for k in kernels) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
