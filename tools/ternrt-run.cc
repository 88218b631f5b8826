// ternrt-run: runs a .tern model on a NumPy input and prints / saves the output.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>

#include "npy.h"
#include "tool-common.h"

namespace {

const char kUsage[] =
    "usage: ternrt-run MODEL.tern --input X.npy [--output Y.npy] [--top-k K] [--threads N] [--isa ISA] [--activations M]\n"
    "  Runs the model once. X.npy is float32 in the source model's layout (NCHW for models\n"
    "  converted from ONNX) or NHWC. Y.npy gets output 0 in the same layout convention.\n"
    "  --top-k K   print the K largest entries of each row of output 0 (default 5; 0 = off)\n"
    "  --threads N worker threads (default 1)\n"
    "  --isa ISA   force the ternary kernels: scalar, avx2, avx512, avx512vnni, neon, neondot\n"
    "  --activations M  static (default for a model with int8 ranges) or dynamic\n";

int run(int argc, char** argv) {
  std::string model_path, input_path, output_path, isa;
  long top_k = 5, threads = 1;
  uint32_t flags = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--input") input_path = value();
    else if (a == "--output") output_path = value();
    else if (a == "--top-k") top_k = ternrt::tools::parse_int_flag(a, value(), 0, 1000000);
    else if (a == "--threads") threads = ternrt::tools::parse_int_flag(a, value(), 1, 256);
    else if (a == "--isa") isa = value();
    else if (a == "--activations") flags = ternrt::tools::parse_activations_flag(value());
    else if (!a.empty() && a[0] == '-') throw std::runtime_error("unknown option '" + a + "'\n" + kUsage);
    else if (model_path.empty()) model_path = a;
    else throw std::runtime_error("unexpected argument '" + a + "'");
  }
  if (model_path.empty() || input_path.empty()) throw std::runtime_error(std::string("missing MODEL or --input\n") + kUsage);

  auto model = ternrt::ModelHandle::load_file(model_path);
  ternrt::InterpreterHandle interp(model, static_cast<unsigned>(threads), isa.empty() ? nullptr : isa.c_str(), 0, flags);
  if (interp.input_count() != 1) throw std::runtime_error(model_path + ": ternrt-run supports models with one input");
  const bool nchw = ternrt::tools::source_is_nchw(model);
  const auto array = ternrt::tools::read_npy(input_path);
  interp.set_input(0, ternrt::tools::fit_input(array.data.data(), array.shape, interp.input_info(0), nchw, input_path));
  interp.invoke();

  const auto info = interp.output_info(0);
  std::vector<int64_t> shape;
  const auto out = ternrt::tools::to_source_layout(interp.output(0), info, nchw, &shape);
  std::printf("output '%s' shape %s\n", info.name.c_str(), ternrt::tools::shape_string(shape).c_str());
  if (!output_path.empty()) {
    ternrt::tools::write_npy_f32(output_path, shape, out.data());
    std::printf("wrote %s\n", output_path.c_str());
  }
  if (top_k > 0) {
    const size_t cols = static_cast<size_t>(shape.back()), rows = out.size() / cols;
    for (size_t r = 0; r < rows; ++r) {
      std::vector<size_t> idx(cols);
      std::iota(idx.begin(), idx.end(), 0);
      const size_t k = std::min<size_t>(static_cast<size_t>(top_k), cols);
      const float* row = out.data() + r * cols;
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](size_t a, size_t b) { return row[a] > row[b]; });
      std::printf("row %zu top-%zu:", r, k);
      for (size_t j = 0; j < k; ++j) std::printf(" %zu:%.6g", idx[j], row[idx[j]]);
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return ternrt::tools::tool_main("ternrt-run", run, argc, argv); }
