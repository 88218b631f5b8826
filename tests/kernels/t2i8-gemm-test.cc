// t2i8 GEMM: every compiled micro-kernel against the reference (bit-exact int32), then the public
// entry points per ISA and thread count. Kernels this CPU cannot run are skipped with a message.
#include <cstdlib>
#include <cstring>

#include "gemm-tester.h"

namespace ternrt_test {

uint32_t test_seed() {
  static const uint32_t seed = [] {
    const char* text = std::getenv("TERNRT_TEST_SEED");
    const uint32_t value = text ? uint32_t(std::strtoul(text, nullptr, 10)) : 20240611u;
    std::printf("t2i8 gemm tests: seed %u (set TERNRT_TEST_SEED to change)\n", value);
    return value;
  }();
  return seed;
}

namespace {

std::vector<const T2I8GemmUkernel*> runnable_t2i8_ukernels() { return runnable_ukernels(t2i8_gemm_ukernels); }

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (isa_supported(isa)) {
      isas.push_back(isa);
    } else {
      MESSAGE((std::string("skipping ISA ") + isa_name(isa) + ": not supported here"));
    }
  }
  return isas;
}

// k below / at / above the 16-byte chunk, the 4-byte group, the 32-byte vector and the int16 block
// (256 for vpmaddubsw, 512 for smlal): none of the awkward ones is a multiple of 4.
const size_t kKValues[] = {1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 255, 256, 257, 511, 512, 513, 1027};

}  // namespace

TEST_CASE("t2i8 ukernels: full tile, every k") {
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    for (size_t k : kKValues) {
      GemmTester().m(ukernel->mr).n(ukernel->nr).k(k).seed(test_seed() + uint32_t(k)).test(*ukernel);
    }
  }
}

TEST_CASE("t2i8 ukernels: m in [1, MR], n in [1, NR], odd strides") {
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    uint32_t case_index = 0;
    for (size_t m = 1; m <= ukernel->mr; ++m) {
      for (size_t n = 1; n <= ukernel->nr; ++n) {
        for (size_t k : {size_t(3), size_t(17), size_t(45), size_t(300)}) {
          GemmTester tester;
          tester.m(m).n(n).k(k).seed(test_seed() + ++case_index);
          tester.test(*ukernel);
          tester.a_stride(k + 7).c_stride(n + 3).test(*ukernel);   // odd strides
        }
      }
    }
  }
}

TEST_CASE("t2i8 ukernels: all-zero and all-+-1 weights, extreme activations, int16 limit +-1") {
  // -128 x +1 fills each vpmaddubsw lane with -512 per step: 64 steps (k = 256) reach -32768 exactly.
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    for (WeightFill weights : {WeightFill::zeros, WeightFill::plus_ones, WeightFill::minus_ones}) {
      for (ActFill acts : {ActFill::min_values, ActFill::max_values, ActFill::random}) {
        for (size_t k : {size_t(255), size_t(256), size_t(257), size_t(511), size_t(512), size_t(513), size_t(4099)}) {
          GemmTester().m(ukernel->mr).n(ukernel->nr).k(k).weights(weights).activations(acts).seed(test_seed()).test(*ukernel);
          GemmTester().m(1).n(ukernel->nr - 1).k(k).weights(weights).activations(acts).seed(test_seed()).test(*ukernel);
        }
      }
    }
  }
}

TEST_CASE("t2i8 ukernels: random sweep") {
  std::mt19937 rng(test_seed());
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    for (int i = 0; i < 200; ++i) {
      const size_t m = 1 + rng() % ukernel->mr, n = 1 + rng() % ukernel->nr, k = 1 + rng() % 700;
      GemmTester().m(m).n(n).k(k).a_stride(k + rng() % 9).c_stride(n + rng() % 5).seed(rng()).test(*ukernel);
    }
  }
}

