#!/bin/sh
# CMAKE_CROSSCOMPILING_EMULATOR of the Debian cross toolchain files:
#   qemu-run.sh QEMU LD_PREFIX DEPS_LIBDIR PROGRAM [ARGS...]
# runs PROGRAM under qemu-user with the cross toolchain's libc (LD_PREFIX) and the sysroot's shared
# libraries (libXNNPACK's own NEEDED are not covered by RUNPATH). TERNRT_QEMU_CPU, when set,
# selects the emulated CPU (e.g. cortex-a72: no dotprod), so ctest can run one build on several CPUs.
set -eu
if [ $# -lt 4 ]; then
  echo "usage: qemu-run.sh QEMU LD_PREFIX DEPS_LIBDIR PROGRAM [ARGS...]" >&2
  exit 2
fi
qemu="$1"; prefix="$2"; libdir="$3"
shift 3
if [ -n "${TERNRT_QEMU_CPU:-}" ]; then
  exec "$qemu" -cpu "$TERNRT_QEMU_CPU" -L "$prefix" -E "LD_LIBRARY_PATH=$libdir" "$@"
fi
exec "$qemu" -L "$prefix" -E "LD_LIBRARY_PATH=$libdir" "$@"
