// Builder-style tester for the t2i8 GEMM micro-kernels and the public t2i8_gemm_* entry points:
//   GemmTester().m(3).n(17).k(129).test(ukernel);
// slices(q) splits K into q slices of k each, read a_slice_stride bytes apart (how a convolution
// reads kernel rows from the image in place): the micro-kernel then multiplies K = q * k.
// The reference is written here from the definition (int32 loops over the weights), not taken
// from the library. Padding bytes of A (past k) are random, so a kernel that lets them leak fails.
// int8_weights(true) tests the i8i8 kernels / PackedTernaryWeights::pack_s8: weights in
// [-127, 127], and the fills plus_ones / minus_ones mean +127 / -127 (the extremes).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt_test {

using namespace ternrt::kernels;

// The int8 epilogues written out from t2i8-gemm.h, independent of the library's rounding.
// Round half to even, independent of the rounding mode and of lrintf.
inline float round_half_even(float y) {
  const float down = std::floor(y), diff = y - down;   // exact for |y| < 2^23
  if (diff > 0.5f) return down + 1.0f;
  if (diff < 0.5f) return down;
  return std::fmod(down, 2.0f) == 0.0f ? down : down + 1.0f;
}

// One element of t2i8_gemm_s8, in the documented operation order (one fused multiply-add).
inline int8_t requantize(int32_t acc_minus_correction, float multiplier, float offset, int8_t out_min, int8_t out_max) {
  float y = std::fma(float(acc_minus_correction), multiplier, offset);
  if (!(y > float(out_min))) y = float(out_min);   // NaN -> out_min
  if (!(y < float(out_max))) y = float(out_max);
  return int8_t(round_half_even(y));
}

// One element of t2i8_gemm_residual_s8: the residual's value r joins in one more fma before the clamps.
inline int8_t residual_requantize(int32_t x, float multiplier, float offset, int8_t r, int32_t r_zero_point,
                                  float r_multiplier, int8_t out_min, int8_t out_max) {
  float y = std::fma(float(x), multiplier, offset);
  y = std::fma(float(int32_t(r) - r_zero_point), r_multiplier, y);
  if (!(y > float(out_min))) y = float(out_min);   // NaN -> out_min
  if (!(y < float(out_max))) y = float(out_max);
  return int8_t(round_half_even(y));
}

// One element of t2i8_gemm_hardswish_s8 (offset without the zero point, slope = out_scale / 6).
inline int8_t hswish_requantize(int32_t x, float multiplier, float offset, float slope, float zero_point, int8_t lo,
                                int8_t hi) {
  const float u = std::fma(float(x), multiplier, offset);
  float g = std::fma(u, slope, 0.5f);
  if (!(g > 0.0f)) g = 0.0f;   // NaN -> 0
  if (!(g < 1.0f)) g = 1.0f;
  float y = std::fma(u, g, zero_point);
  if (!(y > float(lo))) y = float(lo);   // NaN -> lo
  if (!(y < float(hi))) y = float(hi);
  return int8_t(round_half_even(y));
}

enum class WeightFill { random, zeros, plus_ones, minus_ones };
enum class ActFill { random, min_values, max_values };

// A list of u8-activation forms (u8i8-gemm.inc, t2u8-gemm.inc): each is named `prefix`..., is the
// form of one GEMM kernel (mr > 1) of `bases` with the same tile and ISA (the name after the
// 4-character type) and the given layout, and `form_of` finds it. Returns those base kernels.
inline std::vector<const T2I8GemmUkernel*> check_u8_forms(const U8FormUkernel* (*list)(size_t*),
                                                          const T2I8GemmUkernel* (*bases)(size_t*), const char* prefix,
                                                          WeightLayout layout,
                                                          const U8FormUkernel* (*form_of)(const T2I8GemmUkernel&)) {
  size_t count = 0, base_count = 0;
  const U8FormUkernel* forms = list(&count);
  const T2I8GemmUkernel* all = bases(&base_count);
  std::vector<const T2I8GemmUkernel*> found;
  for (size_t i = 0; i < count; ++i) {
    INFO(forms[i].name);
    CHECK(std::strstr(forms[i].name, prefix) == forms[i].name);
    CHECK(std::strcmp(forms[i].name + 4, forms[i].base_name + 4) == 0);   // same tile and ISA
    const T2I8GemmUkernel* of = nullptr;
    for (size_t j = 0; j < base_count; ++j) {
      if (all[j].fn == forms[i].base) of = &all[j];
    }
    REQUIRE(of != nullptr);
    CHECK(std::strcmp(of->name, forms[i].base_name) == 0);
    CHECK(of->mr > 1);
    CHECK(of->layout == layout);
    CHECK(form_of(*of) == &forms[i]);
    found.push_back(of);
  }
  return found;
}

