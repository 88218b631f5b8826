#!/usr/bin/python3
"""End-to-end tests of ternrt: ONNX fixtures (tests/fixtures) -> ternrt-convert -> ternrt-run,
compared with PyTorch, with a NumPy simulation of the runtime's ternary arithmetic, with an
independent NumPy computation of the quantizers' thresholds/levels, across ISAs and threads,
plus the tools' error behaviour. What each suite checks and its tolerance: tests/e2e/README.md.

usage: e2e.py SUITE [--build DIR | --convert X --run X --inspect X --bench X] [--fixtures DIR]
              [--work DIR] [--model NAME ...] [--method NAME ...]
SUITE: float | ternary | thresholds | isa-matrix | tools.  Exit code 0 = pass, 1 = failure."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tern_simulate  # noqa: E402
import quantizer_reference  # noqa: E402

# Runs with --threads 2 must exercise the parallel code of every operator, also the small ones the
# runtime would otherwise keep on the calling thread (runtime/src/interpreter.cc).
os.environ.setdefault("TERNRT_MIN_PARALLEL_WORK", "0")
from tern_simulate import tern_reference  # noqa: E402

METHODS = ["rtn", "twn", "tquant", "mquant", "l2opt"]
DEFAULT_METHOD = "mquant"
ISAS_X86 = ["scalar", "avx2", "avx512", "avx512vnni"]
ISAS_ARM = ["scalar", "neon", "neondot"]

# Tolerances (README.md explains them).
FLOAT_RTOL = 1e-4       # ternrt float path vs PyTorch: |y - y_ref| <= 1e-4 * max(1, max|y_ref|)
TERNARY_RTOL = 1e-3     # ternary runtime vs NumPy simulation: |y - y_sim| <= 1e-3 * max(1, max|y_sim|)
THRESHOLD_RTOL = 1e-5   # reported threshold/level statistics vs NumPy


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
            print("FAIL: " + what, flush=True)
        return ok

    def exit(self, suite, started):
        took = time.time() - started
        if self.items:
            print("\n%s: %d failure(s) in %.1f s:" % (suite, len(self.items), took))
            for f in self.items:
                print("  - " + f)
            return 1
        print("\n%s: all checks passed in %.1f s" % (suite, took))
        return 0


class Env:
    def __init__(self, args):
        build = args.build
        self.convert = args.convert or os.path.join(build, "converter", "ternrt-convert")
        self.run_tool = args.run or os.path.join(build, "tools", "ternrt-run")
        self.inspect = args.inspect or os.path.join(build, "tools", "ternrt-inspect")
        self.bench = args.bench or os.path.join(build, "tools", "ternrt-bench")
        self.fixtures = args.fixtures or os.path.join(build, "fixtures")
        self.schema = args.schema or os.path.join(HERE, "..", "..", "schema", "ternrt.fbs")
        self.flatc = args.flatc or shutil.which("flatc") or "flatc"
        self.work = args.work or os.path.join(build, "tests", "e2e", "work-" + args.suite)
        os.makedirs(self.work, exist_ok=True)
        for tool in (self.convert, self.run_tool, self.inspect, self.bench):
            if not os.access(tool, os.X_OK):
                sys.exit("e2e: %s is missing or not executable; build it first (ninja ternrt-convert ternrt-run "
                         "ternrt-inspect ternrt-bench)" % tool)
        manifest_path = os.path.join(self.fixtures, "manifest.json")
        if not os.path.exists(manifest_path):
            sys.exit("e2e: %s is missing; run the ctest fixture make_onnx_fixtures (or tests/fixtures/make_fixtures.py %s)"
                     % (manifest_path, self.fixtures))
        with open(manifest_path) as f:
            self.manifest = json.load(f)["models"]
        self.models = args.model or sorted(self.manifest)
        for m in self.models:
            if m not in self.manifest:
                sys.exit("e2e: unknown model '%s'; the manifest has %s" % (m, ", ".join(sorted(self.manifest))))

    def fixture(self, name):
        return os.path.join(self.fixtures, name)

    def cases(self, model):
        return self.manifest[model]["cases"]

    def tool(self, argv, expect_ok=True):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if expect_ok and p.returncode != 0:
            raise RuntimeError("command failed (exit %d): %s\n%s%s" % (p.returncode, " ".join(argv), p.stdout, p.stderr))
        return p

    def convert_model(self, model, tag, args, report=False):
        """ternrt-convert the fixture model; returns (path of the .tern, parsed report or None)."""
        out = os.path.join(self.work, "%s.%s.tern" % (model, tag))
        argv = [self.convert, self.fixture(self.manifest[model]["onnx"]), "-o", out, "--quiet"] + list(args)
        rep_path = out + ".report.json"
        if report:
            argv += ["--report", rep_path]
        self.tool(argv)
        if not report:
            return out, None
        with open(rep_path) as f:
            return out, json.load(f)

    def run_model(self, tern, input_npy, tag, isa=None, threads=None):
        out = "%s.%s.out.npy" % (tern, tag)
        argv = [self.run_tool, tern, "--input", input_npy, "--output", out, "--top-k", "0"]
        if isa:
            argv += ["--isa", isa]
        if threads:
            argv += ["--threads", str(threads)]
        self.tool(argv)
        return np.load(out)

    def load_tern(self, path):
        with open(path, "rb") as f:
            raw = f.read()
        return tern_reference.load_tern(path, self.schema, self.flatc), raw


def rel_error(got, want):
    """max |got - want| / max(1, max |want|), or inf when the shapes differ."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return float("inf")
    return float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))


