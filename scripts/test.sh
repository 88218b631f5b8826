#!/usr/bin/env bash
# Builds (if needed) and runs the test suite of one preset (default: release).
#   scripts/test.sh [PRESET] [ctest options...]     e.g. scripts/test.sh release -L runtime
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
scripts/build.sh "$preset"
ctest --preset "$preset" -j "${TERNRT_JOBS:-$(nproc)}" "$@"