class GemmTester {
 public:
  GemmTester& m(size_t v) { m_ = v; return *this; }
  GemmTester& n(size_t v) { n_ = v; return *this; }
  GemmTester& k(size_t v) { k_ = v; return *this; }
  GemmTester& a_stride(size_t v) { a_stride_ = v; return *this; }
  GemmTester& c_stride(size_t v) { c_stride_ = v; return *this; }
  GemmTester& slices(size_t v) { slices_ = v; return *this; }
  GemmTester& a_slice_stride(size_t v) { a_slice_stride_ = v; return *this; }
  GemmTester& weights(WeightFill v) { weights_ = v; return *this; }
  GemmTester& activations(ActFill v) { acts_ = v; return *this; }
  GemmTester& seed(uint32_t v) { seed_ = v; return *this; }
  GemmTester& threads(size_t v) { threads_ = v; return *this; }
  // Public-API runs: PackOptions::rows_hint (with allow_expanded when set), and the caller-workspace overload instead of the
  // convenience one (the workspace is filled with junk first: it must be scratch only).
  GemmTester& rows_hint(size_t v) { rows_hint_ = v; return *this; }
  GemmTester& workspace(bool v) { workspace_ = v; return *this; }
  GemmTester& int8_weights(bool v) { int8_ = v; return *this; }
  // test(ukernel) calls the kernel's u8-activation form (u8i8-gemm.inc, or t2u8-gemm.inc for a ternary
  // kernel) on A with every byte XORed with 0x80, against the reference on A (for t2u8, which sums
  // t * (a + 128), plus 128 * sum t).
  GemmTester& flipped_activations(bool v) { flipped_ = v; return *this; }

  size_t get_a_stride() const { return a_stride_ ? a_stride_ : k_; }
  size_t get_c_stride() const { return c_stride_ ? c_stride_ : n_; }
  // Default: the slices one after the other with a 5-byte gap of random bytes between them.
  size_t get_a_slice_stride() const {
    return a_slice_stride_ ? a_slice_stride_ : (m_ ? m_ - 1 : 0) * get_a_stride() + k_ + 5;
  }
  size_t total_k() const { return slices_ * k_; }

  std::string describe() const {
    char text[200];
    std::snprintf(text, sizeof(text),
                  "m=%zu n=%zu k=%zu slices=%zu a_stride=%zu a_slice_stride=%zu c_stride=%zu weights=%d acts=%d seed=%u",
                  m_, n_, k_, slices_, get_a_stride(), get_a_slice_stride(), get_c_stride(), int(weights_), int(acts_),
                  seed_);
    return text;
  }

  // Inputs: the weights (N rows of K values) and A (m rows of slices + 16 readable bytes).
  void make_inputs(std::vector<int8_t>* weights, std::vector<int8_t>* a) const {
    std::mt19937 rng(seed_);
    const size_t k_total = total_k();
    const int extreme = int8_ ? 127 : 1;
    weights->assign(n_ * k_total, 0);
    for (int8_t& w : *weights) {
      switch (weights_) {
        case WeightFill::random: w = int8_t(int8_ ? int(rng() % 255) - 127 : int(rng() % 3) - 1); break;
        case WeightFill::zeros: w = 0; break;
        case WeightFill::plus_ones: w = int8_t(extreme); break;
        case WeightFill::minus_ones: w = int8_t(-extreme); break;
      }
    }
    a->resize((m_ ? m_ - 1 : 0) * get_a_stride() + (slices_ - 1) * get_a_slice_stride() + k_ + 16);
    for (auto& v : *a) v = int8_t(int(rng() % 256) - 128);   // also the padding: must not leak
    for (size_t r = 0; r < m_; ++r) {
      for (size_t q = 0; q < slices_; ++q) {
        for (size_t kk = 0; kk < k_; ++kk) {
          int8_t& v = (*a)[a_index(r, q, kk)];
          if (acts_ == ActFill::min_values) v = -128;
          if (acts_ == ActFill::max_values) v = 127;
        }
      }
    }
  }

  // Canonical 2-bit codes (N rows of (K+3)/4 bytes) of ternary weights.
  std::vector<uint8_t> codes_of(const std::vector<int8_t>& weights) const {
    const size_t k_total = total_k(), row_bytes = (k_total + 3) / 4;
    std::vector<uint8_t> codes(n_ * row_bytes, 0);
    for (size_t j = 0; j < n_; ++j) {
      for (size_t kk = 0; kk < row_bytes * 4; ++kk) {
        const int t = kk < k_total ? weights[j * k_total + kk] : 0;
        codes[j * row_bytes + kk / 4] |= uint8_t((t + 1) << (2 * (kk % 4)));
      }
    }
    return codes;
  }

