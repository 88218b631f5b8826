// The static int8 path: a model whose activation tensors carry ranges runs int8 between layers.
// Checked against the dynamic path of the same model (the ranges come from a dynamic run, so the
// two differ only by int8 rounding), operator by operator through the int8 tensors themselves,
// and for the kernels chosen, the API, thread/ISA independence and the verifier's rules.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"
#include "ternrt/kernels/t2i8-gemm.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

struct QuantParams {
  float scale;
  int32_t zero_point;
};

// The converter's rule (docs/format.md): the range extended to include 0, 255 steps.
QuantParams params_for(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (hi == lo) return {1.0f, 0};
  const float scale = (hi - lo) / 255.0f;
  const float zp = std::nearbyint(-128.0f - lo / scale);
  return {scale, static_cast<int32_t>(std::min(127.0f, std::max(-128.0f, zp)))};
}

// x (1,8,8,5) -> ternary 3x3 conv + ReLU -> a -> float 3x3 stride 2 + ReLU6 -> b -> ternary 1x1
// -> c -> ADD(a', c) where a' = ternary 1x1 of a -> d -> ternary 1x1 + ReLU6 -> e -> GAP -> f
// -> RESHAPE -> g -> ternary FC -> y. Covers: f32 -> s8 ternary, s8 -> s8 ternary, a float-weight
// convolution with int8 weights (i8i8 kernels), qs8 add, qs8 GAP, s8 reshape, s8 -> f32 at the
// graph output. (Depthwise ones run in float, see conv2d.cc.)
struct TestModel {
  ModelBuilder mb;
  std::map<std::string, int> t;
  std::vector<float> wf;  // the final FC's weights (3 x D), scale * trit
};

void build(TestModel& m, std::mt19937& rng) {
  ModelBuilder& mb = m.mb;
  auto& t = m.t;
  const int C = 5, H = 8, W = 8, D = 32;  // D >= 32: 1x1 ternary layers stay int8 (ternary-gemm.h)
  t["x"] = mb.activation("x", {1, H, W, C});
  const int w1 = mb.ternary("w1", {D, 3, 3, C}, random_trits(rng, D * 9 * C), random_floats(rng, D, 0.05f, 0.3f));
  const int b1 = mb.constant("b1", {D}, random_floats(rng, D, -0.2f, 0.2f));
  t["a"] = mb.activation("a", {1, H, W, D});
  mb.op(fb::OpCode::CONV_2D, {t["x"], w1, b1}, {t["a"]}, conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
  const int wd = mb.constant("wd", {D, 3, 3, D}, random_floats(rng, D * 9 * D, -0.2f, 0.2f));
  const int bd = mb.constant("bd", {D}, random_floats(rng, D, -0.1f, 0.1f));
  t["b"] = mb.activation("b", {1, H / 2, W / 2, D});
  mb.op(fb::OpCode::CONV_2D, {t["a"], wd, bd}, {t["b"]}, conv_options(2, 1, 1, 0, 0, 1, 1, fb::Activation::RELU6));
  const int w2 = mb.ternary("w2", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
  t["c"] = mb.activation("c", {1, H / 2, W / 2, D});
  mb.op(fb::OpCode::CONV_2D, {t["b"], w2}, {t["c"]}, conv_options(1, 0, 0, 0, 0));
  const int w3 = mb.ternary("w3", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
  t["a2"] = mb.activation("a2", {1, H / 2, W / 2, D});
  // ReLU on a2: the ADD stays an operator of its own (XNNPACK qs8; without an activation here it would
  // run inside this layer, residual-fusion.h).
  mb.op(fb::OpCode::CONV_2D, {t["b"], w3}, {t["a2"]}, conv_options(1, 0, 0, 0, 0, 1, 1, fb::Activation::RELU));
  t["d"] = mb.activation("d", {1, H / 2, W / 2, D});
  fb::ElementwiseOptionsT add;
  add.activation = std::make_unique<fb::FusedActivationT>();
  add.activation->type = fb::Activation::RELU;
  mb.op(fb::OpCode::ADD, {t["a2"], t["c"]}, {t["d"]}, options(std::move(add)));
  const int w4 = mb.ternary("w4", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
  const int b4 = mb.constant("b4", {D}, random_floats(rng, D, -0.2f, 0.2f));
  t["e"] = mb.activation("e", {1, H / 2, W / 2, D});
  mb.op(fb::OpCode::CONV_2D, {t["d"], w4, b4}, {t["e"]}, conv_options(1, 0, 0, 0, 0, 1, 1, fb::Activation::RELU6));
  t["f"] = mb.activation("f", {1, 1, 1, D});
  mb.op(fb::OpCode::GLOBAL_AVG_POOL, {t["e"]}, {t["f"]}, options(fb::ReshapeOptionsT{}));
  t["g"] = mb.activation("g", {1, D});
  mb.op(fb::OpCode::RESHAPE, {t["f"]}, {t["g"]}, options(fb::ReshapeOptionsT{}));
  const auto wf_trits = random_trits(rng, 3 * D);
  const auto wf_scales = random_floats(rng, 3, 0.05f, 0.3f);
  for (size_t i = 0; i < wf_trits.size(); ++i) m.wf.push_back(wf_scales[i / D] * wf_trits[i]);
  const int wf = mb.ternary("wf", {3, D}, wf_trits, wf_scales);
  t["y"] = mb.activation("y", {1, 3});
  mb.op(fb::OpCode::FULLY_CONNECTED, {t["g"], wf}, {t["y"]}, fc_options());
  mb.inputs({t["x"]});
  mb.outputs({t["y"]});
}

struct Run {
  std::vector<float> output;
  std::map<int, std::vector<float>> tensors;  // every activation, dequantized when stored as int8
  std::map<int, std::vector<int8_t>> int8;    // the int8 ones as stored
  std::vector<std::string> kernels;
  std::string mode;
  size_t arena = 0;
};

Run run(const std::vector<uint8_t>& bytes, const std::vector<float>& input, uint32_t flags, unsigned threads = 1,
        const char* isa = nullptr) {
  ternrt_model* m = nullptr;
  REQUIRE_MESSAGE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK, ternrt_last_error());
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  o.flags = flags | TERNRT_FLAG_PRESERVE_ALL_TENSORS;
  o.num_threads = threads;
  o.isa = isa;
  ternrt_interpreter* it = nullptr;
  REQUIRE_MESSAGE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK, ternrt_last_error());
  REQUIRE(ternrt_interpreter_set_input(it, 0, input.data(), input.size() * 4) == TERNRT_OK);
  REQUIRE_MESSAGE(ternrt_interpreter_invoke(it) == TERNRT_OK, ternrt_last_error());
  Run r;
  ternrt_tensor_info out_info;
  REQUIRE(ternrt_interpreter_output_info(it, 0, &out_info) == TERNRT_OK);
  r.output.resize(out_info.bytes / 4);
  REQUIRE(ternrt_interpreter_get_output(it, 0, r.output.data(), out_info.bytes) == TERNRT_OK);
  r.mode = ternrt_interpreter_activation_mode(it);
  r.arena = ternrt_interpreter_arena_bytes(it);
  for (size_t i = 0; i < ternrt_interpreter_op_count(it); ++i) {
    ternrt_op_info info;
    REQUIRE(ternrt_interpreter_op_info(it, i, &info) == TERNRT_OK);
    r.kernels.push_back(info.kernel);
  }
  for (size_t i = 0; i < ternrt_interpreter_tensor_count(it); ++i) {
    ternrt_tensor_info info;
    const void* data = nullptr;
    if (ternrt_interpreter_tensor(it, i, &info, &data) != TERNRT_OK || info.rank == 0) continue;
    if (info.type == TERNRT_I8) {
      float scale = 0;
      int32_t zp = 0;
      REQUIRE(ternrt_interpreter_tensor_quantization(it, i, &scale, &zp) == TERNRT_OK);
      const int8_t* q = static_cast<const int8_t*>(data);
      r.int8[static_cast<int>(i)].assign(q, q + info.bytes);
      auto& v = r.tensors[static_cast<int>(i)];
      for (size_t j = 0; j < info.bytes; ++j) v.push_back(scale * (q[j] - zp));
    } else if (info.type == TERNRT_F32) {
      const float* f = static_cast<const float*>(data);
      r.tensors[static_cast<int>(i)].assign(f, f + info.bytes / 4);
    }
  }
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
  return r;
}

void set_quantization(ModelBuilder& mb, int tensor, QuantParams p) {
  auto q = std::make_unique<fb::QuantizationT>();
  q->scale = {p.scale};
  q->zero_point = {p.zero_point};
  mb.model().graph->tensors[tensor]->quantization = std::move(q);
}

// The converter's params for the range a run saw on `values`.
QuantParams params_of(const std::vector<float>& values) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return params_for(*lo, *hi);
}

// Gives each of `tensors` the params of the range it had in `r`.
void set_ranges_from(ModelBuilder& mb, const Run& r, std::initializer_list<int> tensors) {
  for (int t : tensors) set_quantization(mb, t, params_of(r.tensors.at(t)));
}

// The test model, and the same model with ranges taken from a dynamic run on `input`.
struct Models {
  std::vector<uint8_t> plain, with_ranges;
  std::map<std::string, int> t;
  std::map<int, QuantParams> params;
  std::vector<float> wf;
};

Models make_models(std::mt19937& rng, const std::vector<float>& input) {
  TestModel m;
  build(m, rng);
  Models out;
  out.plain = m.mb.finish();
  out.t = m.t;
  out.wf = m.wf;
  const Run dynamic = run(out.plain, input, 0);
  for (const auto& [name, index] : m.t) out.params[index] = params_of(dynamic.tensors.at(index));
  out.params[m.t["g"]] = out.params[m.t["f"]];  // a reshape keeps its input's range
  for (const auto& [index, p] : out.params) set_quantization(m.mb, index, p);
  out.with_ranges = m.mb.finish();
  return out;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The model in bytes with an interpreter of default options (both to be deleted by the caller).
ternrt_interpreter* open_default(const std::vector<uint8_t>& bytes, ternrt_model** m) {
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), m) == TERNRT_OK);
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  ternrt_interpreter* it = nullptr;
  REQUIRE(ternrt_interpreter_create(*m, &o, &it) == TERNRT_OK);
  return it;
}

