// Depthwise convolution benchmarks in ternrt-kernel-bench (registered at start-up; main() is in
// kernel-bench.cc): ternrt's int8 PackedDwconvS8 for every supported ISA next to XNNPACK's f32 and qc8
// depthwise convolutions (groups = C, one channel per group) on MobileNet-style shapes, batch 1,
// single thread. Names: <kernel name>/dw/<H>x<W>x<C>/k<K>s<S>, xnnpack_f32_dwconv/dw/...,
// xnnpack_qc8_dwconv/dw/...; counter GMACs = out_h * out_w * C * K * K per second / 1e9.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include "ternrt/kernels/dwconv-s8.h"

namespace {

using namespace ternrt::kernels;

struct DwShape {
  size_t h, w, c, k, s;
  bool same;   // TensorFlow SAME padding (extra row/column at the bottom/right); otherwise no padding

  size_t pad_total(size_t in) const {
    if (!same) return 0;
    const size_t out = (in + s - 1) / s, need = (out - 1) * s + k;
    return need > in ? need - in : 0;
  }
  DwconvGeometry geometry() const {
    DwconvGeometry g{};
    g.batch = 1;
    g.in_h = h;
    g.in_w = w;
    g.channels = c;
    g.kernel_h = g.kernel_w = k;
    g.stride_h = g.stride_w = s;
    g.dilation_h = g.dilation_w = 1;
    g.pad_top = pad_total(h) / 2;
    g.pad_left = pad_total(w) / 2;
    g.out_h = (h + pad_total(h) - k) / s + 1;
    g.out_w = (w + pad_total(w) - k) / s + 1;
    return g;
  }
  std::string name() const {
    return "/dw/" + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) + "/k" + std::to_string(k) +
           "s" + std::to_string(s);
  }
};

const DwShape kShapes[] = {
    {32, 32, 36, 3, 1, true},   {16, 16, 36, 5, 1, true},   {16, 16, 60, 3, 1, true},  {17, 17, 12, 3, 2, false},
    {8, 8, 20, 3, 1, true},     {28, 28, 48, 3, 2, true},   {14, 14, 72, 3, 1, true},  {112, 112, 32, 3, 1, true},
    {112, 112, 96, 3, 2, true}, {56, 56, 144, 3, 1, true},  {28, 28, 192, 3, 1, true}, {14, 14, 576, 3, 1, true},
    {7, 7, 960, 3, 1, true},
    // MobileNetV3-Large's 5x5 and HardSwish layers (benchmarks/make-imagenet-model.py mobilenetv3)
    {56, 56, 72, 5, 2, true},   {28, 28, 120, 5, 1, true},  {28, 28, 240, 3, 2, true}, {14, 14, 200, 3, 1, true},
    {14, 14, 480, 3, 1, true},  {14, 14, 672, 5, 2, true},  {7, 7, 960, 5, 1, true},
    // The same work without padding (what the edge pixels cost) and a channel count of whole blocks
    {34, 34, 36, 3, 1, false},  {20, 20, 36, 5, 1, false},  {32, 32, 32, 3, 1, true},  {34, 34, 32, 3, 1, false}};

const DwconvS8Quant kQuant{0.02f, 3, 0.05f, -2, -128, 127};

