#!/usr/bin/env bash
# Robustness CI (issue 7, docs/robustness.md): ASan+UBSan build with the bad-model corpus, the
# mutation sweep, leak cycles, allocation-failure injection, hostile ONNX and the seed replays;
# TSan build with the shared-model concurrency test; libFuzzer build with a bounded run of each
# fuzzer seeded from the corpora. Builds only the targets it runs. About 10 minutes on 2 cores
# with a warm ccache.
#   scripts/robustness-ci.sh                 all three stages, builds in build/{asan,tsan,fuzz}
#   BUILD_ROOT=/tmp/rb scripts/robustness-ci.sh   builds elsewhere
#   FUZZ_SECONDS=600 scripts/robustness-ci.sh     longer fuzz runs (0: build the fuzzers only)
#   STAGES="asan tsan" scripts/robustness-ci.sh   a subset
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_ROOT=${BUILD_ROOT:-$root/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-2}
STAGES=${STAGES:-"asan tsan fuzz"}
start=$(date +%s)
stage() { echo; echo "=== robustness: $* ($(( $(date +%s) - start )) s)"; }
# Adds tests/robustness and tests/fuzz if tests/CMakeLists.txt does not list them (a no-op once it does).
hook="-DCMAKE_PROJECT_ternrt_INCLUDE=$root/tests/robustness/add-to-build.cmake"

configure() {  # preset, build dir, extra args
  local preset=$1 dir=$2
  shift 2
  cmake --preset "$preset" -B "$dir" "$hook" "$@" > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
}

for s in $STAGES; do
  case "$s" in
    asan)
      stage "asan (ASan + UBSan): corpus, mutation sweep, leaks, allocation failures, hostile ONNX, seed replays, unit tests"
      dir=$BUILD_ROOT/asan
      mkdir -p "$BUILD_ROOT"
      configure asan "$dir"
      # The unit tests of the runtime, kernels, trits and quantizers run here too (one ASan build).
      cmake --build "$dir" -j "$JOBS" --target robustness_tests robustness_mutation_sweep robustness_leaks \
        robustness_alloc_failure robustness_concurrency robustness_hostile_onnx ternrt-convert fuzz_model_load fuzz_onnx_import \
        runtime_tests ternrt-kernels-test ternrt-trits-test ternrt-quantize-test
      ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
        ctest --test-dir "$dir" -L "robustness|fuzz|runtime|kernels|trits|quantize" -j "$JOBS" --output-on-failure
      ;;
    tsan)
      stage "tsan: one model, 8 threads, 1000 invokes each"
      dir=$BUILD_ROOT/tsan
      mkdir -p "$BUILD_ROOT"
      configure tsan "$dir"
      cmake --build "$dir" -j "$JOBS" --target robustness_concurrency
      TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1} ctest --test-dir "$dir" -R '^robustness_concurrency$' --output-on-failure
      ;;
    fuzz)
      stage "fuzz (clang libFuzzer + ASan + UBSan): ${FUZZ_SECONDS} s per target"
      dir=$BUILD_ROOT/fuzz
      mkdir -p "$BUILD_ROOT"
      configure fuzz "$dir"
      cmake --build "$dir" -j "$JOBS" --target fuzz_model_load fuzz_onnx_import
      if [ "$FUZZ_SECONDS" -gt 0 ]; then
        work=$dir/fuzz-work
        mkdir -p "$work/model" "$work/onnx" "$work/artifacts"
        common=(-max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -max_len=65536
                -artifact_prefix="$work/artifacts/" -print_final_stats=1)
        ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1} \
          "$dir/tests/fuzz/fuzz_model_load" "$work/model" tests/robustness/corpus "${common[@]}"
        ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1} \
          "$dir/tests/fuzz/fuzz_onnx_import" "$work/onnx" tests/fuzz/corpus-onnx "${common[@]}"
      fi
      ;;
    *) echo "robustness-ci.sh: unknown stage '$s' (asan, tsan, fuzz)" >&2; exit 2 ;;
  esac
done
stage "done"
