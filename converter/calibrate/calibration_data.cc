#include "calibrate/calibration_data.h"

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <dirent.h>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

#include "idx.h"
#include "npy.h"

namespace ternrt::calibrate {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out.empty() ? "scalar" : out;
}

std::vector<int64_t> without_ones(const std::vector<int64_t>& shape) {
  std::vector<int64_t> out;
  for (int64_t d : shape)
    if (d != 1) out.push_back(d);
  return out;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string lower_ext(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return "";
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_image_ext(const std::string& ext) {
  return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "pgm" || ext == "ppm";
}

// Regular files of a folder, sorted by name (a stable order for the sample spread).
std::vector<std::string> list_folder(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) throw std::runtime_error(dir + ": cannot open the calibration folder");
  std::vector<std::string> names;
  while (dirent* e = readdir(d.get())) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    if (!is_dir(dir + "/" + name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The per-sample shape a file provides, checked against the model input (batch dimension dropped).
// Returns how many samples the file holds.
size_t samples_in(const std::vector<int64_t>& file_shape, const std::vector<int64_t>& sample_shape, bool may_be_single,
                  const std::string& source) {
  const std::vector<int64_t> want = without_ones(sample_shape);
  if (may_be_single && without_ones(file_shape) == want) return 1;
  if (!file_shape.empty()) {
    const std::vector<int64_t> rest(file_shape.begin() + 1, file_shape.end());
    if (without_ones(rest) == want) return static_cast<size_t>(file_shape[0]);
  }
  throw std::runtime_error(source + ": array of shape " + shape_text(file_shape) + " does not hold samples of the model input " +
                           shape_text(sample_shape) + " (expected N x " + shape_text(sample_shape) +
                           (may_be_single ? ", or one sample" : "") + ", in the source model's layout)");
}

std::vector<float> channel_values(const std::vector<float>& values, size_t channels, float fallback, const std::string& what) {
  if (values.empty()) return std::vector<float>(channels, fallback);
  if (values.size() == 1) return std::vector<float>(channels, values[0]);
  if (values.size() != channels)
    throw std::runtime_error(what + " has " + std::to_string(values.size()) + " values but the model input has " +
                             std::to_string(channels) + " channel(s)");
  return values;
}

struct Geometry {
  size_t c = 1, h = 1, w = 1;
};

Geometry image_geometry(const std::vector<int64_t>& sample_shape, bool nhwc, const std::string& source) {
  Geometry g;
  if (sample_shape.size() == 3) {
    g.c = static_cast<size_t>(nhwc ? sample_shape[2] : sample_shape[0]);
    g.h = static_cast<size_t>(nhwc ? sample_shape[0] : sample_shape[1]);
    g.w = static_cast<size_t>(nhwc ? sample_shape[1] : sample_shape[2]);
  } else if (sample_shape.size() == 2) {
    g.h = static_cast<size_t>(sample_shape[0]);
    g.w = static_cast<size_t>(sample_shape[1]);
  } else {
    throw std::runtime_error(source + ": images need a model input of rank 3 or 4 (N,C,H,W / N,H,W,C), got " +
                             shape_text(sample_shape));
  }
  return g;
}

// HWC float pixels (already scaled) -> normalized sample in the source layout.
std::vector<float> to_sample(const std::vector<float>& hwc, const Geometry& g, const std::vector<float>& mean,
                             const std::vector<float>& stdev, bool nhwc) {
  std::vector<float> out(g.c * g.h * g.w);
  for (size_t y = 0; y < g.h; ++y)
    for (size_t x = 0; x < g.w; ++x)
      for (size_t c = 0; c < g.c; ++c) {
        const float v = (hwc[(y * g.w + x) * g.c + c] - mean[c]) / stdev[c];
        out[nhwc ? (y * g.w + x) * g.c + c : (c * g.h + y) * g.w + x] = v;
      }
  return out;
}

CalibrationSet load_npy_file(const std::string& path, const std::vector<int64_t>& sample_shape, size_t max_samples) {
  CalibrationSet set;
  const tools::NpyArray a = tools::read_npy(path);
  if (!a.is_float) throw std::runtime_error(path + ": calibration arrays must be float (f4 or f8), not integer");
  const size_t n = samples_in(a.shape, sample_shape, false, path);
  if (n == 0) throw std::runtime_error(path + ": holds no samples (first dimension is 0)");
  const size_t per = a.data.size() / n;
  for (size_t i : spread_indices(n, max_samples))
    set.samples.emplace_back(a.data.begin() + static_cast<long>(i * per), a.data.begin() + static_cast<long>((i + 1) * per));
  return set;
}

CalibrationSet load_npy_folder(const std::string& dir, const std::vector<std::string>& files,
                               const std::vector<int64_t>& sample_shape, size_t max_samples) {
  // Every sample of every file, in name order, then the even spread over all of them.
  std::vector<std::vector<float>> all;
  for (const std::string& name : files) {
    if (lower_ext(name) != "npy") continue;
    const std::string path = dir + "/" + name;
    const tools::NpyArray a = tools::read_npy(path);
    if (!a.is_float) throw std::runtime_error(path + ": calibration arrays must be float (f4 or f8), not integer");
    const size_t n = samples_in(a.shape, sample_shape, true, path);
    const size_t per = n ? a.data.size() / n : 0;
    for (size_t i = 0; i < n; ++i)
      all.emplace_back(a.data.begin() + static_cast<long>(i * per), a.data.begin() + static_cast<long>((i + 1) * per));
  }
  CalibrationSet set;
  for (size_t i : spread_indices(all.size(), max_samples)) set.samples.push_back(std::move(all[i]));
  return set;
}

CalibrationSet load_image_folder(const std::string& dir, const std::vector<std::string>& files,
                                 const std::vector<int64_t>& sample_shape, size_t max_samples, const Preprocess& pre) {
  const Geometry g = image_geometry(sample_shape, pre.nhwc, dir);
  if (g.c != 1 && g.c != 3)
    throw std::runtime_error(dir + ": images need a model input with 1 or 3 channels, got " + std::to_string(g.c) +
                             " (input " + shape_text(sample_shape) + ", layout " + (pre.nhwc ? "nhwc" : "nchw") + ")");
  if (pre.resize_h && (static_cast<size_t>(pre.resize_h) != g.h || static_cast<size_t>(pre.resize_w) != g.w))
    throw std::runtime_error("--preprocess resize=" + std::to_string(pre.resize_h) + "x" + std::to_string(pre.resize_w) +
                             " does not match the model input " + shape_text(sample_shape));
  const std::vector<float> mean = channel_values(pre.mean, g.c, 0.0f, "--preprocess mean");
  const std::vector<float> stdev = channel_values(pre.std, g.c, 1.0f, "--preprocess std");
  std::vector<std::string> images;
  for (const std::string& name : files)
    if (is_image_ext(lower_ext(name))) images.push_back(name);
  CalibrationSet set;
  for (size_t i : spread_indices(images.size(), max_samples)) {
    const std::string path = dir + "/" + images[i];
    int w = 0, h = 0, file_channels = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> pixels(
        stbi_load(path.c_str(), &w, &h, &file_channels, static_cast<int>(g.c)), stbi_image_free);
    if (!pixels) throw std::runtime_error(path + ": cannot decode image: " + stbi_failure_reason());
    const size_t count = static_cast<size_t>(w) * static_cast<size_t>(h) * g.c;
    std::vector<float> src(count);
    for (size_t k = 0; k < count; ++k) src[k] = static_cast<float>(pixels.get()[k]) * pre.scale;
    std::vector<float> resized(g.h * g.w * g.c);
    if (static_cast<size_t>(w) == g.w && static_cast<size_t>(h) == g.h) {
      resized = src;
    } else if (!stbir_resize_float(src.data(), w, h, 0, resized.data(), static_cast<int>(g.w), static_cast<int>(g.h), 0,
                                   static_cast<int>(g.c))) {
      throw std::runtime_error(path + ": cannot resize " + std::to_string(w) + "x" + std::to_string(h) + " to " +
                               std::to_string(g.w) + "x" + std::to_string(g.h));
    }
    set.samples.push_back(to_sample(resized, g, mean, stdev, pre.nhwc));
  }
  return set;
}

CalibrationSet load_idx(const std::string& path, const std::vector<int64_t>& sample_shape, size_t max_samples,
                        const Preprocess& pre, const std::vector<float>& default_mean, const std::vector<float>& default_std) {
  const tools::IdxArray a = tools::read_idx(path);
  if (a.dims.empty()) throw std::runtime_error(path + ": IDX array has rank 0; expected N x H x W images");
  std::vector<int64_t> file_shape(a.dims.begin(), a.dims.end());
  const size_t n = samples_in(file_shape, sample_shape, false, path);
  const Geometry g = image_geometry(sample_shape, pre.nhwc, path);
  const std::vector<float> mean = channel_values(pre.has_mean ? pre.mean : default_mean, g.c, 0.0f, "mean");
  const std::vector<float> stdev = channel_values(pre.has_std ? pre.std : default_std, g.c, 1.0f, "std");
  const size_t per = a.elements() / std::max<size_t>(n, 1);
  if (per != g.c * g.h * g.w)
    throw std::runtime_error(path + ": " + std::to_string(per) + " values per image, the model input needs " +
                             std::to_string(g.c * g.h * g.w));
  CalibrationSet set;
  // IDX images are stored HWC (or HW): normalize per channel, then lay out as the model wants.
  for (size_t i : spread_indices(n, max_samples)) {
    std::vector<float> hwc(per);
    for (size_t k = 0; k < per; ++k) hwc[k] = static_cast<float>(a.value(i * per + k)) * pre.scale;
    set.samples.push_back(to_sample(hwc, g, mean, stdev, pre.nhwc));
  }
  return set;
}

}  // namespace

std::vector<float> parse_float_list(const std::string& list, const std::string& what) {
  std::vector<float> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v) || errno)
      throw std::invalid_argument(what + ": expected comma-separated numbers, got '" + list + "'");
    out.push_back(static_cast<float>(v));
  }
  if (out.empty()) throw std::invalid_argument(what + ": expected comma-separated numbers, got '" + list + "'");
  return out;
}

