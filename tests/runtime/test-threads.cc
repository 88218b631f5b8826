// Which operators an interpreter with a thread pool runs on it (interpreter.cc): operators below
// TERNRT_MIN_PARALLEL_WORK multiply-adds stay on the calling thread, and a model whose parallel
// work (ternary layers counted a third) is under 12 times that line uses no pool at all.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"
#include "ternrt/ternrt.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {


// batch x 64 -> FULLY_CONNECTED 64 -> FULLY_CONNECTED 4: work batch * 64 * 64 and batch * 4 * 64.
std::vector<uint8_t> two_layer_model(size_t batch, bool ternary) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> trits(64 * 64);
  std::vector<float> weights(64 * 64), small(4 * 64);
  for (size_t i = 0; i < trits.size(); ++i) {
    trits[i] = static_cast<int8_t>(trit(rng));
    weights[i] = 0.1f * trits[i];
  }
  for (auto& v : small) v = 0.01f;
  ModelBuilder mb;
  const int b = static_cast<int>(batch);
  const int x = mb.activation("x", {b, 64});
  const int w1 = ternary ? mb.ternary("w1", {64, 64}, trits, std::vector<float>(64, 0.1f)) : mb.constant("w1", {64, 64}, weights);
  const int h = mb.activation("h", {b, 64});
  const int w2 = mb.constant("w2", {4, 64}, small);
  const int y = mb.activation("y", {b, 4});
  mb.op(fb::OpCode::FULLY_CONNECTED, {x, w1, -1}, {h}, fc_options(fb::Activation::RELU));
  mb.op(fb::OpCode::FULLY_CONNECTED, {h, w2, -1}, {y}, fc_options());
  mb.inputs({x});
  mb.outputs({y});
  return mb.finish();
}

// Threads per operator, through the public API (ternrt_interpreter_op_threads).
std::vector<uint32_t> op_threads(const std::vector<uint8_t>& bytes, uint32_t threads, uint32_t flags = 0) {
  ternrt_model* model = nullptr;
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &model) == TERNRT_OK);
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.num_threads = threads;
  options.flags = flags;
  ternrt_interpreter* it = nullptr;
  REQUIRE_MESSAGE(ternrt_interpreter_create(model, &options, &it) == TERNRT_OK, ternrt_last_error());
  std::vector<uint32_t> result;
  for (size_t i = 0; i < ternrt_interpreter_op_count(it); ++i) result.push_back(ternrt_interpreter_op_threads(it, i));
  CHECK(ternrt_interpreter_op_threads(it, ternrt_interpreter_op_count(it)) == 0);   // out of range
  ternrt_tensor_info info;
  REQUIRE(ternrt_interpreter_input_info(it, 0, &info) == TERNRT_OK);
  const std::vector<float> input(info.bytes / sizeof(float), 0.5f);
  REQUIRE(ternrt_interpreter_set_input(it, 0, input.data(), info.bytes) == TERNRT_OK);
  CHECK(ternrt_interpreter_invoke(it) == TERNRT_OK);   // runs either way
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
  return result;
}

using Threads = std::vector<uint32_t>;

}  // namespace

TEST_CASE("threads: small operators and small models stay on the calling thread") {
  // Line at 1000 multiply-adds: the first layer (batch * 4096) is above it from batch 1, the second
  // (batch * 256) from batch 4; a model needs 12000 of parallel work (ternary layers count a third).
  ScopedEnv line("TERNRT_MIN_PARALLEL_WORK", "1000");   // the test binary sets 0 for all other tests
  CHECK(op_threads(two_layer_model(4, false), 2) == Threads{2, 2});    // 16384 + 1024
  CHECK(op_threads(two_layer_model(2, false), 2) == Threads{1, 1});    // 8192 < 12000
  CHECK(op_threads(two_layer_model(4, true), 2) == Threads{1, 1});     // 16384 / 3 + 1024
  CHECK(op_threads(two_layer_model(16, true), 3) == Threads{3, 3});    // 65536 / 3 + 4096
  // The same ternary model in float counts its layers whole.
  CHECK(op_threads(two_layer_model(4, true), 2, TERNRT_FLAG_TERNARY_AS_FLOAT) == Threads{2, 2});
  CHECK(op_threads(two_layer_model(16, true), 1) == Threads{1, 1});    // no pool
  CHECK(ternrt_interpreter_op_threads(nullptr, 0) == 0);
}

TEST_CASE("threads: TERNRT_MIN_PARALLEL_WORK=0 runs every operator on the pool") {
  ScopedEnv line("TERNRT_MIN_PARALLEL_WORK", "0");
  CHECK(op_threads(two_layer_model(1, true), 2) == Threads{2, 2});
}
