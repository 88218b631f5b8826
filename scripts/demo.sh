#!/usr/bin/env bash
# The main job: convert the bundled Fashion-MNIST model to ternary with the default method, then
# show the per-layer quantization report, model size, test accuracy and latency, float vs ternary.
#
#   scripts/demo.sh                      # expects a build in build/release (scripts/build.sh release)
#   BUILD_DIR=build/debug scripts/demo.sh
#
# Builds nothing itself. Environment: BUILD_DIR (default build/release), MODEL (default
# examples/models/fmnist_resnet.onnx), DATA_DIR (default /usr/share/datasets/fashion-mnist),
# OUT_DIR (default $BUILD_DIR/demo), LIMIT (evaluate only the first N test images), THREADS (1),
# PTQ (default 1: also convert with 512 calibration images from the training set and static int8
# activation ranges, then compare its static and dynamic int8 paths; 0 skips it).
# About 40 s on 2 cores (30-40 s with LIMIT=1000), mostly the PTQ conversion and the passes over
# the 10k test images.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
MODEL=${MODEL:-$ROOT/examples/models/fmnist_resnet.onnx}
DATA_DIR=${DATA_DIR:-/usr/share/datasets/fashion-mnist}
OUT_DIR=${OUT_DIR:-$BUILD_DIR/demo}
THREADS=${THREADS:-1}
LIMIT=${LIMIT:-}
PTQ=${PTQ:-1}

CONVERT=$BUILD_DIR/converter/ternrt-convert
EVAL=$BUILD_DIR/tools/ternrt-eval
BENCH=$BUILD_DIR/tools/ternrt-bench
IMAGES=$DATA_DIR/t10k-images-idx3-ubyte.gz
LABELS=$DATA_DIR/t10k-labels-idx1-ubyte.gz
TRAIN_IMAGES=$DATA_DIR/train-images-idx3-ubyte.gz

die() { echo "demo.sh: $*" >&2; exit 1; }
for exe in "$CONVERT" "$EVAL" "$BENCH"; do
  [[ -x $exe ]] || die "$exe not found: build first (scripts/build.sh release) or set BUILD_DIR"
done
[[ -f $MODEL ]] || die "$MODEL not found (scripts/train_fashion_mnist.py writes the bundled models)"
[[ -f $IMAGES && -f $LABELS ]] || die "Fashion-MNIST test set not found in $DATA_DIR (Debian package dataset-fashion-mnist)"

# Normalization the model was trained with: from its sidecar JSON when present.
MEAN=0.2860
STD=0.3530
SIDECAR=${MODEL%.onnx}.json
if [[ -f $SIDECAR ]]; then
  MEAN=$(sed -n 's/^ *"mean": *\([0-9.eE+-]*\).*/\1/p' "$SIDECAR" | head -1)
  STD=$(sed -n 's/^ *"std": *\([0-9.eE+-]*\).*/\1/p' "$SIDECAR" | head -1)
  [[ -n $MEAN && -n $STD ]] || die "$SIDECAR: no \"mean\"/\"std\" entries"
fi