Preprocess parse_preprocess(const std::string& spec) {
  Preprocess p;
  // Split on commas that start a new key=value (mean=a,b,c keeps its commas).
  std::vector<std::string> items;
  size_t start = 0;
  for (size_t i = 0; i <= spec.size(); ++i) {
    if (i == spec.size() || (spec[i] == ',' && spec.find('=', i + 1) < spec.find(',', i + 1))) {
      items.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--preprocess: expected KEY=VALUE items (resize, mean, std, layout, scale), got '" + item + "'");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "resize") {
      const size_t x = value.find('x');
      char* end1 = nullptr;
      char* end2 = nullptr;
      const long h = x == std::string::npos ? 0 : std::strtol(value.substr(0, x).c_str(), &end1, 10);
      const long w = x == std::string::npos ? 0 : std::strtol(value.substr(x + 1).c_str(), &end2, 10);
      if (x == std::string::npos || *end1 || *end2 || h < 1 || w < 1 || h > 65536 || w > 65536)
        throw std::invalid_argument("--preprocess resize: expected HxW (e.g. 224x224), got '" + value + "'");
      p.resize_h = static_cast<int>(h);
      p.resize_w = static_cast<int>(w);
    } else if (key == "mean") {
      p.mean = parse_float_list(value, "--preprocess mean");
      p.has_mean = true;
    } else if (key == "std") {
      p.std = parse_float_list(value, "--preprocess std");
      for (float s : p.std)
        if (!(s > 0)) throw std::invalid_argument("--preprocess std: values must be positive, got '" + value + "'");
      p.has_std = true;
    } else if (key == "layout") {
      if (value == "nchw") p.nhwc = false;
      else if (value == "nhwc") p.nhwc = true;
      else throw std::invalid_argument("--preprocess layout: expected nchw or nhwc, got '" + value + "'");
    } else if (key == "scale") {
      // "1/255" or a plain number.
      const size_t slash = value.find('/');
      double v = 0;
      char* end = nullptr;
      if (slash == std::string::npos) {
        v = std::strtod(value.c_str(), &end);
        if (*end) v = NAN;
      } else {
        char* end2 = nullptr;
        const std::string num = value.substr(0, slash), den = value.substr(slash + 1);
        const double a = std::strtod(num.c_str(), &end), b = std::strtod(den.c_str(), &end2);
        v = (*end || *end2 || num.empty() || den.empty() || b == 0) ? NAN : a / b;
      }
      if (value.empty() || !std::isfinite(v) || v <= 0)
        throw std::invalid_argument("--preprocess scale: expected a positive number or a fraction like 1/255, got '" + value + "'");
      p.scale = static_cast<float>(v);
    } else {
      throw std::invalid_argument("--preprocess: unknown key '" + key + "' (expected resize, mean, std, layout, scale)");
    }
  }
  return p;
}