TEST_CASE("t2i8 ukernels: K in slices (convolution kernel rows read in place)") {
  // Slices of k (a multiple of the layout's chunk) a_slice_stride apart, rows a_stride apart and
  // overlapping as in a stride-1 convolution (a_stride = in_c < k). k around the int16 blocks, the
  // extreme values with all +-1 weights (the widening must hold across slice boundaries), and a
  // random sweep over m, n, slices and strides.
  std::mt19937 rng(test_seed());
  uint32_t case_index = 0;
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    const size_t unit = t2i8_slice_depth_multiple(ukernel->layout);
    const size_t n_max = ukernel->mr == 1 ? 3 * ukernel->nr + 1 : ukernel->nr;
    for (size_t slices : {size_t(1), size_t(2), size_t(3), size_t(7)}) {
      for (size_t k : {unit, 3 * unit, 48 - 48 % unit, 256 - 256 % unit, 512 + unit}) {
        const size_t in_c = k >= 48 ? 16 : unit;   // row stride of a stride-1 convolution
        GemmTester().m(ukernel->mr).n(ukernel->nr).k(k).slices(slices).a_stride(in_c).a_slice_stride(k * 5 + 3)
            .seed(test_seed() + ++case_index).test(*ukernel);
        for (WeightFill weights : {WeightFill::plus_ones, WeightFill::minus_ones}) {
          for (ActFill acts : {ActFill::min_values, ActFill::max_values}) {
            GemmTester().m(ukernel->mr).n(n_max).k(k).slices(slices).weights(weights).activations(acts)
                .seed(test_seed()).test(*ukernel);
          }
        }
      }
    }
    for (int i = 0; i < 60; ++i) {
      const size_t m = 1 + rng() % ukernel->mr, n = 1 + rng() % n_max;
      const size_t k = unit * (1 + rng() % (96 / unit + 2)), slices = 1 + rng() % 5;
      GemmTester().m(m).n(n).k(k).slices(slices).a_stride(1 + rng() % (2 * k)).a_slice_stride(k + rng() % 300)
          .c_stride(n + rng() % 5).seed(rng()).test(*ukernel);
    }
  }
}

TEST_CASE("t2u8 forms: u8 activations, K in whole 16-k chunks, slices, extremes") {
  std::mt19937 rng(test_seed() + 7);
  for (const T2I8GemmUkernel* of :
       check_u8_forms(t2u8_gemm_ukernels, t2i8_gemm_ukernels, "t2u8_gemm_", WeightLayout::code_planes_c4, t2u8_form_of)) {
    const U8FormUkernel* form = t2u8_form_of(*of);
    INFO(form->name);
    if (!isa_supported(of->isa)) {
      MESSAGE((std::string("skipping ") + form->name + ": not supported here"));
      continue;
    }
    for (size_t slices : {size_t(1), size_t(3)}) {
      for (size_t k : {size_t(16), size_t(48), size_t(256), size_t(528)}) {
        for (WeightFill weights : {WeightFill::plus_ones, WeightFill::minus_ones, WeightFill::random}) {
          for (ActFill acts : {ActFill::min_values, ActFill::max_values, ActFill::random}) {
            GemmTester().m(of->mr).n(of->nr).k(k).slices(slices).a_stride(16).weights(weights).activations(acts)
                .flipped_activations(true).seed(test_seed()).test(*of);
          }
        }
      }
    }
    for (int trial = 0; trial < 40; ++trial) {
      const size_t k = 16 * (1 + rng() % 8);
      GemmTester().m(1 + rng() % of->mr).n(1 + rng() % of->nr).k(k).slices(1 + rng() % 4).a_stride(1 + rng() % (2 * k))
          .c_stride(of->nr + rng() % 5).flipped_activations(true).seed(rng()).test(*of);
    }
  }
}

