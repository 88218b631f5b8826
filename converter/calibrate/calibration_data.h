// Calibration inputs for post-training quantization (ternrt-convert --calibrate / --calibrate-idx):
// a .npy array, a folder of .npy files, a folder of PNG/JPEG images (decoded with stb_image), or
// Fashion-MNIST-style IDX images. Every sample comes out as float32 in the source model's layout
// (NCHW for ONNX image models), already normalized, one sample per model invocation. docs/ptq.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ternrt::calibrate {

// --preprocess resize=HxW,mean=a[,b,c],std=a[,b,c],layout=nchw|nhwc,scale=1/255
// For images and IDX files: value = pixel * scale, then (value - mean[c]) / std[c].
struct Preprocess {
  int resize_h = 0, resize_w = 0;  // 0: the model input's H x W
  std::vector<float> mean;         // empty: 0 (or the model's input.mean metadata for IDX)
  std::vector<float> std;          // empty: 1 (or the model's input.std metadata for IDX)
  bool nhwc = false;               // layout of the model's source input
  float scale = 1.0f / 255.0f;
  bool has_mean = false, has_std = false;
};

// Throws std::invalid_argument naming the key and what was expected.
Preprocess parse_preprocess(const std::string& spec);

struct CalibrationSet {
  std::vector<int64_t> sample_shape;     // source layout, without the batch dimension
  std::vector<std::vector<float>> samples;
  std::string source;                    // for messages: the path it came from
};

enum class SourceKind { npy_file, npy_folder, image_folder, idx_file };

// Picks the kind of `path` from what it is (file or folder, file names inside).
SourceKind detect_source(const std::string& path);

// Loads at most `max_samples` samples, spread evenly over the whole set (a deterministic stride,
// so a class-sorted folder still gives every class). `input_shape` is the model input in the
// source layout with the batch dimension (e.g. 1x3x32x32); every sample must match it.
// `default_mean` / `default_std` (may be empty) apply to IDX files when --preprocess gives none.
// Throws std::runtime_error naming the file and what was expected.
CalibrationSet load_calibration_set(const std::string& path, SourceKind kind, const std::vector<int64_t>& input_shape,
                                    size_t max_samples, const Preprocess& preprocess,
                                    const std::vector<float>& default_mean = {},
                                    const std::vector<float>& default_std = {});

// The indices of `count` samples spread evenly over `total` (all of them when count >= total).
std::vector<size_t> spread_indices(size_t total, size_t count);

// "a,b,c" -> floats; throws std::invalid_argument naming `what`.
std::vector<float> parse_float_list(const std::string& list, const std::string& what);

}  // namespace ternrt::calibrate
