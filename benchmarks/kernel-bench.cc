// ternrt-kernel-bench: the t2i8 GEMM of every ISA this CPU supports, next to XNNPACK's f32 and qs8
// fully connected operators and its qc8 (per-channel int8) 1x1 convolution on the same shapes, plus
// peak probes. Each benchmark reports a GMACs counter (M*N*K per second / 1e9). Names:
// <backend>/<shape list>/M:<m>/N:<n>/K:<k>, where backend is the ternrt kernel name (e.g.
// t2i8_gemm_8x32c4__avx512vnni), xnnpack_f32, xnnpack_qs8, xnnpack_qc8 or peak_*.
// Single threaded (no pool): pin with taskset. For M == 1 (GEMV) every backend cycles through
// enough weight copies to exceed TERNRT_BENCH_COLD_BYTES (default 2 x last-level cache), so the
// weights come from DRAM, not the cache.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <cpuinfo.h>
#include <xnnpack.h>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt_bench {
int64_t peak_vpmaddubsw_ymm(size_t iterations);
int64_t peak_vpmaddubsw_zmm(size_t iterations);
int64_t peak_vpdpbusd_zmm(size_t iterations);
}  // namespace ternrt_bench

namespace {

using namespace ternrt::kernels;

struct Shape {
  std::string list;
  size_t m, n, k;
};

std::vector<Shape> read_shapes(const std::string& dir, const std::string& list) {
  std::vector<Shape> shapes;
  std::ifstream file(dir + "/" + list + ".txt");
  if (!file) {
    std::fprintf(stderr, "ternrt-kernel-bench: cannot open %s/%s.txt (set TERNRT_BENCH_SHAPES)\n", dir.c_str(), list.c_str());
    return shapes;
  }
  std::string line;
  size_t line_number = 0;
  while (std::getline(file, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Shape shape{list, 0, 0, 0};
    if (!(fields >> shape.m >> shape.n >> shape.k) || shape.m == 0 || shape.n == 0 || shape.k == 0) {
      std::fprintf(stderr, "ternrt-kernel-bench: %s/%s.txt line %zu: expected 'M N K' (positive integers), got '%s'\n",
                   dir.c_str(), list.c_str(), line_number, line.c_str());
      continue;
    }
    shapes.push_back(shape);
  }
  return shapes;
}

size_t cold_bytes() {
  if (const char* text = std::getenv("TERNRT_BENCH_COLD_BYTES")) return size_t(std::strtoull(text, nullptr, 10));
  size_t llc = 32u << 20;
  if (const cpuinfo_processor* p = cpuinfo_get_processor(0)) {
    if (p->cache.l3) llc = p->cache.l3->size;
    else if (p->cache.l2) llc = p->cache.l2->size;
  }
  return 2 * llc;
}

// How many weight copies to cycle through: 1 for GEMM (weights reused across M rows, like a layer),
// enough to leave the cache for GEMV.
size_t weight_copies(const Shape& s, size_t bytes_per_copy) {
  if (s.m != 1) return 1;
  // The cap bounds setup time; at 4096 even 1024x1024 ternary weights (266 KB) exceed 2 x 260 MiB.
  return std::max<size_t>(1, std::min<size_t>(4096, cold_bytes() / std::max<size_t>(bytes_per_copy, 1) + 1));
}

void set_counters(benchmark::State& state, const Shape& s) {
  state.counters["GMACs"] = benchmark::Counter(double(s.m) * double(s.n) * double(s.k) * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<uint8_t> random_codes(size_t n, size_t k, std::mt19937& rng) {
  const size_t row_bytes = (k + 3) / 4;
  std::vector<uint8_t> codes(n * row_bytes, 0);
  for (size_t j = 0; j < n; ++j)
    for (size_t kk = 0; kk < k; ++kk) codes[j * row_bytes + kk / 4] |= uint8_t((rng() % 3) << (2 * (kk % 4)));
  return codes;
}

std::vector<int8_t> random_s8(size_t count, std::mt19937& rng) {
  std::vector<int8_t> v(count);
  for (auto& x : v) x = int8_t(int(rng() % 256) - 128);
  return v;
}

// What the runtime does for a layer of this shape: pack with rows_hint = M, then
// t2i8_gemm_s32 with a workspace allocated once.
PackOptions pack_options_for(const Shape& s) {
  PackOptions options;
  options.rows_hint = s.m;
  return options;
}

// Setup kept across the repetitions of one benchmark (--benchmark_repetitions runs the function
// again each time): packing thousands of weight copies for GEMV takes longer than timing them.
// Only the last benchmark's copies are kept, so memory stays at one weight set.
std::string last_ternary_setup;
std::string setup_key(const Shape& s) {
  return s.list + "/" + std::to_string(s.m) + "/" + std::to_string(s.n) + "/" + std::to_string(s.k) + "/";
}
std::vector<std::unique_ptr<PackedTernaryWeights>> ternary_copies;

// s8_out: the static int8 layer (t2i8_gemm_s8, requantized int8 output) instead of the raw int32
// accumulators; same packed weights (the setup is shared).
void bench_ternary(benchmark::State& state, Shape s, Isa isa, bool s8_out) {
  std::mt19937 rng(42);
  const std::vector<uint8_t> codes = random_codes(s.n, s.k, rng);
  const std::vector<int8_t> a = random_s8(s.m * s.k + 16, rng);
  const std::string setup = setup_key(s) + isa_name(isa);
  if (setup != last_ternary_setup) {
    ternary_copies.clear();
    last_ternary_setup = setup;
    ternary_copies.push_back(PackedTernaryWeights::pack(codes.data(), s.n, s.k, isa, pack_options_for(s)));
    const size_t wanted = weight_copies(s, ternary_copies[0]->packed_bytes());
    while (ternary_copies.size() < wanted)
      ternary_copies.push_back(PackedTernaryWeights::pack(codes.data(), s.n, s.k, isa, pack_options_for(s)));
  }
  const auto& weights = ternary_copies;
  const size_t copies = weights.size();
  std::vector<int32_t> c(s.m * s.n);
  std::vector<int8_t> c_s8(s.m * s.n);
  std::vector<float> channel_scale(s.n, 0.9f), bias(s.n, 0.25f);
  std::vector<int32_t> workspace(t2i8_gemm_workspace_bytes(*weights[0], s.m) / sizeof(int32_t) + 1);
  size_t index = 0;
  for (auto _ : state) {
    if (s8_out) {
      t2i8_gemm_s8(*weights[index], s.m, a.data(), s.k, 0.02f, -3, channel_scale.data(), bias.data(), 0.5f, 4, -128,
                   127, c_s8.data(), s.n, nullptr, workspace.data());
      benchmark::DoNotOptimize(c_s8.data());
    } else {
      t2i8_gemm_s32(*weights[index], s.m, a.data(), s.k, c.data(), s.n, nullptr, workspace.data());
      benchmark::DoNotOptimize(c.data());
    }
    if (++index == weights.size()) index = 0;
  }
  set_counters(state, s);
  state.counters["copies"] = double(copies);
  state.counters["packed_bytes"] = double(weights[0]->packed_bytes());
}

// One micro-kernel of the list called directly over all MR x NR tiles (rows outside, channels
// inside), whether or not the dispatch would pick it: compares alternative tiles and layouts.
// One micro-kernel over the whole shape, tile by tile. fn: the kernel itself, or its u8-activation
// form (same packing; the random activations serve as they are).
void bench_ukernel(benchmark::State& state, Shape s, const T2I8GemmUkernel* ukernel, T2I8GemmUkernelFn fn) {
  std::mt19937 rng(42);
  std::vector<uint8_t> packed(t2i8_packed_bytes(*ukernel, s.n, s.k));
  if (layout_is_int8(ukernel->layout)) {
    std::vector<int8_t> w(s.n * s.k);
    for (auto& v : w) v = int8_t(int(rng() % 255) - 127);
    i8i8_pack_weights(*ukernel, w.data(), s.n, s.k, packed.data());
  } else {
    const std::vector<uint8_t> codes = random_codes(s.n, s.k, rng);
    t2i8_pack_weights(*ukernel, codes.data(), s.n, s.k, packed.data());
  }
  const std::vector<int8_t> a = random_s8(s.m * s.k + 16, rng);
  std::vector<int32_t> sums(s.m), c(s.m * s.n);
  t2i8_activation_sums(s.m, s.k, a.data(), s.k, sums.data());
  const size_t tile_bytes = t2i8_packed_tile_bytes(*ukernel, s.k);
  for (auto _ : state) {
    for (size_t m0 = 0; m0 < s.m; m0 += ukernel->mr) {
      const size_t mt = std::min(ukernel->mr, s.m - m0);
      for (size_t n0 = 0; n0 < s.n; n0 += ukernel->nr) {
        fn(mt, std::min(ukernel->nr, s.n - n0), s.k, 1, a.data() + m0 * s.k, s.k, 0,
           packed.data() + n0 / ukernel->nr * tile_bytes, sums.data() + m0, c.data() + m0 * s.n + n0, s.n);
      }
    }
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, s);
  state.counters["packed_bytes"] = double(packed.size());
}

// The int8-weight layer (PackedTernaryWeights::pack_s8, i8i8 kernels) as the runtime runs a
// float-weight first layer on the static path: raw int32 accumulators.
void bench_int8_weights(benchmark::State& state, Shape s, Isa isa) {
  std::mt19937 rng(42);
  std::vector<int8_t> w(s.n * s.k);
  for (auto& v : w) v = int8_t(int(rng() % 255) - 127);
  const std::vector<int8_t> a = random_s8(s.m * s.k + 16, rng);
  const auto packed = PackedTernaryWeights::pack_s8(w.data(), s.n, s.k, isa);
  std::vector<int32_t> c(s.m * s.n);
  std::vector<int32_t> workspace(t2i8_gemm_workspace_bytes(*packed, s.m) / sizeof(int32_t) + 1);
  for (auto _ : state) {
    t2i8_gemm_s32(*packed, s.m, a.data(), s.k, c.data(), s.n, nullptr, workspace.data());
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, s);
  state.counters["packed_bytes"] = double(packed->packed_bytes());
}

void bench_xnnpack_f32(benchmark::State& state, Shape s) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> w(s.n * s.k), bias(s.n), a(s.m * s.k + 16), c(s.m * s.n);
  for (auto& x : w) x = dist(rng);
  for (auto& x : bias) x = dist(rng);
  for (auto& x : a) x = dist(rng);
  const size_t copies = weight_copies(s, w.size() * sizeof(float));
  std::vector<xnn_operator_t> ops;
  for (size_t i = 0; i < copies; ++i) {
    xnn_operator_t op = nullptr;
    if (xnn_create_fully_connected_nc_f32(s.k, s.n, s.k, s.n, w.data(), bias.data(), -INFINITY, INFINITY, 0, &op) !=
            xnn_status_success ||
        xnn_setup_fully_connected_nc_f32(op, s.m, a.data(), c.data(), nullptr) != xnn_status_success) {
      state.SkipWithError("XNNPACK f32 fully connected create/setup failed");
      return;
    }
    ops.push_back(op);
  }
  size_t index = 0;
  for (auto _ : state) {
    xnn_run_operator(ops[index], nullptr);
    benchmark::DoNotOptimize(c.data());
    if (++index == ops.size()) index = 0;
  }
  for (xnn_operator_t op : ops) xnn_delete_operator(op);
  set_counters(state, s);
  state.counters["copies"] = double(copies);
}

// XNNPACK int8 operators over a shape: random int8 weights, activations and bias, `copies`
// operators (weight_copies) made by create(w, bias, &op) and kept across repetitions of the shape,
// each set up on this call's buffers by setup(op, a, c), run in turn.
template <typename Create, typename Setup>
void bench_xnnpack_s8(benchmark::State& state, const Shape& s, const char* what, Create create, Setup setup) {
  std::mt19937 rng(42);
  const std::vector<int8_t> w = random_s8(s.n * s.k, rng);
  const std::vector<int8_t> a = random_s8(s.m * s.k + 16, rng);
  std::vector<int32_t> bias(s.n);
  for (auto& x : bias) x = int32_t(rng() % 2001) - 1000;
  std::vector<int8_t> c(s.m * s.n);
  const size_t copies = weight_copies(s, w.size());
  static std::string last_setup;   // one cache per instantiation, i.e. per operator kind
  static std::vector<xnn_operator_t> ops;
  if (last_setup != setup_key(s)) {
    for (xnn_operator_t op : ops) xnn_delete_operator(op);
    ops.clear();
    last_setup = setup_key(s);
  }
  for (size_t i = ops.size(); i < copies; ++i) {
    xnn_operator_t op = nullptr;
    if (create(w.data(), bias.data(), &op) != xnn_status_success) {
      state.SkipWithError((std::string("XNNPACK ") + what + " create failed").c_str());
      return;
    }
    ops.push_back(op);
  }
  for (xnn_operator_t op : ops) {
    if (setup(op, a.data(), c.data()) != xnn_status_success) {
      state.SkipWithError((std::string("XNNPACK ") + what + " setup failed").c_str());
      return;
    }
  }
  size_t index = 0;
  for (auto _ : state) {
    xnn_run_operator(ops[index], nullptr);
    benchmark::DoNotOptimize(c.data());
    if (++index == ops.size()) index = 0;
  }
  set_counters(state, s);
  state.counters["copies"] = double(copies);
}

void bench_xnnpack_qs8(benchmark::State& state, Shape s) {
  bench_xnnpack_s8(
      state, s, "qs8 fully connected",
      [&](const int8_t* w, const int32_t* bias, xnn_operator_t* op) {
        return xnn_create_fully_connected_nc_qs8(s.k, s.n, s.k, s.n, 0, 0.02f, 0.01f, w, bias, 0, 1.0f, -128, 127, 0, op);
      },
      [&](xnn_operator_t op, const int8_t* a, int8_t* c) {
        return xnn_setup_fully_connected_nc_qs8(op, s.m, a, c, nullptr);
      });
}

// XNNPACK's per-channel int8 convolution (qc8, the form of an int8 model with per-channel weight
// scales, like ternary ones) as the same GEMM: a 1x1 convolution over a 1 x M image of K channels.
void bench_xnnpack_qc8(benchmark::State& state, Shape s) {
  std::vector<float> kernel_scale(s.n);
  for (size_t j = 0; j < s.n; ++j) kernel_scale[j] = 0.005f + 0.015f * float(j % 97) / 97.0f;
  bench_xnnpack_s8(
      state, s, "qc8 convolution",
      [&](const int8_t* w, const int32_t* bias, xnn_operator_t* op) {
        return xnn_create_convolution2d_nhwc_qc8(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, s.k, s.n, s.k, s.n, 0, 0.02f,
                                                 kernel_scale.data(), w, bias, 0, 1.0f, -128, 127, 0, op);
      },
      [&](xnn_operator_t op, const int8_t* a, int8_t* c) {
        return xnn_setup_convolution2d_nhwc_qc8(op, 1, 1, s.m, a, c, nullptr);
      });
}

void bench_peak(benchmark::State& state, int64_t (*probe)(size_t), double macs_per_iteration) {
  const size_t iterations = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(probe(iterations));
  state.counters["GMACs"] = benchmark::Counter(macs_per_iteration * double(iterations) * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

std::string shape_name(const Shape& s) {
  return "/" + s.list + "/M:" + std::to_string(s.m) + "/N:" + std::to_string(s.n) + "/K:" + std::to_string(s.k);
}

// "<kernel>/direct/<list>/M:../N:../K:..": every GEMM micro-kernel of a list this CPU runs (not the
// scalar reference), alone over the shape, and the u8-activation form (u8i8-gemm.inc, t2u8-gemm.inc
// for K a multiple of 16) of those that have one. GEMM shapes only.
void register_direct_ukernels(const T2I8GemmUkernel* (*list)(size_t*), const Shape& s) {
  size_t count = 0;
  const T2I8GemmUkernel* all = list(&count);
  for (size_t i = 0; i < count && s.m > 1; ++i) {
    if (all[i].mr == 1 || !isa_supported(all[i].isa) || all[i].isa == Isa::scalar) continue;
    benchmark::RegisterBenchmark((std::string(all[i].name) + "/direct" + shape_name(s)).c_str(), bench_ukernel, s,
                                 &all[i], all[i].fn);
    if (const U8FormUkernel* form = u8i8_form_of(all[i])) {
      benchmark::RegisterBenchmark((std::string(form->name) + "/direct" + shape_name(s)).c_str(), bench_ukernel, s,
                                   &all[i], form->fn);
    }
    if (const U8FormUkernel* form = t2u8_form_of(all[i]); form != nullptr && s.k % 16 == 0) {
      benchmark::RegisterBenchmark((std::string(form->name) + "/direct" + shape_name(s)).c_str(), bench_ukernel, s,
                                   &all[i], form->fn);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (!cpuinfo_initialize() || xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "ternrt-kernel-bench: cpuinfo or XNNPACK initialization failed\n");
    return 1;
  }
  const char* dir_env = std::getenv("TERNRT_BENCH_SHAPES");
  const std::string dir = dir_env ? dir_env : TERNRT_BENCH_SHAPES_DIR;

#if defined(__x86_64__)
  // 12 probe instructions per iteration: 32 MAC per ymm vpmaddubsw, 64 per zmm vpmaddubsw / vpdpbusd.
  if (isa_supported(Isa::avx2))
    benchmark::RegisterBenchmark("peak_vpmaddubsw_ymm", bench_peak, ternrt_bench::peak_vpmaddubsw_ymm, 12.0 * 32);
  if (isa_supported(Isa::avx512bw))
    benchmark::RegisterBenchmark("peak_vpmaddubsw_zmm", bench_peak, ternrt_bench::peak_vpmaddubsw_zmm, 12.0 * 64);
  if (isa_supported(Isa::avx512vnni))
    benchmark::RegisterBenchmark("peak_vpdpbusd_zmm", bench_peak, ternrt_bench::peak_vpdpbusd_zmm, 12.0 * 64);
#endif

  // Ternary backends: one per supported ISA, named after the kernel the API picks for the shape
  // (the mr == 1 GEMV kernel for M == 1). Every micro-kernel of the list also runs alone under
  // "<kernel>/direct/<list>/M:../N:../K:.." (select with --benchmark_filter=direct; GEMM shapes only).
  // "<kernel>/s8out/..." is the whole static-int8 layer (t2i8_gemm_s8: requantized int8 output; for
  // M > 1 named after the kernel's requantizing form where it has one).
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot})
    if (isa_supported(isa)) isas.push_back(isa);

  for (const char* list : {"resnet18", "resnet50", "mobilenetv2", "fc"}) {
    for (const Shape& s : read_shapes(dir, list)) {
      for (Isa isa : isas) {
        const T2I8GemmUkernel* gemm = t2i8_gemm_choose_ukernel(isa, s.n, s.k, pack_options_for(s));
        const T2I8GemmUkernel* ukernel = s.m == 1 ? t2i8_gemm_ukernel_for(isa, true, gemm->nr, gemm->layout) : gemm;
        benchmark::RegisterBenchmark((std::string(ukernel->name) + shape_name(s)).c_str(), bench_ternary, s, isa,
                                     false);
        // The int8 layer runs the kernel's requantizing form where it has one (minmax-fp32-gemm.inc).
        const MinmaxFormUkernel* minmax = s.m == 1 ? nullptr : minmax_fp32_form_of(ukernel->fn);
        benchmark::RegisterBenchmark((std::string(minmax ? minmax->name : ukernel->name) + "/s8out" + shape_name(s)).c_str(),
                                     bench_ternary, s, isa, true);
      }
      register_direct_ukernels(t2i8_gemm_ukernels, s);
      benchmark::RegisterBenchmark(("xnnpack_qs8" + shape_name(s)).c_str(), bench_xnnpack_qs8, s);
      benchmark::RegisterBenchmark(("xnnpack_qc8" + shape_name(s)).c_str(), bench_xnnpack_qc8, s);
      benchmark::RegisterBenchmark(("xnnpack_f32" + shape_name(s)).c_str(), bench_xnnpack_f32, s);
    }
  }
  // First layers with int8 weights (i8i8 kernels), one per supported ISA, next to XNNPACK.
  for (const Shape& s : read_shapes(dir, "stems")) {
    for (Isa isa : isas) {
      const T2I8GemmUkernel* ukernel = i8i8_gemm_choose_ukernel(isa, s.n);
      benchmark::RegisterBenchmark((std::string(ukernel->name) + shape_name(s)).c_str(), bench_int8_weights, s, isa);
    }
    register_direct_ukernels(i8i8_gemm_ukernels, s);
    benchmark::RegisterBenchmark(("xnnpack_qs8" + shape_name(s)).c_str(), bench_xnnpack_qs8, s);
    benchmark::RegisterBenchmark(("xnnpack_qc8" + shape_name(s)).c_str(), bench_xnnpack_qc8, s);
    benchmark::RegisterBenchmark(("xnnpack_f32" + shape_name(s)).c_str(), bench_xnnpack_f32, s);
  }
  // Repetitions in random order by default: on a shared machine, benchmarks run one after another
  // see different loads, and a ternary/XNNPACK ratio of one shape moved +-15% between runs. An
  // explicit --benchmark_enable_random_interleaving=false still wins (later flags override).
  std::vector<char*> args(argv, argv + argc);
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  args.insert(args.begin() + 1, interleave);
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  xnn_deinitialize();
  return 0;
}
