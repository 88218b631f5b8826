#!/usr/bin/env bash
# Unpacks the target-architecture Debian packages ternrt links against into a private sysroot,
# for cross-compiling (toolchains/*.cmake read it as DEPS_SYSROOT).
#   toolchains/make-deps-sysroot.sh arm64|armhf DIR
#
# Why private: libxnnpack-dev and libpthreadpool-dev are Multi-Arch: no and libcpuinfo-dev:arm64
# clashes with the native one, so installing them as foreign packages would remove the native
# XNNPACK (and python3-torch). Nothing is installed: apt runs with its own state directory under
# DIR/.apt (its own package index for ARCH only, no `dpkg --add-architecture`, no root needed)
# and the .debs are unpacked with dpkg-deb -x. The host flatc does the code generation, so
# flatbuffers-compiler(-dev) is deliberately left out (its FlatcTargets.cmake would point at a
# missing <sysroot>/usr/bin/flatc). Idempotent: a stamp with the package versions skips the work.
set -euo pipefail

usage() { sed -n 2,4p "$0" | sed 's/^# \{0,1\}//'; }
if [ $# -ne 2 ]; then usage >&2; exit 2; fi
arch="$1"
case "$arch" in
  arm64) triple=aarch64-linux-gnu ;;
  armhf) triple=arm-linux-gnueabihf ;;
  *) echo "make-deps-sysroot.sh: unknown architecture '$arch' (expected arm64 or armhf)" >&2; exit 2 ;;
esac
mkdir -p "$2"
sysroot="$(cd "$2" && pwd)"

packages=(
  libxnnpack0 libxnnpack-dev
  libpthreadpool0 libpthreadpool-dev
  libcpuinfo0 libcpuinfo-dev
  libflatbuffers2 libflatbuffers-dev
  zlib1g zlib1g-dev            # ternrt-eval reads gzip'd IDX files
  libstb0 libstb-dev           # examples/classify decodes images with stb_image
)

state="$sysroot/.apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
apt_opts=(
  -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
  -o "Dir::State::status=/dev/null" -o Debug::NoLocking=1
  -o Acquire::Languages=none -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
)
# As root apt would drop to user _apt, which cannot write into a private directory.
if [ "$(id -u)" -eq 0 ]; then apt_opts+=(-o APT::Sandbox::User=root); fi

# A fresh index at most once a day (CI reuses DIR within a run, developers across days).
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
  echo "make-deps-sysroot: apt-get update for $arch (private index in $state)"
  # The armhf bookworm-security index has been seen failing with "File has unexpected size"
  # for hours (mirror sync); the main index is enough for these packages, so go on and let
  # apt-get download below fail precisely if a package really cannot be found.
  if ! apt-get "${apt_opts[@]}" update -qq; then
    echo "make-deps-sysroot: warning: apt-get update for $arch reported errors; trying with the indexes it got" >&2
  fi
fi

versions="$(apt-cache "${apt_opts[@]}" policy "${packages[@]}" | awk '/^[^ ]/{p=$1} /Candidate:/{print p, $2}')"
if [ -f "$sysroot/.stamp" ] && [ "$(cat "$sysroot/.stamp")" = "$versions" ]; then
  echo "make-deps-sysroot: $sysroot is up to date"
  exit 0
fi
if echo "$versions" | grep -q "(none)"; then
  echo "make-deps-sysroot: no $arch candidate for: $(echo "$versions" | awk '$2=="(none)"{print $1}' | tr '\n' ' ')" >&2
  exit 1
fi

rm -f "$state/debs"/*.deb
(cd "$state/debs" && apt-get "${apt_opts[@]}" download -qq "${packages[@]}")
for deb in "$state/debs"/*.deb; do
  dpkg-deb -x "$deb" "$sysroot"
done

# Debian's zlib lives in /lib/<triple> with an absolute /usr/lib/<triple>/libz.so symlink to it:
# merge /lib into /usr/lib and make such symlinks relative so they resolve inside the sysroot.
if [ -d "$sysroot/lib/$triple" ]; then
  mkdir -p "$sysroot/usr/lib/$triple"
  cp -a "$sysroot/lib/$triple/." "$sysroot/usr/lib/$triple/"
  rm -rf "$sysroot/lib/$triple"
fi
find "$sysroot/usr" -type l | while read -r link; do
  target="$(readlink "$link")"
  case "$target" in
    /*) ln -sfn "$(basename "$target")" "$link" ;;
  esac
done
for required in "usr/include/xnnpack.h" "usr/lib/$triple/libXNNPACK.so" "usr/lib/$triple/libz.so"; do
  if [ ! -e "$sysroot/$required" ]; then
    echo "make-deps-sysroot: $sysroot/$required is missing after unpacking" >&2
    exit 1
  fi
done
echo "$versions" > "$sysroot/.stamp"
echo "make-deps-sysroot: $arch packages unpacked into $sysroot"
