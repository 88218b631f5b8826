// T2I8Conv (convolution read in place from the image) against im2col_s8 + t2i8_gemm_s8 / _f32 (and the
// HardSwish and residual forms) from
// the library: bit-identical on every supported ISA (ternary and int8 weights; int8 ones also from a
// flipped image through the u8i8 kernel forms; padded ternary layers on VNNI through the t2u8 forms), random geometries (strides, vertical dilation,
// padding on every side, pixels with partial taps), zero points at the ends, 0 and 2 threads. The
// im2col + GEMM path itself is tested against definitions in im2col-test.cc and t2i8-gemm*-test.cc.
#include <algorithm>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "gemm-tester.h"
#include "ternrt/kernels/im2col.h"
#include "ternrt/kernels/t2i8-conv.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt_test {

namespace {

size_t out_size(size_t in, size_t kernel, size_t stride, size_t dilation, size_t pad_before, size_t pad_after) {
  const size_t span = dilation * (kernel - 1) + 1;
  return (in + pad_before + pad_after - span) / stride + 1;
}

std::vector<uint8_t> random_codes(std::mt19937& rng, size_t n, size_t k) {
  const size_t row_bytes = (k + 3) / 4;
  std::vector<uint8_t> codes(n * row_bytes, 0);
  for (size_t j = 0; j < n; ++j)
    for (size_t kk = 0; kk < k; ++kk) codes[j * row_bytes + kk / 4] |= uint8_t((rng() % 3) << (2 * (kk % 4)));
  return codes;
}

}  // namespace