// The static path gives `want` bit for bit with 2 threads and under every ISA this machine runs.
void check_same_output_everywhere(const std::vector<uint8_t>& bytes, const std::vector<float>& input,
                                  const std::vector<float>& want) {
  CHECK(run(bytes, input, 0, 2).output == want);
  for (const char* isa : {"scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"}) {
    kernels::Isa parsed;
    REQUIRE(kernels::parse_isa(isa, &parsed));
    if (!kernels::isa_supported(parsed)) continue;
    INFO("ISA " << std::string(isa));
    CHECK(run(bytes, input, 0, 1, isa).output == want);
  }
}

// x (1, h, w, c) -> ternary 3x3 conv (pad 1, d channels) -> a -> MAX_POOL (kernel x kernel, stride
// 2, pad on every side) -> b (1, oh, ow, d).
struct PoolChain {
  int x, a, b;
};
PoolChain conv_then_max_pool(ModelBuilder& mb, std::mt19937& rng, int c, int d, int h, int w, int kernel, int pad, int oh,
                             int ow) {
  PoolChain t{};
  t.x = mb.activation("x", {1, h, w, c});
  const int w1 = mb.ternary("w1", {d, 3, 3, c}, random_trits(rng, d * 9 * c), random_floats(rng, d, 0.05f, 0.3f));
  t.a = mb.activation("a", {1, h, w, d});
  mb.op(fb::OpCode::CONV_2D, {t.x, w1}, {t.a}, conv_options(1, 1, 1, 1, 1));
  fb::Pool2DOptionsT pool;
  pool.kernel_h = pool.kernel_w = kernel;
  pool.stride_h = pool.stride_w = 2;
  pool.pad_top = pool.pad_left = pool.pad_bottom = pool.pad_right = pad;
  t.b = mb.activation("b", {1, oh, ow, d});
  mb.op(fb::OpCode::MAX_POOL_2D, {t.a}, {t.b}, options(std::move(pool)));
  return t;
}

// x (1, h, w, c) -> ternary 3x3 (pad 1, d channels) + ReLU -> the returned tensor "a" (1, h, w, d).
int ternary_3x3_relu(ModelBuilder& mb, std::mt19937& rng, int x, int c, int d, int h, int w) {
  const int weights = mb.ternary("w0", {d, 3, 3, c}, random_trits(rng, size_t(d * 9 * c)), random_floats(rng, size_t(d), 0.05f, 0.3f));
  const int a = mb.activation("a", {1, h, w, d});
  mb.op(fb::OpCode::CONV_2D, {x, weights}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
  return a;
}

}  // namespace

TEST_CASE("static int8: every operator of a mixed model runs on int8 and agrees with the dynamic path") {
  std::mt19937 rng(test_seed());
  const auto input = random_floats(rng, 8 * 8 * 5, -1.0f, 2.0f);
  const Models models = make_models(rng, input);
  const auto& t = models.t;
  const Run dynamic = run(models.with_ranges, input, TERNRT_FLAG_DYNAMIC_ACTIVATIONS);
  const Run plain = run(models.plain, input, 0);
  const Run stat = run(models.with_ranges, input, 0);
  CHECK(plain.mode == "dynamic");
  CHECK(dynamic.mode == "dynamic");
  CHECK(stat.mode == "static");
  // The flag gives exactly the model without ranges.
  CHECK(dynamic.output == plain.output);

  // Graph input and output stay float; every other activation with a range is int8.
  CHECK(stat.int8.count(t.at("x")) == 0);
  CHECK(stat.int8.count(t.at("y")) == 0);
  for (const char* name : {"a", "b", "c", "a2", "d", "e", "f", "g"}) {
    INFO("tensor " << name);
    CHECK(stat.int8.count(t.at(name)) == 1);
  }
  CHECK(stat.arena < dynamic.arena);

  // Kernels: which form each operator took.
  REQUIRE(stat.kernels.size() == 9);
  CHECK(contains(stat.kernels[0], "(f32 static -> s8)"));  // the graph input is float, with a range
  CHECK(stat.kernels[1].rfind("i8i8_gemm_", 0) == 0);   // float weights run as int8
  CHECK(contains(stat.kernels[1], "(s8 -> s8)"));
  CHECK(contains(stat.kernels[2], "(s8 -> s8)"));
  CHECK(stat.kernels[4] == "xnnpack qs8 add");
  CHECK(contains(stat.kernels[5], "(s8 -> s8)"));
  CHECK(stat.kernels[6] == "xnnpack qs8 gavgpool");
  CHECK(stat.kernels[7] == "copy s8");
  CHECK(contains(stat.kernels[8], "(s8 -> f32)"));

  // Operator by operator: feed each int8 operator the static run's own int8 input (dequantized)
  // is not possible through the API, so compare each tensor with the dynamic run within the
  // rounding the int8 path adds: a few steps of the tensor's scale, growing along the graph.
  const char* order[] = {"a", "b", "c", "a2", "d", "e", "f", "g"};
  double steps_allowed = 1.0;
  for (const char* name : order) {
    const int index = t.at(name);
    const auto& got = stat.tensors.at(index);
    const auto& want = dynamic.tensors.at(index);
    REQUIRE(got.size() == want.size());
    const float scale = models.params.at(index).scale;
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want[i]) / scale);
    INFO("tensor " << name << ": worst difference " << worst << " steps");
    CHECK(worst <= steps_allowed + 3.0);
    steps_allowed += 2.0;
  }
  // The float output y = wf * g: its difference is bounded by the difference the two runs have in g,
  // plus the rounding of the dynamic path's own quantization of g (half a step of g's range / 255),
  // weighted by |wf|. (A tolerance relative to y failed for ~5% of seeds, whenever y was near 0.)
  const auto& g_stat = stat.tensors.at(t.at("g"));
  const auto& g_dyn = dynamic.tensors.at(t.at("g"));
  const auto [g_lo, g_hi] = std::minmax_element(g_dyn.begin(), g_dyn.end());
  const double dynamic_step = (std::max(0.0f, *g_hi) - std::min(0.0f, *g_lo)) / 255.0;
  const size_t depth = g_stat.size();
  REQUIRE(models.wf.size() == 3 * depth);
  for (size_t i = 0; i < 3; ++i) {
    double bound = 1e-5;
    for (size_t k = 0; k < depth; ++k)
      bound += std::fabs(models.wf[i * depth + k]) * (std::fabs(double(g_stat[k]) - g_dyn[k]) + 0.5 * dynamic_step);
    CHECK(std::fabs(double(stat.output[i]) - dynamic.output[i]) <= bound);
  }
}

TEST_CASE("static int8: the first layer's int8 output is the requantized float result") {
  // One ternary conv with float input and int8 output, followed by another ternary conv so the int8
  // tensor is an interior one: q = clamp(round(y / scale) + zp) of the dynamic path's float y, off by at
  // most one step (the float epilogue and the requantizing one round differently).
  std::mt19937 rng(test_seed() + 1);
  const int C = 7, D = 35, H = 6, W = 5;
  const auto input = random_floats(rng, H * W * C, -2.0f, 1.0f);
  for (auto act : {fb::Activation::NONE, fb::Activation::RELU, fb::Activation::RELU6}) {
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int w = mb.ternary("w", {D, 3, 3, C}, random_trits(rng, D * 9 * C), random_floats(rng, D, 0.05f, 0.5f));
    const int b = mb.constant("b", {D}, random_floats(rng, D, -0.5f, 0.5f));
    const int a = mb.activation("a", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {x, w, b}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, act));
    // 16 outputs: a narrower ternary layer with a float output would run in float (conv2d.cc) and
    // turn `a` float.
    const int w2 = mb.ternary("w2", {16, 1, 1, D}, random_trits(rng, 16 * D), random_floats(rng, 16, 0.05f, 0.5f));
    const int y = mb.activation("y", {1, H, W, 16});
    mb.op(fb::OpCode::CONV_2D, {a, w2}, {y}, conv_options(1, 0, 0, 0, 0));
    mb.inputs({x});
    mb.outputs({y});
    const auto plain = mb.finish();
    const Run dynamic = run(plain, input, 0);
    const auto& av = dynamic.tensors.at(a);
    const auto [lo, hi] = std::minmax_element(av.begin(), av.end());
    // A range narrower than the data, so both clamps are exercised.
    const QuantParams p = params_for(*lo * 0.8f, *hi * 0.8f);
    set_quantization(mb, a, p);
    const Run stat = run(mb.finish(), input, 0);
    const auto& q = stat.int8.at(a);
    REQUIRE(q.size() == av.size());
    int worst = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      const double expected = std::min(127.0, std::max(-128.0, std::nearbyint(double(av[i]) / p.scale) + p.zero_point));
      worst = std::max(worst, static_cast<int>(std::fabs(q[i] - expected)));
    }
    INFO("activation " << fb::EnumNameActivation(act));
    CHECK(worst <= 1);
  }
}

// max |got - want| as a fraction of max |want|.
static double worst_error_of_peak(const std::vector<float>& got, const std::vector<float>& want) {
  double worst = 0, peak = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
    peak = std::max(peak, std::fabs(double(want[i])));
  }
  return worst / peak;
}

