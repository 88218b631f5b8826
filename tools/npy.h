// NumPy .npy files (format 1.0/2.0/3.0, C order) for the command-line tools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ternrt::tools {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;      // float arrays (f4, f8 converted)
  std::vector<int64_t> ints;    // integer arrays (i1..i8, u1..u8)
  bool is_float = true;
  size_t elements() const;
};

// Throws std::runtime_error naming the file and what is wrong.
NpyArray read_npy(const std::string& path);
void write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace ternrt::tools
