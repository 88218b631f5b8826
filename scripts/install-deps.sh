#!/usr/bin/env bash
# Installs every build, test and fixture dependency of ternrt from Debian 12 packages.
# Idempotent; run as root (or with sudo). Used by .ci/run and by the README's first command.
#   scripts/install-deps.sh            host build + tests + Python fixtures
#   scripts/install-deps.sh --cross    also the ARM cross compilers and qemu-user
set -euo pipefail

want_cross=0
for arg in "$@"; do
  case "$arg" in
    --cross) want_cross=1 ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
  doctest-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libstb-dev zlib1g-dev
  clang libclang-rt-14-dev
  python3 python3-numpy python3-torch python3-onnx
  dataset-fashion-mnist
)
if [ "$want_cross" -eq 1 ]; then
  packages+=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
