// Kernel dispatch: the ternary kernel family an interpreter picks is the one expected on the CPU
// the test runs on. ctest sets TERNRT_EXPECT_ISA per emulated CPU (scripts/cross-test.sh and the
// aarch64/armhf test presets: neondot under qemu -cpu max, neon under -cpu cortex-a72, scalar on
// armhf); without it the expectation is kernels::default_isa(), i.e. only consistency is checked.
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"
#include "ternrt/kernels/t2i8-gemm.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

constexpr kernels::Isa kAllIsas[] = {kernels::Isa::scalar,     kernels::Isa::avx2, kernels::Isa::avx512bw,
                                     kernels::Isa::avx512vnni, kernels::Isa::neon, kernels::Isa::neondot};

// Kernel names end in "__<isa>" (kernels/NAMING.md); the AVX-512 family is spelled avx512bw there
// while isa_name() says "avx512".
std::string kernel_suffix(kernels::Isa isa) {
  return isa == kernels::Isa::avx512bw ? "__avx512bw" : std::string("__") + kernels::isa_name(isa);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Two ternary FULLY_CONNECTED layers (K = 37 and 40: not multiples of any tile) on a batch of 3
// (or `batch`), so both the GEMM and the epilogue of the chosen family run.
std::vector<uint8_t> tiny_ternary_model(std::mt19937& rng, int batch = 3) {
  std::uniform_int_distribution<int> trit(-1, 1);
  auto trits = [&](size_t n) {
    std::vector<int8_t> t(n);
    for (auto& v : t) v = static_cast<int8_t>(trit(rng));
    return t;
  };
  ModelBuilder mb;
  const int x = mb.activation("x", {batch, 37});
  const int w1 = mb.ternary("w1", {40, 37}, trits(40 * 37), random_floats(rng, 40, 0.05f, 0.5f));
  const int h = mb.activation("h", {batch, 40});
  const int w2 = mb.ternary("w2", {10, 40}, trits(10 * 40), random_floats(rng, 1, 0.05f, 0.5f));
  const int y = mb.activation("y", {batch, 10});
  mb.op(fb::OpCode::FULLY_CONNECTED, {x, w1, -1}, {h}, fc_options(fb::Activation::RELU));
  mb.op(fb::OpCode::FULLY_CONNECTED, {h, w2, -1}, {y}, fc_options());
  mb.inputs({x});
  mb.outputs({y});
  return mb.finish();
}

struct Dispatch {
  ternrt_status status = TERNRT_OK;
  std::string error;
  std::string isa;                           // ternrt_interpreter_isa
  std::vector<std::string> ternary_kernels;  // ternrt_op_info.kernel of every ternary operator
  std::vector<float> output;
  size_t packed_bytes = 0;                   // ternrt_interpreter_packed_weight_bytes
};

// isa == nullptr: let the runtime choose.
Dispatch create_and_run(const std::vector<uint8_t>& model_bytes, const std::vector<float>& input, const char* isa,
                        uint32_t flags = 0, uint64_t max_memory_bytes = 0) {
  Dispatch d;
  ternrt_model* model = nullptr;
  REQUIRE_MESSAGE(ternrt_model_load_memory(model_bytes.data(), model_bytes.size(), &model) == TERNRT_OK, ternrt_last_error());
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.isa = isa;
  options.flags = flags;
  options.max_memory_bytes = max_memory_bytes;
  ternrt_interpreter* it = nullptr;
  d.status = ternrt_interpreter_create(model, &options, &it);
  if (d.status != TERNRT_OK) {
    d.error = ternrt_last_error();
    ternrt_model_delete(model);
    return d;
  }
  d.isa = ternrt_interpreter_isa(it);
  d.packed_bytes = ternrt_interpreter_packed_weight_bytes(it);
  for (size_t i = 0; i < ternrt_interpreter_op_count(it); ++i) {
    ternrt_op_info info;
    REQUIRE(ternrt_interpreter_op_info(it, i, &info) == TERNRT_OK);
    if (info.ternary) d.ternary_kernels.push_back(info.kernel ? info.kernel : "");
  }
  REQUIRE_MESSAGE(ternrt_interpreter_set_input(it, 0, input.data(), input.size() * sizeof(float)) == TERNRT_OK, ternrt_last_error());
  REQUIRE_MESSAGE(ternrt_interpreter_invoke(it) == TERNRT_OK, ternrt_last_error());
  d.output.resize(input.size() / 37 * 10);
  REQUIRE(ternrt_interpreter_get_output(it, 0, d.output.data(), d.output.size() * sizeof(float)) == TERNRT_OK);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
  return d;
}

}  // namespace