# ---------------------------------------------------------------- 1. float path vs PyTorch
def suite_float(env, fails):
    print("float e2e: ternrt-convert --method none, ternrt-run vs PyTorch; tolerance |y - y_ref| <= %g * max(1, max|y_ref|)"
          % FLOAT_RTOL)
    for model in env.models:
        tern, rep = env.convert_model(model, "none", ["--method", "none"], report=True)
        fails.check(rep["layers"] == [] and rep["totals"]["ternary_layers"] == 0, "%s: --method none ternarized layers" % model)
        worst = 0.0
        for i, case in enumerate(env.cases(model)):
            y = env.run_model(tern, env.fixture(case["input"]), "case%d" % i)
            ref = np.load(env.fixture(case["output"]))
            err = rel_error(y, ref)
            worst = max(worst, err)
            fails.check(err <= FLOAT_RTOL, "%s case %d: float output differs from PyTorch by %.3g (relative) > %g, shape %s vs %s"
                        % (model, i, err, FLOAT_RTOL, y.shape, ref.shape))
        print("  %-16s max rel error vs PyTorch %.3g over %d inputs" % (model, worst, len(env.cases(model))), flush=True)


# ---------------------------------------------------------------- 2. ternary path vs NumPy simulation
def ternary_cases(env, model):
    """(tag, converter args) of every ternary conversion checked for this model. A model whose
    default layer choice ternarizes nothing (only first, last and depthwise layers) runs every
    method with the all-ternary layer choice instead."""
    keep_all = all_ternary_keep_float(env, model)
    _, rep = env.convert_model(model, "probe-default", [], report=True)
    base = [] if rep["layers"] else keep_all
    if base:
        print("  %s: the default layer choice keeps every layer float; using %s for all cases" % (model, " ".join(base)))
    cases = [("%s-pc" % m, ["--method", m] + base) for m in METHODS]
    cases += [("%s-pt" % m, ["--method", m, "--per-tensor"] + base) for m in METHODS]
    cases.append(("mquant-pack16", ["--method", "mquant", "--pack", "1.6"] + base))
    cases.append(("tquant-pack16-pt", ["--method", "tquant", "--pack", "1.6", "--per-tensor"] + base))
    cases.append(("l2opt-allternary", ["--method", "l2opt"] + keep_all))
    return cases