TEST_CASE("static int8: a ternary layer narrower than 16 channels with a float output runs in float") {
  // x -> ternary 3x3 -> a -> ternary 1x1 with N outputs -> y (float graph output). With N < 16 the 1x1
  // runs in XNNPACK f32 with expanded weights, so `a` stays float (no quantization pass in the 3x3);
  // from N = 16 on it is a t2i8 layer reading `a` as int8. Both compute the same function: the
  // output stays within the int8 path's rounding of the float run's.
  std::mt19937 rng(test_seed() + 9);
  const int C = 5, D = 40, H = 6, W = 7;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (int n : {12, 15, 16}) {
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int w = mb.ternary("w", {D, 3, 3, C}, random_trits(rng, D * 9 * C), random_floats(rng, D, 0.05f, 0.3f));
    const int a = mb.activation("a", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {x, w}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
    const int w2 = mb.ternary("w2", {n, 1, 1, D}, random_trits(rng, n * D), random_floats(rng, n, 0.05f, 0.3f));
    const int y = mb.activation("y", {1, H, W, n});
    mb.op(fb::OpCode::CONV_2D, {a, w2}, {y}, conv_options(1, 0, 0, 0, 0));
    mb.inputs({x});
    mb.outputs({y});
    const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
    set_ranges_from(mb, as_float, {x, a});
    const Run stat = run(mb.finish(), input, 0);
    INFO("N = " << n << ": " << stat.kernels[0] << " | " << stat.kernels[1]);
    REQUIRE(stat.mode == "static");
    REQUIRE(stat.kernels.size() == 2);
    if (n < 16) {
      CHECK(stat.kernels[1] == "xnnpack f32 conv (ternary weights expanded)");
      CHECK(stat.int8.count(a) == 0);
      CHECK(contains(stat.kernels[0], "-> f32)"));
    } else {
      CHECK(stat.kernels[1].rfind("t2i8_gemm_", 0) == 0);
      CHECK(stat.int8.count(a) == 1);
      CHECK(contains(stat.kernels[0], "-> s8)"));
    }
    // The ternary products are the same; only the int8 roundings of x (and of a for N >= 16) differ.
    CHECK(worst_error_of_peak(stat.output, as_float.output) <= 0.05);
  }
}

TEST_CASE("static int8: shallow ternary layers (K < 32) between int8 tensors run on the ternary kernels") {
  // x -> ternary 3x3 (K = 45) + ReLU -> a -> ternary 1x1, K = 16, bias, ReLU6 -> b -> ternary 1x1,
  // K = 24 -> c -> GAP -> f -> RESHAPE -> g -> ternary FC, K = 20 -> y (float). With a float side
  // such layers run in XNNPACK f32 (ternary-gemm.h); between int8 tensors there is no quantizing
  // pass, and they run the t2i8 kernels (not int8-weight kernels on expanded weights): b is the
  // requantized exact product of a's int8 values, and the bits are the same for every ISA and thread
  // count.
  std::mt19937 rng(test_seed() + 13);
  const int C = 5, H = 7, W = 6, D1 = 16, D2 = 24, D3 = 20, N = 6;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  ModelBuilder mb;
  const int x = mb.activation("x", {1, H, W, C});
  const int w1 = mb.ternary("w1", {D1, 3, 3, C}, random_trits(rng, D1 * 9 * C), random_floats(rng, D1, 0.05f, 0.3f));
  const int a = mb.activation("a", {1, H, W, D1});
  mb.op(fb::OpCode::CONV_2D, {x, w1}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
  const auto t2 = random_trits(rng, D2 * D1);
  const auto s2 = random_floats(rng, D2, 0.05f, 0.3f), bias2 = random_floats(rng, D2, -0.3f, 0.3f);
  const int w2 = mb.ternary("w2", {D2, 1, 1, D1}, t2, s2);
  const int b2 = mb.constant("b2", {D2}, bias2);
  const int b = mb.activation("b", {1, H, W, D2});
  mb.op(fb::OpCode::CONV_2D, {a, w2, b2}, {b}, conv_options(1, 0, 0, 0, 0, 1, 1, fb::Activation::RELU6));
  const int w3 = mb.ternary("w3", {D3, 1, 1, D2}, random_trits(rng, D3 * D2), random_floats(rng, D3, 0.05f, 0.3f));
  const int c = mb.activation("c", {1, H, W, D3});
  mb.op(fb::OpCode::CONV_2D, {b, w3}, {c}, conv_options(1, 0, 0, 0, 0));
  const int f = mb.activation("f", {1, 1, 1, D3});
  mb.op(fb::OpCode::GLOBAL_AVG_POOL, {c}, {f}, options(fb::ReshapeOptionsT{}));
  const int g = mb.activation("g", {1, D3});
  mb.op(fb::OpCode::RESHAPE, {f}, {g}, options(fb::ReshapeOptionsT{}));
  const int wf = mb.ternary("wf", {N, D3}, random_trits(rng, N * D3), random_floats(rng, N, 0.05f, 0.3f));
  const int y = mb.activation("y", {1, N});
  mb.op(fb::OpCode::FULLY_CONNECTED, {g, wf}, {y}, fc_options());
  mb.inputs({x});
  mb.outputs({y});
  const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
  set_ranges_from(mb, as_float, {x, a, b, c, f});
  set_quantization(mb, g, params_of(as_float.tensors.at(f)));   // a reshape keeps its input's range
  const auto bytes = mb.finish();
  const Run stat = run(bytes, input, 0);
  REQUIRE(stat.mode == "static");
  REQUIRE(stat.kernels.size() == 6);
  for (size_t i : {size_t(1), size_t(2), size_t(5)}) {
    INFO("operator " << i << ": " << stat.kernels[i]);
    CHECK(stat.kernels[i].rfind("t2i8_gemm_", 0) == 0);
  }
  for (int t : {a, b, c, f, g}) CHECK(stat.int8.count(t) == 1);

  // b from a's int8 values: acc = sum t * (q_a - z_a) exactly, y = acc * scale * s_a + bias, ReLU6,
  // requantized; off by at most one step (the kernels' float epilogue rounds in its own order).
  const QuantParams pa = params_of(as_float.tensors.at(a)), pb = params_of(as_float.tensors.at(b));
  const auto& qa = stat.int8.at(a);
  const auto& qb = stat.int8.at(b);
  REQUIRE(qb.size() == size_t(H * W * D2));
  int worst = 0;
  for (int p = 0; p < H * W; ++p) {
    for (int n = 0; n < D2; ++n) {
      int32_t acc = 0;
      for (int k = 0; k < D1; ++k) acc += t2[n * D1 + k] * (qa[p * D1 + k] - pa.zero_point);
      const double v = std::min(6.0, std::max(0.0, double(acc) * s2[n] * pa.scale + bias2[n]));
      const double want = std::min(127.0, std::max(-128.0, std::nearbyint(v / pb.scale) + pb.zero_point));
      worst = std::max(worst, static_cast<int>(std::fabs(qb[p * D2 + n] - want)));
    }
  }
  CHECK(worst <= 1);
  // The same function as the float model, within the int8 roundings.
  CHECK(worst_error_of_peak(stat.output, as_float.output) <= 0.08);
  check_same_output_everywhere(bytes, input, stat.output);
}

TEST_CASE("static int8: a squeeze-excite product runs on int8 (scale_channels_s8) and keeps its block int8") {
  // x -> ternary 1x1 (K = 36) + ReLU -> a -> depthwise 3x3 + ReLU6 -> b -> GAP -> f -> ternary 1x1
  // (a MobileNetV3 block: HardSwish on both, run by the epilogues' HardSwish form)
  // (K = 40 -> 8) + ReLU -> r -> float 1x1 (8 -> 40) + HardSigmoid -> gate (float: HardSigmoid has no
  // int8 form) -> MUL(b, gate) (or MUL(gate, b)) -> c -> ternary 1x1 -> y (float). The MUL reads b and
  // writes c as int8, so the depthwise layer stays on int8 too; c is the int8 epilogue of b - z_b with
  // multiplier s_b * gate / s_c and offset z_c, exactly, and the bits are the same on every ISA.
  std::mt19937 rng(test_seed() + 14);
  const int C = 36, D = 40, R = 8, H = 6, W = 7, N = 16;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (int variant = 0; variant < 3; ++variant) {
    const bool gate_first = variant == 1, hardswish = variant == 2;
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int w1 = mb.ternary("w1", {D, 1, 1, C}, random_trits(rng, D * C), random_floats(rng, D, 0.1f, 0.4f));
    const int a = mb.activation("a", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {x, w1}, {a},
          conv_options(1, 0, 0, 0, 0, 1, 1, hardswish ? fb::Activation::HARD_SWISH : fb::Activation::RELU));
    const int wd = mb.constant("wd", {D, 3, 3, 1}, random_floats(rng, D * 9, -0.5f, 0.5f));
    const int b = mb.activation("b", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {a, wd}, {b},
          conv_options(1, 1, 1, 1, 1, D, 1, hardswish ? fb::Activation::HARD_SWISH : fb::Activation::RELU6));
    const int f = mb.activation("f", {1, 1, 1, D});
    mb.op(fb::OpCode::GLOBAL_AVG_POOL, {b}, {f}, options(fb::ReshapeOptionsT{}));
    const int wr = mb.ternary("wr", {R, 1, 1, D}, random_trits(rng, R * D), random_floats(rng, R, 0.1f, 0.4f));
    const int r = mb.activation("r", {1, 1, 1, R});
    mb.op(fb::OpCode::CONV_2D, {f, wr}, {r}, conv_options(1, 0, 0, 0, 0, 1, 1, fb::Activation::RELU));
    const int we = mb.constant("we", {D, 1, 1, R}, random_floats(rng, D * R, -1.0f, 1.0f));
    const int be = mb.constant("be", {D}, random_floats(rng, D, -0.5f, 0.5f));
    const int gate = mb.activation("gate", {1, 1, 1, D});
    mb.op(fb::OpCode::CONV_2D, {r, we, be}, {gate}, conv_options(1, 0, 0, 0, 0, 1, 1, fb::Activation::HARD_SIGMOID));
    const int c = mb.activation("c", {1, H, W, D});
    fb::ElementwiseOptionsT mul;
    mul.activation = std::make_unique<fb::FusedActivationT>();
    mb.op(fb::OpCode::MUL, gate_first ? std::vector<int>{gate, b} : std::vector<int>{b, gate}, {c}, options(std::move(mul)));
    const int w3 = mb.ternary("w3", {N, 1, 1, D}, random_trits(rng, N * D), random_floats(rng, N, 0.1f, 0.4f));
    const int y = mb.activation("y", {1, H, W, N});
    mb.op(fb::OpCode::CONV_2D, {c, w3}, {y}, conv_options(1, 0, 0, 0, 0));
    mb.inputs({x});
    mb.outputs({y});
    const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
    set_ranges_from(mb, as_float, {x, a, b, f, r, gate, c});
    const auto bytes = mb.finish();
    const Run stat = run(bytes, input, 0);
    INFO("MUL(" << (gate_first ? "gate, b" : "b, gate") << "), " << (hardswish ? "HardSwish" : "ReLU") << ": "
                << stat.kernels[0] << " | " << stat.kernels[1] << " | " << stat.kernels[5]);
    REQUIRE(stat.mode == "static");
    REQUIRE(stat.kernels.size() == 7);
    CHECK(stat.kernels[5].rfind("scale_channels_s8__", 0) == 0);
    CHECK(stat.kernels[1].rfind("dwconv_s8_", 0) == 0);
    CHECK(contains(stat.kernels[1], "(hardswish)") == hardswish);
    CHECK(contains(stat.kernels[0], "(f32 static -> s8, hardswish)") == hardswish);
    for (int t : {a, b, c}) CHECK(stat.int8.count(t) == 1);
    REQUIRE(stat.int8.count(gate) == 0);   // HardSigmoid writes float

    const QuantParams pb = params_of(as_float.tensors.at(b)), pc = params_of(as_float.tensors.at(c));
    const auto& qb = stat.int8.at(b);
    const auto& qc = stat.int8.at(c);
    const auto& g = stat.tensors.at(gate);
    REQUIRE(qc.size() == size_t(H * W * D));
    size_t differ = 0;
    for (size_t i = 0; i < qc.size(); ++i) {
      const float m = pb.scale * g[i % D] / pc.scale;
      float v = std::fma(float(int32_t(qb[i]) - pb.zero_point), m, float(pc.zero_point));
      v = std::min(127.0f, std::max(-128.0f, v));
      differ += qc[i] != int8_t(std::nearbyint(v));
    }
    CHECK(differ == 0);
    CHECK(worst_error_of_peak(stat.output, as_float.output) <= 0.08);
    check_same_output_everywhere(bytes, input, stat.output);
  }
}

TEST_CASE("static int8: a depthwise layer after a qs8 ADD, average pools and a float-output GAP keep int8 tensors") {
  // x -> ternary 3x3 + ReLU -> a; ternary 1x1 of a -> a2 (with a ReLU in variants 1 and 3; without one
  // in variants 0 and 2, where the ADD runs inside that layer: residual-fusion.h); ADD(a, a2) -> s
  // (xnnpack qs8) -> depthwise
  // 3x3 / 2 + ReLU6 -> d -> AVG_POOL 2x2 (count_include_pad 3x3 / 2 pad 1 in variant 1) -> p ->
  // ternary 1x1 -> e -> GAP -> y (float graph output); in variant 2 p is the graph output. The ADD
  // writes int8 for free, so the depthwise layer runs on int8 after it; the pools read int8 (exact
  // sums) and write int8 or float; the GAP reads int8 and writes float. Each used to be a float
  // operator that, through the fixed point of int8 tensors, turned the tensors before it float.
  std::mt19937 rng(test_seed() + 15);
  const int C = 5, D = 40, H = 10, W = 9, N = 24;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  // Variant 3: the pool has a fused HardSwish (no int8 form in the pool): it runs in float between
  // conversions, its int8 output quantized.
  for (int variant = 0; variant < 4; ++variant) {
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int a = ternary_3x3_relu(mb, rng, x, C, D, H, W);
    const int w2 = mb.ternary("w2", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
    const int a2 = mb.activation("a2", {1, H, W, D});
    const bool fused = variant % 2 == 0;
    mb.op(fb::OpCode::CONV_2D, {a, w2}, {a2},
          conv_options(1, 0, 0, 0, 0, 1, 1, fused ? fb::Activation::NONE : fb::Activation::RELU));
    const int sum = mb.activation("s", {1, H, W, D});
    fb::ElementwiseOptionsT add;
    add.activation = std::make_unique<fb::FusedActivationT>();
    mb.op(fb::OpCode::ADD, {a, a2}, {sum}, options(std::move(add)));
    const int wd = mb.constant("wd", {D, 3, 3, 1}, random_floats(rng, D * 9, -0.5f, 0.5f));
    const int OH = H / 2, OW = (W + 1) / 2;
    const int d = mb.activation("d", {1, OH, OW, D});
    mb.op(fb::OpCode::CONV_2D, {sum, wd}, {d}, conv_options(2, 1, 1, 1, 1, D, 1, fb::Activation::RELU6));
    fb::Pool2DOptionsT pool;
    const bool padded = variant == 1;
    pool.kernel_h = pool.kernel_w = padded ? 3 : 2;
    pool.stride_h = pool.stride_w = 2;
    pool.pad_top = pool.pad_left = pool.pad_bottom = pool.pad_right = padded ? 1 : 0;
    pool.count_include_pad = padded;
    if (variant == 3) {
      pool.activation = std::make_unique<fb::FusedActivationT>();
      pool.activation->type = fb::Activation::HARD_SWISH;
    }
    const int PH = padded ? (OH + 2 - 3) / 2 + 1 : OH / 2, PW = padded ? (OW + 2 - 3) / 2 + 1 : OW / 2;
    const int p = mb.activation("p", {1, PH, PW, D});
    mb.op(fb::OpCode::AVG_POOL_2D, {d}, {p}, options(std::move(pool)));
    int y = p, e = -1;
    if (variant != 2) {
      const int w3 = mb.ternary("w3", {N, 1, 1, D}, random_trits(rng, N * D), random_floats(rng, N, 0.05f, 0.3f));
      e = mb.activation("e", {1, PH, PW, N});
      mb.op(fb::OpCode::CONV_2D, {p, w3}, {e}, conv_options(1, 0, 0, 0, 0));
      y = mb.activation("y", {1, 1, 1, N});
      mb.op(fb::OpCode::GLOBAL_AVG_POOL, {e}, {y}, options(fb::ReshapeOptionsT{}));
    }
    mb.inputs({x});
    mb.outputs({y});
    const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
    set_ranges_from(mb, as_float, {x, a, a2, sum, d, p});
    if (variant != 2) set_ranges_from(mb, as_float, {e});
    const auto bytes = mb.finish();
    const Run stat = run(bytes, input, 0);
    std::string kernels;
    for (const auto& k : stat.kernels) kernels += k + " | ";
    INFO("variant " << variant << ": " << kernels);
    REQUIRE(stat.mode == "static");
    if (variant == 3) {   // the pool's float input makes the tensors before it float (fixed point)
      CHECK(stat.kernels[4] == "ternrt f32 avgpool (int8 out)");
      CHECK(stat.int8.count(p) == 1);
    } else {
      CHECK(stat.kernels[2] == (fused ? "fused into operator 1 'CONV_2D_1' (CONV_2D)" : "xnnpack qs8 add"));
      CHECK(contains(stat.kernels[1], fused ? "(s8 -> s8, + residual)" : "(s8 -> s8)"));
      CHECK(stat.kernels[3].rfind("dwconv_s8_", 0) == 0);
      CHECK(stat.kernels[4] == (variant < 2 ? "ternrt avgpool (s8 -> s8)" : "ternrt avgpool (s8 -> f32)"));
      for (int t : {a, sum, d}) CHECK(stat.int8.count(t) == 1);
      CHECK(stat.int8.count(a2) == (fused ? 0u : 1u));   // fused: never computed
      CHECK(stat.int8.count(p) == (variant < 2 ? 1u : 0u));
    }
    if (variant != 2) CHECK(stat.kernels[6] == "ternrt gavgpool (s8 -> f32)");
    if (variant < 2) {
      // The int8 pool, byte for byte: exact window sums of d, the mean in float (sum less count * zero
      // point, times d's scale, times 1 / divisor), quantized with p's params. In the padded variant the
      // pixels of a row have windows of 4, 6 or 9 input pixels, all divided by 9.
      const QuantParams qd = params_of(as_float.tensors.at(d)), qp = params_of(as_float.tensors.at(p));
      const std::vector<int8_t>& dq = stat.int8.at(d);
      const int K = padded ? 3 : 2, pad = padded ? 1 : 0;
      std::vector<int8_t> want;
      for (int py = 0; py < PH; ++py) {
        for (int px = 0; px < PW; ++px) {
          for (int ch = 0; ch < D; ++ch) {
            int32_t sum = 0, count = 0;
            for (int ky = 0; ky < K; ++ky) {
              for (int kx = 0; kx < K; ++kx) {
                const int iy = py * 2 - pad + ky, ix = px * 2 - pad + kx;
                if (iy < 0 || iy >= OH || ix < 0 || ix >= OW) continue;
                sum += dq[(iy * OW + ix) * D + ch];
                ++count;
              }
            }
            const float mean = float(sum - count * qd.zero_point) * qd.scale * (1.0f / float(padded ? 9 : count));
            const float v = std::nearbyint(mean / qp.scale) + float(qp.zero_point);
            want.push_back(int8_t(std::clamp(v, -128.0f, 127.0f)));
          }
        }
      }
      CHECK(stat.int8.at(p) == want);
    }
    CHECK(worst_error_of_peak(stat.output, as_float.output) <= 0.05);
    check_same_output_everywhere(bytes, input, stat.output);
  }
}

TEST_CASE("static int8: a depthwise convolution reads int8 only after a t2i8 layer") {
  // x -> ternary k x k (K = k * k * 5) -> a -> depthwise 3x3 / stride s, ReLU6 -> b -> ternary 1x1 -> y.
  // With k = 3 (K = 45) the first layer runs t2i8 and writes int8 for free: the depthwise layer runs
  // on ternrt's int8 kernels, a and b int8, the same bits for every ISA and thread count. With k = 1
  // (K = 5 < 32) the first layer runs in float, so the depthwise layer stays XNNPACK f32 and a float.
  std::mt19937 rng(test_seed() + 11);
  const int C = 5, D = 40, H = 9, W = 11;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (int k : {3, 1}) {
    for (int stride : {1, 2}) {
      ModelBuilder mb;
      const int x = mb.activation("x", {1, H, W, C});
      const int w = mb.ternary("w", {D, k, k, C}, random_trits(rng, D * k * k * C), random_floats(rng, D, 0.05f, 0.3f));
      const int a = mb.activation("a", {1, H, W, D});
      mb.op(fb::OpCode::CONV_2D, {x, w}, {a}, conv_options(1, k / 2, k / 2, k / 2, k / 2, 1, 1, fb::Activation::RELU));
      const int dw = mb.constant("dw", {D, 3, 3, 1}, random_floats(rng, D * 9, -0.5f, 0.5f));
      const int db = mb.constant("db", {D}, random_floats(rng, D, -0.1f, 0.1f));
      const int oh = (H - 1) / stride + 1, ow = (W - 1) / stride + 1;
      const int b = mb.activation("b", {1, oh, ow, D});
      mb.op(fb::OpCode::CONV_2D, {a, dw, db}, {b}, conv_options(stride, 1, 1, 1, 1, D, 1, fb::Activation::RELU6));
      const int w2 = mb.ternary("w2", {16, 1, 1, D}, random_trits(rng, 16 * D), random_floats(rng, 16, 0.05f, 0.3f));
      const int y = mb.activation("y", {1, oh, ow, 16});
      mb.op(fb::OpCode::CONV_2D, {b, w2}, {y}, conv_options(1, 0, 0, 0, 0));
      mb.inputs({x});
      mb.outputs({y});
      const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
      set_ranges_from(mb, as_float, {x, a, b});
      const auto model = mb.finish();
      const Run stat = run(model, input, 0);
      INFO("k = " << k << ", stride " << stride << ": " << stat.kernels[0] << " | " << stat.kernels[1]);
      REQUIRE(stat.mode == "static");
      REQUIRE(stat.kernels.size() == 3);
      if (k == 3) {
        CHECK(stat.kernels[1].rfind("dwconv_s8_", 0) == 0);
        CHECK(stat.int8.count(a) == 1);
        CHECK(stat.int8.count(b) == 1);
        const Run two = run(model, input, 0, 2);
        CHECK(two.output == stat.output);
        for (const char* isa : {"scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"}) {
          kernels::Isa parsed;
          REQUIRE(kernels::parse_isa(isa, &parsed));
          if (!kernels::isa_supported(parsed)) continue;
          INFO("ISA " << std::string(isa));
          const Run forced = run(model, input, 0, 1, isa);
          CHECK(forced.int8 == stat.int8);
          CHECK(forced.output == stat.output);
          // Every SIMD ISA writes a from the requantizing form of its kernel (minmax-fp32-gemm.inc).
          INFO(forced.kernels[0]);
          CHECK((forced.kernels[0].find("_gemm_minmax_fp32_") != std::string::npos) == (std::string(isa) != "scalar"));
        }
      } else {
        CHECK(stat.kernels[1] == "xnnpack f32 dwconv (int8 out)");
        CHECK(stat.int8.count(a) == 0);
      }
      // Same function: only the int8 roundings of x, a and b differ from the float run.
      CHECK(worst_error_of_peak(stat.output, as_float.output) <= 0.05);
    }
  }
}

TEST_CASE("static int8: an operator without an int8 form runs in float; its consumers decide its tensors") {
  // x -> ternary 3x3 -> a -> MAX_POOL -> b -> ternary 1x1 -> y, a and b with different ranges (the
  // int8 max pool cannot requantize: no int8 form). a stays float (its only consumer would
  // dequantize it), b is int8 (the pool's float result is quantized once).
  std::mt19937 rng(test_seed() + 4);
  const int C = 6, D = 33, H = 8, W = 8;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  ModelBuilder mb;
  const PoolChain chain = conv_then_max_pool(mb, rng, C, D, H, W, 2, 0, H / 2, W / 2);
  const int x = chain.x, a = chain.a, b = chain.b;
  const int w2 = mb.ternary("w2", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
  const int y = mb.activation("y", {1, H / 2, W / 2, D});
  mb.op(fb::OpCode::CONV_2D, {b, w2}, {y}, conv_options(1, 0, 0, 0, 0));
  mb.inputs({x});
  mb.outputs({y});
  const auto plain = mb.finish();
  const Run dynamic = run(plain, input, 0);
  set_ranges_from(mb, dynamic, {a, b});
  const Run stat = run(mb.finish(), input, 0);
  REQUIRE(stat.mode == "static");
  CHECK(stat.int8.count(a) == 0);
  CHECK(stat.int8.count(b) == 1);
  REQUIRE(stat.kernels.size() == 3);
  CHECK(contains(stat.kernels[0], "(f32)") == false);
  CHECK(stat.kernels[1] == "xnnpack f32 maxpool (int8 out)");
  CHECK(contains(stat.kernels[2], "(s8 -> f32)"));
  const float scale = params_for(*std::min_element(dynamic.tensors.at(b).begin(), dynamic.tensors.at(b).end()),
                                 *std::max_element(dynamic.tensors.at(b).begin(), dynamic.tensors.at(b).end())).scale;
  for (size_t i = 0; i < stat.output.size(); ++i) {
    // The pool's output is requantized with b's range instead of y's input being measured per invoke.
    CHECK(std::fabs(stat.output[i] - dynamic.output[i]) <= 4.0f * scale * 0.3f * D + 1e-5f);
  }
}

TEST_CASE("static int8: Sigmoid / HardSigmoid outputs stay float, HardSwish ones are int8") {
  // x -> ternary 3x3 + act -> a -> ternary 1x1 -> b -> ternary 1x1 -> y, every tensor with a range.
  // Sigmoid and HardSigmoid have no int8 form: a stays float (the 1x1 quantizes it with a's range), b
  // is int8. HardSwish runs the int8 epilogue's HardSwish form: a is int8 too.
  std::mt19937 rng(test_seed() + 11);
  const int C = 6, D = 33, H = 6, W = 6;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (auto act : {fb::Activation::HARD_SWISH, fb::Activation::SIGMOID, fb::Activation::HARD_SIGMOID}) {
    const bool hardswish = act == fb::Activation::HARD_SWISH;
    INFO("activation " << std::string(fb::EnumNameActivation(act)));
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int w1 = mb.ternary("w1", {D, 3, 3, C}, random_trits(rng, D * 9 * C), random_floats(rng, D, 0.05f, 0.3f));
    const int a = mb.activation("a", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {x, w1}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, act));
    const int w2 = mb.ternary("w2", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
    const int b = mb.activation("b", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {a, w2}, {b}, conv_options(1, 0, 0, 0, 0));
    const int w3 = mb.ternary("w3", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
    const int y = mb.activation("y", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {b, w3}, {y}, conv_options(1, 0, 0, 0, 0));
    mb.inputs({x});
    mb.outputs({y});
    const Run dynamic = run(mb.finish(), input, 0);
    set_ranges_from(mb, dynamic, {x, a, b, y});
    const auto bytes = mb.finish();
    const Run stat = run(bytes, input, 0);
    REQUIRE(stat.mode == "static");
    CHECK(stat.int8.count(a) == (hardswish ? 1u : 0u));
    CHECK(stat.int8.count(b) == 1);
    REQUIRE(stat.kernels.size() == 3);
    INFO(stat.kernels[0] << " | " << stat.kernels[1]);
    CHECK(contains(stat.kernels[0], hardswish ? "(f32 static -> s8, hardswish)" : "(f32 static -> f32)"));
    CHECK(contains(stat.kernels[1], hardswish ? "(s8 -> s8)" : "(f32 static -> s8)"));
    // a and b as the dynamic run has them, within a few of their steps (each rounded once more).
    for (int t : {a, b}) {
      const auto& got = stat.tensors.at(t);
      const auto& want = dynamic.tensors.at(t);
      REQUIRE(got.size() == want.size());
      const auto [lo, hi] = std::minmax_element(want.begin(), want.end());
      const float step = params_for(*lo, *hi).scale;
      double worst = 0;
      for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want[i]) / step);
      CHECK(worst <= 4.0);
    }
    if (hardswish) check_same_output_everywhere(bytes, input, stat.output);
  }
}

TEST_CASE("static int8: max pooling runs on int8, exactly") {
  // x -> ternary 3x3 -> a -> MAX_POOL 3x3 stride 2 pad 1 -> b -> ternary 1x1 -> y, b with a's range
  // (what the converter writes): b's int8 values are the max of a's over each window. Then b as the
  // graph output (float): the int8 max dequantized.
  std::mt19937 rng(test_seed() + 5);
  const int C = 6, D = 33, H = 8, W = 7, OH = 4, OW = 4;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (bool b_is_output : {false, true}) {
    INFO("b is the graph output: " << b_is_output);
    ModelBuilder mb;
    const PoolChain chain = conv_then_max_pool(mb, rng, C, D, H, W, 3, 1, OH, OW);
    const int x = chain.x, a = chain.a, b = chain.b;
    int y = b;
    if (!b_is_output) {
      const int w2 = mb.ternary("w2", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
      y = mb.activation("y", {1, OH, OW, D});
      mb.op(fb::OpCode::CONV_2D, {b, w2}, {y}, conv_options(1, 0, 0, 0, 0));
    }
    mb.inputs({x});
    mb.outputs({y});
    const Run dynamic = run(mb.finish(), input, 0);
    const auto& av = dynamic.tensors.at(a);
    const auto [lo, hi] = std::minmax_element(av.begin(), av.end());
    const QuantParams p = params_for(*lo * 0.9f, *hi * 0.9f);   // clamped at both ends too
    set_quantization(mb, a, p);
    set_quantization(mb, b, p);
    const Run stat = run(mb.finish(), input, 0);
    REQUIRE(stat.mode == "static");
    REQUIRE(stat.int8.count(a) == 1);
    CHECK(stat.kernels[1] == (b_is_output ? "max_pool_s8 (f32 out)" : "max_pool_s8"));
    const auto& qa = stat.int8.at(a);
    const std::vector<float>& got = stat.tensors.at(b);
    REQUIRE(got.size() == size_t(OH * OW * D));
    if (!b_is_output) REQUIRE(stat.int8.count(b) == 1);
    size_t mismatches = 0;
    for (int oy = 0; oy < OH; ++oy) {
      for (int ox = 0; ox < OW; ++ox) {
        for (int d = 0; d < D; ++d) {
          int best = -129;
          for (int iy = std::max(0, 2 * oy - 1); iy <= std::min(H - 1, 2 * oy + 1); ++iy)
            for (int ix = std::max(0, 2 * ox - 1); ix <= std::min(W - 1, 2 * ox + 1); ++ix)
              best = std::max(best, int(qa[size_t((iy * W + ix) * D + d)]));
          const size_t i = size_t((oy * OW + ox) * D + d);
          if (b_is_output) {
            mismatches += got[i] != p.scale * float(best - p.zero_point);
          } else {
            mismatches += stat.int8.at(b)[i] != best;
          }
        }
      }
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("static int8: a concat whose inputs carry its output's params copies int8; otherwise it runs in float") {
  // x -> ternary 3x3 -> a (D1 channels), x -> ternary 3x3 -> b (D2), CONCAT(a, b) -> c -> ternary 1x1 -> y.
  // With a, b and c on one set of params (what the converter writes) the concat is a byte copy and a, b
  // stay int8; with their own params it has no int8 form, so a and b are float (their only consumer
  // would dequantize them) and the concat quantizes its float result with c's range.
  std::mt19937 rng(test_seed() + 12);
  const int C = 5, D1 = 12, D2 = 21, D = D1 + D2, H = 6, W = 5;   // D >= 32: the 1x1 reads int8
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (bool shared : {true, false}) {
    INFO("shared params: " << shared);
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int wa = mb.ternary("wa", {D1, 3, 3, C}, random_trits(rng, D1 * 9 * C), random_floats(rng, D1, 0.05f, 0.3f));
    const int a = mb.activation("a", {1, H, W, D1});
    mb.op(fb::OpCode::CONV_2D, {x, wa}, {a}, conv_options(1, 1, 1, 1, 1));
    const int wb = mb.ternary("wb", {D2, 3, 3, C}, random_trits(rng, D2 * 9 * C), random_floats(rng, D2, 0.05f, 0.3f));
    const int b = mb.activation("b", {1, H, W, D2});
    mb.op(fb::OpCode::CONV_2D, {x, wb}, {b}, conv_options(1, 1, 1, 1, 1));
    const int c = mb.activation("c", {1, H, W, D});
    mb.op(fb::OpCode::CONCAT, {a, b}, {c}, options(fb::ConcatOptionsT{}));
    const int wy = mb.ternary("wy", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
    const int y = mb.activation("y", {1, H, W, D});
    mb.op(fb::OpCode::CONV_2D, {c, wy}, {y}, conv_options(1, 0, 0, 0, 0));
    mb.inputs({x});
    mb.outputs({y});
    const Run dynamic = run(mb.finish(), input, 0);
    set_ranges_from(mb, dynamic, {x, a, b, c, y});
    if (shared) {
      set_quantization(mb, a, params_of(dynamic.tensors.at(c)));
      set_quantization(mb, b, params_of(dynamic.tensors.at(c)));
    }
    const auto bytes = mb.finish();
    const Run stat = run(bytes, input, 0);
    REQUIRE(stat.mode == "static");
    REQUIRE(stat.kernels.size() == 4);
    INFO(stat.kernels[2]);
    CHECK(stat.int8.count(c) == 1);
    CHECK(stat.int8.count(a) == (shared ? 1u : 0u));
    CHECK(stat.int8.count(b) == (shared ? 1u : 0u));
    if (!shared) {
      CHECK(stat.kernels[2] == "xnnpack x32 copy (int8 out)");
      continue;
    }
    CHECK(stat.kernels[2] == "xnnpack x8 copy");
    // c is a and b side by side, byte for byte.
    const auto &qa = stat.int8.at(a), &qb = stat.int8.at(b), &qc = stat.int8.at(c);
    size_t mismatches = 0;
    for (int p = 0; p < H * W; ++p) {
      for (int d = 0; d < D; ++d) mismatches += qc[size_t(p * D + d)] != (d < D1 ? qa[size_t(p * D1 + d)] : qb[size_t(p * D2 + d - D1)]);
    }
    CHECK(mismatches == 0);
    check_same_output_everywhere(bytes, input, stat.output);
  }
}

TEST_CASE("static int8: repeated invokes of one interpreter give a fresh interpreter's results") {
  // The operators share one scratch buffer (SharedScratch) for their int8 inputs and workspaces;
  // the first layer's im2col rows (padding written once for the static zero point) are its own.
  std::mt19937 rng(test_seed() + 6);
  const auto input_a = random_floats(rng, 8 * 8 * 5, -1.0f, 2.0f);
  const auto input_b = random_floats(rng, 8 * 8 * 5, -2.0f, 1.0f);
  const Models models = make_models(rng, input_a);
  const Run fresh_a = run(models.with_ranges, input_a, 0);
  const Run fresh_b = run(models.with_ranges, input_b, 0);
  ternrt_model* m = nullptr;
  ternrt_interpreter* it = open_default(models.with_ranges, &m);
  for (const auto* input : {&input_a, &input_b, &input_a, &input_a}) {
    REQUIRE(ternrt_interpreter_set_input(it, 0, input->data(), input->size() * 4) == TERNRT_OK);
    REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);
    std::vector<float> out(fresh_a.output.size());
    REQUIRE(ternrt_interpreter_get_output(it, 0, out.data(), out.size() * 4) == TERNRT_OK);
    CHECK(out == (input == &input_a ? fresh_a.output : fresh_b.output));
  }
  CHECK(ternrt_interpreter_scratch_bytes(it) > 0);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
}

TEST_CASE("static int8: results do not depend on threads or ISA") {
  std::mt19937 rng(test_seed() + 2);
  const auto input = random_floats(rng, 8 * 8 * 5, -1.0f, 2.0f);
  const Models models = make_models(rng, input);
  const Run one = run(models.with_ranges, input, 0, 1);
  const Run two = run(models.with_ranges, input, 0, 2);
  CHECK(one.int8 == two.int8);
  CHECK(one.output == two.output);
  for (const char* isa : {"scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"}) {
    kernels::Isa parsed;
    REQUIRE(kernels::parse_isa(isa, &parsed));
    if (!kernels::isa_supported(parsed)) {
      MESSAGE("ISA " << std::string(isa) << " not supported here: skipped");
      continue;
    }
    INFO("ISA " << std::string(isa));
    const Run forced = run(models.with_ranges, input, 0, 1, isa);
    CHECK(forced.int8 == one.int8);
    CHECK(forced.output == one.output);
  }
}

TEST_CASE("static int8: API and verifier") {
  std::mt19937 rng(test_seed() + 3);
  const auto input = random_floats(rng, 8 * 8 * 5, -1.0f, 2.0f);
  Models models = make_models(rng, input);
  ternrt_model* m = nullptr;
  ternrt_interpreter* it = open_default(models.with_ranges, &m);
  float scale = 0;
  int32_t zp = 0;
  CHECK(ternrt_interpreter_tensor_quantization(it, models.t.at("a"), &scale, &zp) == TERNRT_OK);
  CHECK(scale == models.params.at(models.t.at("a")).scale);
  CHECK(zp == models.params.at(models.t.at("a")).zero_point);
  CHECK(ternrt_interpreter_tensor_quantization(it, models.t.at("x"), &scale, &zp) == TERNRT_INVALID_ARGUMENT);
  CHECK(std::string(ternrt_last_error()).find("'x' is not stored as int8") != std::string::npos);
  CHECK(ternrt_interpreter_tensor_quantization(it, 1000, &scale, &zp) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_interpreter_tensor_quantization(nullptr, 0, &scale, &zp) == TERNRT_INVALID_ARGUMENT);
  CHECK(std::string(ternrt_interpreter_activation_mode(nullptr)).empty());
  ternrt_interpreter_delete(it);
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  o.flags = TERNRT_FLAG_TERNARY_AS_FLOAT;
  REQUIRE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK);
  CHECK(std::string(ternrt_interpreter_activation_mode(it)) == "float");
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);

  // An activation range must be one scale with an int8 zero point.
  TestModel bad;
  std::mt19937 rng2(7);
  build(bad, rng2);
  auto q = std::make_unique<fb::QuantizationT>();
  q->scale = {0.1f};
  q->zero_point = {200};
  bad.mb.model().graph->tensors[bad.t["a"]]->quantization = std::move(q);
  LoadResult r = try_load(bad.mb.finish());
  CHECK(r.status == TERNRT_INVALID_MODEL);
  CHECK(r.message.find("'a': an activation's zero point must be in [-128, 127] (int8), got 200") != std::string::npos);
  q = std::make_unique<fb::QuantizationT>();
  q->scale = std::vector<float>(32, 0.1f);
  q->axis = 3;
  bad.mb.model().graph->tensors[bad.t["a"]]->quantization = std::move(q);
  r = try_load(bad.mb.finish());
  CHECK(r.status == TERNRT_INVALID_MODEL);
  CHECK(r.message.find("'a': an activation's quantization must be per tensor (1 scale, axis -1), got 32 scales on axis 3") !=
        std::string::npos);
}

namespace {

// x (1, 6, 6, c) -> float-weight 3x3 conv (dilation d, pad d, 10 channels, bias) -> y; x has the range of
// `input`. y is the graph output, or with int8_y it gets the range a float run gives it (widened by
// 1%, so nothing clamps) and a float-weight 1x1 conv consumer (-> z, the graph output), so it is
// stored as int8.
struct FirstLayer {
  std::vector<uint8_t> bytes;
  std::vector<float> weights, bias;
  QuantParams x_params{}, y_params{};
  int y = -1;
};
FirstLayer first_layer_model(std::mt19937& rng, int c, const std::vector<float>& input, bool int8_y, int dilation) {
  FirstLayer f;
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 6, 6, c});
  f.weights = random_floats(rng, 10 * 9 * c, -0.5f, 0.5f);
  f.bias = random_floats(rng, 10, -0.2f, 0.2f);
  const int w = mb.constant("w", {10, 3, 3, c}, f.weights);
  const int b = mb.constant("b", {10}, f.bias);
  f.y = mb.activation("y", {1, 6, 6, 10});
  const int d = dilation;   // padding d keeps the 6x6 size
  mb.op(fb::OpCode::CONV_2D, {x, w, b}, {f.y}, conv_options(1, d, d, d, d, 1, d));
  mb.inputs({x});
  if (int8_y) {
    const int w2 = mb.constant("w2", {4, 1, 1, 10}, random_floats(rng, 4 * 10, -0.5f, 0.5f));
    const int z = mb.activation("z", {1, 6, 6, 4});
    mb.op(fb::OpCode::CONV_2D, {f.y, w2}, {z}, conv_options(1, 0, 0, 0, 0));
    mb.outputs({z});
    const Run plain = run(mb.finish(), input, 0);
    const auto& yv = plain.tensors.at(f.y);
    const auto [lo, hi] = std::minmax_element(yv.begin(), yv.end());
    f.y_params = params_for(*lo * 1.01f, *hi * 1.01f);
    set_quantization(mb, f.y, f.y_params);
  } else {
    mb.outputs({f.y});
  }
  const auto [lo, hi] = std::minmax_element(input.begin(), input.end());
  f.x_params = params_for(*lo, *hi);
  set_quantization(mb, x, f.x_params);
  f.bytes = mb.finish();
  return f;
}

}  // namespace

TEST_CASE("static int8: a float-weight first layer with K >= 64, or under 4 channels and an int8 output, runs int8") {
  // K = 9 * 8 = 72: int8 weights (scale max|w| / 127 per channel), the input quantized with its
  // range. Against the float model, each output may move by at most
  //   sum_k (|w_k| * s_x / 2 + |x_k| * s_w / 2 + s_w * s_x / 4)
  // (input rounding, weight rounding, their product), plus float rounding. 3 and 1 channels with an
  // int8 output: the same on pixels padded to 4 channels (weight 0 on the extra ones), plus the
  // output's rounding (s_y / 2); with a float output they stay float, as K = 45 does.
  std::mt19937 rng(test_seed() + 7);
  // (3 channels with dilation 2: pixels padded to 4 channels, through im2col: never read in place.)
  struct Case {
    int c;
    bool int8_y;
    int dilation;
  };
  for (const Case& test : {Case{8, false, 1}, Case{3, true, 1}, Case{1, true, 1}, Case{3, true, 2}, Case{3, false, 1},
                           Case{5, false, 1}}) {
    const int c = test.c, d = test.dilation;
    const bool int8_y = test.int8_y;
    INFO("input channels " << c << ", int8 output " << int8_y << ", dilation " << d);
    const auto input = random_floats(rng, 6 * 6 * c, -1.0f, 2.0f);
    const FirstLayer model = first_layer_model(rng, c, input, int8_y, d);
    const std::vector<float>& w = model.weights;
    const QuantParams& xq = model.x_params;
    const Run stat = run(model.bytes, input, 0);
    const Run flt = run(model.bytes, input, TERNRT_FLAG_DYNAMIC_ACTIVATIONS);
    REQUIRE(stat.kernels.size() == (int8_y ? 2u : 1u));
    if (c == 5 || (c < 4 && !int8_y)) {
      CHECK(stat.kernels[0] == "xnnpack f32 conv");
      CHECK(stat.output == flt.output);
      continue;
    }
    // The u8i8 form where the padded 4-channel image is read in place by a kernel that has one (VNNI).
    const bool flipped = c < 4 && d == 1 && contains(stat.kernels[0], "avx512vnni");
    CHECK(stat.kernels[0].rfind(flipped ? "u8i8_gemm_" : "i8i8_gemm_", 0) == 0);
    CHECK(contains(stat.kernels[0], int8_y ? "(f32 static -> s8)" : "(f32 static -> f32)"));
    CHECK(contains(stat.kernels[0], "on 4-channel pixels") == (c < 4));
    // Read in place where the kernels take no activation sums (the AVX2 / AVX-512BW ones do).
    if (c < 4 && !contains(stat.kernels[0], "avx2") && !contains(stat.kernels[0], "avx512bw")) {
      CHECK(contains(stat.kernels[0], "in place") == (d == 1));
    }
    const std::vector<float>& got = stat.tensors.at(model.y);   // y itself (dequantized when int8)
    const std::vector<float>& want = flt.tensors.at(model.y);
    REQUIRE(got.size() == want.size());
    size_t checked = 0;
    for (int oy = 0; oy < 6; ++oy) {
      for (int ox = 0; ox < 6; ++ox) {
        for (int n = 0; n < 10; ++n) {
          const size_t i = size_t((oy * 6 + ox) * 10 + n);
          float max_abs = 0.0f;
          for (int k = 0; k < 9 * c; ++k) max_abs = std::max(max_abs, std::fabs(w[n * 9 * c + k]));
          const double s_w = max_abs / 127.0;
          double bound = 1e-5 * (1.0 + std::fabs(want[i])) + (int8_y ? model.y_params.scale * 0.5001 : 0.0);
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy + (ky - 1) * d, ix = ox + (kx - 1) * d;
              const bool inside = iy >= 0 && iy < 6 && ix >= 0 && ix < 6;
              for (int ic = 0; ic < c; ++ic) {
                const double xv = inside ? input[(iy * 6 + ix) * c + ic] : 0.0;
                const double wv = w[n * 9 * c + (ky * 3 + kx) * c + ic];
                bound += std::fabs(wv) * xq.scale / 2 + std::fabs(xv) * s_w / 2 + s_w * xq.scale / 4;
              }
            }
          }
          CHECK_MESSAGE(std::fabs(double(got[i]) - want[i]) <= bound, "output " << i);
          ++checked;
        }
      }
    }
    CHECK(checked == 360);
    check_same_output_everywhere(model.bytes, input, stat.output);
  }
}

TEST_CASE("static int8: a float-weight fully connected head reading int8 runs with int8 weights") {
  // x -> ternary 3x3 -> a -> GAP -> f -> RESHAPE -> g -> float FC (+ bias) -> y. g is int8, so the
  // head runs the i8i8 kernels with its weights quantized per output channel (scale s_w = max|w| /
  // 127): against the float result on the same int8 input, each output may move by at most
  // sum_k |g_k| * s_w / 2 (weight rounding), plus float rounding.
  std::mt19937 rng(test_seed() + 9);
  const int C = 5, D = 40, N = 7, H = 6, W = 6;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  ModelBuilder mb;
  const int x = mb.activation("x", {1, H, W, C});
  const int w1 = mb.ternary("w1", {D, 3, 3, C}, random_trits(rng, D * 9 * C), random_floats(rng, D, 0.05f, 0.3f));
  const int a = mb.activation("a", {1, H, W, D});
  mb.op(fb::OpCode::CONV_2D, {x, w1}, {a}, conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
  const int f = mb.activation("f", {1, 1, 1, D});
  mb.op(fb::OpCode::GLOBAL_AVG_POOL, {a}, {f}, options(fb::ReshapeOptionsT{}));
  const int g = mb.activation("g", {1, D});
  mb.op(fb::OpCode::RESHAPE, {f}, {g}, options(fb::ReshapeOptionsT{}));
  const std::vector<float> wf = random_floats(rng, N * D, -0.6f, 0.6f), bf = random_floats(rng, N, -0.3f, 0.3f);
  const int wt = mb.constant("wf", {N, D}, wf);
  const int bt = mb.constant("bf", {N}, bf);
  const int y = mb.activation("y", {1, N});
  mb.op(fb::OpCode::FULLY_CONNECTED, {g, wt, bt}, {y}, fc_options());
  mb.inputs({x});
  mb.outputs({y});
  const Run dynamic = run(mb.finish(), input, 0);
  set_ranges_from(mb, dynamic, {a, f});
  set_quantization(mb, g, params_of(dynamic.tensors.at(f)));   // a reshape keeps its input's range
  const std::vector<uint8_t> bytes = mb.finish();
  const Run stat = run(bytes, input, 0);
  REQUIRE(stat.mode == "static");
  REQUIRE(stat.kernels.size() == 4);
  CHECK(stat.kernels[3].rfind("i8i8_gemm_", 0) == 0);
  CHECK(contains(stat.kernels[3], "(s8 -> f32)"));
  REQUIRE(stat.int8.count(g) == 1);
  const std::vector<float>& gv = stat.tensors.at(g);   // the int8 input the head saw, dequantized
  REQUIRE(gv.size() == size_t(D));
  for (int n = 0; n < N; ++n) {
    float max_abs = 0.0f;
    for (int k = 0; k < D; ++k) max_abs = std::max(max_abs, std::fabs(wf[n * D + k]));
    const double s_w = max_abs / 127.0;
    double want = bf[n], bound = 1e-5;
    for (int k = 0; k < D; ++k) {
      want += double(wf[n * D + k]) * gv[k];
      bound += std::fabs(gv[k]) * s_w / 2 + 1e-6 * std::fabs(double(wf[n * D + k]) * gv[k]);
    }
    CHECK_MESSAGE(std::fabs(stat.output[n] - want) <= bound, "output " << n);
  }
  check_same_output_everywhere(bytes, input, stat.output);
}

namespace ternrt_test {
namespace {

// x -> ternary 3x3 + ReLU -> a -> ternary `layer` (1x1, or 3x3 pad 1) -> b; ADD(b, a) (or (a, b)),
// optionally with a ReLU -> s -> ternary 1x1 -> y. In the static run the ADD runs inside `layer`.
struct ResidualModel {
  ModelBuilder mb;
  int x = -1, a = -1, b = -1, s = -1, y = -1;
  std::vector<int8_t> trits;   // the layer's
  std::vector<float> scales;
};

constexpr int kResC = 5, kResD = 32, kResH = 7, kResW = 6, kResN = 16;   // D >= 32: the last layer stays int8

void build_residual_model(ResidualModel& m, std::mt19937& rng, bool pointwise, bool swapped, bool relu) {
  ModelBuilder& mb = m.mb;
  const int C = kResC, D = kResD, H = kResH, W = kResW, N = kResN;
  m.x = mb.activation("x", {1, H, W, C});
  m.a = ternary_3x3_relu(mb, rng, m.x, C, D, H, W);
  const int taps = pointwise ? 1 : 9;
  m.trits = random_trits(rng, size_t(D * taps * D));
  m.scales = random_floats(rng, D, 0.05f, 0.3f);
  const int w1 = mb.ternary("w1", {D, pointwise ? 1 : 3, pointwise ? 1 : 3, D}, m.trits, m.scales);
  m.b = mb.activation("b", {1, H, W, D});
  mb.op(fb::OpCode::CONV_2D, {m.a, w1}, {m.b}, pointwise ? conv_options(1, 0, 0, 0, 0) : conv_options(1, 1, 1, 1, 1));
  m.s = mb.activation("s", {1, H, W, D});
  fb::ElementwiseOptionsT add;
  add.activation = std::make_unique<fb::FusedActivationT>();
  if (relu) add.activation->type = fb::Activation::RELU;
  mb.op(fb::OpCode::ADD, swapped ? std::vector<int32_t>{m.a, m.b} : std::vector<int32_t>{m.b, m.a}, {m.s},
        options(std::move(add)));
  const int w2 = mb.ternary("w2", {N, 1, 1, D}, random_trits(rng, N * D), random_floats(rng, N, 0.05f, 0.3f));
  m.y = mb.activation("y", {1, H, W, N});
  mb.op(fb::OpCode::CONV_2D, {m.s, w2}, {m.y}, conv_options(1, 0, 0, 0, 0));
  mb.inputs({m.x});
  mb.outputs({m.y});
}

}  // namespace

TEST_CASE("static int8: a residual ADD runs inside the layer before it, one rounding, on every ISA") {
  std::mt19937 rng(test_seed() + 21);
  const auto input = random_floats(rng, kResH * kResW * kResC, -1.0f, 1.0f);
  for (int variant = 0; variant < 4; ++variant) {
    const bool pointwise = variant < 2, swapped = variant % 2 == 1, relu = variant == 1 || variant == 2;
    ResidualModel m;
    build_residual_model(m, rng, pointwise, swapped, relu);
    const Run as_float = run(m.mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
    set_ranges_from(m.mb, as_float, {m.x, m.a, m.b, m.y});
    {   // s's range reaches below 0, so that an ADD's ReLU clamps inside it (its zero point is not -128)
      const auto& sv = as_float.tensors.at(m.s);
      const auto [lo, hi] = std::minmax_element(sv.begin(), sv.end());
      set_quantization(m.mb, m.s, params_for(std::min(*lo, -0.5f * *hi), *hi));
    }
    const auto bytes = m.mb.finish();
    const Run stat = run(bytes, input, 0);
    std::string kernels;
    for (const auto& k : stat.kernels) kernels += k + " | ";
    INFO("variant " << variant << ": " << kernels);
    REQUIRE(stat.kernels.size() == 4);
    CHECK(contains(stat.kernels[1], "(s8 -> s8, + residual)"));
    CHECK(stat.kernels[2] == "fused into operator 1 'CONV_2D_1' (CONV_2D)");
    CHECK(stat.int8.count(m.b) == 0);   // never computed
    REQUIRE(stat.int8.count(m.s) == 1);
    REQUIRE(stat.int8.count(m.a) == 1);
    // The layer's output is not readable, with a message saying why (even with PRESERVE_ALL_TENSORS).
    {
      ternrt_model* model = nullptr;
      REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &model) == TERNRT_OK);
      ternrt_interpreter_options o;
      ternrt_interpreter_options_init(&o);
      o.flags = TERNRT_FLAG_PRESERVE_ALL_TENSORS;
      ternrt_interpreter* it = nullptr;
      REQUIRE(ternrt_interpreter_create(model, &o, &it) == TERNRT_OK);
      ternrt_tensor_info info;
      const void* data = nullptr;
      CHECK(ternrt_interpreter_tensor(it, size_t(m.b), &info, &data) == TERNRT_INVALID_STATE);
      CHECK(contains(ternrt_last_error(), "never computed"));
      ternrt_interpreter_delete(it);
      ternrt_model_delete(model);
    }
    // s against the float model, and for the 1x1 layer bit for bit against the definition of
    // t2i8_gemm_residual_s8 on the run's own int8 a.
    const auto& mp = m.mb.model().graph->tensors;
    const float sa = mp[size_t(m.a)]->quantization->scale[0], ss = mp[size_t(m.s)]->quantization->scale[0];
    const int32_t za = int32_t(mp[size_t(m.a)]->quantization->zero_point[0]);
    const int32_t zs = int32_t(mp[size_t(m.s)]->quantization->zero_point[0]);
    CHECK(worst_error_of_peak(stat.tensors.at(m.s), as_float.tensors.at(m.s)) <= 0.05);
    if (pointwise) {
      const auto& qa = stat.int8.at(m.a);
      const auto& qs = stat.int8.at(m.s);
      volatile float r_multiplier = sa;
      r_multiplier = r_multiplier / ss;
      const float lo = relu ? float(zs) : -128.0f;
      size_t mismatches = 0;
      for (int p = 0; p < kResH * kResW; ++p) {
        for (int n = 0; n < kResD; ++n) {
          int32_t acc = 0;
          for (int k = 0; k < kResD; ++k) acc += m.trits[size_t(n * kResD + k)] * (qa[size_t(p * kResD + k)] - za);
          volatile float multiplier = m.scales[size_t(n)] * sa;
          multiplier = multiplier / ss;
          float v = std::fma(float(acc), float(multiplier), 0.0f / ss + float(zs));
          v = std::fma(float(qa[size_t(p * kResD + n)] - za), float(r_multiplier), v);
          v = std::min(std::max(v, lo), 127.0f);
          mismatches += qs[size_t(p * kResD + n)] != int8_t(std::nearbyint(v));
        }
      }
      CHECK(mismatches == 0);
    }
    check_same_output_everywhere(bytes, input, stat.output);
  }
}

TEST_CASE("static int8: a fused ADD's output is allocated from its layer on") {
  // The layer (operator 2) writes s, the ADD's output; u is read after the layer (operator 3) and dead
  // before the ADD. Planned from the ADD on, s would share u's memory and the layer would overwrite u
  // before operator 3 reads it.
  std::mt19937 rng(test_seed() + 23);
  const int C = 4, D = 32, H = 5, W = 6;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  ModelBuilder mb;
  auto ternary_conv = [&](int in, const char* name, fb::Activation act, int out_c) {
    const int w = mb.ternary(std::string("w_") + name, {out_c, 1, 1, D}, random_trits(rng, size_t(out_c * D)),
                             random_floats(rng, size_t(out_c), 0.05f, 0.3f));
    const int out = mb.activation(name, {1, H, W, out_c});
    mb.op(fb::OpCode::CONV_2D, {in, w}, {out}, conv_options(1, 0, 0, 0, 0, 1, 1, act));
    return out;
  };
  auto add_op = [&](int p, int q, const char* name) {
    const int out = mb.activation(name, {1, H, W, D});
    fb::ElementwiseOptionsT add;
    add.activation = std::make_unique<fb::FusedActivationT>();
    mb.op(fb::OpCode::ADD, {p, q}, {out}, options(std::move(add)));
    return out;
  };
  const int x = mb.activation("x", {1, H, W, C});
  const int a = ternary_3x3_relu(mb, rng, x, C, D, H, W);
  const int u = ternary_conv(a, "u", fb::Activation::RELU, D);
  const int b = ternary_conv(a, "b", fb::Activation::NONE, D);
  const int v = ternary_conv(u, "v", fb::Activation::RELU, D);
  const int s = add_op(b, a, "s");
  const int t = add_op(s, v, "t");
  const int y = ternary_conv(t, "y", fb::Activation::NONE, 16);
  mb.inputs({x});
  mb.outputs({y});
  const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
  set_ranges_from(mb, as_float, {x, a, u, b, v, s, t, y});
  const auto bytes = mb.finish();
  const Run stat = run(bytes, input, 0);
  std::string kernels;
  for (const auto& k : stat.kernels) kernels += k + " | ";
  INFO(kernels);
  REQUIRE(stat.kernels.size() == 7);
  CHECK(stat.kernels[4] == "fused into operator 2 'CONV_2D_2' (CONV_2D)");
  CHECK(stat.kernels[5] == "xnnpack qs8 add");
  // Without PRESERVE_ALL_TENSORS (run() sets it, which keeps every tensor apart).
  ternrt_model* model = nullptr;
  ternrt_interpreter* it = open_default(bytes, &model);
  REQUIRE(ternrt_interpreter_set_input(it, 0, input.data(), input.size() * 4) == TERNRT_OK);
  REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);
  std::vector<float> out(stat.output.size());
  REQUIRE(ternrt_interpreter_get_output(it, 0, out.data(), out.size() * 4) == TERNRT_OK);
  CHECK(out == stat.output);
  CHECK(worst_error_of_peak(out, as_float.output) <= 0.05);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
}

TEST_CASE("static int8: an ADD stays an operator when its layer has an activation, a second use or a later residual") {
  std::mt19937 rng(test_seed() + 22);
  const int C = 4, D = 32, H = 5, W = 6;
  const auto input = random_floats(rng, H * W * C, -1.0f, 1.0f);
  for (int variant = 0; variant < 3; ++variant) {
    ModelBuilder mb;
    const int x = mb.activation("x", {1, H, W, C});
    const int a = ternary_3x3_relu(mb, rng, x, C, D, H, W);
    const int w1 = mb.ternary("w1", {D, 1, 1, D}, random_trits(rng, D * D), random_floats(rng, D, 0.05f, 0.3f));
    const int b = mb.activation("b", {1, H, W, D});
    // 0: the layer has a ReLU of its own; 1: b is also read by the pool; 2: the residual (a max pool
    // of a) is computed after the layer.
    mb.op(fb::OpCode::CONV_2D, {a, w1}, {b},
          conv_options(1, 0, 0, 0, 0, 1, 1, variant == 0 ? fb::Activation::RELU : fb::Activation::NONE));
    fb::Pool2DOptionsT pool;
    pool.kernel_h = pool.kernel_w = 3;
    pool.stride_h = pool.stride_w = 1;
    pool.pad_top = pool.pad_left = pool.pad_bottom = pool.pad_right = 1;
    const int r = mb.activation("r", {1, H, W, D});
    mb.op(fb::OpCode::MAX_POOL_2D, {variant == 1 ? b : a}, {r}, options(std::move(pool)));
    const int s = mb.activation("s", {1, H, W, D});
    fb::ElementwiseOptionsT add;
    add.activation = std::make_unique<fb::FusedActivationT>();
    mb.op(fb::OpCode::ADD, {b, variant == 1 ? a : r}, {s}, options(std::move(add)));
    const int w2 = mb.ternary("w2", {16, 1, 1, D}, random_trits(rng, 16 * D), random_floats(rng, 16, 0.05f, 0.3f));
    const int y = mb.activation("y", {1, H, W, 16});
    mb.op(fb::OpCode::CONV_2D, {s, w2}, {y}, conv_options(1, 0, 0, 0, 0));
    // Variant 1: r = pool(b) goes on to a second output through int8 operators (ADD, ternary 1x1).
    const int s2 = mb.activation("s2", {1, H, W, D}), y2 = mb.activation("y2", {1, H, W, 16});
    if (variant == 1) {
      fb::ElementwiseOptionsT add2;
      add2.activation = std::make_unique<fb::FusedActivationT>();
      mb.op(fb::OpCode::ADD, {r, s}, {s2}, options(std::move(add2)));
      const int w3 = mb.ternary("w3", {16, 1, 1, D}, random_trits(rng, 16 * D), random_floats(rng, 16, 0.05f, 0.3f));
      mb.op(fb::OpCode::CONV_2D, {s2, w3}, {y2}, conv_options(1, 0, 0, 0, 0));
    }
    mb.inputs({x});
    mb.outputs(variant == 1 ? std::vector<int32_t>{y, y2} : std::vector<int32_t>{y});
    const Run as_float = run(mb.finish(), input, TERNRT_FLAG_TERNARY_AS_FLOAT);
    set_ranges_from(mb, as_float, {x, a, b, s, y});
    set_quantization(mb, r, params_of(as_float.tensors.at(variant == 1 ? b : a)));   // a max pool keeps its input's
    if (variant == 1) set_ranges_from(mb, as_float, {s2, y2});
    const Run stat = run(mb.finish(), input, 0);
    std::string kernels;
    for (const auto& k : stat.kernels) kernels += k + " | ";
    INFO("variant " << variant << ": " << kernels);
    CHECK(stat.kernels[3] == "xnnpack qs8 add");
    CHECK_FALSE(contains(stat.kernels[1], "residual"));
    CHECK(stat.int8.count(b) == 1);
  }
}

}  // namespace ternrt_test