TEST_CASE("dispatch picks the ternary kernel family expected on this CPU (TERNRT_EXPECT_ISA)") {
  ScopedEnv cleared("TERNRT_ISA", nullptr);   // dispatch must be observed, not forced
  kernels::Isa expected = kernels::Isa::scalar;
  const char* expect_env = std::getenv("TERNRT_EXPECT_ISA");
  if (expect_env != nullptr && expect_env[0] != '\0') {
    REQUIRE_MESSAGE(kernels::parse_isa(expect_env, &expected),
                    "TERNRT_EXPECT_ISA='" << std::string(expect_env) << "' is not an ISA name (scalar, avx2, avx512, avx512vnni, neon, neondot)");
    MESSAGE("TERNRT_EXPECT_ISA=" << std::string(expect_env));
  } else {
    expected = kernels::default_isa();
    MESSAGE("TERNRT_EXPECT_ISA unset: checking consistency with kernels::default_isa() = " << std::string(kernels::isa_name(expected)));
  }
  // Every AArch64 Linux CPU has Advanced SIMD: scalar here means detection or the build is broken.
#if defined(__aarch64__)
  CHECK_MESSAGE(kernels::isa_supported(kernels::Isa::neon), "cpuinfo reports no NEON on an AArch64 CPU");
#endif

  std::mt19937 rng(test_seed());
  const auto model = tiny_ternary_model(rng);
  const auto input = random_floats(rng, 3 * 37, -2.0f, 2.0f);
  const Dispatch chosen = create_and_run(model, input, nullptr);
  REQUIRE_MESSAGE(chosen.status == TERNRT_OK, chosen.error);
  CHECK(chosen.isa == std::string(kernels::isa_name(expected)));
  REQUIRE(chosen.ternary_kernels.size() == 2);
  for (const std::string& kernel : chosen.ternary_kernels) {
    INFO("kernel " << kernel << ", expected family " << kernel_suffix(expected));
    CHECK(kernel.rfind("t2i8_gemm_", 0) == 0);
    CHECK(ends_with(kernel, kernel_suffix(expected)));
  }
  // The chosen family really runs on this CPU (an instruction it lacks would kill the test with
  // SIGILL) and, as every family must, matches the scalar reference bit for bit.
  const Dispatch reference = create_and_run(model, input, "scalar");
  REQUIRE_MESSAGE(reference.status == TERNRT_OK, reference.error);
  CHECK(chosen.output == reference.output);
}

TEST_CASE("forcing an ISA: supported ones run their own family, unsupported ones are refused by name") {
  ScopedEnv cleared("TERNRT_ISA", nullptr);   // dispatch must be observed, not forced
  std::mt19937 rng(test_seed());
  const auto model = tiny_ternary_model(rng);
  const auto input = random_floats(rng, 3 * 37, -2.0f, 2.0f);
  const Dispatch reference = create_and_run(model, input, "scalar");
  REQUIRE_MESSAGE(reference.status == TERNRT_OK, reference.error);
  for (kernels::Isa isa : kAllIsas) {
    const std::string name = kernels::isa_name(isa);
    CAPTURE(name);
    const Dispatch forced = create_and_run(model, input, name.c_str());
    if (kernels::isa_supported(isa)) {
      REQUIRE_MESSAGE(forced.status == TERNRT_OK, forced.error);
      CHECK(forced.isa == name);
      for (const std::string& kernel : forced.ternary_kernels) CHECK(ends_with(kernel, kernel_suffix(isa)));
      CHECK(forced.output == reference.output);
    } else {
      // e.g. neondot under qemu -cpu cortex-a72: refusing is what keeps sdot from raising SIGILL.
      CHECK(forced.status == TERNRT_UNSUPPORTED);
      CHECK(forced.error.find("'" + name + "'") != std::string::npos);
    }
  }
}