def all_ternary_keep_float(env, model):
    """--keep-float none: every Conv/FC ternary (first and last too, which puts the image-input stem
    through the padded im2col path; depthwise layers run with expanded ternary weights)."""
    return ["--keep-float", "none"]


def source_to_nhwc(x, nchw):
    return np.transpose(x, (0, 2, 3, 1)) if nchw and x.ndim == 4 else x


def nhwc_to_source(y, nchw):
    return np.transpose(y, (0, 3, 1, 2)) if nchw and y.ndim == 4 else y


def suite_ternary(env, fails, methods):
    print("ternary e2e: ternrt-run vs NumPy simulation of int8 dynamic ternary arithmetic; tolerance "
          "|y - y_sim| <= %g * max(1, max|y_sim|)" % TERNARY_RTOL)
    table = []
    for model in env.models:
        for tag, args in ternary_cases(env, model):
            if methods and args[1] not in methods:
                continue
            tern, rep = env.convert_model(model, tag, args, report=True)
            parsed, raw = env.load_tern(tern)
            meta = {kv["key"]: kv["value"] for kv in parsed.get("metadata", [])}
            nchw = meta.get("source_layout") == "NCHW"
            n_ternary = len(rep["layers"])
            if not fails.check(n_ternary > 0, "%s %s: no layer was ternarized" % (model, tag)):
                continue
            worst, worst_torch = 0.0, 0.0
            for i, case in enumerate(env.cases(model)):
                x = np.load(env.fixture(case["input"]))
                try:
                    y = env.run_model(tern, env.fixture(case["input"]), "case%d" % i)
                except RuntimeError as e:
                    fails.check(False, "%s %s case %d: ternrt-run failed: %s" % (model, tag, i, e))
                    continue
                outs, simulated = tern_simulate.run(parsed, raw, [source_to_nhwc(x, nchw)])
                sim = nhwc_to_source(outs[0], nchw)
                fails.check(simulated == n_ternary, "%s %s: simulated %d ternary layers, the report lists %d"
                            % (model, tag, simulated, n_ternary))
                err = rel_error(y, sim)
                worst = max(worst, err)
                worst_torch = max(worst_torch, rel_error(y, np.load(env.fixture(case["output"]))))
                fails.check(err <= TERNARY_RTOL, "%s %s case %d: runtime differs from the simulation by %.3g (relative) > %g"
                            % (model, tag, i, err, TERNARY_RTOL))
            table.append((model, tag, n_ternary, worst, worst_torch))
            print("  %-16s %-18s %2d ternary layers  max rel error vs simulation %.3g  (vs float PyTorch %.3g)"
                  % (model, tag, n_ternary, worst, worst_torch), flush=True)
    if table:
        print("overall max rel error vs simulation: %.3g" % max(r[3] for r in table))


# ---------------------------------------------------------------- 3. thresholds and levels
def float_weights_by_layer(env, model):
    """Folded float weights of every Conv/FC, by operator name, from the --method none model."""
    tern, _ = env.convert_model(model, "none-weights", ["--method", "none"])
    parsed, _ = env.load_tern(tern)
    tensors = parsed["graph"]["tensors"]
    weights = {}
    for op in parsed["graph"]["operators"]:
        if op.get("opcode", "CONV_2D") in ("CONV_2D", "FULLY_CONNECTED"):
            weights[op.get("name", "")] = tern_reference.tensor_value(parsed, tensors[op["inputs"][1]])
    return weights


def close(got, want, rtol):
    return abs(got - want) <= rtol * abs(want) + 1e-30


