# Adds tests/robustness and tests/fuzz to a build whose tests/CMakeLists.txt does not list them
# yet. Used by scripts/robustness-ci.sh as -DCMAKE_PROJECT_ternrt_INCLUDE=<this file>; a no-op
# for a folder tests/CMakeLists.txt already added (each folder sets a global property).
function(ternrt_robustness_add_folders)
  if(NOT TERNRT_BUILD_TESTS)
    return()
  endif()
  foreach(dir robustness fuzz)
    get_property(added GLOBAL PROPERTY TERNRT_TESTS_${dir}_ADDED)
    if(NOT added)
      # add_subdirectory is not allowed in deferred calls; the folders' CMakeLists.txt use
      # CMAKE_CURRENT_LIST_DIR so that include() works as well.
      include(${PROJECT_SOURCE_DIR}/tests/${dir}/CMakeLists.txt)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER CALL ternrt_robustness_add_folders)
