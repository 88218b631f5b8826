// The one doctest main shared by every test binary. Every operator may use the thread pool here
// (TERNRT_MIN_PARALLEL_WORK=0), so tests with 2+ threads exercise the parallel code even on their
// small models, which the runtime would otherwise run on the calling thread (interpreter.cc).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("TERNRT_MIN_PARALLEL_WORK", "0", /*overwrite=*/0);
  return doctest::Context(argc, argv).run();
}