TEST_CASE("T2I8Conv equals im2col + t2i8_gemm on every ISA, bit for bit") {
  std::mt19937 rng(test_seed());
  pthreadpool_t pool = pthreadpool_create(2);
  int tested = 0;
  for (int trial = 0; trial < 120; ++trial) {
    Im2colGeometry g{};
    g.batch = 1 + rng() % 2;
    // Every fourth trial has short kernel rows (4 or 8 channels, e.g. a stem on channel-padded
    // pixels), which only the layouts without activation sums run in place.
    const bool short_rows = trial % 4 == 3;
    g.in_c = short_rows ? 4 * (1 + rng() % 2) : 16 * (1 + rng() % 3);
    g.kernel_h = 1 + rng() % 4;
    g.kernel_w = short_rows ? 1 + rng() % 7
                            : std::max<size_t>((48 + g.in_c - 1) / g.in_c, 1 + rng() % 4);   // rows of >= 48 bytes
    g.stride_h = 1 + rng() % 2;
    g.stride_w = 1 + rng() % 3;
    g.dilation_h = 1 + rng() % 2;
    g.dilation_w = 1;
    g.pad_top = rng() % g.kernel_h;
    g.pad_left = rng() % g.kernel_w;
    const size_t pad_bottom = rng() % g.kernel_h, pad_right = rng() % g.kernel_w;
    g.in_h = g.dilation_h * (g.kernel_h - 1) + 1 + rng() % 7;
    g.in_w = g.kernel_w + rng() % 12 + (trial % 8 == 5 ? 40 : 0);   // some rows of several 32-pixel tasks
    g.out_h = out_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, pad_bottom);
    g.out_w = out_size(g.in_w, g.kernel_w, g.stride_w, 1, g.pad_left, pad_right);
    const size_t n = 1 + rng() % 70, k = g.kernel_h * g.kernel_w * g.in_c, m = g.batch * g.out_h * g.out_w;
    const std::vector<uint8_t> codes = random_codes(rng, n, k);
    std::vector<int8_t> int8_weights(n * k);   // the same convolution with int8 weights (pack_s8)
    for (auto& v : int8_weights) v = int8_t(int(rng() % 255) - 127);
    std::vector<int8_t> image(g.batch * g.in_h * g.in_w * g.in_c + 64);
    const int extremes = trial % 4;   // 0: random, 1: all -128, 2: all 127, 3: random
    for (auto& v : image) v = extremes == 1 ? int8_t(-128) : extremes == 2 ? int8_t(127) : int8_t(int(rng() % 256) - 128);
    const int32_t zp = trial % 5 == 0 ? -128 : trial % 5 == 1 ? 127 : int32_t(rng() % 256) - 128;
    std::vector<float> scale(n), bias(n);
    for (size_t j = 0; j < n; ++j) {
      scale[j] = 0.01f + 0.001f * float(rng() % 100);
      bias[j] = -0.5f + 0.01f * float(rng() % 100);
    }
    const float a_scale = 0.02f, out_scale = 0.05f;
    const int32_t out_zp = int32_t(rng() % 60) - 30;

    std::vector<int8_t> patches(m * k + 64);
    im2col_s8(g, image.data(), int8_t(zp), patches.data(), k, nullptr);
    // Every ISA's default layout, plus the pre-expanded u8 one where an ISA has it (AVX2, picked
    // for layers with many rows).
    PackOptions expanded;
    expanded.allow_expanded = true;
    expanded.rows_hint = 1u << 20;
    // And every ISA with int8 weights.
    for (const auto& [isa, options, int8] :
         {std::tuple{Isa::scalar, PackOptions{}, false}, {Isa::avx2, PackOptions{}, false}, {Isa::avx2, expanded, false},
          {Isa::avx512bw, PackOptions{}, false}, {Isa::avx512vnni, PackOptions{}, false}, {Isa::neon, PackOptions{}, false},
          {Isa::neondot, PackOptions{}, false}, {Isa::scalar, PackOptions{}, true}, {Isa::avx2, PackOptions{}, true},
          {Isa::avx512bw, PackOptions{}, true}, {Isa::avx512vnni, PackOptions{}, true}, {Isa::neon, PackOptions{}, true},
          {Isa::neondot, PackOptions{}, true}}) {
      if (!isa_supported(isa)) continue;
      const auto w = int8 ? PackedTernaryWeights::pack_s8(int8_weights.data(), n, k, isa)
                          : PackedTernaryWeights::pack(codes.data(), n, k, isa, options);
      REQUIRE(w);
      const auto conv = T2I8Conv::create(*w, g);
      // Without activation sums: the scalar layouts, int8 weights on VNNI / NEON / NEON dotprod.
      const bool sums_free = isa == Isa::scalar || (int8 && isa != Isa::avx2 && isa != Isa::avx512bw);
      if (short_rows && !sums_free) {   // rows under 48 bytes or off the 16-k chunks: im2col
        if (g.kernel_w * g.in_c < 48) CHECK(conv == nullptr);
        if (conv == nullptr) continue;
      }
      REQUIRE(conv);
      {
        // Ternary weights with a t2u8 form (VNNI) run it on the flipped padded copy when the layer is
        // one channel tile; unpadded or wider layers read the image with activation sums.
        int32_t probe[1];
        const bool padded = conv->image_slot(probe).data != nullptr || g.pad_top + g.pad_left > 0;
        const bool t2u8 = std::string(conv->kernel_name()).rfind("t2u8_gemm_", 0) == 0;
        if (!int8 && isa == Isa::avx512vnni) CHECK(t2u8 == (padded && n <= t2i8_gemm_choose_ukernel(isa, n, k, options)->nr));
        if (int8 || isa != Isa::avx512vnni) CHECK_FALSE(t2u8);
      }
      std::vector<int8_t> want_s8(m * n);
      std::vector<float> want_f32(m * n);
      t2i8_gemm_s8(*w, m, patches.data(), k, a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120,
                   want_s8.data(), n, nullptr);
      t2i8_gemm_f32(*w, m, patches.data(), k, a_scale, zp, scale.data(), bias.data(), -3.0f, 4.0f, want_f32.data(), n,
                    nullptr);
      std::vector<int8_t> want_hswish(m * n);   // the HardSwish form (no requantizing kernel form)
      // The residual form: a residual tensor of its own stride, scale and zero point.
      std::vector<int8_t> residual(m * (n + 1));
      for (auto& v : residual) v = int8_t(int(rng() % 256) - 128);
      const ResidualS8 res{residual.data(), n + 1, 0.04f, int32_t(rng() % 256) - 128};
      std::vector<int8_t> want_residual(m * n);
      {
        std::vector<int32_t> scratch(t2i8_gemm_workspace_bytes(*w, m) / 4 + 1);
        t2i8_gemm_hardswish_s8(*w, m, patches.data(), k, a_scale, zp, scale.data(), bias.data(), out_scale, out_zp,
                               -100, 120, want_hswish.data(), n, nullptr, scratch.data());
        t2i8_gemm_residual_s8(*w, m, patches.data(), k, a_scale, zp, scale.data(), bias.data(), out_scale, out_zp,
                              -100, 120, res, want_residual.data(), n, nullptr, scratch.data());
      }
      for (pthreadpool_t p : {pthreadpool_t(nullptr), pool}) {
        std::vector<int32_t> workspace(conv->workspace_bytes() / 4 + 1, 0x5A5A5A5A);
        std::vector<int8_t> got_s8(m * n, 0), got_hswish(m * n, 0);
        std::vector<float> got_f32(m * n, 0.0f);
        conv->run_hardswish_s8(image.data(), a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120,
                               got_hswish.data(), n, p, workspace.data());
        CHECK(got_hswish == want_hswish);
        std::vector<int8_t> got_residual(m * n, 0);
        conv->run_residual_s8(image.data(), a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120, res,
                              got_residual.data(), n, p, workspace.data());
        CHECK(got_residual == want_residual);
        conv->run_s8(image.data(), a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120, got_s8.data(),
                     n, p, workspace.data());
        conv->run_f32(image.data(), a_scale, zp, scale.data(), bias.data(), -3.0f, 4.0f, got_f32.data(), n, p,
                      workspace.data());
        INFO("trial ", trial, " seed ", test_seed(), " kernel ", std::string(w->kernel_name()), " threads ", p ? 2 : 0, " in ", g.in_h, "x",
             g.in_w, "x", g.in_c, " kernel ", g.kernel_h, "x", g.kernel_w, " stride ", g.stride_h, "x", g.stride_w,
             " dilation_h ", g.dilation_h, " pads ", g.pad_top, ",", g.pad_left, ",", pad_bottom, ",", pad_right, " n ", n,
             " zp ", zp);
        CHECK(got_s8 == want_s8);
        CHECK(std::memcmp(got_f32.data(), want_f32.data(), got_f32.size() * sizeof(float)) == 0);
        ++tested;
      }
      // The image written by the caller into the padded buffer (image_slot), run with image == nullptr:
      // run_* must fill the border of a workspace full of junk.
      {
        std::vector<int32_t> workspace(conv->workspace_bytes() / 4 + 1, 0x5A5A5A5A);
        const T2I8Conv::ImageSlot slot = conv->image_slot(workspace.data());
        // (Bottom / right padding the output never reaches needs no buffer.)
        if (g.pad_top + g.pad_left > 0) CHECK(slot.data != nullptr);
        if (slot.data != nullptr) {
          for (size_t b = 0; b < g.batch; ++b)
            for (size_t y = 0; y < g.in_h; ++y)
              std::memcpy(slot.data + b * slot.batch_stride + y * slot.row_stride,
                          image.data() + (b * g.in_h + y) * g.in_w * g.in_c, g.in_w * g.in_c);
          std::vector<int8_t> got_s8(m * n, 0);
          conv->run_s8(nullptr, a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120, got_s8.data(), n,
                       pool, workspace.data());
          INFO("trial ", trial, " seed ", test_seed(), " image written into the slot");
          CHECK(got_s8 == want_s8);
        }
      }
      // The same image stored flipped (a ^ 0x80), for the u8i8 kernel forms (VNNI int8 weights).
      const auto flipped_conv = T2I8Conv::create(*w, g, ImageEncoding::flipped_u8);
      CHECK((flipped_conv != nullptr) == (int8 && isa == Isa::avx512vnni));
      if (flipped_conv) {
        INFO("trial ", trial, " seed ", test_seed(), " kernel ", std::string(flipped_conv->kernel_name()), " zp ", zp);
        CHECK(std::string(flipped_conv->kernel_name()).rfind("u8i8_gemm_", 0) == 0);
        std::vector<int8_t> flipped(image.size());
        for (size_t i = 0; i < image.size(); ++i) flipped[i] = int8_t(image[i] ^ 0x80);
        std::vector<int32_t> workspace(flipped_conv->workspace_bytes() / 4 + 1, 0x5A5A5A5A);
        std::vector<int8_t> got_s8(m * n, 0);
        std::vector<float> got_f32(m * n, 0.0f);
        flipped_conv->run_s8(flipped.data(), a_scale, zp, scale.data(), bias.data(), out_scale, out_zp, -100, 120,
                             got_s8.data(), n, pool, workspace.data());
        flipped_conv->run_f32(flipped.data(), a_scale, zp, scale.data(), bias.data(), -3.0f, 4.0f, got_f32.data(), n,
                              nullptr, workspace.data());
        CHECK(got_s8 == want_s8);
        CHECK(std::memcmp(got_f32.data(), want_f32.data(), got_f32.size() * sizeof(float)) == 0);
      }
    }
  }
  pthreadpool_destroy(pool);
  CHECK(tested > 0);
}

