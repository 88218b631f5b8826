// Whole fixture models through the public C API (the tools are covered by e2e.py): float models
// vs PyTorch, and ternary models giving bit-identical outputs however the model is loaded (file or
// memory), with 1..4 threads, and from two interpreters sharing one model in two threads.
// Needs the ctest fixture ternrt_onnx_fixtures (tests/fixtures) in ${TERNRT_BINARY_DIR}/fixtures.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "converter.h"
#include "npy.h"
#include "ternrt/ternrt.h"

namespace {

const char* const kModels[] = {"resnet", "mobilenet", "mlp", "hardswish_old", "hardswish_op14"};
constexpr int kCases = 3;

std::string fixture(const std::string& name) { return std::string(TERNRT_BINARY_DIR) + "/fixtures/" + name; }

std::string convert(const std::string& model, bool ternary) {
  ternrt::convert::ConvertOptions options;
  options.ternary.enabled = ternary;
  const std::string out = std::string(TERNRT_BINARY_DIR) + "/tests/e2e/c-api-" + model + (ternary ? ".ternary" : ".float") + ".tern";
  ternrt::convert::convert_file(fixture(model + ".onnx"), out, options);
  return out;
}

// NCHW input (as PyTorch took it) -> NHWC, the layout inside the model.
std::vector<float> to_nhwc(const ternrt::tools::NpyArray& x) {
  if (x.shape.size() != 4) return x.data;
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  std::vector<float> out(x.data.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xi = 0; xi < w; ++xi) out[((b * h + y) * w + xi) * c + ci] = x.data[((b * c + ci) * h + y) * w + xi];
  return out;
}

struct Runner {
  ternrt_interpreter* interp = nullptr;
  Runner(const ternrt_model* model, uint32_t threads, const char* isa) {
    ternrt_interpreter_options o;
    ternrt_interpreter_options_init(&o);
    o.num_threads = threads;
    o.isa = isa;
    const ternrt_status s = ternrt_interpreter_create(model, &o, &interp);
    INFO(ternrt_last_error());
    REQUIRE(s == TERNRT_OK);
  }
  ~Runner() { ternrt_interpreter_delete(interp); }
  // Output 0 (its NHWC/2-D layout) for one input; empty on failure (the message is in `error`).
  std::vector<float> run(const std::vector<float>& x, std::string* error) const {
    ternrt_tensor_info in, out;
    std::vector<float> y;
    if (ternrt_interpreter_input_info(interp, 0, &in) != TERNRT_OK || in.bytes != x.size() * sizeof(float) ||
        ternrt_interpreter_set_input(interp, 0, x.data(), in.bytes) != TERNRT_OK || ternrt_interpreter_invoke(interp) != TERNRT_OK ||
        ternrt_interpreter_output_info(interp, 0, &out) != TERNRT_OK) {
      *error = std::string("run failed: ") + ternrt_last_error();
      return y;
    }
    y.resize(out.bytes / sizeof(float));
    if (ternrt_interpreter_get_output(interp, 0, y.data(), out.bytes) != TERNRT_OK) {
      *error = std::string("get_output failed: ") + ternrt_last_error();
      y.clear();
    }
    return y;
  }
};

struct ModelHandle {
  ternrt_model* model = nullptr;
  std::vector<char> bytes;  // backs a model loaded from memory
  explicit ModelHandle(const std::string& path, bool from_memory = false) {
    ternrt_status s;
    if (from_memory) {
      std::ifstream f(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      s = ternrt_model_load_memory(bytes.data(), bytes.size(), &model);
    } else {
      s = ternrt_model_load_file(path.c_str(), &model);
    }
    INFO(path << ": " << ternrt_last_error());
    REQUIRE(s == TERNRT_OK);
  }
  ~ModelHandle() { ternrt_model_delete(model); }
};

std::vector<std::vector<float>> inputs_of(const std::string& model) {
  std::vector<std::vector<float>> xs;
  for (int i = 0; i < kCases; ++i) xs.push_back(to_nhwc(ternrt::tools::read_npy(fixture(model + "_input_" + std::to_string(i) + ".npy"))));
  return xs;
}

}  // namespace

TEST_CASE("float fixture models through the C API match PyTorch within 1e-4 * max(1, max|y_ref|)") {
  for (const char* name : kModels) {
    CAPTURE(name);
    ModelHandle model(convert(name, false));
    Runner runner(model.model, 1, nullptr);
    const auto xs = inputs_of(name);
    for (int i = 0; i < kCases; ++i) {
      CAPTURE(i);
      const auto ref = ternrt::tools::read_npy(fixture(std::string(name) + "_output_" + std::to_string(i) + ".npy"));
      REQUIRE(ref.shape.size() == 2);  // every fixture ends in a (1, classes) output: no layout change
      std::string error;
      const auto y = runner.run(xs[i], &error);
      INFO(error);
      REQUIRE(y.size() == ref.data.size());
      double scale = 1, worst = 0;
      for (float v : ref.data) scale = std::max(scale, std::fabs(static_cast<double>(v)));
      for (size_t j = 0; j < y.size(); ++j) worst = std::max(worst, std::fabs(static_cast<double>(y[j]) - ref.data[j]));
      CHECK(worst <= 1e-4 * scale);
    }
  }
}

TEST_CASE("ternary fixture models: file vs memory load, 1..4 threads and two concurrent interpreters are bit-identical") {
  for (const char* name : kModels) {
    CAPTURE(name);
    const std::string path = convert(name, true);
    const auto xs = inputs_of(name);
    std::vector<std::vector<float>> ref;
    {
      ModelHandle model(path);
      Runner runner(model.model, 1, "scalar");
      for (const auto& x : xs) {
        std::string error;
        ref.push_back(runner.run(x, &error));
        INFO(error);
        REQUIRE(!ref.back().empty());
      }
    }
    ModelHandle shared(path, /*from_memory=*/true);
    // Pools of 3 and 4 threads (more than e2e.py's ternrt-run matrix) on the first input only:
    // multi-threaded invokes are slow to schedule on a loaded 2-core machine.
    for (uint32_t threads : {1u, 3u, 4u}) {
      CAPTURE(threads);
      Runner runner(shared.model, threads, nullptr);  // best ISA
      for (int i = 0; i < (threads == 1 ? kCases : 1); ++i) {
        std::string error;
        CHECK(runner.run(xs[i], &error) == ref[i]);
      }
    }
    // One Model, two interpreters used at the same time from two threads (architecture section 7).
    std::vector<int> mismatches(2, 0);
    {
      Runner a(shared.model, 1, nullptr), b(shared.model, 1, "scalar");
      auto work = [&](const Runner* r, int* bad) {
        for (int round = 0; round < 3; ++round) {
          for (int i = 0; i < kCases; ++i) {
            std::string error;
            if (r->run(xs[i], &error) != ref[i]) ++*bad;
          }
        }
      };
      std::thread ta(work, &a, &mismatches[0]), tb(work, &b, &mismatches[1]);
      ta.join();
      tb.join();
    }
    CHECK(mismatches[0] == 0);
    CHECK(mismatches[1] == 0);
  }
}