TEST_CASE("TERNRT_FLAG_EXPAND_WEIGHTS: AVX2 runs the expanded kernels on layers of >= 64 rows, same output") {
  ScopedEnv cleared("TERNRT_ISA", nullptr);
  std::mt19937 rng(test_seed());
  const auto model = tiny_ternary_model(rng, 64);   // 64 rows: PackOptions::expand_min_rows
  const auto input = random_floats(rng, 64 * 37, -2.0f, 2.0f);
  const Dispatch reference = create_and_run(model, input, "scalar");
  REQUIRE_MESSAGE(reference.status == TERNRT_OK, reference.error);
  for (kernels::Isa isa : kAllIsas) {
    if (!kernels::isa_supported(isa)) continue;
    const std::string name = kernels::isa_name(isa);
    CAPTURE(name);
    const Dispatch compact = create_and_run(model, input, name.c_str());
    const Dispatch expanded = create_and_run(model, input, name.c_str(), TERNRT_FLAG_EXPAND_WEIGHTS);
    REQUIRE_MESSAGE(expanded.status == TERNRT_OK, expanded.error);
    CHECK(expanded.output == reference.output);
    CHECK(compact.output == reference.output);
    REQUIRE(expanded.ternary_kernels.size() == 2);
    if (isa == kernels::Isa::avx2) {   // the only family with an expanded layout (kernels/NAMING.md "u8")
      for (const std::string& kernel : expanded.ternary_kernels) CHECK(kernel == "t2i8_gemm_4x16c4u8__avx2");
      for (const std::string& kernel : compact.ternary_kernels) CHECK(kernel.find("u8__") == std::string::npos);
      // Tiles of 16 channels: a byte per trit (K rounded up to 4) instead of 2 bits (K rounded up to 16).
      CHECK(expanded.packed_bytes >= compact.packed_bytes + (48 * 40 + 16 * 40) - (48 * 48 + 16 * 48) / 4);
      // max_memory_bytes is a requirement, the flag a preference: at the smallest limit the compact
      // interpreter fits in, the flag gives the compact interpreter; below it, OUT_OF_MEMORY.
      uint64_t fits = 64u << 20, fails = 1;
      REQUIRE(create_and_run(model, input, name.c_str(), 0, fits).status == TERNRT_OK);
      while (fits - fails > 1) {
        const uint64_t mid = fails + (fits - fails) / 2;
        (create_and_run(model, input, name.c_str(), 0, mid).status == TERNRT_OK ? fits : fails) = mid;
      }
      const Dispatch limited = create_and_run(model, input, name.c_str(), TERNRT_FLAG_EXPAND_WEIGHTS, fits);
      REQUIRE_MESSAGE(limited.status == TERNRT_OK, limited.error);
      CHECK(limited.ternary_kernels == compact.ternary_kernels);
      CHECK(limited.packed_bytes == compact.packed_bytes);
      CHECK(limited.output == reference.output);
      const Dispatch too_small = create_and_run(model, input, name.c_str(), TERNRT_FLAG_EXPAND_WEIGHTS, fails);
      CHECK(too_small.status == TERNRT_OUT_OF_MEMORY);
    } else {
      CHECK(expanded.ternary_kernels == compact.ternary_kernels);
      CHECK(expanded.packed_bytes == compact.packed_bytes);
    }
  }
}
