// The per-channel int8 sums (channel-sums-s8.h) on every supported ISA against int64 sums computed
// here: windows of rows x cols pixels with a row stride (average pool windows, whole images),
// channel counts around every vector width, runs longer than the int16 lanes' 256 pixels with every
// byte at -128 or at 127 (the int16 ends), sums added to what is there, nothing written past them.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ternrt/kernels/channel-sums-s8.h"

namespace ternrt_test {
uint32_t test_seed();
}

using namespace ternrt::kernels;

namespace {

std::vector<Isa> sum_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (isa_supported(isa)) isas.push_back(isa);
    else MESSAGE((std::string("skipping channel_sums_s8 for ") + isa_name(isa) + ": not supported here"));
  }
  return isas;
}

}  // namespace

TEST_CASE("channel_sums_s8: every ISA equals the int64 sums, windows, widths, int16 run ends") {
  std::mt19937 rng(ternrt_test::test_seed());
  const size_t channel_counts[] = {1, 3, 12, 15, 16, 17, 20, 31, 32, 33, 36, 60, 63, 64, 65, 100, 130, 300};
  const struct { size_t rows, cols; } windows[] = {{1, 1}, {2, 2}, {3, 3}, {1, 255}, {1, 256}, {1, 257},
                                                   {16, 16}, {17, 31}, {3, 200}, {40, 40}};
  enum class Fill { random, min, max };
  for (Isa isa : sum_isas()) {
    const ChannelSumsS8Fn fn = channel_sums_s8_for(isa);
    REQUIRE(std::string(channel_sums_s8_name(isa)).find("channel_sums_s8__") == 0);
    for (size_t channels : channel_counts) {
      for (const auto& w : windows) {
        for (Fill fill : {Fill::random, Fill::min, Fill::max}) {
          const size_t gap = rng() % 3 * channels;   // row_stride beyond the row's pixels (a window in an image)
          const size_t row_stride = w.cols * channels + gap;
          std::vector<int8_t> x(w.rows * row_stride);
          for (auto& v : x) v = fill == Fill::min ? int8_t(-128) : fill == Fill::max ? int8_t(127) : int8_t(rng());
          std::vector<int32_t> sums(channels + 16);
          for (auto& s : sums) s = int32_t(rng() % 20001) - 10000;
          std::vector<int64_t> expected(sums.begin(), sums.end());
          for (size_t r = 0; r < w.rows; ++r)
            for (size_t p = 0; p < w.cols; ++p)
              for (size_t c = 0; c < channels; ++c) expected[c] += x[r * row_stride + p * channels + c];
          fn(w.rows, w.cols, channels, x.data(), row_stride, sums.data());
          INFO("isa ", std::string(isa_name(isa)), " channels ", channels, " window ", w.rows, "x", w.cols, " fill ",
               int(fill));
          size_t mismatches = 0;
          for (size_t c = 0; c < sums.size(); ++c) mismatches += int64_t(sums[c]) != expected[c];
          CHECK(mismatches == 0);
        }
      }
    }
  }
}