TEST_CASE("t2i8 GEMV ukernels: many tiles per call (every stream count and partial last tile)") {
  // The x86 GEMV kernels run 2-8 tiles as parallel streams and then the remaining 1..7 tiles:
  // n from 1 to 10 tiles + 1 channel covers every group and remainder, with the extreme values
  // and k around the int16 block (avx512bw) as in the single-tile cases.
  uint32_t case_index = 0;
  for (const T2I8GemmUkernel* ukernel : runnable_t2i8_ukernels()) {
    if (ukernel->mr != 1) continue;
    for (size_t n = 1; n <= 10 * ukernel->nr + 1; n += (n % ukernel->nr == 0 || n % ukernel->nr == ukernel->nr - 1) ? 1 : 5) {
      for (size_t k : {size_t(1), size_t(17), size_t(256), size_t(257), size_t(1027)}) {
        GemmTester().m(1).n(n).k(k).c_stride(n + 3).seed(test_seed() + ++case_index).test(*ukernel);
      }
    }
    for (WeightFill weights : {WeightFill::plus_ones, WeightFill::minus_ones}) {
      for (ActFill acts : {ActFill::min_values, ActFill::max_values}) {
        GemmTester().m(1).n(9 * ukernel->nr - 3).k(4099).weights(weights).activations(acts).seed(test_seed()).test(*ukernel);
      }
    }
  }
}

