# Finds ternrt's dependencies as Debian 12 ships them (facts: ../shared/research/deps.md).
# XNNPACK and pthreadpool ship no CMake config; cpuinfo's config is broken (wrong prefix), so all
# three are found by header + library. FlatBuffers' package name is case-sensitive.

find_package(Threads REQUIRED)

find_path(CPUINFO_INCLUDE_DIR cpuinfo.h REQUIRED)
find_library(CPUINFO_LIBRARY NAMES cpuinfo REQUIRED)
find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h REQUIRED)
find_library(PTHREADPOOL_LIBRARY NAMES pthreadpool REQUIRED)
find_path(XNNPACK_INCLUDE_DIR xnnpack.h REQUIRED)
find_library(XNNPACK_LIBRARY NAMES XNNPACK REQUIRED)

add_library(ternrt_dep_cpuinfo INTERFACE)
target_include_directories(ternrt_dep_cpuinfo SYSTEM INTERFACE ${CPUINFO_INCLUDE_DIR})
target_link_libraries(ternrt_dep_cpuinfo INTERFACE ${CPUINFO_LIBRARY})

add_library(ternrt_dep_pthreadpool INTERFACE)
target_include_directories(ternrt_dep_pthreadpool SYSTEM INTERFACE ${PTHREADPOOL_INCLUDE_DIR})
target_link_libraries(ternrt_dep_pthreadpool INTERFACE ${PTHREADPOOL_LIBRARY} Threads::Threads)

add_library(ternrt_dep_xnnpack INTERFACE)
target_include_directories(ternrt_dep_xnnpack SYSTEM INTERFACE ${XNNPACK_INCLUDE_DIR})
target_link_libraries(ternrt_dep_xnnpack INTERFACE ${XNNPACK_LIBRARY} ternrt_dep_pthreadpool ternrt_dep_cpuinfo)

find_package(FlatBuffers CONFIG REQUIRED)
if(CMAKE_CROSSCOMPILING)
  # Code generation runs on the build machine: always the host flatc.
  find_program(TERNRT_FLATC flatc NO_CMAKE_FIND_ROOT_PATH REQUIRED)
else()
  set(TERNRT_FLATC flatbuffers::flatc)
endif()

if(TERNRT_BUILD_CONVERTER)
  find_package(Protobuf REQUIRED)          # before ONNX: its targets reference protobuf::libprotobuf
  find_package(ONNX CONFIG REQUIRED)       # un-namespaced targets onnx / onnx_proto
endif()

if(TERNRT_BUILD_TESTS)
  find_package(doctest CONFIG REQUIRED)
  include(doctest)
endif()

if(TERNRT_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "Google Benchmark not found: benchmarks disabled")
    set(TERNRT_BUILD_BENCHMARKS OFF)
  endif()
endif()
