// Float operators against naive references on random shapes (odd channel counts, asymmetric
// padding, strides, dilation, groups). Tolerance: 1e-5 relative + 1e-5 absolute (XNNPACK's f32
// kernels reorder sums).
#include <algorithm>
#include <cmath>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

void check_close(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::fabs(got[i] - want[i]) <= tol + tol * std::fabs(want[i]));
  }
}

struct ConvCase {
  int n, h, w, ic, oc, kh, kw, stride, dil, pt, pl, pb, pr, groups;
};

std::vector<float> conv_ref(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& wt, const std::vector<float>& b,
                            int oh, int ow, float lo, float hi) {
  const int gic = c.ic / c.groups, goc = c.oc / c.groups;
  std::vector<float> y(static_cast<size_t>(c.n) * oh * ow * c.oc);
  for (int n = 0; n < c.n; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < c.oc; ++o) {
          const int g = o / goc;
          double acc = b[o];
          for (int ky = 0; ky < c.kh; ++ky)
            for (int kx = 0; kx < c.kw; ++kx) {
              const int iy = oy * c.stride + ky * c.dil - c.pt, ix = ox * c.stride + kx * c.dil - c.pl;
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
              for (int i = 0; i < gic; ++i)
                acc += static_cast<double>(x[((n * c.h + iy) * c.w + ix) * c.ic + g * gic + i]) * wt[((o * c.kh + ky) * c.kw + kx) * gic + i];
            }
          y[((n * oh + oy) * ow + ox) * c.oc + o] = std::min(hi, std::max(lo, static_cast<float>(acc)));
        }
  return y;
}

}  // namespace