TEST_CASE("t2i8 ukernel list: every GEMM kernel has a GEMV partner sharing its packing") {
  size_t count = 0;
  const T2I8GemmUkernel* all = t2i8_gemm_ukernels(&count);
  REQUIRE(count >= 2);
  for (size_t i = 0; i < count; ++i) {
    INFO(all[i].name);
    const T2I8GemmUkernel* gemm = t2i8_gemm_ukernel_for(all[i].isa, false, all[i].nr, all[i].layout);
    const T2I8GemmUkernel* gemv = t2i8_gemm_ukernel_for(all[i].isa, true, all[i].nr, all[i].layout);
    REQUIRE(gemm != nullptr);
    REQUIRE(gemv != nullptr);
    CHECK(gemv->mr == 1);
    CHECK(gemm->mr > 1);
    CHECK(gemm->vec_cols == gemv->vec_cols);
    CHECK(all[i].vec_cols == gemm->vec_cols);
    if (all[i].layout != WeightLayout::trits_s8_rows) CHECK(all[i].nr % all[i].vec_cols == 0);
    CHECK(std::strstr(all[i].name, "t2i8_gemm_") == all[i].name);
    const std::string name = all[i].name, suffix = std::string("__") + (all[i].isa == Isa::avx512bw ? "avx512bw" : isa_name(all[i].isa));
    CHECK(name.size() > suffix.size());
    CHECK(name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
  }
  // The default (nr = 0) is the widest 2-bit tile of the ISA.
  for (size_t i = 0; i < count; ++i) {
    const T2I8GemmUkernel* widest = t2i8_gemm_ukernel_for(all[i].isa, false);
    REQUIRE(widest != nullptr);
    if (all[i].layout == widest->layout) CHECK(all[i].nr <= widest->nr);
  }
}

TEST_CASE("t2i8_gemm_choose_ukernel: narrow tiles for few channels, u8 layout only for many rows") {
  for (Isa isa : {Isa::avx2, Isa::avx512bw, Isa::avx512vnni}) {
    if (t2i8_gemm_ukernel_for(isa, false) == nullptr) continue;   // not compiled in (ARM build)
    INFO("isa ", std::string(isa_name(isa)));
    const T2I8GemmUkernel* widest = t2i8_gemm_ukernel_for(isa, false);
    const T2I8GemmUkernel* wide_n = t2i8_gemm_choose_ukernel(isa, 4 * widest->nr, 576, PackOptions());
    REQUIRE(wide_n != nullptr);
    CHECK(wide_n->nr == widest->nr);
    CHECK(wide_n->layout == WeightLayout::code_planes_c4);
    const T2I8GemmUkernel* narrow = t2i8_gemm_choose_ukernel(isa, widest->nr / 2, 576, PackOptions());
    REQUIRE(narrow != nullptr);
    CHECK(narrow->nr == widest->nr / 2);   // every x86 family has a half-width tile
    PackOptions many_rows;
    many_rows.rows_hint = 3136;
    CHECK(t2i8_gemm_choose_ukernel(isa, 64, 576, many_rows)->layout == WeightLayout::code_planes_c4);   // not opted in
    many_rows.allow_expanded = true;
    const T2I8GemmUkernel* compute_bound = t2i8_gemm_choose_ukernel(isa, 64, 576, many_rows);
    REQUIRE(compute_bound != nullptr);
    CHECK(compute_bound->layout == (isa == Isa::avx2 ? WeightLayout::codes_u8_c4 : WeightLayout::code_planes_c4));
    PackOptions one_row;
    one_row.rows_hint = 1;
    one_row.allow_expanded = true;
    CHECK(t2i8_gemm_choose_ukernel(isa, 64, 576, one_row)->layout == WeightLayout::code_planes_c4);
  }
}

TEST_CASE("t2i8 activation sums: every ISA equals the definition") {
  std::mt19937 rng(test_seed());
  for (Isa isa : supported_isas()) {
    for (size_t k : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(96), size_t(577), size_t(4099)}) {
      for (ActFill fill : {ActFill::random, ActFill::min_values, ActFill::max_values}) {
        const size_t m = 5, stride = k + 3;
        std::vector<int8_t> a(m * stride);
        for (auto& v : a) v = int8_t(int(rng() % 256) - 128);
        if (fill != ActFill::random) std::fill(a.begin(), a.end(), int8_t(fill == ActFill::min_values ? -128 : 127));
        std::vector<int32_t> expected(m), got(m, 0x5EED);
        for (size_t r = 0; r < m; ++r)
          for (size_t kk = 0; kk < k; ++kk) expected[r] += a[r * stride + kk];
        t2i8_activation_sums_isa(isa, m, k, a.data(), stride, got.data());
        INFO("isa ", std::string(isa_name(isa)), " k ", k);
        CHECK(got == expected);
      }
    }
    // Rows of up to 64 bytes (AVX-512 folds 16 rows per step), back to back and apart, with left-over rows.
    for (size_t k : {size_t(4), size_t(12), size_t(17), size_t(20), size_t(36), size_t(60), size_t(64), size_t(65)}) {
      for (size_t m : {size_t(16), size_t(37)}) {
        for (size_t stride : {k, k + 5}) {
          for (ActFill fill : {ActFill::random, ActFill::min_values, ActFill::max_values}) {
            std::vector<int8_t> a((m - 1) * stride + k);
            for (auto& v : a) v = int8_t(int(rng() % 256) - 128);
            if (fill != ActFill::random) std::fill(a.begin(), a.end(), int8_t(fill == ActFill::min_values ? -128 : 127));
            std::vector<int32_t> expected(m + 4, 0x5EED), got(m + 4, 0x5EED);
            for (size_t r = 0; r < m; ++r) {
              expected[r] = 0;
              for (size_t kk = 0; kk < k; ++kk) expected[r] += a[r * stride + kk];
            }
            t2i8_activation_sums_isa(isa, m, k, a.data(), stride, got.data());
            INFO("isa ", std::string(isa_name(isa)), " k ", k, " m ", m, " stride ", stride);
            CHECK(got == expected);
          }
        }
      }
    }
    // 16-byte rows back to back (a 16-channel image's pixels; AVX-512 sums 16 of them per step), with
    // left-over rows, and the same rows apart.
    for (size_t m : {size_t(5), size_t(16), size_t(33), size_t(48), size_t(71)}) {
      for (size_t stride : {size_t(16), size_t(19)}) {
        for (ActFill fill : {ActFill::random, ActFill::min_values, ActFill::max_values}) {
          std::vector<int8_t> a(m * stride);
          for (auto& v : a) v = int8_t(int(rng() % 256) - 128);
          if (fill != ActFill::random) std::fill(a.begin(), a.end(), int8_t(fill == ActFill::min_values ? -128 : 127));
          std::vector<int32_t> expected(m + 4, 0x5EED), got(m + 4, 0x5EED);
          for (size_t r = 0; r < m; ++r) {
            expected[r] = 0;
            for (size_t kk = 0; kk < 16; ++kk) expected[r] += a[r * stride + kk];
          }
          t2i8_activation_sums_isa(isa, m, 16, a.data(), stride, got.data());
          INFO("isa ", std::string(isa_name(isa)), " k 16, m ", m, " stride ", stride);
          CHECK(got == expected);
        }
      }
    }
  }
}

