#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install the dependencies (needs root or sudo),
# build everything, and run the main job (convert the bundled Fashion-MNIST model to ternary,
# run it, print accuracy and latency).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
BUILD_DIR=build/release scripts/demo.sh