mkdir -p "$OUT_DIR"
NAME=$(basename "${MODEL%.onnx}")
FLOAT=$OUT_DIR/$NAME.float.tern
TERN=$OUT_DIR/$NAME.tern
PTQ_TERN=$OUT_DIR/$NAME.ptq.tern
EVAL_ARGS=(--idx-images "$IMAGES" --idx-labels "$LABELS" --threads "$THREADS")
[[ -n $LIMIT ]] && EVAL_ARGS+=(--limit "$LIMIT")
section() { printf '\n=== %s ===\n' "$*"; }
json_field() { sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" <<<"$1"; }
percent() { awk -v v="$1" 'BEGIN { if (v == "null") print "-"; else printf "%.2f%%", 100 * v }'; }
start=$(date +%s)

section "1. Convert $(basename "$MODEL") (ternary with the default method; float for reference)"
echo "\$ ternrt-convert $(basename "$MODEL") -o $(basename "$TERN") --input-mean $MEAN --input-std $STD --report $NAME.report.json"
"$CONVERT" "$MODEL" -o "$TERN" --input-mean "$MEAN" --input-std "$STD" --report "$OUT_DIR/$NAME.report.json" \
  2>/dev/null >"$OUT_DIR/$NAME.convert.txt" || { cat "$OUT_DIR/$NAME.convert.txt"; die "conversion failed"; }
echo "\$ ternrt-convert $(basename "$MODEL") -o $(basename "$FLOAT") --method none --input-mean $MEAN --input-std $STD"
"$CONVERT" "$MODEL" -o "$FLOAT" --method none --input-mean "$MEAN" --input-std "$STD" --quiet
method=$(sed -n 's/.*"method": "\([a-z0-9]*\)".*/\1/p' "$OUT_DIR/$NAME.report.json" | head -1)
echo "method: ${method:-none (no ternary layer)}"
if [[ $PTQ == 1 ]]; then
  echo "\$ ternrt-convert $(basename "$MODEL") -o $(basename "$PTQ_TERN") --input-mean $MEAN --input-std $STD --calibrate-idx $(basename "$TRAIN_IMAGES") --calib-samples 512 --static-int8"
  "$CONVERT" "$MODEL" -o "$PTQ_TERN" --input-mean "$MEAN" --input-std "$STD" --calibrate-idx "$TRAIN_IMAGES" \
    --calib-samples 512 --static-int8 --quiet || die "PTQ conversion failed"
fi

section "2. Per-layer quantization report (weights; SQNR = 10 log10 |W|^2 / |W - Q(W)|^2)"
grep -v '^wrote ' "$OUT_DIR/$NAME.convert.txt"

section "3. Model size"
onnx_bytes=$(stat -c %s "$MODEL")
float_bytes=$(stat -c %s "$FLOAT")
tern_bytes=$(stat -c %s "$TERN")
printf '%-28s %10s\n' "ONNX (float32)" "$(numfmt --to=iec-i --suffix=B "$onnx_bytes")"
printf '%-28s %10s\n' ".tern float" "$(numfmt --to=iec-i --suffix=B "$float_bytes")"
printf '%-28s %10s   (%.1fx smaller than the float .tern)\n' ".tern ternary" "$(numfmt --to=iec-i --suffix=B "$tern_bytes")" \
  "$(awk -v a="$float_bytes" -v b="$tern_bytes" 'BEGIN { print a / b }')"

section "4. Test accuracy on Fashion-MNIST (${LIMIT:-10000} test images, ternrt-eval)"
# One pass of the float model (its top-1 classes saved), one of the ternary model compared with them.
float_json=$("$EVAL" "$FLOAT" "${EVAL_ARGS[@]}" --save-top1 "$OUT_DIR/$NAME.float.top1.npy" --json)
tern_json=$("$EVAL" "$TERN" "${EVAL_ARGS[@]}" --reference "$OUT_DIR/$NAME.float.top1.npy" --json)
printf '%-12s %9s %9s %12s %12s\n' "model" "top-1" "top-5" "agreement" "images/s"
printf '%-12s %9s %9s %12s %12s\n' "float" "$(percent "$(json_field "$float_json" top1)")" \
  "$(percent "$(json_field "$float_json" top5)")" "-" "$(json_field "$float_json" images_per_s)"
printf '%-12s %9s %9s %12s %12s\n' "ternary" "$(percent "$(json_field "$tern_json" top1)")" \
  "$(percent "$(json_field "$tern_json" top5)")" "$(percent "$(json_field "$tern_json" agreement)")" \
  "$(json_field "$tern_json" images_per_s)"
if [[ $PTQ == 1 ]]; then
  # The same PTQ file twice: its default (static int8) path and the dynamic path.
  for mode in static dynamic; do
    ptq_json=$("$EVAL" "$PTQ_TERN" "${EVAL_ARGS[@]}" --reference "$OUT_DIR/$NAME.float.top1.npy" --activations $mode --json)
    ran=$(json_field "$ptq_json" activations | tr -d '"')
    [[ $ran == "$mode" ]] || die "ternrt-eval --activations $mode ran the $ran path"
    printf '%-12s %9s %9s %12s %12s\n' "PTQ $mode" "$(percent "$(json_field "$ptq_json" top1)")" \
      "$(percent "$(json_field "$ptq_json" top5)")" "$(percent "$(json_field "$ptq_json" agreement)")" \
      "$(json_field "$ptq_json" images_per_s)"
  done
fi
echo "(ternary: data-free, the default method;"
if [[ $PTQ == 1 ]]; then
  echo " PTQ: the same method refitted on 512 training images, one file run with static int8 activations"
  echo " (ranges from --static-int8) and with dynamic ones (--activations dynamic);"
fi
echo " agreement: share of test images where the model predicts the same class as the float one)"

section "5. Latency (ternrt-bench, batch 1, $THREADS thread(s), median of 50 runs)"
median() { sed -n "s/.*\"$2\": {\"min\": [0-9.]*, \"median\": \([0-9.]*\).*/\1/p" <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
if [[ $PTQ == 1 ]]; then
  # One ternrt-bench run of the PTQ file interleaves its static, dynamic and float invokes (float:
  # the ternary layers dequantized and run by XNNPACK like the float model), so load changes on a
  # shared machine hit all three alike.
  ptq_bench=$("$BENCH" "$PTQ_TERN" --threads "$THREADS" --json)
  static_ms=$(median "$ptq_bench" latency_ms)
  dynamic_ms=$(median "$ptq_bench" dynamic_latency_ms)
  float_ms=$(median "$ptq_bench" float_latency_ms)
  isa=$(json_field "$ptq_bench" isa | tr -d '"')
  printf '%-44s %8s ms\n' "PTQ model, static int8 ($isa)" "$static_ms"
  printf '%-44s %8s ms\n' "PTQ model, dynamic int8 ($isa)" "${dynamic_ms:--}"
  printf '%-44s %8s ms\n' "same model in float (XNNPACK)" "${float_ms:--}"
  printf 'latency static / dynamic / float: %s / %s / %s ms; speed-up vs float: static %sx, dynamic %sx\n' \
    "$static_ms" "${dynamic_ms:--}" "${float_ms:--}" "$(ratio "$float_ms" "$static_ms")" "$(ratio "$float_ms" "$dynamic_ms")"
else
  float_bench=$("$BENCH" "$FLOAT" --threads "$THREADS" --no-float --json)
  float_ms=$(median "$float_bench" latency_ms)
  printf '%-44s %8s ms\n' "float model (.tern float, XNNPACK)" "$float_ms"
  tern_bench=$("$BENCH" "$TERN" --threads "$THREADS" --json)
  tern_ms=$(median "$tern_bench" latency_ms)
  asfloat_ms=$(median "$tern_bench" float_latency_ms)
  printf '%-44s %8s ms\n' "ternary model (ternary kernels: $(json_field "$tern_bench" isa | tr -d '"'))" "$tern_ms"
  [[ -n $asfloat_ms ]] && printf '%-44s %8s ms\n' "ternary model, ternary layers run as float" "$asfloat_ms"
  printf 'speed-up ternary vs float model: %sx\n' "$(ratio "$float_ms" "$tern_ms")"
fi

section "Done in $(( $(date +%s) - start )) s; files in ${OUT_DIR#$ROOT/}"
