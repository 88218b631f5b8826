// i8i8 GEMM (int8 weights x int8 activations, PackedTernaryWeights::pack_s8): every compiled
// micro-kernel against the definition (bit-exact int32), including the extremes (weights +-127,
// activations -128 / 127) around the int16 blocks of the nibble kernels, K in slices, and GEMV over
// many tiles; then the public entry points per ISA and thread count. Kernels this CPU cannot run
// are skipped with a message.
#include <cstring>

#include "gemm-tester.h"

namespace ternrt_test {

namespace {

// Every runnable i8i8 kernel, and again through its u8-activation form where it has one.
struct Variant {
  const T2I8GemmUkernel* kernel;
  bool flipped;
};
std::vector<Variant> runnable_i8i8_variants() {
  std::vector<Variant> variants;
  for (const T2I8GemmUkernel* ukernel : runnable_ukernels(i8i8_gemm_ukernels)) {
    variants.push_back({ukernel, false});
    if (u8i8_form_of(*ukernel) != nullptr) variants.push_back({ukernel, true});
  }
  return variants;
}

GemmTester int8_tester(const Variant& v) { return GemmTester().int8_weights(true).flipped_activations(v.flipped); }
GemmTester int8_tester() { return GemmTester().int8_weights(true); }

// k around the 4-byte step, the 8-step int16 block of the nibble kernels (32 bytes) and beyond;
// most not a multiple of 4.
const size_t kKValues[] = {1, 2, 3, 4, 5, 7, 27, 28, 31, 32, 33, 36, 63, 64, 65, 147, 255, 257, 1027};

}  // namespace

TEST_CASE("i8i8 ukernels: full tile, every k, extreme values") {
  for (const Variant& v : runnable_i8i8_variants()) {
    const T2I8GemmUkernel* ukernel = v.kernel;
    for (size_t k : kKValues) {
      int8_tester(v).m(ukernel->mr).n(ukernel->nr).k(k).seed(test_seed() + uint32_t(k)).test(*ukernel);
      for (WeightFill weights : {WeightFill::plus_ones, WeightFill::minus_ones, WeightFill::zeros}) {
        for (ActFill acts : {ActFill::min_values, ActFill::max_values}) {
          int8_tester(v).m(ukernel->mr).n(ukernel->nr).k(k).weights(weights).activations(acts).seed(test_seed()).test(*ukernel);
        }
      }
    }
  }
}

TEST_CASE("i8i8 ukernels: m in [1, MR], n in [1, NR], odd strides, random sweep") {
  std::mt19937 rng(test_seed());
  for (const Variant& v : runnable_i8i8_variants()) {
    const T2I8GemmUkernel* ukernel = v.kernel;
    uint32_t case_index = 0;
    for (size_t m = 1; m <= ukernel->mr; ++m) {
      for (size_t n = 1; n <= ukernel->nr; ++n) {
        for (size_t k : {size_t(3), size_t(27), size_t(45)}) {
          GemmTester tester = int8_tester(v);
          tester.m(m).n(n).k(k).seed(test_seed() + ++case_index).test(*ukernel);
          tester.a_stride(k + 7).c_stride(n + 3).test(*ukernel);
        }
      }
    }
    for (int i = 0; i < 100; ++i) {
      const size_t m = 1 + rng() % ukernel->mr, n = 1 + rng() % ukernel->nr, k = 1 + rng() % 400;
      int8_tester(v).m(m).n(n).k(k).a_stride(k + rng() % 9).c_stride(n + rng() % 5).seed(rng()).test(*ukernel);
    }
  }
}

TEST_CASE("i8i8 ukernels: K in slices and GEMV over many tiles") {
  std::mt19937 rng(test_seed());
  uint32_t case_index = 0;
  for (const Variant& v : runnable_i8i8_variants()) {
    const T2I8GemmUkernel* ukernel = v.kernel;
    const size_t unit = t2i8_slice_depth_multiple(ukernel->layout);
    const size_t n_max = ukernel->mr == 1 ? 3 * ukernel->nr + 1 : ukernel->nr;
    for (size_t slices : {size_t(2), size_t(3), size_t(7)}) {
      for (size_t k : {unit, 3 * unit, 12 - 12 % unit, size_t(32), size_t(36), size_t(196)}) {
        int8_tester(v).m(ukernel->mr).n(ukernel->nr).k(k).slices(slices).a_stride(3).a_slice_stride(k * 5 + 3)
            .seed(test_seed() + ++case_index).test(*ukernel);
        for (WeightFill weights : {WeightFill::plus_ones, WeightFill::minus_ones}) {
          for (ActFill acts : {ActFill::min_values, ActFill::max_values}) {
            int8_tester(v).m(ukernel->mr).n(n_max).k(k).slices(slices).weights(weights).activations(acts)
                .seed(test_seed()).test(*ukernel);
          }
        }
      }
    }
    for (int i = 0; i < 40; ++i) {
      const size_t m = 1 + rng() % ukernel->mr, n = 1 + rng() % n_max;
      const size_t k = unit * (1 + rng() % 30), slices = 1 + rng() % 5;
      int8_tester(v).m(m).n(n).k(k).slices(slices).a_stride(1 + rng() % (2 * k)).a_slice_stride(k + rng() % 300)
          .c_stride(n + rng() % 5).seed(rng()).test(*ukernel);
    }
    if (ukernel->mr == 1) {
      for (size_t n = 1; n <= 5 * ukernel->nr + 1; n += 3) {
        int8_tester(v).m(1).n(n).k(37).c_stride(n + 3).seed(test_seed() + ++case_index).test(*ukernel);
      }
    }
  }
}

TEST_CASE("i8i8 ukernel list: every ISA has one int8 layout, every GEMM kernel a GEMV partner") {
  size_t count = 0;
  const T2I8GemmUkernel* all = i8i8_gemm_ukernels(&count);
  REQUIRE(count >= 2);
  for (size_t i = 0; i < count; ++i) {
    INFO(all[i].name);
    CHECK(layout_is_int8(all[i].layout));
    CHECK(std::strstr(all[i].name, "i8i8_gemm_") == all[i].name);
    CHECK(i8i8_gemm_ukernel_for(all[i].isa, true, all[i].nr, all[i].layout) != nullptr);
    CHECK(i8i8_gemm_ukernel_for(all[i].isa, false, all[i].nr, all[i].layout) != nullptr);
    const T2I8GemmUkernel* chosen = i8i8_gemm_choose_ukernel(all[i].isa, 64);
    REQUIRE(chosen != nullptr);
    CHECK(chosen->layout == all[i].layout);
  }
  size_t ternary_count = 0;
  const T2I8GemmUkernel* ternary = t2i8_gemm_ukernels(&ternary_count);
  for (size_t i = 0; i < ternary_count; ++i) CHECK(!layout_is_int8(ternary[i].layout));
}

TEST_CASE("u8i8 forms: each belongs to one listed GEMM kernel of a layout whose kernels flip") {
  check_u8_forms(u8i8_gemm_ukernels, i8i8_gemm_ukernels, "u8i8_gemm_", WeightLayout::s8_c4_wsums, u8i8_form_of);
}

TEST_CASE("pack_s8 + t2i8_gemm_s32: every supported ISA, threads, GEMV and GEMM") {
  const struct { size_t m, n, k; } shapes[] = {{1, 1, 1}, {1, 100, 333}, {3, 33, 17}, {7, 70, 259}, {37, 16, 27}, {64, 64, 147}};
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) {
      MESSAGE((std::string("skipping ISA ") + isa_name(isa) + ": not supported here"));
      continue;
    }
    for (const auto& s : shapes) {
      for (size_t threads : {0, 2}) {
        int8_tester().m(s.m).n(s.n).k(s.k).threads(threads).seed(test_seed()).test_gemm(isa);
        int8_tester().m(s.m).n(s.n).k(s.k).threads(threads).workspace(true).weights(WeightFill::minus_ones)
            .activations(ActFill::min_values).seed(test_seed()).test_gemm(isa);
      }
    }
  }
}

TEST_CASE("pack_s8: kernel names, row sums, -128 refused") {
  const size_t n = 20, k = 30;
  std::vector<int8_t> w(n * k);
  std::mt19937 rng(test_seed());
  for (auto& v : w) v = int8_t(int(rng() % 255) - 127);
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) continue;
    auto packed = PackedTernaryWeights::pack_s8(w.data(), n, k, isa);
    REQUIRE(packed != nullptr);
    CHECK(packed->isa() == isa);
    CHECK(std::strstr(packed->kernel_name(), "i8i8_gemm_") == packed->kernel_name());
    for (size_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (size_t kk = 0; kk < k; ++kk) sum += w[j * k + kk];
      CHECK(packed->row_sums()[j] == sum);
    }
    std::vector<int8_t> bad = w;
    bad[n * k - 1] = -128;
    CHECK(PackedTernaryWeights::pack_s8(bad.data(), n, k, isa) == nullptr);
  }
}

}  // namespace ternrt_test
