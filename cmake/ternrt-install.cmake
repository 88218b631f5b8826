# Installs what an app needs to embed ternrt (issue 8; docs/api.md "Building against ternrt"):
#   lib/libternrt.a, lib/libternrt.so*          runtime + kernels + trits in one library each
#   include/ternrt/ternrt.h, ternrt.hpp          C API and the header-only C++ wrapper
#   lib/cmake/ternrt/ternrtConfig*.cmake        find_package(ternrt) -> ternrt::runtime
#   lib/pkgconfig/ternrt.pc                      pkg-config --cflags --libs ternrt
# The tools install themselves (tools/, converter/). Components: ternrt_runtime (the .so, for
# devices) and ternrt_dev (everything to build against).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(NOT TARGET ternrt_runtime_static OR NOT TARGET ternrt_runtime_shared)
  message(STATUS "ternrt-install: runtime libraries not defined, nothing to install")
  return()
endif()

set(TERNRT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ternrt)

set_target_properties(ternrt_runtime_static PROPERTIES EXPORT_NAME runtime_static)
set_target_properties(ternrt_runtime_shared PROPERTIES EXPORT_NAME runtime_shared)
install(TARGETS ternrt_runtime_static ternrt_runtime_shared EXPORT ternrtTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ternrt_dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ternrt_runtime NAMELINK_COMPONENT ternrt_dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ternrt_runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/ternrt/ternrt.h
              ${PROJECT_SOURCE_DIR}/runtime/include/ternrt/ternrt.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ternrt COMPONENT ternrt_dev)

install(EXPORT ternrtTargets NAMESPACE ternrt:: DESTINATION ${TERNRT_INSTALL_CMAKEDIR}
  COMPONENT ternrt_dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ternrtConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ternrtConfig.cmake INSTALL_DESTINATION ${TERNRT_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ternrtConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ternrtConfig.cmake ${PROJECT_BINARY_DIR}/ternrtConfigVersion.cmake
  DESTINATION ${TERNRT_INSTALL_CMAKEDIR} COMPONENT ternrt_dev)

# pkg-config: paths relative to the .pc file (${pcfiledir}), so the installed tree can be moved.
file(RELATIVE_PATH TERNRT_PC_TO_PREFIX
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" TERNRT_PC_TO_PREFIX "${TERNRT_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ternrt.pc.in ${PROJECT_BINARY_DIR}/ternrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ternrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT ternrt_dev)

# examples/classify builds in-tree too (its CMakeLists.txt also works against an installed tree).
# Added here until the top-level CMakeLists.txt lists it; the guard keeps it from being added twice.
if(NOT TARGET classify AND EXISTS ${PROJECT_SOURCE_DIR}/examples/classify/CMakeLists.txt)
  add_subdirectory(${PROJECT_SOURCE_DIR}/examples/classify ${PROJECT_BINARY_DIR}/examples/classify)
endif()