def suite_thresholds(env, fails, methods):
    print("thresholds/levels: --report min/median/max vs NumPy on the --method none weights; relative tolerance %g"
          % THRESHOLD_RTOL)
    for model in env.models:
        weights = float_weights_by_layer(env, model)
        for method in methods or METHODS:
            for per_channel in (True, False):
                tag = "%s-%s" % (method, "pc" if per_channel else "pt")
                # --keep-float none: every Conv/FC (depthwise too) is ternarized and checked.
                args = ["--method", method, "--keep-float", "none"] + ([] if per_channel else ["--per-tensor"])
                _, rep = env.convert_model(model, "thr-" + tag, args, report=True)
                checked = 0
                fails.check(len(rep["layers"]) > 0, "%s %s: no ternary layers in the report" % (model, tag))
                for layer in rep["layers"]:
                    name = layer["name"]
                    where = "%s %s layer '%s'" % (model, tag, name)
                    if not fails.check(name in weights, "%s: no Conv/FC of that name in the --method none model" % where):
                        continue
                    w = weights[name]
                    fails.check(list(layer["shape"]) == list(w.shape), "%s: report shape %s, weights %s" % (where, layer["shape"], w.shape))
                    fails.check(layer["method"] == method and layer["per_channel"] == per_channel,
                                "%s: report says method %s per_channel %s" % (where, layer["method"], layer["per_channel"]))
                    rows = w.reshape(w.shape[0], -1) if per_channel else w.reshape(1, -1)
                    t, a, zeros = quantizer_reference.threshold_level(method, rows)
                    for key, values in (("threshold", t), ("level", a)):
                        for stat, want in (("min", np.min(values)), ("median", np.median(values)), ("max", np.max(values))):
                            got = layer[key][stat]
                            fails.check(close(got, want, THRESHOLD_RTOL), "%s: %s %s = %.9g, NumPy gives %.9g"
                                        % (where, key, stat, got, want))
                    # One weight may flip where |w| ties with the float32-rounded threshold.
                    fails.check(abs(layer["zero_fraction"] - zeros / w.size) <= 1.0 / w.size,
                                "%s: zero_fraction %.6g, NumPy gives %.6g" % (where, layer["zero_fraction"], zeros / w.size))
                    checked += 1
                print("  %-16s %-10s %2d layers checked" % (model, tag, checked), flush=True)


# ---------------------------------------------------------------- 4. ISA x threads matrix
def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def expected_isas():
    """(ISAs this CPU supports, ISAs it does not), from /proc/cpuinfo, independently of cpuinfo."""
    f = cpu_flags()
    if "asimd" in f:
        supported = {"scalar": True, "neon": True, "neondot": "asimddp" in f}
        names = ISAS_ARM
    else:
        avx2 = "avx2" in f
        avx512 = avx2 and {"avx512f", "avx512bw", "avx512vl"} <= f
        supported = {"scalar": True, "avx2": avx2, "avx512": avx512, "avx512vnni": avx512 and "avx512_vnni" in f}
        names = ISAS_X86
    return [i for i in names if supported[i]], [i for i in names if not supported[i]]


def isa_variants(env, model):
    """(tag, converter args): the default conversion (or, when it ternarizes nothing, the
    all-ternary layer choice with the default method) and an all-ternary l2opt conversion."""
    keep_all = all_ternary_keep_float(env, model)
    _, rep = env.convert_model(model, "probe-default", [], report=True)
    return [("default", [] if rep["layers"] else keep_all), ("l2opt-allternary", ["--method", "l2opt"] + keep_all)]


