#!/usr/bin/env bash
# Configures and builds ternrt with a CMake preset (default: release) into build/<preset>.
#   scripts/build.sh [PRESET] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
jobs="${TERNRT_JOBS:-$(nproc)}"
cmake --preset "$preset" "$@" > "build-$preset.configure.log" 2>&1 || { cat "build-$preset.configure.log"; exit 1; }
rm -f "build-$preset.configure.log"
cmake --build --preset "$preset" -j "$jobs"