TEST_CASE("t2i8_gemm_s32: every supported ISA, GEMV and GEMM, many tiles") {
  const struct { size_t m, n, k; } shapes[] = {{1, 1, 1}, {1, 100, 333}, {1, 64, 1024}, {3, 33, 17}, {7, 70, 259},
                                               {17, 65, 576}, {29, 31, 1000}, {64, 64, 64},
                                               // GEMV over more channels than one call takes (512)
                                               {1, 1000, 512}, {1, 1100, 71}};
  for (Isa isa : supported_isas()) {
    uint32_t index = 0;
    for (const auto& s : shapes) {
      GemmTester().m(s.m).n(s.n).k(s.k).seed(test_seed() + ++index).test_gemm(isa);
      GemmTester().m(s.m).n(s.n).k(s.k).a_stride(s.k + 5).c_stride(s.n + 3).seed(test_seed() + ++index).test_gemm(isa);
      // Packed for many rows (the u8 layout where the ISA has one), run through the workspace overload.
      GemmTester().m(s.m).n(s.n).k(s.k).rows_hint(1000).workspace(true).seed(test_seed() + ++index).test_gemm(isa);
    }
  }
}

TEST_CASE("t2i8_gemm_s32: 1, 2 and 3 threads give identical output") {
  for (Isa isa : supported_isas()) for (size_t m : {size_t(37), size_t(1)}) {
    GemmTester tester;
    tester.m(m).n(m == 1 ? 1000 : 77).k(300).seed(test_seed());
    std::vector<int8_t> weights, a;
    tester.make_inputs(&weights, &a);
    const std::vector<uint8_t> codes = tester.codes_of(weights);
    const std::vector<int32_t> expected = tester.reference(weights, a);
    for (size_t threads : {0, 1, 2, 3}) {
      INFO("isa ", std::string(isa_name(isa)), " threads ", threads);
      CHECK(tester.threads(threads).rows_hint(0).run_s32(isa, weights, a) == expected);
      CHECK(tester.threads(threads).rows_hint(1000).workspace(true).run_s32(isa, weights, a) == expected);
    }
  }
}

