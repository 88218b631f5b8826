#!/usr/bin/env bash
# Cross-compiles ternrt for ARM and runs the test suite under qemu-user (the CI cross stage).
#   scripts/cross-test.sh [--no-deps] [aarch64] [armhf]      (default: both targets)
# Per target: private sysroot of target .debs (toolchains/make-deps-sysroot.sh) -> configure preset
# -> build only the test programs and ternrt-bench -> ctest through qemu:
#   aarch64  twice: qemu's default CPU `max` (dotprod: neondot kernels) and -cpu cortex-a72 (neon)
#   armhf    once (scalar ternary kernels)
# Build directories (build/aarch64, build/armhf, build/deps-*) are reused between runs; ccache is on.
# Env: TERNRT_JOBS (default 2) build jobs and parallel tests. Exit status 1 if any stage failed.
set -euo pipefail
cd "$(dirname "$0")/.."

install_deps=1
targets=()
for arg in "$@"; do
  case "$arg" in
    --no-deps) install_deps=0 ;;
    aarch64|armhf) targets+=("$arg") ;;
    -h|--help) sed -n 2,9p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cross-test.sh: unknown argument '$arg' (expected --no-deps, aarch64, armhf)" >&2; exit 2 ;;
  esac
done
if [ "${#targets[@]}" -eq 0 ]; then targets=(aarch64 armhf); fi
jobs="${TERNRT_JOBS:-2}"

start=$(date +%s)
summary=()
failed=0
elapsed() { echo $(( $(date +%s) - $1 )); }
stage() { echo; echo "=== $* ($(elapsed "$start") s)"; }
# Runs a stage, records its time and result; a failed stage does not stop the others.
run_stage() {
  local label="$1"; shift
  local t0; t0=$(date +%s)
  if "$@"; then
    summary+=("$(printf '%-42s %5d s  ok' "$label" "$(elapsed "$t0")")")
    return 0
  fi
  summary+=("$(printf '%-42s %5d s  FAILED' "$label" "$(elapsed "$t0")")")
  failed=1
  return 1
}

# Test programs ctest would run (the first argument inside the build tree after the emulator),
# as ninja targets, plus ternrt-bench: nothing else (examples, ternrt-run, shared library) is built.
test_targets() {
  local dir="$1"
  ctest --test-dir "$dir" --show-only=json-v1 | /usr/bin/python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
names = set()
for test in json.load(sys.stdin).get("tests", []):
    for arg in test.get("command", []):
        path = os.path.realpath(arg)
        if path.startswith(build + os.sep):
            names.add(os.path.relpath(path, build))
            break
print("\n".join(sorted(names)))' "$dir"
  echo tools/ternrt-bench
}

configure() {
  local preset="$1" log="build/$1.configure.log"
  mkdir -p build
  cmake --preset "$preset" > "$log" 2>&1 || { cat "$log"; return 1; }
}

build_for_tests() {
  local dir="build/$1"
  local wanted
  mapfile -t wanted < <(test_targets "$dir")
  if [ "${#wanted[@]}" -le 1 ]; then echo "cross-test.sh: no tests registered in $dir" >&2; return 1; fi
  echo "building ${#wanted[@]} targets: ${wanted[*]}"
  cmake --build "$dir" -j "$jobs" --target "${wanted[@]}"
}

run_ctest() {
  local preset="$1"
  ctest --preset "$preset" -j "$jobs"
}

if [ "$install_deps" -eq 1 ]; then
  stage "dependencies (cross compilers, qemu-user)"
  run_stage "install-deps --cross" scripts/install-deps.sh --cross || exit 1
fi

for target in "${targets[@]}"; do
  case "$target" in
    aarch64) deb_arch=arm64; triple=aarch64-linux-gnu; test_presets=(aarch64 aarch64-cortex-a72) ;;
    armhf) deb_arch=armhf; triple=arm-linux-gnueabihf; test_presets=(armhf) ;;
  esac
  stage "$target: dependency sysroot build/deps-$deb_arch"
  run_stage "$target sysroot" toolchains/make-deps-sysroot.sh "$deb_arch" "build/deps-$deb_arch" || continue
  stage "$target: configure"
  run_stage "$target configure" configure "$target" || continue
  stage "$target: build tests + ternrt-bench"
  run_stage "$target build" build_for_tests "$target" || continue
  for preset in "${test_presets[@]}"; do
    stage "$target: ctest --preset $preset (under qemu)"
    run_stage "ctest $preset" run_ctest "$preset" || true
  done

  # Sizes for the README: static runtime (what an app links) and the benchmark, both stripped.
  sizes="$(mktemp -d)"
  libs=()
  for lib in runtime/libternrt_runtime.a kernels/libternrt_kernels.a kernels/trits/libternrt_trits.a; do
    if [ -f "build/$target/$lib" ]; then cp "build/$target/$lib" "$sizes/"; libs+=("$sizes/$(basename "$lib")"); fi
  done
  if [ "${#libs[@]}" -gt 0 ] && [ -f "build/$target/tools/ternrt-bench" ]; then
    "$triple-strip" --strip-unneeded "${libs[@]}"
    cp "build/$target/tools/ternrt-bench" "$sizes/"
    "$triple-strip" "$sizes/ternrt-bench"
    lib_bytes=$(cat "${libs[@]}" | wc -c)
    bench_bytes=$(wc -c < "$sizes/ternrt-bench")
    summary+=("$(printf '%-42s %s' "$target stripped static runtime (3 .a)" "$((lib_bytes / 1024)) KiB")")
    summary+=("$(printf '%-42s %s' "$target stripped ternrt-bench" "$((bench_bytes / 1024)) KiB (+ Debian's shared XNNPACK, pthreadpool, cpuinfo)")")
  fi
  rm -rf "$sizes"
done

stage "summary"
printf '%s\n' "${summary[@]}"
echo "total $(elapsed "$start") s"
echo "Timings of tests under qemu say nothing about speed on real ARM hardware."
exit "$failed"
