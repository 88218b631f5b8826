# Cross-compiling ternrt for 64-bit ARM Linux (ARMv8-A) with Debian's g++-aarch64-linux-gnu.
#   toolchains/make-deps-sysroot.sh arm64 build/deps-arm64
#   cmake --preset aarch64        (or -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake -DDEPS_SYSROOT=...)
# No -march here: the baseline is ARMv8.0 + NEON; the dotprod kernels get their flag per file
# (kernels/CMakeLists.txt) and are only used when the CPU reports dotprod.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TERNRT_CROSS_TRIPLE aarch64-linux-gnu)
set(TERNRT_CROSS_DEB_ARCH arm64)
set(TERNRT_CROSS_QEMU qemu-aarch64)
# GCC 10.1 changed how C++17 passes some empty-base structs on AArch64 (a note on FlatBuffers'
# object-API unions); it only matters when mixing objects built by GCC < 10.
set(CMAKE_C_FLAGS_INIT "-Wno-psabi")
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
