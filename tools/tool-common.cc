#include "tool-common.h"

#include <cstdio>
#include <stdexcept>

namespace ternrt::tools {

bool source_is_nchw(const ModelHandle& model) { return model.metadata("source_layout") == "NCHW"; }

std::vector<float> fit_input(const float* data, const std::vector<int64_t>& shape, const TensorInfo& input, bool nchw,
                             const std::string& source) {
  const auto& s = input.shape;
  const size_t n = input.elements();
  std::vector<int64_t> nhwc(s.begin(), s.end());
  if (s.size() == 4 && nchw) {
    const std::vector<int64_t> nchw_shape = {s[0], s[3], s[1], s[2]};
    if (shape == nchw_shape) {
      const size_t N = s[0], H = s[1], W = s[2], C = s[3];
      std::vector<float> out(n);
      for (size_t b = 0; b < N; ++b)
        for (size_t c = 0; c < C; ++c)
          for (size_t y = 0; y < H; ++y)
            for (size_t x = 0; x < W; ++x) out[((b * H + y) * W + x) * C + c] = data[((b * C + c) * H + y) * W + x];
      return out;
    }
    if (shape == nhwc && !(s[1] == s[3] && s[2] == s[3])) return std::vector<float>(data, data + n);
    throw std::runtime_error(source + ": shape " + shape_string(shape) + " does not fit model input '" + input.name +
                             "', which expects NCHW " + shape_string(nchw_shape) + " as in the source ONNX model");
  }
  if (shape == nhwc) return std::vector<float>(data, data + n);
  size_t total = 1;
  for (int64_t d : shape) total *= static_cast<size_t>(d);
  if (total == n && !shape.empty() && shape[0] == s[0]) return std::vector<float>(data, data + n);  // same batch, flattened view
  throw std::runtime_error(source + ": shape " + shape_string(shape) + " does not fit model input '" + input.name +
                           "' of shape " + shape_string(input.shape));
}

std::vector<float> to_source_layout(const std::vector<float>& data, const TensorInfo& info, bool nchw,
                                    std::vector<int64_t>* shape) {
  const auto& s = info.shape;
  shape->assign(s.begin(), s.end());
  if (!(nchw && s.size() == 4)) return data;
  const size_t N = s[0], H = s[1], W = s[2], C = s[3];
  *shape = {s[0], s[3], s[1], s[2]};
  std::vector<float> out(data.size());
  for (size_t b = 0; b < N; ++b)
    for (size_t y = 0; y < H; ++y)
      for (size_t x = 0; x < W; ++x)
        for (size_t c = 0; c < C; ++c) out[((b * C + c) * H + y) * W + x] = data[((b * H + y) * W + x) * C + c];
  return out;
}

template <typename T>
static std::string shape_string_impl(const std::vector<T>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}
std::string shape_string(const std::vector<int32_t>& shape) { return shape_string_impl(shape); }
std::string shape_string(const std::vector<int64_t>& shape) { return shape_string_impl(shape); }

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

int tool_main(const char* name, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

long parse_int_flag(const std::string& flag, const std::string& value, long min, long max) {
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || v < min || v > max) {
    throw std::runtime_error(flag + " expects an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" + value + "'");
  }
  return v;
}

uint32_t parse_activations_flag(const std::string& value) {
  if (value == "static") return 0u;
  if (value == "dynamic") return TERNRT_FLAG_DYNAMIC_ACTIVATIONS;
  throw std::runtime_error("--activations: expected static or dynamic, got '" + value + "'");
}

}  // namespace ternrt::tools