SourceKind detect_source(const std::string& path) {
  if (is_dir(path)) {
    size_t npy = 0, images = 0;
    for (const std::string& name : list_folder(path)) {
      const std::string ext = lower_ext(name);
      npy += ext == "npy";
      images += is_image_ext(ext);
    }
    if (npy && images)
      throw std::runtime_error(path + ": the calibration folder mixes .npy files and images; use one kind");
    if (npy) return SourceKind::npy_folder;
    if (images) return SourceKind::image_folder;
    throw std::runtime_error(path + ": the calibration folder has no .npy, PNG, JPEG, BMP or PNM files");
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw std::runtime_error(path + ": no such calibration file or folder");
  if (lower_ext(path) == "npy") return SourceKind::npy_file;
  return SourceKind::idx_file;
}

std::vector<size_t> spread_indices(size_t total, size_t count) {
  std::vector<size_t> out;
  if (count >= total) count = total;
  for (size_t i = 0; i < count; ++i) out.push_back(static_cast<size_t>((static_cast<unsigned long long>(i) * total) / count));
  return out;
}

CalibrationSet load_calibration_set(const std::string& path, SourceKind kind, const std::vector<int64_t>& input_shape,
                                    size_t max_samples, const Preprocess& preprocess,
                                    const std::vector<float>& default_mean, const std::vector<float>& default_std) {
  if (input_shape.empty()) throw std::runtime_error(path + ": the model input is a scalar; nothing to calibrate");
  if (input_shape[0] != 1)
    throw std::runtime_error(path + ": calibration runs one sample per invocation and needs a model batch of 1, got input " +
                             shape_text(input_shape) + " (convert with --batch 1)");
  const std::vector<int64_t> sample_shape(input_shape.begin() + 1, input_shape.end());
  CalibrationSet set;
  switch (kind) {
    case SourceKind::npy_file: set = load_npy_file(path, sample_shape, max_samples); break;
    case SourceKind::npy_folder: set = load_npy_folder(path, list_folder(path), sample_shape, max_samples); break;
    case SourceKind::image_folder: set = load_image_folder(path, list_folder(path), sample_shape, max_samples, preprocess); break;
    case SourceKind::idx_file: set = load_idx(path, sample_shape, max_samples, preprocess, default_mean, default_std); break;
  }
  if (set.samples.empty()) throw std::runtime_error(path + ": no calibration samples");
  for (size_t i = 0; i < set.samples.size(); ++i)
    for (float v : set.samples[i])
      if (!std::isfinite(v)) throw std::runtime_error(path + ": calibration sample " + std::to_string(i) + " has NaN or Inf");
  set.sample_shape = sample_shape;
  set.source = path;
  return set;
}

}  // namespace ternrt::calibrate