  size_t a_index(size_t r, size_t q, size_t kk) const { return r * get_a_stride() + q * get_a_slice_stride() + kk; }

  // c[r][j] = sum_q sum_k w[j][q * k + kk] * a[r][q][kk], from the definition.
  std::vector<int32_t> reference(const std::vector<int8_t>& weights, const std::vector<int8_t>& a) const {
    std::vector<int32_t> c(m_ * n_);
    for (size_t r = 0; r < m_; ++r) {
      for (size_t j = 0; j < n_; ++j) {
        int64_t acc = 0;
        for (size_t q = 0; q < slices_; ++q) {
          for (size_t kk = 0; kk < k_; ++kk) acc += int64_t(weights[j * total_k() + q * k_ + kk]) * a[a_index(r, q, kk)];
        }
        c[r * n_ + j] = int32_t(acc);
      }
    }
    return c;
  }

  // One micro-kernel call on one tile (m <= mr, n <= nr), or for GEMV kernels (mr == 1) on any n
  // (consecutive tiles in one call).
  void test(const T2I8GemmUkernel& ukernel) const {
    const U8FormUkernel* u8_form = flipped_ && int8_ ? u8i8_form_of(ukernel) : nullptr;
    const U8FormUkernel* t2u8_form = flipped_ && !int8_ ? t2u8_form_of(ukernel) : nullptr;
    if (flipped_) REQUIRE((u8_form != nullptr || t2u8_form != nullptr));
    const T2I8GemmUkernelFn flipped_fn = u8_form ? u8_form->fn : t2u8_form ? t2u8_form->fn : nullptr;
    INFO(std::string(u8_form ? u8_form->name : t2u8_form ? t2u8_form->name : ukernel.name), " ", describe());
    REQUIRE(m_ <= ukernel.mr);
    if (ukernel.mr != 1) REQUIRE(n_ <= ukernel.nr);
    REQUIRE(layout_is_int8(ukernel.layout) == int8_);
    std::vector<int8_t> weights, a;
    make_inputs(&weights, &a);
    if (slices_ > 1) REQUIRE(k_ % t2i8_slice_depth_multiple(ukernel.layout) == 0);
    std::vector<uint8_t> packed(t2i8_packed_bytes(ukernel, n_, total_k()) + 1);
    packed.back() = 0xA5;   // sentinel: packing must not write past its size
    if (int8_) {
      i8i8_pack_weights(ukernel, weights.data(), n_, total_k(), packed.data());
    } else {
      t2i8_pack_weights(ukernel, codes_of(weights).data(), n_, total_k(), packed.data());
    }
    CHECK(packed.back() == 0xA5);
    std::vector<int32_t> a_sums(m_, 0), slice_sums(m_);
    for (size_t q = 0; q < slices_; ++q) {
      t2i8_activation_sums(m_, k_, a.data() + a_index(0, q, 0), get_a_stride(), slice_sums.data());
      for (size_t r = 0; r < m_; ++r) a_sums[r] += slice_sums[r];
    }
    const size_t c_stride = get_c_stride();
    const int32_t sentinel = 0x5EED5EED;
    std::vector<int32_t> c(m_ * c_stride + 8, sentinel);
    // Kernels of layouts without activation sums get none: they must not read them.
    const int32_t* sums = layout_uses_activation_sums(ukernel.layout) ? a_sums.data() : nullptr;
    if (flipped_fn) {
      std::vector<int8_t> flipped(a.size());
      for (size_t i = 0; i < a.size(); ++i) flipped[i] = int8_t(a[i] ^ 0x80);
      flipped_fn(m_, n_, k_, slices_, flipped.data(), get_a_stride(), get_a_slice_stride(), packed.data(),
                 t2u8_form ? nullptr : sums, c.data(), c_stride);   // t2u8 forms must not read sums
    } else {
      ukernel.fn(m_, n_, k_, slices_, a.data(), get_a_stride(), get_a_slice_stride(), packed.data(), sums, c.data(),
                 c_stride);
    }
    std::vector<int32_t> expected = reference(weights, a);
    if (t2u8_form) {
      for (size_t j = 0; j < n_; ++j) {
        int32_t t_sum = 0;
        for (size_t kk = 0; kk < total_k(); ++kk) t_sum += weights[j * total_k() + kk];
        for (size_t r = 0; r < m_; ++r) expected[r * n_ + j] += 128 * t_sum;
      }
    }
    size_t mismatches = 0, overwritten = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      const size_t r = i / c_stride, j = i % c_stride;
      if (r < m_ && j < n_) {
        if (c[i] != expected[r * n_ + j] && ++mismatches <= 3) {
          FAIL_CHECK("row ", r, " col ", j, ": got ", c[i], " expected ", expected[r * n_ + j]);
        }
      } else if (c[i] != sentinel) {
        ++overwritten;   // outside the mr x nc outputs
      }
    }
    CHECK(overwritten == 0);
    CHECK(mismatches == 0);
  }

  // The public API: t2i8_gemm_s32 for isa with threads_ threads (0 = no pool).
  std::vector<int32_t> run_s32(Isa isa, const std::vector<int8_t>& weights, const std::vector<int8_t>& a,
                               std::string* kernel_name = nullptr) const {
    REQUIRE(slices_ == 1);   // the public GEMM takes one contiguous K
    PackOptions options;
    options.rows_hint = rows_hint_;
    options.allow_expanded = rows_hint_ != 0;
    auto w = int8_ ? PackedTernaryWeights::pack_s8(weights.data(), n_, k_, isa)
                   : PackedTernaryWeights::pack(codes_of(weights).data(), n_, k_, isa, options);
    REQUIRE(w != nullptr);
    CHECK(w->isa() == isa);
    if (kernel_name) *kernel_name = w->kernel_name();
    INFO("kernel ", std::string(w->kernel_name()));
    pthreadpool_t pool = threads_ ? pthreadpool_create(threads_) : nullptr;
    const size_t c_stride = get_c_stride();
    std::vector<int32_t> c(m_ * c_stride, 0x5EED5EED);
    if (workspace_) {
      std::vector<int32_t> scratch(t2i8_gemm_workspace_bytes(*w, m_) / sizeof(int32_t) + 1, 0x7A7A7A7A);
      t2i8_gemm_s32(*w, m_, a.data(), get_a_stride(), c.data(), c_stride, pool, scratch.data());
    } else {
      t2i8_gemm_s32(*w, m_, a.data(), get_a_stride(), c.data(), c_stride, pool);
    }
    if (pool) pthreadpool_destroy(pool);
    std::vector<int32_t> dense(m_ * n_);
    for (size_t r = 0; r < m_; ++r)
      for (size_t j = 0; j < n_; ++j) dense[r * n_ + j] = c[r * c_stride + j];
    return dense;
  }

  void test_gemm(Isa isa) const {
    INFO("isa ", std::string(isa_name(isa)), " threads ", threads_, " ", describe());
    std::vector<int8_t> weights, a;
    make_inputs(&weights, &a);
    const std::vector<int32_t> got = run_s32(isa, weights, a);
    const std::vector<int32_t> expected = reference(weights, a);
    size_t mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] != expected[i] && ++mismatches <= 3) {
        FAIL_CHECK("element ", i, " (row ", i / n_, " col ", i % n_, "): got ", got[i], " expected ", expected[i]);
      }
    }
    CHECK(mismatches == 0);
  }

 private:
  size_t m_ = 1, n_ = 1, k_ = 1, a_stride_ = 0, c_stride_ = 0, threads_ = 0, rows_hint_ = 0;
  size_t slices_ = 1, a_slice_stride_ = 0;
  bool workspace_ = false, int8_ = false, flipped_ = false;
  WeightFill weights_ = WeightFill::random;
  ActFill acts_ = ActFill::random;
  uint32_t seed_ = 1;
};

// The kernels of a list (t2i8_gemm_ukernels or i8i8_gemm_ukernels) this CPU runs; the others are
// reported as skipped.
inline std::vector<const T2I8GemmUkernel*> runnable_ukernels(const T2I8GemmUkernel* (*list)(size_t*)) {
  size_t count = 0;
  const T2I8GemmUkernel* all = list(&count);
  std::vector<const T2I8GemmUkernel*> runnable;
  for (size_t i = 0; i < count; ++i) {
    if (isa_supported(all[i].isa)) {
      runnable.push_back(&all[i]);
    } else {
      MESSAGE((std::string("skipping ") + all[i].name + ": " + isa_name(all[i].isa) + " not supported on this CPU"));
    }
  }
  return runnable;
}

// Seeds: fixed by default, or from TERNRT_TEST_SEED; printed so failures can be replayed.
uint32_t test_seed();

}  // namespace ternrt_test
