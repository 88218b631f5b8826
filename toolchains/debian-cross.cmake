# Shared part of the Debian cross toolchain files (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake).
# Expects TERNRT_CROSS_TRIPLE, TERNRT_CROSS_DEB_ARCH and TERNRT_CROSS_QEMU to be set by the includer.
# Dependencies come from a private sysroot of unpacked target .debs (make-deps-sysroot.sh), the C
# library and libstdc++ from the cross compiler's /usr/<triple>, doctest (header-only, Arch: all)
# and the host flatc from the build machine.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${TERNRT_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${TERNRT_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${TERNRT_CROSS_TRIPLE})

# Default: build/deps-<arch> in the source tree, where scripts/cross-test.sh puts it.
if(NOT DEPS_SYSROOT)
  if(DEFINED ENV{DEPS_SYSROOT} AND NOT "$ENV{DEPS_SYSROOT}" STREQUAL "")
    set(DEPS_SYSROOT "$ENV{DEPS_SYSROOT}")
  else()
    get_filename_component(DEPS_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/deps-${TERNRT_CROSS_DEB_ARCH}" ABSOLUTE)
  endif()
endif()
set(DEPS_SYSROOT "${DEPS_SYSROOT}" CACHE PATH "Unpacked ${TERNRT_CROSS_DEB_ARCH} Debian packages (toolchains/make-deps-sysroot.sh)")
if(NOT EXISTS "${DEPS_SYSROOT}/usr/include/xnnpack.h")
  message(FATAL_ERROR "DEPS_SYSROOT '${DEPS_SYSROOT}' holds no ${TERNRT_CROSS_DEB_ARCH} XNNPACK. Create it with\n"
                      "  toolchains/make-deps-sysroot.sh ${TERNRT_CROSS_DEB_ARCH} ${DEPS_SYSROOT}")
endif()
# try_compile projects re-read this file without the cache: pass the sysroot on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DEPS_SYSROOT)

# Target libraries and headers only from the sysroot, the toolchain and (last) / for doctest's
# config; programs (flatc, qemu) always from the host.
set(CMAKE_FIND_ROOT_PATH "${DEPS_SYSROOT}" /usr/${TERNRT_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libXNNPACK.so's own NEEDED (pthreadpool, cpuinfo) are not covered by our RUNPATH: tell the
# linker where they are.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${DEPS_SYSROOT}/usr/lib/${TERNRT_CROSS_TRIPLE}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${DEPS_SYSROOT}/usr/lib/${TERNRT_CROSS_TRIPLE}")

# ctest and try_run run target programs through qemu-user (there is no binfmt registration).
# qemu-run.sh adds `-cpu $TERNRT_QEMU_CPU` when that variable is set, so one build is tested on
# several emulated CPUs.
find_program(TERNRT_QEMU_${TERNRT_CROSS_DEB_ARCH} ${TERNRT_CROSS_QEMU})
if(TERNRT_QEMU_${TERNRT_CROSS_DEB_ARCH})
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/qemu-run.sh;${TERNRT_QEMU_${TERNRT_CROSS_DEB_ARCH}};/usr/${TERNRT_CROSS_TRIPLE};${DEPS_SYSROOT}/usr/lib/${TERNRT_CROSS_TRIPLE}")
endif()
