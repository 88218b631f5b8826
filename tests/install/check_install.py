#!/usr/bin/python3
"""ctest driver: installs ternrt into a temporary prefix and builds apps against it.

  check_install.py --build-dir B --source-dir S --work W --libdir lib --generator Ninja
                   --c-compiler CC --cxx-compiler CXX --nm NM --readelf READELF

Checks: `cmake --install` puts the libraries, headers, CMake package, pkg-config file and tools
in place; libternrt.a holds the kernel and trit objects; libternrt.so exports exactly the
functions ternrt.h declares; a consumer project (C and C++) builds with find_package(ternrt) +
ternrt::runtime against the static and the shared library and with pkg-config (shared and
static), links only what it should (readelf NEEDED) and computes the numpy reference outputs of
a model converted by the installed ternrt-convert; examples/classify builds standalone against
the install and names the bundled image; the moved install tree still works.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if p.returncode != 0:
        print(f"command failed (exit {p.returncode}): {' '.join(map(str, cmd))}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def needed(readelf, binary):
    return re.findall(r"\(NEEDED\).*\[(.*)\]", run([readelf, "-d", binary]).stdout)


def check_outputs(name, p, expected):
    values = [float(line) for line in p.stdout.splitlines() if re.fullmatch(r"[-+0-9.eE]+", line.strip())]
    tol = 1e-4 * max(abs(v) for v in expected) + 1e-4
    ok = p.returncode == 0 and len(values) == len(expected) and all(abs(a - b) <= tol for a, b in zip(values, expected))
    check(ok, f"{name}: {len(values)} outputs match the numpy reference within {tol:.3g}")


def api_functions(header):
    text = open(header).read()
    return set(re.findall(r"^TERNRT_API\b[^;(]*?\b(ternrt_\w+)\s*\(", text, re.M))


def main():
    ap = argparse.ArgumentParser()
    for flag in ("build-dir", "source-dir", "work", "libdir", "generator", "c-compiler", "cxx-compiler", "nm", "readelf"):
        ap.add_argument("--" + flag, required=True)
    a = ap.parse_args()
    if os.path.exists(a.work):
        shutil.rmtree(a.work)
    os.makedirs(a.work)
    prefix = os.path.join(a.work, "prefix")
    libdir = os.path.join(prefix, a.libdir)
    cmake = shutil.which("cmake")

    # 1. Install and look at the tree.
    p = run([cmake, "--install", a.build_dir, "--prefix", prefix])
    if not check(p.returncode == 0, "cmake --install into a temporary prefix"):
        return 1
    for rel in ("include/ternrt/ternrt.h", "include/ternrt/ternrt.hpp", f"{a.libdir}/libternrt.a",
                f"{a.libdir}/libternrt.so", f"{a.libdir}/cmake/ternrt/ternrtConfig.cmake",
                f"{a.libdir}/cmake/ternrt/ternrtConfigVersion.cmake", f"{a.libdir}/cmake/ternrt/ternrtTargets.cmake",
                f"{a.libdir}/pkgconfig/ternrt.pc", "bin/ternrt-run", "bin/ternrt-inspect"):
        check(os.path.exists(os.path.join(prefix, rel)), f"installed {rel}")
    members = run(["ar", "t", os.path.join(libdir, "libternrt.a")]).stdout.split()
    check(any(m.startswith("t2i8-gemm") for m in members) and "trit-formats.cc.o" in members and "api.cc.o" in members,
          f"libternrt.a holds runtime, kernel and trit objects ({len(members)} objects)")
    exported = set(run([a.nm, "-D", "--defined-only", os.path.join(libdir, "libternrt.so")]).stdout.split()[2::3])
    declared = api_functions(os.path.join(prefix, "include/ternrt/ternrt.h"))
    check(len(declared) > 20 and exported == declared,
          f"libternrt.so exports exactly the {len(declared)} TERNRT_API functions of ternrt.h "
          f"(missing {sorted(declared - exported)}, extra {sorted(exported - declared)[:10]})")

    # 2. A model, converted by the installed tool when the converter was built.
    subprocess.run([sys.executable, os.path.join(HERE, "make_centroid_model.py"), a.work], check=True)
    with open(os.path.join(a.work, "centroid_expected.json")) as f:
        ref = json.load(f)
    convert = os.path.join(prefix, "bin", "ternrt-convert")
    if not os.path.exists(convert):
        convert = os.path.join(a.build_dir, "converter", "ternrt-convert")
    model = os.path.join(a.work, "centroid.tern")
    run([convert, os.path.join(a.work, "centroid.onnx"), "-o", model, "--method", "none", "--quiet",
         "--input-mean", str(ref["mean"]), "--input-std", str(ref["std"]), "--metadata", "labels=" + ",".join(ref["labels"])])
    value, expected = str(ref["constant_input"]), ref["constant_logits"]

    # 3. find_package(ternrt): static (default) and shared.
    def cmake_project(src, build, prefix_path, *defs):
        p = run([cmake, "-S", src, "-B", build, "-G", a.generator, f"-DCMAKE_PREFIX_PATH={prefix_path}",
                 f"-DCMAKE_C_COMPILER={a.c_compiler}", f"-DCMAKE_CXX_COMPILER={a.cxx_compiler}", *defs])
        return p.returncode == 0 and run([cmake, "--build", build]).returncode == 0

    consumer_src = os.path.join(HERE, "consumer")
    for kind, defs in (("static", []), ("shared", ["-DTERNRT_USE_SHARED=ON"])):
        build = os.path.join(a.work, f"consumer-cmake-{kind}")
        if not check(cmake_project(consumer_src, build, prefix, *defs), f"find_package consumer ({kind}) configures and builds"):
            continue
        for exe in ("consumer", "consumer_cxx"):
            binary = os.path.join(build, exe)
            links_so = any(n.startswith("libternrt.so") for n in needed(a.readelf, binary))
            check(links_so == (kind == "shared"), f"{exe} ({kind}) {'needs' if kind == 'shared' else 'does not need'} libternrt.so")
            check_outputs(f"{exe} ({kind})", run([binary, model, value]), expected)

    # 4. examples/classify against the installed tree.
    classify_build = os.path.join(a.work, "classify")
    if check(cmake_project(os.path.join(a.source_dir, "examples", "classify"), classify_build, prefix),
             "examples/classify configures and builds against the install"):
        p = run([os.path.join(classify_build, "classify"), model,
                 os.path.join(a.source_dir, "examples", "classify", "fmnist_test_39.png")])
        first = re.search(r"^1\. class (\d+) (.*) score", p.stdout, re.M)
        check(first is not None and int(first.group(1)) == ref["test_label"] and first.group(2) == "Ankle boot",
              f"installed-tree classify: top-1 is class {ref['test_label']} Ankle boot")

    # 5. pkg-config: shared, then static (-Bstatic for libternrt, the rest from Libs.private).
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))

    def pkg(*args):
        return shlex.split(run(["pkg-config", *args, "ternrt"], env=env).stdout)

    check(pkg("--modversion") != [], "pkg-config finds ternrt")
    source = os.path.join(consumer_src, "consumer.c")
    builds = {
        "shared": [a.c_compiler, source, "-o", os.path.join(a.work, "consumer-pc-shared"), *pkg("--cflags", "--libs"),
                   f"-Wl,-rpath,{libdir}"],
        "static": [a.c_compiler, source, "-o", os.path.join(a.work, "consumer-pc-static"), *pkg("--cflags"),
                   *pkg("--libs-only-L"), "-Wl,-Bstatic", "-lternrt", "-Wl,-Bdynamic", "-Wl,--as-needed",
                   *pkg("--static", "--libs")],
    }
    for kind, cmd in builds.items():
        binary = cmd[cmd.index("-o") + 1]
        if not check(run(cmd).returncode == 0, f"pkg-config consumer ({kind}) compiles and links"):
            continue
        links_so = any(n.startswith("libternrt.so") for n in needed(a.readelf, binary))
        check(links_so == (kind == "shared"), f"pkg-config consumer ({kind}) {'needs' if kind == 'shared' else 'does not need'} libternrt.so")
        check_outputs(f"pkg-config consumer ({kind})", run([binary, model, value]), expected)

    # 6. The install tree is relocatable: move it and build again.
    moved = os.path.join(a.work, "moved-prefix")
    shutil.move(prefix, moved)
    env["PKG_CONFIG_PATH"] = os.path.join(moved, a.libdir, "pkgconfig")
    cflags = pkg("--cflags")
    check(len(cflags) == 1 and os.path.realpath(cflags[0][2:]) == os.path.realpath(os.path.join(moved, "include")),
          "moved install: pkg-config include dir follows the .pc file")
    build = os.path.join(a.work, "consumer-cmake-moved")
    if check(cmake_project(consumer_src, build, moved), "moved install: find_package consumer builds"):
        check_outputs("consumer (moved install)", run([os.path.join(build, "consumer"), model, value]), expected)

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