TEST_CASE("T2I8Conv declines layers that need im2col") {
  std::mt19937 rng(test_seed() + 1);
  Im2colGeometry g{1, 8, 8, 32, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1};
  const size_t n = 8, k = 9 * 32;
  const std::vector<uint8_t> codes = random_codes(rng, n, k);
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::neon}) {
    if (!isa_supported(isa)) continue;
    INFO("isa ", std::string(isa_name(isa)));
    const auto w = PackedTernaryWeights::pack(codes.data(), n, k, isa);
    CHECK(T2I8Conv::create(*w, g) != nullptr);
    Im2colGeometry dilated = g;
    dilated.dilation_w = 2;
    dilated.out_w = 6;
    CHECK(T2I8Conv::create(*w, dilated) == nullptr);
    // 8 channels: 24-byte kernel rows (im2col, except the scalar layout: no activation sums);
    // 36: 108-byte rows, not on the 16-k chunks of the 2-bit planes (the scalar layout has no
    // chunks); 16: 48-byte rows, in place.
    for (size_t c : {8, 36, 16}) {
      const size_t kc = 9 * c;
      const std::vector<uint8_t> codes_c = random_codes(rng, n, kc);
      const auto wc = PackedTernaryWeights::pack(codes_c.data(), n, kc, isa);
      Im2colGeometry narrow = g;
      narrow.in_c = c;
      const bool in_place = c == 16 || isa == Isa::scalar;
      CHECK((T2I8Conv::create(*wc, narrow) != nullptr) == in_place);
    }
  }
}

}  // namespace ternrt_test