TEST_CASE("CONV_2D float matches a naive convolution") {
  std::mt19937 rng(test_seed());
  const ConvCase cases[] = {
      {1, 7, 9, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // same padding, odd channels
      {2, 8, 8, 4, 6, 5, 5, 2, 1, 2, 1, 1, 2, 1},    // 5x5, stride 2, asymmetric pads, batch 2
      {1, 6, 5, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 12}, // depthwise
      {1, 6, 6, 6, 9, 1, 1, 1, 1, 0, 0, 0, 0, 3},    // grouped 1x1
      {1, 9, 9, 2, 3, 3, 3, 1, 2, 2, 2, 2, 2, 1},    // dilation 2
      {1, 5, 5, 20, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1},   // pointwise
  };
  for (const ConvCase& c : cases) {
    CAPTURE(c.ic);
    CAPTURE(c.groups);
    const int oh = (c.h + c.pt + c.pb - ((c.kh - 1) * c.dil + 1)) / c.stride + 1;
    const int ow = (c.w + c.pl + c.pr - ((c.kw - 1) * c.dil + 1)) / c.stride + 1;
    for (auto act : {fb::Activation::NONE, fb::Activation::RELU6}) {
      ModelBuilder mb;
      const auto xv = random_floats(rng, static_cast<size_t>(c.n) * c.h * c.w * c.ic, -4, 4);
      const auto wv = random_floats(rng, static_cast<size_t>(c.oc) * c.kh * c.kw * (c.ic / c.groups));
      const auto bv = random_floats(rng, c.oc);
      const int x = mb.activation("x", {c.n, c.h, c.w, c.ic});
      const int w = mb.constant("w", {c.oc, c.kh, c.kw, c.ic / c.groups}, wv);
      const int b = mb.constant("b", {c.oc}, bv);
      const int y = mb.activation("y", {c.n, oh, ow, c.oc});
      mb.op(fb::OpCode::CONV_2D, {x, w, b}, {y}, conv_options(c.stride, c.pt, c.pl, c.pb, c.pr, c.groups, c.dil, act));
      mb.inputs({x});
      mb.outputs({y});
      const float lo = act == fb::Activation::RELU6 ? 0.f : -INFINITY, hi = act == fb::Activation::RELU6 ? 6.f : INFINITY;
      check_close(run_model(mb.finish(), xv), conv_ref(c, xv, wv, bv, oh, ow, lo, hi), 1e-4f);
    }
  }
}

TEST_CASE("FULLY_CONNECTED float with fused activations") {
  std::mt19937 rng(test_seed());
  for (int k : {1, 7, 64, 133}) {
    for (auto act : {fb::Activation::NONE, fb::Activation::RELU, fb::Activation::HARD_SWISH, fb::Activation::SIGMOID}) {
      const int batch = 3, n = 11;
      ModelBuilder mb;
      const auto xv = random_floats(rng, batch * k, -2, 2);
      const auto wv = random_floats(rng, n * k);
      const auto bv = random_floats(rng, n);
      const int x = mb.activation("x", {batch, k});
      const int w = mb.constant("w", {n, k}, wv);
      const int b = mb.constant("b", {n}, bv);
      const int y = mb.activation("y", {batch, n});
      mb.op(fb::OpCode::FULLY_CONNECTED, {x, w, b}, {y}, fc_options(act));
      mb.inputs({x});
      mb.outputs({y});
      std::vector<float> want(batch * n);
      for (int r = 0; r < batch; ++r)
        for (int o = 0; o < n; ++o) {
          double acc = bv[o];
          for (int j = 0; j < k; ++j) acc += static_cast<double>(xv[r * k + j]) * wv[o * k + j];
          float v = static_cast<float>(acc);
          if (act == fb::Activation::RELU) v = std::max(v, 0.f);
          if (act == fb::Activation::HARD_SWISH) v = v * std::min(6.f, std::max(0.f, v + 3)) / 6;
          if (act == fb::Activation::SIGMOID) v = 1 / (1 + std::exp(-v));
          want[r * n + o] = v;
        }
      check_close(run_model(mb.finish(), xv), want, 1e-4f);
    }
  }
}

TEST_CASE("ADD and MUL broadcast over channels (squeeze-excite), pooling, concat, pad, softmax") {
  std::mt19937 rng(test_seed());
  const int H = 5, W = 3, C = 13;
  const auto xv = random_floats(rng, H * W * C, -3, 3);

  SUBCASE("squeeze-excite: x * sigmoid-free scale of shape (1,1,1,C), plus residual add") {
    ModelBuilder mb;
    const auto sv = random_floats(rng, C);
    const int x = mb.activation("x", {1, H, W, C});
    const int s = mb.constant("s", {1, 1, 1, C}, sv);
    const int m = mb.activation("m", {1, H, W, C});
    const int y = mb.activation("y", {1, H, W, C});
    mb.op(fb::OpCode::MUL, {x, s}, {m}, options(fb::ElementwiseOptionsT{}));
    fb::ElementwiseOptionsT add;
    add.activation = std::make_unique<fb::FusedActivationT>();
    add.activation->type = fb::Activation::RELU;
    mb.op(fb::OpCode::ADD, {m, x}, {y}, options(std::move(add)));
    mb.inputs({x});
    mb.outputs({y});
    std::vector<float> want(xv.size());
    for (size_t i = 0; i < xv.size(); ++i) want[i] = std::max(0.f, xv[i] * sv[i % C] + xv[i]);
    check_close(run_model(mb.finish(), xv), want);
  }
  SUBCASE("max and average pooling with padding, both count_include_pad modes") {
    for (int op = 0; op < 3; ++op) {
      ModelBuilder mb;
      fb::Pool2DOptionsT o;
      o.kernel_h = o.kernel_w = 3;
      o.stride_h = o.stride_w = 2;
      o.pad_top = o.pad_left = 1;
      o.pad_bottom = o.pad_right = 1;
      o.count_include_pad = op == 2;
      const int oh = (H + 2 - 3) / 2 + 1, ow = (W + 2 - 3) / 2 + 1;
      const int x = mb.activation("x", {1, H, W, C});
      const int y = mb.activation("y", {1, oh, ow, C});
      mb.op(op == 0 ? fb::OpCode::MAX_POOL_2D : fb::OpCode::AVG_POOL_2D, {x}, {y}, options(std::move(o)));
      mb.inputs({x});
      mb.outputs({y});
      std::vector<float> want(oh * ow * C);
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int c = 0; c < C; ++c) {
            float mx = -INFINITY, sum = 0;
            int cnt = 0;
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                mx = std::max(mx, xv[(iy * W + ix) * C + c]);
                sum += xv[(iy * W + ix) * C + c];
                ++cnt;
              }
            want[(oy * ow + ox) * C + c] = op == 0 ? mx : sum / (op == 2 ? 9 : cnt);
          }
      check_close(run_model(mb.finish(), xv), want);
    }
  }
  SUBCASE("global average pool, concat of two branches, pad, softmax") {
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int g = mb.activation("g", {1, 1, 1, C});
    const int cat = mb.activation("cat", {1, 1, 1, 2 * C});
    const int padded = mb.activation("padded", {1, 1, 1, 2 * C + 3});
    const int y = mb.activation("y", {1, 1, 1, 2 * C + 3});
    mb.op(fb::OpCode::GLOBAL_AVG_POOL, {x}, {g}, fb::OperatorOptionsUnion());
    mb.op(fb::OpCode::CONCAT, {g, g}, {cat}, options(fb::ConcatOptionsT{}));
    fb::PadOptionsT p;
    p.paddings = {0, 0, 0, 0, 0, 0, 1, 2};
    p.value = -1;
    mb.op(fb::OpCode::PAD, {cat}, {padded}, options(std::move(p)));
    mb.op(fb::OpCode::SOFTMAX, {padded}, {y}, options(fb::SoftmaxOptionsT{}));
    mb.inputs({x});
    mb.outputs({y});
    std::vector<float> mean(C, 0);
    for (size_t i = 0; i < xv.size(); ++i) mean[i % C] += xv[i] / (H * W);
    std::vector<float> logits = {-1};
    logits.insert(logits.end(), mean.begin(), mean.end());
    logits.insert(logits.end(), mean.begin(), mean.end());
    logits.push_back(-1);
    logits.push_back(-1);
    const float mx = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float v : logits) sum += std::exp(v - mx);
    std::vector<float> want;
    for (float v : logits) want.push_back(static_cast<float>(std::exp(v - mx) / sum));
    check_close(run_model(mb.finish(), xv), want);
  }
  SUBCASE("standalone activations and reshape") {
    for (auto act : {fb::Activation::RELU6, fb::Activation::CLIP, fb::Activation::HARD_SWISH, fb::Activation::HARD_SIGMOID,
                     fb::Activation::SIGMOID}) {
      ModelBuilder mb;
      const int x = mb.activation("x", {1, H, W, C});
      const int a = mb.activation("a", {1, H, W, C});
      const int y = mb.activation("y", {1, H * W * C});
      fb::ActivationOptionsT o;
      o.activation = std::make_unique<fb::FusedActivationT>();
      o.activation->type = act;
      o.activation->clip_min = -0.5f;
      o.activation->clip_max = 1.5f;
      mb.op(fb::OpCode::ACTIVATION, {x}, {a}, options(std::move(o)));
      mb.op(fb::OpCode::RESHAPE, {a}, {y}, options(fb::ReshapeOptionsT{}));
      mb.inputs({x});
      mb.outputs({y});
      std::vector<float> want(xv.size());
      for (size_t i = 0; i < xv.size(); ++i) {
        const float v = xv[i];
        switch (act) {
          case fb::Activation::RELU6: want[i] = std::min(6.f, std::max(0.f, v)); break;
          case fb::Activation::CLIP: want[i] = std::min(1.5f, std::max(-0.5f, v)); break;
          case fb::Activation::HARD_SWISH: want[i] = v * std::min(6.f, std::max(0.f, v + 3)) / 6; break;
          case fb::Activation::HARD_SIGMOID: want[i] = std::min(1.f, std::max(0.f, 0.2f * v + 0.5f)); break;
          default: want[i] = 1 / (1 + std::exp(-v)); break;
        }
      }
      check_close(run_model(mb.finish(), xv), want);
    }
  }
}
