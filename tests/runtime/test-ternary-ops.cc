// Ternary CONV_2D / FULLY_CONNECTED (dynamic int8 activations) against a simulation written
// from the arithmetic of ARCHITECTURE.md section 4, and identical across ISAs and thread counts.
#include <algorithm>
#include <cmath>
#include <cstring>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"
#include "ternrt/kernels/t2i8-gemm.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

struct Layer {
  std::vector<uint8_t> model;
  std::vector<float> input, expected;
};

// Conv (kh x kw, stride, pads) with ternary weights; the expected output is simulated.
Layer ternary_conv(std::mt19937& rng, int h, int w, int ic, int oc, int k, int stride, int pt, int pl, int pb, int pr, bool per_tensor) {
  const int oh = (h + pt + pb - k) / stride + 1, ow = (w + pl + pr - k) / stride + 1;
  const size_t K = static_cast<size_t>(k) * k * ic;
  Layer L;
  L.input = random_floats(rng, static_cast<size_t>(h) * w * ic, -1.5f, 3.0f);
  const auto trits = random_trits(rng, oc * K);
  auto scales = random_floats(rng, per_tensor ? 1 : oc, 0.01f, 0.5f);
  const auto bias = random_floats(rng, oc);
  ModelBuilder mb;
  const int x = mb.activation("x", {1, h, w, ic});
  const int wt = mb.ternary("w", {oc, k, k, ic}, trits, scales);
  const int b = mb.constant("b", {oc}, bias);
  const int y = mb.activation("y", {1, oh, ow, oc});
  mb.op(fb::OpCode::CONV_2D, {x, wt, b}, {y}, conv_options(stride, pt, pl, pb, pr, 1, 1, fb::Activation::RELU));
  mb.inputs({x});
  mb.outputs({y});
  L.model = mb.finish();

  std::vector<int8_t> q(L.input.size());
  float s = 0;
  int32_t zp = 0;
  kernels::quantize_f32_s8_dynamic(L.input.data(), L.input.size(), q.data(), &s, &zp);
  L.expected.resize(static_cast<size_t>(oh) * ow * oc);
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int o = 0; o < oc; ++o) {
        int32_t acc = 0;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx)
            for (int c = 0; c < ic; ++c) {
              const int iy = oy * stride + ky - pt, ix = ox * stride + kx - pl;
              // Zero padding in float is the zero point in int8: contributes t * (zp - zp) = 0.
              const int32_t xq = (iy < 0 || iy >= h || ix < 0 || ix >= w) ? zp : q[(iy * w + ix) * ic + c];
              acc += trits[o * K + (ky * k + kx) * ic + c] * (xq - zp);
            }
        const float alpha = scales[per_tensor ? 0 : o];
        L.expected[(oy * ow + ox) * oc + o] = std::max(0.0f, static_cast<float>(acc) * (alpha * s) + bias[o]);
      }
  return L;
}

// x (batch, k) -> ternary FULLY_CONNECTED (n outputs, no bias) -> y.
std::vector<uint8_t> ternary_fc_model(int batch, int k, int n, const std::vector<int8_t>& trits, const std::vector<float>& scales) {
  ModelBuilder mb;
  const int x = mb.activation("x", {batch, k});
  const int w = mb.ternary("w", {n, k}, trits, scales);
  const int y = mb.activation("y", {batch, n});
  mb.op(fb::OpCode::FULLY_CONNECTED, {x, w, -1}, {y}, fc_options());
  mb.inputs({x});
  mb.outputs({y});
  return mb.finish();
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::fabs(got[i] - want[i]) <= 1e-5f + 1e-5f * std::fabs(want[i]));
  }
}

}  // namespace

TEST_CASE("ternary CONV_2D equals the int8 simulation (3x3 same, 5x5 stride 2 asymmetric, 1x1)") {
  std::mt19937 rng(test_seed());
  const Layer layers[] = {
      ternary_conv(rng, 9, 7, 5, 13, 3, 1, 1, 1, 1, 1, false),
      ternary_conv(rng, 11, 10, 3, 17, 5, 2, 2, 1, 1, 2, false),
      ternary_conv(rng, 6, 6, 37, 9, 1, 1, 0, 0, 0, 0, true),
  };
  for (const Layer& L : layers) check_close(run_model(L.model, L.input), L.expected);
}

TEST_CASE("ternary FULLY_CONNECTED equals the simulation; ISAs and thread counts agree bit for bit") {
  std::mt19937 rng(test_seed());
  for (int k : {32, 37, 64, 300}) {  // K >= kMinTernaryGemmDepth: the int8 path
    const int batch = 4, n = 19;
    const auto xv = random_floats(rng, batch * k, -2, 2);
    const auto trits = random_trits(rng, n * k);
    const auto scales = random_floats(rng, n, 0.05f, 1.0f);
    const auto model = ternary_fc_model(batch, k, n, trits, scales);

    std::vector<int8_t> q(xv.size());
    float s = 0;
    int32_t zp = 0;
    kernels::quantize_f32_s8_dynamic(xv.data(), xv.size(), q.data(), &s, &zp);
    std::vector<float> want(batch * n);
    for (int r = 0; r < batch; ++r)
      for (int o = 0; o < n; ++o) {
        int32_t acc = 0;
        for (int j = 0; j < k; ++j) acc += trits[o * k + j] * (q[r * k + j] - zp);
        want[r * n + o] = static_cast<float>(acc) * (scales[o] * s);
      }
    const auto reference = run_model(model, xv, 1, "scalar");
    check_close(reference, want);
    for (auto isa : {kernels::Isa::avx2, kernels::Isa::avx512bw, kernels::Isa::avx512vnni, kernels::Isa::neon, kernels::Isa::neondot}) {
      if (!kernels::isa_supported(isa)) continue;
      for (unsigned threads : {1u, 2u, 3u}) {
        CAPTURE(kernels::isa_name(isa));
        CAPTURE(threads);
        CHECK(run_model(model, xv, threads, kernels::isa_name(isa)) == reference);
      }
    }
  }
}

TEST_CASE("ternary layers with K < 32 run in float with expanded weights (scale * trit)") {
  std::mt19937 rng(test_seed());
  for (int k : {1, 5, 31}) {
    const int batch = 3, n = 7;
    const auto xv = random_floats(rng, batch * k, -2, 2);
    const auto trits = random_trits(rng, n * k);
    const auto scales = random_floats(rng, n, 0.05f, 1.0f);
    const auto model = ternary_fc_model(batch, k, n, trits, scales);
    std::vector<float> want(batch * n);
    for (int r = 0; r < batch; ++r)
      for (int o = 0; o < n; ++o) {
        double acc = 0;
        for (int j = 0; j < k; ++j) acc += double(xv[r * k + j]) * (double(scales[o]) * trits[o * k + j]);
        want[r * n + o] = static_cast<float>(acc);
      }
    INFO("k = " << k);
    check_close(run_model(model, xv), want);
    ternrt_model* m = nullptr;
    REQUIRE(ternrt_model_load_memory(model.data(), model.size(), &m) == TERNRT_OK);
    ternrt_interpreter* it = nullptr;
    REQUIRE(ternrt_interpreter_create(m, nullptr, &it) == TERNRT_OK);
    ternrt_op_info info;
    REQUIRE(ternrt_interpreter_op_info(it, 0, &info) == TERNRT_OK);
    CHECK(std::string(info.kernel) == "xnnpack f32 fc (ternary weights expanded)");
    CHECK(info.ternary == 1);
    ternrt_interpreter_delete(it);
    ternrt_model_delete(m);
  }
}
