# Cross-compiling ternrt for 32-bit ARM Linux, hard-float (Debian armhf: ARMv7-A, VFPv3-D16, Thumb-2)
# with Debian's g++-arm-linux-gnueabihf.
#   toolchains/make-deps-sysroot.sh armhf build/deps-armhf
#   cmake --preset armhf
# NEON is not part of the armhf baseline, so no NEON flag here; ternrt's ternary kernels are
# scalar on 32-bit ARM (XNNPACK dispatches its own NEON kernels at run time).
set(CMAKE_SYSTEM_PROCESSOR arm)
set(TERNRT_CROSS_TRIPLE arm-linux-gnueabihf)
set(TERNRT_CROSS_DEB_ARCH armhf)
set(TERNRT_CROSS_QEMU qemu-arm)
# GCC 7.1 changed how some std:: types are passed on ARM; the note floods every <vector> user and
# only matters when mixing objects built by GCC < 7.
# 64-bit file offsets and inode numbers: without them readdir/stat fail with EOVERFLOW on large
# filesystems (and under qemu on a 64-bit host) and files over 2 GiB cannot be mapped.
set(CMAKE_C_FLAGS_INIT "-Wno-psabi -D_FILE_OFFSET_BITS=64")
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi -D_FILE_OFFSET_BITS=64")
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