void set_counters(benchmark::State& state, const DwconvGeometry& g) {
  const double macs = double(g.out_h * g.out_w * g.channels * g.kernel_h * g.kernel_w);
  state.counters["GMACs"] = benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<float> random_weights(const DwconvGeometry& g, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> w(g.channels * g.kernel_h * g.kernel_w);
  for (auto& x : w) x = dist(rng);
  return w;
}

std::vector<int8_t> random_s8(size_t count, std::mt19937& rng) {
  std::vector<int8_t> v(count);
  for (auto& x : v) x = int8_t(int(rng() % 256) - 128);
  return v;
}

void bench_ternrt(benchmark::State& state, DwShape s, Isa isa) {
  const DwconvGeometry g = s.geometry();
  std::mt19937 rng(42);
  const std::vector<float> w = random_weights(g, rng);
  std::vector<float> bias(g.channels, 0.25f);
  const std::vector<int8_t> x = random_s8(g.in_h * g.in_w * g.channels, rng);
  std::vector<int8_t> y(g.out_h * g.out_w * g.channels);
  const auto packed = PackedDwconvS8::pack(g, w.data(), bias.data(), kQuant, isa);
  if (!packed) {
    state.SkipWithError("PackedDwconvS8::pack failed");
    return;
  }
  std::vector<int8_t> workspace(packed->workspace_bytes());
  for (auto _ : state) {
    packed->run(x.data(), y.data(), nullptr, workspace.empty() ? nullptr : workspace.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, g);
}

void bench_xnnpack(benchmark::State& state, DwShape s, bool qc8) {
  const DwconvGeometry g = s.geometry();
  const uint32_t pad_bottom = uint32_t(s.pad_total(s.h) - g.pad_top);
  const uint32_t pad_right = uint32_t(s.pad_total(s.w) - g.pad_left);
  std::mt19937 rng(42);
  xnn_operator_t op = nullptr;
  const size_t in_count = g.in_h * g.in_w * g.channels, out_count = g.out_h * g.out_w * g.channels;
  std::vector<float> xf, yf;
  std::vector<int8_t> xq, yq;
  xnn_status status;
  if (qc8) {
    const std::vector<int8_t> w = random_s8(g.channels * g.kernel_h * g.kernel_w, rng);
    const std::vector<float> w_scale(g.channels, 0.01f);
    std::vector<int32_t> bias(g.channels);
    for (auto& b : bias) b = int32_t(rng() % 2001) - 1000;
    xq = random_s8(in_count, rng);
    yq.resize(out_count);
    status = xnn_create_convolution2d_nhwc_qc8(
        uint32_t(g.pad_top), pad_right, pad_bottom, uint32_t(g.pad_left), uint32_t(g.kernel_h), uint32_t(g.kernel_w),
        uint32_t(g.stride_h), uint32_t(g.stride_w), 1, 1, uint32_t(g.channels), 1, 1, g.channels, g.channels,
        int8_t(kQuant.in_zero_point), kQuant.in_scale, w_scale.data(), w.data(), bias.data(),
        int8_t(kQuant.out_zero_point), kQuant.out_scale, -128, 127, 0, &op);
    if (status == xnn_status_success) {
      status = xnn_setup_convolution2d_nhwc_qc8(op, 1, g.in_h, g.in_w, xq.data(), yq.data(), nullptr);
    }
  } else {
    const std::vector<float> w = random_weights(g, rng);
    const std::vector<float> bias(g.channels, 0.25f);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    xf.resize(in_count);
    for (auto& v : xf) v = dist(rng);
    yf.resize(out_count);
    status = xnn_create_convolution2d_nhwc_f32(
        uint32_t(g.pad_top), pad_right, pad_bottom, uint32_t(g.pad_left), uint32_t(g.kernel_h), uint32_t(g.kernel_w),
        uint32_t(g.stride_h), uint32_t(g.stride_w), 1, 1, uint32_t(g.channels), 1, 1, g.channels, g.channels, w.data(),
        bias.data(), -INFINITY, INFINITY, 0, &op);
    if (status == xnn_status_success) {
      status = xnn_setup_convolution2d_nhwc_f32(op, 1, g.in_h, g.in_w, xf.data(), yf.data(), nullptr);
    }
  }
  if (status != xnn_status_success) {
    state.SkipWithError(qc8 ? "XNNPACK qc8 convolution create/setup failed"
                            : "XNNPACK f32 convolution create/setup failed");
    if (op) xnn_delete_operator(op);
    return;
  }
  for (auto _ : state) {
    xnn_run_operator(op, nullptr);
    benchmark::ClobberMemory();
  }
  xnn_delete_operator(op);
  set_counters(state, g);
}

// Registered before main() runs (benchmark::Initialize applies --benchmark_filter afterwards).
const bool registered = [] {
  for (const DwShape& s : kShapes) {
    std::vector<std::string> names;
    for (Isa isa : {Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {   // not the scalar reference
      if (!isa_supported(isa)) continue;
      const auto probe = PackedDwconvS8::pack(s.geometry(), std::vector<float>(s.c * s.k * s.k, 1.0f).data(), nullptr,
                                              kQuant, isa);
      if (!probe) continue;
      const std::string name = probe->kernel_name();
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;   // same kernel (avx512bw/vnni)
      names.push_back(name);
      benchmark::RegisterBenchmark((name + s.name()).c_str(), bench_ternrt, s, isa);
    }
    benchmark::RegisterBenchmark(("xnnpack_f32_dwconv" + s.name()).c_str(), bench_xnnpack, s, false);
    benchmark::RegisterBenchmark(("xnnpack_qc8_dwconv" + s.name()).c_str(), bench_xnnpack, s, true);
  }
  return true;
}();

}  // namespace