def suite_isa_matrix(env, fails):
    supported, unsupported = expected_isas()
    print("ISA/thread matrix: supported here %s, not supported %s; outputs must be bit-identical to --isa scalar --threads 1"
          % (supported, unsupported))
    for isa in unsupported:
        tern, _ = env.convert_model(env.models[0], "isa-probe", [])
        p = env.tool([env.run_tool, tern, "--input", env.fixture(env.cases(env.models[0])[0]["input"]), "--isa", isa], expect_ok=False)
        fails.check(p.returncode == 1 and isa in p.stderr, "--isa %s on a CPU without it: exit %d, stderr %r (expected exit 1 naming the ISA)"
                    % (isa, p.returncode, p.stderr.strip()))
        print("  unsupported %-10s -> exit %d: %s" % (isa, p.returncode, p.stderr.strip()))
    int8_layers_seen = {}
    for model in env.models:
        for vtag, args in isa_variants(env, model):
            tern, rep = env.convert_model(model, "isa-" + vtag, args, report=True)
            for isa in supported:
                # The interpreter really runs the forced ISA: ternrt-bench reports it and the kernels.
                p = env.tool([env.bench, tern, "--json", "--runs", "1", "--warmup", "0", "--no-float", "--isa", isa])
                info = json.loads(p.stdout)
                kernels = [op["kernel"] for op in info["ops"] if op["ternary"]]
                # Grouped/depthwise ternary layers and those with K < 32 run with expanded float
                # weights through XNNPACK; every other one must use the forced ISA's kernel.
                int8_kernels = [k for k in kernels if "ternary weights expanded" not in k]
                int8_layers_seen[isa] = int8_layers_seen.get(isa, 0) + len(int8_kernels)
                fails.check(info["isa"] == isa and len(kernels) == len(rep["layers"]) > 0
                            and all(isa in k for k in int8_kernels),
                            "%s %s: --isa %s runs isa %s with ternary kernels %s (%d ternary layers)"
                            % (model, vtag, isa, info["isa"], sorted(set(kernels)), len(rep["layers"])))
            # Every ISA with 1 thread on every input; 2 threads on the first input of the default
            # conversion (2-thread runs take ~0.4 s each on the loaded 2-core machine, and the
            # tiling over threads is code shared by every ISA).
            runs = 0
            for i, case in enumerate(env.cases(model)):
                ref = env.run_model(tern, env.fixture(case["input"]), "scalar-t1-case%d" % i, isa="scalar", threads=1)
                for isa in supported:
                    for threads in ((1, 2) if i == 0 and vtag == "default" else (1,)):
                        if isa == "scalar" and threads == 1:
                            continue
                        y = env.run_model(tern, env.fixture(case["input"]), "%s-t%d-case%d" % (isa, threads, i), isa=isa, threads=threads)
                        runs += 1
                        same = y.shape == ref.shape and y.tobytes() == ref.tobytes()
                        diff = float(np.max(np.abs(y.astype(np.float64) - ref))) if y.shape == ref.shape else float("inf")
                        fails.check(same, "%s %s case %d: --isa %s --threads %d differs from scalar/1 thread (max |diff| %.3g)"
                                    % (model, vtag, i, isa, threads, diff))
            print("  %-16s %-18s %2d ternary layers, %d runs bit-identical to scalar/1 thread"
                  % (model, vtag, len(rep["layers"]), runs), flush=True)
    for isa in supported:
        fails.check(int8_layers_seen.get(isa, 0) > 0, "--isa %s: no ternary layer ran an int8 kernel in any model" % isa)


