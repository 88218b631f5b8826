// Which operators an interpreter with a thread pool runs on it (interpreter.cc): operators below
// TERNRT_MIN_PARALLEL_WORK multiply-adds stay on the calling thread, and a model whose parallel
// work (ternary layers counted a third) is under 12 times that line uses no pool at all.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "interpreter.h"
#include "model-builder.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

// Sets TERNRT_MIN_PARALLEL_WORK for one scope (the test binary sets it to 0 for every other test).
class MinParallelWork {
 public:
  explicit MinParallelWork(const char* value) {
    const char* v = std::getenv("TERNRT_MIN_PARALLEL_WORK");
    had_ = v != nullptr;
    if (had_) saved_ = v;
    setenv("TERNRT_MIN_PARALLEL_WORK", value, 1);
  }
  ~MinParallelWork() {
    if (had_) setenv("TERNRT_MIN_PARALLEL_WORK", saved_.c_str(), 1);
    else unsetenv("TERNRT_MIN_PARALLEL_WORK");
  }

 private:
  bool had_ = false;
  std::string saved_;
};

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

std::vector<bool> parallel_ops(const std::vector<uint8_t>& bytes, uint32_t threads, uint32_t flags = 0) {
  const auto model = Model::load_memory(bytes.data(), bytes.size(), "two-layer");
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.num_threads = threads;
  options.flags = flags;
  Interpreter interpreter(*model, options);
  std::vector<bool> parallel;
  for (size_t i = 0; i < interpreter.op_count(); ++i) parallel.push_back(interpreter.op_parallel(i));
  std::vector<float> input(model->tensors()[model->inputs()[0]].elements, 0.5f);
  interpreter.set_input(0, input.data(), input.size() * sizeof(float));
  interpreter.invoke();   // runs either way
  return parallel;
}

}  // namespace

TEST_CASE("threads: small operators and small models stay on the calling thread") {
  // Line at 1000 multiply-adds: the first layer (batch * 4096) is above it from batch 1, the second
  // (batch * 256) from batch 4; a model needs 12000 of parallel work (ternary layers count a third).
  MinParallelWork line("1000");
  CHECK(parallel_ops(two_layer_model(4, false), 2) == std::vector<bool>{true, true});      // 16384 + 1024
  CHECK(parallel_ops(two_layer_model(2, false), 2) == std::vector<bool>{false, false});    // 8192 < 12000
  CHECK(parallel_ops(two_layer_model(4, true), 2) == std::vector<bool>{false, false});     // 16384 / 3 + 1024
  CHECK(parallel_ops(two_layer_model(16, true), 2) == std::vector<bool>{true, true});      // 65536 / 3 + 4096
  // The same ternary model in float counts its layers whole.
  CHECK(parallel_ops(two_layer_model(4, true), 2, TERNRT_FLAG_TERNARY_AS_FLOAT) == std::vector<bool>{true, true});
  CHECK(parallel_ops(two_layer_model(16, true), 1) == std::vector<bool>{false, false});    // no pool
}

TEST_CASE("threads: TERNRT_MIN_PARALLEL_WORK=0 runs every operator on the pool") {
  MinParallelWork line("0");
  CHECK(parallel_ops(two_layer_model(1, true), 2) == std::vector<bool>{true, true});
}