TEST_CASE("t2i8_gemm_f32: epilogue bit-identical across ISAs and threads, and equal to its formula") {
  // A GEMM and a GEMV over more channels than one GEMV call takes.
  const size_t shapes[][3] = {{13, 45, 301}, {1, 1100, 301}};
  for (const auto& shape : shapes) {
  const size_t m = shape[0], n = shape[1], k = shape[2];
  GemmTester tester;
  tester.m(m).n(n).k(k).seed(test_seed());
  std::vector<int8_t> weights, a;
  tester.make_inputs(&weights, &a);
  const std::vector<uint8_t> codes = tester.codes_of(weights);
  const std::vector<int32_t> dot = tester.reference(weights, a);
  std::mt19937 rng(test_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> channel_scale(n), bias(n);
  for (size_t j = 0; j < n; ++j) {
    channel_scale[j] = 0.01f + 0.1f * std::abs(dist(rng));
    bias[j] = dist(rng);
  }
  const float a_scale = 0.0173f, out_min = -3.0f, out_max = 2.5f;
  const int32_t a_zero_point = -17;
  const size_t row_bytes = (k + 3) / 4;
  std::vector<float> expected(m * n);
  for (size_t j = 0; j < n; ++j) {
    int32_t t_sum = 0;
    for (size_t kk = 0; kk < k; ++kk) t_sum += int((codes[j * row_bytes + kk / 4] >> (2 * (kk % 4))) & 3) - 1;
    for (size_t r = 0; r < m; ++r) {
      const int32_t acc = dot[r * n + j] - a_zero_point * t_sum;
      volatile float product = float(acc) * (channel_scale[j] * a_scale);   // volatile: no contraction
      const float y = product + bias[j];
      expected[r * n + j] = std::min(std::max(y, out_min), out_max);
    }
  }
  for (Isa isa : supported_isas()) {
    auto w = PackedTernaryWeights::pack(codes.data(), n, k, isa);
    REQUIRE(w != nullptr);
    for (size_t t = 0; t < n; ++t) {
      int32_t t_sum = 0;
      for (size_t kk = 0; kk < k; ++kk) t_sum += int((codes[t * row_bytes + kk / 4] >> (2 * (kk % 4))) & 3) - 1;
      CHECK(w->row_sums()[t] == t_sum);
    }
    for (size_t threads : {0, 2, 3}) {
      INFO("isa ", std::string(isa_name(isa)), " threads ", threads);
      pthreadpool_t pool = threads ? pthreadpool_create(threads) : nullptr;
      const size_t c_stride = n + 1;
      std::vector<float> c(m * c_stride, 12345.0f);
      t2i8_gemm_f32(*w, m, a.data(), k, a_scale, a_zero_point, channel_scale.data(), bias.data(), out_min, out_max,
                    c.data(), c_stride, pool);
      if (pool) pthreadpool_destroy(pool);
      size_t mismatches = 0;
      for (size_t r = 0; r < m; ++r) {
        for (size_t j = 0; j < n; ++j) {
          if (std::memcmp(&c[r * c_stride + j], &expected[r * n + j], sizeof(float)) != 0 && ++mismatches <= 3) {
            FAIL_CHECK("row ", r, " col ", j, ": got ", c[r * c_stride + j], " expected ", expected[r * n + j]);
          }
        }
        CHECK(c[r * c_stride + n] == 12345.0f);   // stride gap untouched
      }
      CHECK(mismatches == 0);
      // Null bias means zero bias.
      std::vector<float> c_nobias(m * n);
      t2i8_gemm_f32(*w, m, a.data(), k, a_scale, a_zero_point, channel_scale.data(), nullptr, -1e30f, 1e30f,
                    c_nobias.data(), n, nullptr);
      volatile float product = float(dot[0] - a_zero_point * w->row_sums()[0]) * (channel_scale[0] * a_scale);
      CHECK(c_nobias[0] == product + 0.0f);
    }
  }
  }
}

TEST_CASE("PackedTernaryWeights: metadata") {
  const size_t n = 40, k = 70;
  std::vector<uint8_t> codes(n * ((k + 3) / 4), 0x55);   // all trits 0
  for (Isa isa : supported_isas()) {
    auto w = PackedTernaryWeights::pack(codes.data(), n, k, isa);
    REQUIRE(w != nullptr);
    CHECK(w->n() == n);
    CHECK(w->k() == k);
    CHECK(w->isa() == isa);
    CHECK(std::strstr(w->kernel_name(), isa_name(isa)) != nullptr);
    CHECK(w->packed_bytes() >= n * k / 4);
    for (size_t j = 0; j < n; ++j) CHECK(w->row_sums()[j] == 0);
  }
  // Zero rows (m == 0) write nothing.
  auto w = PackedTernaryWeights::pack(codes.data(), n, k, default_isa());
  int32_t untouched = 7;
  int8_t a_row[k + 16] = {};
  t2i8_gemm_s32(*w, 0, a_row, k, &untouched, n, nullptr);
  CHECK(untouched == 7);
}

}  // namespace ternrt_test