# ---------------------------------------------------------------- 5. tools
def suite_tools(env, fails):
    model = "resnet" if "resnet" in env.models else env.models[0]
    tern, rep = env.convert_model(model, "tools", ["--method", DEFAULT_METHOD], report=True)
    good_input = env.fixture(env.cases(model)[0]["input"])
    missing = os.path.join(env.work, "does-not-exist.tern")
    missing_npy = os.path.join(env.work, "does-not-exist.npy")
    wrong_shape = os.path.join(env.work, "wrong-shape.npy")
    x = np.load(good_input)
    np.save(wrong_shape, np.zeros(x.shape[:-1] + (x.shape[-1] + 1,), np.float32))
    truncated = os.path.join(env.work, "truncated.tern")
    with open(tern, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[:len(data) // 2])
    for what, argv, named in (
            ("missing model", [env.run_tool, missing, "--input", good_input], missing),
            ("missing input", [env.run_tool, tern, "--input", missing_npy], missing_npy),
            ("wrong-shape input", [env.run_tool, tern, "--input", wrong_shape], wrong_shape),
            ("truncated model", [env.run_tool, truncated, "--input", good_input], truncated)):
        p = env.tool(argv, expect_ok=False)
        fails.check(p.returncode == 1 and named in p.stderr and "Traceback" not in p.stderr,
                    "ternrt-run, %s: exit %d, stderr %r (expected exit 1 and a message naming %s)"
                    % (what, p.returncode, p.stderr.strip(), named))
        print("  ternrt-run %-18s exit %d: %s" % (what, p.returncode, p.stderr.strip().splitlines()[0] if p.stderr.strip() else ""))

    # --keep-float none ternarizes depthwise convolutions, which the runtime may not execute: it
    # must then refuse cleanly (exit 1, naming the file and the operator), never crash.
    if "mobilenet" in env.manifest:
        dw_tern, dw_rep = env.convert_model("mobilenet", "tools-dw", ["--method", "tquant", "--keep-float", "none"], report=True)
        dw_names = [layer["name"] for layer in dw_rep["layers"] if layer["op"] == "DepthwiseConv2D"]
        p = env.tool([env.run_tool, dw_tern, "--input", env.fixture(env.cases("mobilenet")[0]["input"]), "--top-k", "0"], expect_ok=False)
        fails.check(p.returncode == 0 or (p.returncode == 1 and dw_tern in p.stderr and any(n in p.stderr for n in dw_names)),
                    "ternrt-run, ternary depthwise model: exit %d, stderr %r (expected success, or exit 1 naming the file and a depthwise layer)"
                    % (p.returncode, p.stderr.strip()))
        print("  ternrt-run ternary depthwise exit %d: %s" % (p.returncode, p.stderr.strip()))

    # ternrt-inspect: every ternary layer's row shows the method and the bits per weight of its packing.
    for pack, tag in (("2", "inspect-2bit"), ("1.6", "inspect-base3")):
        t2, rep2 = env.convert_model(model, tag, ["--method", "tquant", "--pack", pack], report=True)
        out = env.tool([env.inspect, t2]).stdout
        # operator rows: "#  op  name(28 chars)  output  weights  method  zeros  bits/w"
        rows = [line for line in out.splitlines() if line[:1].isdigit() and "TQUANT" in line.upper().split()]
        fails.check(len(rows) == len(rep2["layers"]), "ternrt-inspect --pack %s: %d rows name the method tquant, the report has %d ternary layers"
                    % (pack, len(rows), len(rep2["layers"])))
        for layer in rep2["layers"]:
            k = int(np.prod(layer["shape"][1:]))
            row_bytes = (k + 3) // 4 if pack == "2" else (k + 4) // 5
            bits = "%.2f" % (8.0 * row_bytes / k)
            ok = any(r.split()[2] == layer["name"][:28] and r.split()[-1] == bits for r in rows)
            fails.check(ok, "ternrt-inspect --pack %s: layer '%s' (K = %d) should show %s bits/weight" % (pack, layer["name"], k, bits))
        print("  ternrt-inspect --pack %-4s %d ternary layers listed with method and bits/weight" % (pack, len(rows)))

    # ternrt-bench --json: one JSON object with the keys of issue 4.
    p = env.tool([env.bench, tern, "--json", "--runs", "3", "--warmup", "1"])
    try:
        info = json.loads(p.stdout)
    except ValueError as e:
        fails.check(False, "ternrt-bench --json printed invalid JSON (%s): %r" % (e, p.stdout[:200]))
        return
    for key in ("latency_ms", "float_latency_ms", "isa", "threads", "arena_bytes", "weight_bytes", "peak_rss_bytes", "ops"):
        fails.check(key in info, "ternrt-bench --json lacks '%s'" % key)
    for key in ("latency_ms", "float_latency_ms"):
        lat = info.get(key, {})
        vals = [lat.get(s) for s in ("min", "median", "p90", "max")]
        fails.check(all(isinstance(v, (int, float)) for v in vals) and vals == sorted(vals) and vals[0] > 0,
                    "ternrt-bench %s should be 0 < min <= median <= p90 <= max, got %s" % (key, lat))
    fails.check(info.get("threads") == 1, "ternrt-bench threads %s, expected 1" % info.get("threads"))
    fails.check(info.get("weight_bytes") == rep["totals"]["model_bytes_ternary"],
                "ternrt-bench weight_bytes %s, converter report model_bytes_ternary %s" % (info.get("weight_bytes"), rep["totals"]["model_bytes_ternary"]))
    ops = info.get("ops", [])
    fails.check(sum(1 for op in ops if op.get("ternary")) == len(rep["layers"]),
                "ternrt-bench lists %d ternary ops, the report %d ternary layers" % (sum(1 for op in ops if op.get("ternary")), len(rep["layers"])))
    fails.check(info.get("arena_bytes", 0) > 0 and info.get("peak_rss_bytes", 0) > 0, "ternrt-bench arena/peak RSS bytes not positive")
    # The time split: sums of the listed per-operator times by their ternary flag, and the bound
    # float_total / others_float (printed with 4-5 decimals, hence the tolerances).
    for key, field, want in (("ternary_ops_ms", "ms", True), ("other_ops_ms", "ms", False),
                             ("ternary_ops_float_ms", "float_ms", True), ("other_ops_float_ms", "float_ms", False)):
        expected = sum(op.get(field, 0) for op in ops if bool(op.get("ternary")) == want)
        fails.check(abs(info.get(key, -1) - expected) <= 1e-4 + 1e-5 * len(ops),
                    "ternrt-bench %s %s, the listed operators' %s sum to %.5f" % (key, info.get(key), field, expected))
    others = info.get("other_ops_float_ms", 0)
    if others > 0:
        bound = (info.get("ternary_ops_float_ms", 0) + others) / others
        fails.check(abs(info.get("speedup_bound_ternary_only", 0) - bound) <= 1e-3 * bound,
                    "ternrt-bench speedup_bound_ternary_only %s, expected %.4f" % (info.get("speedup_bound_ternary_only"), bound))
    # One thread: no operator on a pool.
    fails.check(info.get("parallel_ops") == 0 and all(op.get("threads") == 1 for op in ops),
                "ternrt-bench --threads 1: parallel_ops %s, op threads %s" % (info.get("parallel_ops"), [op.get("threads") for op in ops]))
    print("  ternrt-bench --json --runs 3: keys present, isa %s, latency %s" % (info.get("isa"), info.get("latency_ms")))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite", choices=["float", "ternary", "thresholds", "isa-matrix", "tools"])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"), help="build directory (tool and fixture paths)")
    for tool in ("convert", "run", "inspect", "bench", "fixtures", "schema", "flatc", "work"):
        ap.add_argument("--" + tool)
    ap.add_argument("--model", action="append", help="only this fixture model (repeatable)")
    ap.add_argument("--method", action="append", choices=METHODS, help="only this method (ternary, thresholds)")
    args = ap.parse_args()
    env = Env(args)
    fails = Failures()
    started = time.time()
    try:
        if args.suite == "float":
            suite_float(env, fails)
        elif args.suite == "ternary":
            suite_ternary(env, fails, args.method)
        elif args.suite == "thresholds":
            suite_thresholds(env, fails, args.method)
        elif args.suite == "isa-matrix":
            suite_isa_matrix(env, fails)
        else:
            suite_tools(env, fails)
    except RuntimeError as e:  # a tool that should have worked failed: report it, stop the suite
        fails.check(False, str(e))
    return fails.exit(args.suite, started)


if __name__ == "__main__":
    sys.exit(main())
