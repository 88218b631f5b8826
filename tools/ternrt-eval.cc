// ternrt-eval: accuracy of a .tern classifier on a labelled image set (Fashion-MNIST IDX files
// or .npy arrays), top-1 agreement with a reference model (e.g. the float conversion of the same
// ONNX model), and throughput.
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "idx.h"
#include "npy.h"
#include "tool-common.h"

namespace {

using ternrt::tools::parse_int_flag;

const char kUsage[] =
    "usage: ternrt-eval MODEL.tern (--images X.npy [--labels Y.npy] | --idx-images F [--idx-labels F])\n"
    "                   [--reference REF.tern] [--limit N] [--threads N] [--isa ISA]\n"
    "                   [--mean M[,M...]] [--std S[,S...]] [--progress | --no-progress] [--json]\n"
    "  Classifies every image with output 0 of MODEL and prints top-1 / top-5 accuracy, top-1\n"
    "  agreement with REF (same images, its own interpreter) and images per second of MODEL.\n"
    "  --images X.npy     float images, N x ... in the source model's layout (NCHW for ONNX models),\n"
    "                     already normalized: used as given\n"
    "  --labels Y.npy     N integer class indices\n"
    "  --idx-images F     IDX u8 images N x H x W (gzip or raw, e.g. t10k-images-idx3-ubyte.gz):\n"
    "                     scaled to [0, 1], then (x - mean) / std with the model's metadata\n"
    "                     input.mean / input.std (ternrt-convert --input-mean/--input-std)\n"
    "  --idx-labels F     IDX u8 labels (N)\n"
    "  --mean, --std      override the normalization of IDX images (per channel, comma-separated)\n"
    "  --reference REF    report the fraction of images where REF and MODEL agree on top-1; REF is a\n"
    "                     .tern model, or a .npy of its top-1 classes saved with --save-top1\n"
    "  --save-top1 P.npy  write MODEL's top-1 class per image (float32, N) for later --reference P.npy\n"
    "  --limit N          only the first N images\n"
    "  --threads N        worker threads per interpreter (default 1)\n"
    "  --isa ISA          force the ternary kernels: scalar, avx2, avx512, avx512vnni, neon, neondot\n"
    "  --ternary-as-float run MODEL's ternary layers in float (weights = scale * trit, no int8\n"
    "                     activations): separates weight quantization error from activation error\n"
    "  --activations M    static (default for a model with int8 ranges, ternrt-convert --static-int8)\n"
    "                     or dynamic (quantize each ternary layer's input per invoke)\n"
    "  --progress         progress bar on stderr even when it is not a terminal (default: only on a tty)\n"
    "  --json             one JSON object: top1, top5, agreement (null when not measured), images_per_s, n, ...\n";

// The images as the tools see them: N samples of `sample_shape` in the source layout.
struct Dataset {
  std::string images_path, labels_path;
  size_t count = 0;
  std::vector<int64_t> sample_shape;  // without the leading N
  bool from_idx = false;
  ternrt::tools::IdxArray idx;      // from_idx: raw u8 pixels
  ternrt::tools::NpyArray npy;      // otherwise: float samples
  std::vector<int64_t> labels;      // empty when no labels were given
  size_t sample_elements() const {
    size_t n = 1;
    for (int64_t d : sample_shape) n *= static_cast<size_t>(d);
    return n;
  }
};

struct Options {
  std::string model_path, reference_path, isa;
  std::string npy_images, npy_labels, idx_images, idx_labels;
  std::string mean_flag, std_flag, save_top1;
  long limit = 0, threads = 1;
  bool json = false, ternary_as_float = false;
  uint32_t activation_flags = 0;  // --activations
  int progress = -1;  // -1: when stderr is a tty
};

std::vector<float> parse_floats(const std::string& what, const std::string& text) {
  std::vector<float> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    char* end = nullptr;
    const float v = std::strtof(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v)) {
      throw std::runtime_error(what + ": expected comma-separated numbers, got '" + text + "'");
    }
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

std::vector<int64_t> labels_from_idx(const std::string& path) {
  const auto a = ternrt::tools::read_idx(path);
  if (a.dims.size() != 1) {
    throw std::runtime_error(path + ": IDX labels must have rank 1 (N), got rank " + std::to_string(a.dims.size()));
  }
  if (a.type == ternrt::tools::IdxType::f32 || a.type == ternrt::tools::IdxType::f64) {
    throw std::runtime_error(path + ": IDX labels must be integers, got floating-point elements");
  }
  std::vector<int64_t> labels(a.elements());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(a.value(i));
  return labels;
}

std::vector<int64_t> labels_from_npy(const std::string& path) {
  auto a = ternrt::tools::read_npy(path);
  const bool column = a.shape.size() == 2 && a.shape[1] == 1;
  if (a.shape.size() != 1 && !column) {
    throw std::runtime_error(path + ": labels must have shape (N) or (N, 1), got " + ternrt::tools::shape_string(a.shape));
  }
  if (!a.is_float) return a.ints;
  std::vector<int64_t> labels(a.data.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const float v = a.data[i];
    if (v != std::floor(v) || !std::isfinite(v)) {
      throw std::runtime_error(path + ": label " + std::to_string(i) + " is " + std::to_string(v) + ", not an integer class index");
    }
    labels[i] = static_cast<int64_t>(v);
  }
  return labels;
}

Dataset load_dataset(const Options& o) {
  Dataset d;
  if (!o.idx_images.empty()) {
    d.from_idx = true;
    d.images_path = o.idx_images;
    d.idx = ternrt::tools::read_idx(o.idx_images);
    if (d.idx.type != ternrt::tools::IdxType::u8) {
      throw std::runtime_error(o.idx_images + ": IDX images must be u8 (type 0x08) pixels in [0, 255]");
    }
    // N x H x W grayscale images become N x 1 x H x W (NCHW, like torchvision's ToTensor); N x K stays flat.
    if (d.idx.dims.size() == 3) d.sample_shape = {1, d.idx.dims[1], d.idx.dims[2]};
    else if (d.idx.dims.size() == 2) d.sample_shape = {d.idx.dims[1]};
    else throw std::runtime_error(o.idx_images + ": IDX images must have rank 3 (N x H x W) or 2 (N x K), got rank " +
                                  std::to_string(d.idx.dims.size()));
    d.count = d.idx.dims[0];
    if (!o.idx_labels.empty()) {
      d.labels_path = o.idx_labels;
      d.labels = labels_from_idx(o.idx_labels);
    }
  } else {
    d.images_path = o.npy_images;
    d.npy = ternrt::tools::read_npy(o.npy_images);
    if (!d.npy.is_float) {
      throw std::runtime_error(o.npy_images + ": integer images; --images takes float32 images already normalized "
                               "(raw u8 pixels: use --idx-images)");
    }
    if (d.npy.shape.size() < 2) {
      throw std::runtime_error(o.npy_images + ": images must have shape (N, ...), got " + ternrt::tools::shape_string(d.npy.shape));
    }
    d.count = static_cast<size_t>(d.npy.shape[0]);
    d.sample_shape.assign(d.npy.shape.begin() + 1, d.npy.shape.end());
    if (!o.npy_labels.empty()) {
      d.labels_path = o.npy_labels;
      d.labels = labels_from_npy(o.npy_labels);
    }
  }
  if (d.count == 0) throw std::runtime_error(d.images_path + ": contains no images");
  if (!d.labels_path.empty() && d.labels.size() != d.count) {
    throw std::runtime_error(d.labels_path + ": has " + std::to_string(d.labels.size()) + " labels but " + d.images_path + " has " +
                             std::to_string(d.count) + " images");
  }
  if (o.limit > 0 && static_cast<size_t>(o.limit) < d.count) {
    d.count = static_cast<size_t>(o.limit);
    if (!d.labels.empty()) d.labels.resize(d.count);
  }
  return d;
}

// Per-channel normalization of IDX pixels for one model: (pixel / 255 - mean[c]) / std[c].
struct Normalization {
  std::vector<float> mean{0.f}, stddev{1.f};
  std::string origin = "none";
};

Normalization normalization_for(const ternrt::ModelHandle& model, const std::string& model_path, const Options& o,
                                const Dataset& d) {
  Normalization n;
  const std::string meta_mean = model.metadata("input.mean"), meta_std = model.metadata("input.std");
  const std::string mean_text = !o.mean_flag.empty() ? o.mean_flag : meta_mean;
  const std::string std_text = !o.std_flag.empty() ? o.std_flag : meta_std;
  if (!mean_text.empty()) n.mean = parse_floats(o.mean_flag.empty() ? model_path + ": metadata input.mean" : "--mean", mean_text);
  if (!std_text.empty()) n.stddev = parse_floats(o.std_flag.empty() ? model_path + ": metadata input.std" : "--std", std_text);
  for (float s : n.stddev) {
    if (!(s > 0)) throw std::runtime_error((o.std_flag.empty() ? model_path + ": metadata input.std" : std::string("--std")) +
                                           " must be positive, got '" + std_text + "'");
  }
  const size_t channels = d.sample_shape.size() == 3 ? static_cast<size_t>(d.sample_shape[0]) : 1;
  for (const auto* v : {&n.mean, &n.stddev}) {
    if (v->size() != 1 && v->size() != channels) {
      throw std::runtime_error(model_path + ": normalization has " + std::to_string(v->size()) + " values per channel but " +
                               d.images_path + " has " + std::to_string(channels) + " channel(s)");
    }
  }
  if (!o.mean_flag.empty() || !o.std_flag.empty()) n.origin = "flags";
  else if (!meta_mean.empty() || !meta_std.empty()) n.origin = "model metadata";
  return n;
}

// Prints a one-line bar on stderr, redrawn when the percentage changes.
class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string label, size_t total) : enabled_(enabled), label_(std::move(label)), total_(total) {}
  void update(size_t done, double seconds) {
    if (!enabled_) return;
    const int percent = static_cast<int>(100 * done / std::max<size_t>(total_, 1));
    if (percent == last_percent_ && done != total_) return;
    last_percent_ = percent;
    const int width = 30, filled = percent * width / 100;
    std::fprintf(stderr, "\r%-10s [%s%s] %3d%% %zu/%zu %.0f img/s", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), percent, done, total_, seconds > 0 ? done / seconds : 0.0);
    if (done == total_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::string label_;
  size_t total_;
  int last_percent_ = -1;
};

struct Predictions {
  std::vector<int32_t> top1;
  std::vector<uint8_t> label_in_top5;  // only with labels
  size_t classes = 0, batch = 1;
  double seconds = 0;  // set_input + invoke + output of all batches
  std::string isa, activations;
  Normalization norm;
};

// The C++ wrapper's InterpreterHandle has no flags; --ternary-as-float needs TERNRT_FLAG_TERNARY_AS_FLOAT.
class Interpreter {
 public:
  Interpreter(const ternrt::ModelHandle& model, const Options& o, bool as_float) : it_(nullptr, &ternrt_interpreter_delete) {
    ternrt_interpreter_options opts;
    ternrt_interpreter_options_init(&opts);
    opts.num_threads = static_cast<uint32_t>(o.threads);
    opts.isa = o.isa.empty() ? nullptr : o.isa.c_str();
    opts.flags = (as_float ? TERNRT_FLAG_TERNARY_AS_FLOAT : 0u) | o.activation_flags;
    ternrt_interpreter* raw = nullptr;
    ternrt::check(ternrt_interpreter_create(model.get(), &opts, &raw));
    it_.reset(raw);
  }
  size_t input_count() const { return ternrt_interpreter_input_count(it_.get()); }
  ternrt::TensorInfo input_info(size_t i) const { return info(i, true); }
  ternrt::TensorInfo output_info(size_t i) const { return info(i, false); }
  std::string isa() const { return ternrt_interpreter_isa(it_.get()); }
  std::string activations() const { return ternrt_interpreter_activation_mode(it_.get()); }
  void set_input(size_t i, const std::vector<float>& x) {
    ternrt::check(ternrt_interpreter_set_input(it_.get(), i, x.data(), x.size() * sizeof(float)));
  }
  void invoke() { ternrt::check(ternrt_interpreter_invoke(it_.get())); }
  void output(size_t i, std::vector<float>* out) const {
    out->resize(output_info(i).bytes / sizeof(float));
    ternrt::check(ternrt_interpreter_get_output(it_.get(), i, out->data(), out->size() * sizeof(float)));
  }

 private:
  ternrt::TensorInfo info(size_t i, bool input) const {
    ternrt_tensor_info t;
    ternrt::check(input ? ternrt_interpreter_input_info(it_.get(), i, &t) : ternrt_interpreter_output_info(it_.get(), i, &t));
    return ternrt::TensorInfo{t.name, t.type, std::vector<int32_t>(t.shape, t.shape + t.rank), t.bytes};
  }
  std::unique_ptr<ternrt_interpreter, void (*)(ternrt_interpreter*)> it_;
};

Predictions evaluate(const std::string& model_path, const Options& o, const Dataset& d, const std::string& label, bool as_float) {
  const auto model = ternrt::ModelHandle::load_file(model_path);
  Interpreter interp(model, o, as_float);
  if (interp.input_count() != 1) throw std::runtime_error(model_path + ": ternrt-eval supports models with one input");
  const auto in_info = interp.input_info(0);
  const auto out_info = interp.output_info(0);
  if (in_info.type != TERNRT_F32 || out_info.type != TERNRT_F32) {
    throw std::runtime_error(model_path + ": ternrt-eval needs a float32 input and output 0");
  }
  const bool nchw = ternrt::tools::source_is_nchw(model);
  Predictions p;
  p.isa = interp.isa();
  p.activations = interp.activations();
  p.batch = in_info.shape.empty() || in_info.shape[0] < 1 ? 1 : static_cast<size_t>(in_info.shape[0]);
  p.classes = out_info.elements() / p.batch;
  if (p.classes == 0 || out_info.elements() % p.batch != 0) {
    throw std::runtime_error(model_path + ": output '" + out_info.name + "' of shape " + ternrt::tools::shape_string(out_info.shape) +
                             " is not batch x classes");
  }
  if (d.from_idx) p.norm = normalization_for(model, model_path, o, d);
  for (size_t i = 0; i < d.labels.size(); ++i) {
    if (d.labels[i] < 0 || static_cast<size_t>(d.labels[i]) >= p.classes) {
      throw std::runtime_error(d.labels_path + ": label " + std::to_string(i) + " is " + std::to_string(d.labels[i]) + ", outside [0, " +
                               std::to_string(p.classes) + ") of " + model_path + "'s " + std::to_string(p.classes) + " classes");
    }
  }

  const size_t per_sample = d.sample_elements();
  const size_t hw = d.sample_shape.size() == 3 ? static_cast<size_t>(d.sample_shape[1] * d.sample_shape[2]) : per_sample;
  std::vector<int64_t> batch_shape = {static_cast<int64_t>(p.batch)};
  batch_shape.insert(batch_shape.end(), d.sample_shape.begin(), d.sample_shape.end());
  std::vector<float> raw(p.batch * per_sample), out;
  p.top1.resize(d.count);
  if (!d.labels.empty()) p.label_in_top5.resize(d.count);
  ProgressBar bar(o.progress == 1 || (o.progress == -1 && isatty(2)), label, d.count);

  for (size_t start = 0; start < d.count; start += p.batch) {
    const size_t n = std::min(p.batch, d.count - start);
    // A last partial batch repeats its final image; the extra rows are ignored.
    for (size_t b = 0; b < p.batch; ++b) {
      const size_t img = start + std::min(b, n - 1);
      float* dst = raw.data() + b * per_sample;
      if (d.from_idx) {
        const uint8_t* src = d.idx.data.data() + img * per_sample;
        for (size_t j = 0; j < per_sample; ++j) {
          const size_t c = j / hw;
          const float mean = p.norm.mean.size() == 1 ? p.norm.mean[0] : p.norm.mean[c];
          const float sd = p.norm.stddev.size() == 1 ? p.norm.stddev[0] : p.norm.stddev[c];
          dst[j] = (static_cast<float>(src[j]) / 255.f - mean) / sd;
        }
      } else {
        std::copy_n(d.npy.data.data() + img * per_sample, per_sample, dst);
      }
    }
    const auto input = ternrt::tools::fit_input(raw.data(), batch_shape, in_info, nchw, d.images_path);
    const auto t0 = std::chrono::steady_clock::now();
    interp.set_input(0, input);
    interp.invoke();
    interp.output(0, &out);
    p.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    for (size_t b = 0; b < n; ++b) {
      const float* row = out.data() + b * p.classes;
      size_t best = 0;
      for (size_t c = 1; c < p.classes; ++c) {
        if (row[c] > row[best] || (std::isnan(row[best]) && !std::isnan(row[c]))) best = c;
      }
      p.top1[start + b] = static_cast<int32_t>(best);
      if (!d.labels.empty()) {
        // Rank of the true class = how many classes score strictly higher (ties count for it).
        const float target = row[d.labels[start + b]];
        size_t higher = 0;
        for (size_t c = 0; c < p.classes; ++c) higher += row[c] > target || (std::isnan(target) && !std::isnan(row[c]));
        p.label_in_top5[start + b] = higher < 5;
      }
    }
    bar.update(start + n, p.seconds);
  }
  return p;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Top-1 classes of a reference saved by --save-top1; must cover at least the images evaluated.
Predictions predictions_from_npy(const std::string& path, const Dataset& d, size_t classes) {
  const std::vector<int64_t> top1 = labels_from_npy(path);
  if (top1.size() < d.count) {
    throw std::runtime_error(path + ": has " + std::to_string(top1.size()) + " reference predictions but " + std::to_string(d.count) +
                             " images are evaluated");
  }
  Predictions p;
  p.classes = classes;
  for (size_t i = 0; i < d.count; ++i) {
    if (top1[i] < 0 || static_cast<size_t>(top1[i]) >= classes) {
      throw std::runtime_error(path + ": prediction " + std::to_string(i) + " is " + std::to_string(top1[i]) + ", outside [0, " +
                               std::to_string(classes) + ")");
    }
    p.top1.push_back(static_cast<int32_t>(top1[i]));
  }
  return p;
}

std::string json_number(std::optional<double> v, const char* format = "%.6f") {
  if (!v || !std::isfinite(*v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, *v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

int run(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--images") o.npy_images = value();
    else if (a == "--labels") o.npy_labels = value();
    else if (a == "--idx-images") o.idx_images = value();
    else if (a == "--idx-labels") o.idx_labels = value();
    else if (a == "--reference") o.reference_path = value();
    else if (a == "--limit") o.limit = parse_int_flag(a, value(), 1, std::numeric_limits<long>::max());
    else if (a == "--threads") o.threads = parse_int_flag(a, value(), 1, 256);
    else if (a == "--isa") o.isa = value();
    else if (a == "--save-top1") o.save_top1 = value();
    else if (a == "--mean") o.mean_flag = value();
    else if (a == "--std") o.std_flag = value();
    else if (a == "--json") o.json = true;
    else if (a == "--ternary-as-float") o.ternary_as_float = true;
    else if (a == "--activations") o.activation_flags = ternrt::tools::parse_activations_flag(value());
    else if (a == "--progress") o.progress = 1;
    else if (a == "--no-progress") o.progress = 0;
    else if (!a.empty() && a[0] == '-') throw std::runtime_error("unknown option '" + a + "'\n" + kUsage);
    else if (o.model_path.empty()) o.model_path = a;
    else throw std::runtime_error("unexpected argument '" + a + "'");
  }
  if (o.model_path.empty()) throw std::runtime_error(std::string("missing MODEL\n") + kUsage);
  const bool npy = !o.npy_images.empty(), idx = !o.idx_images.empty();
  if (npy == idx) throw std::runtime_error(std::string("give exactly one of --images (.npy) or --idx-images\n") + kUsage);
  if ((npy && !o.idx_labels.empty()) || (idx && !o.npy_labels.empty())) {
    throw std::runtime_error("labels must match the images: --images with --labels, --idx-images with --idx-labels");
  }
  if (!idx && (!o.mean_flag.empty() || !o.std_flag.empty())) {
    throw std::runtime_error("--mean/--std apply to --idx-images only (.npy images are used as given)");
  }

  const Dataset d = load_dataset(o);
  const Predictions p = evaluate(o.model_path, o, d, "model", o.ternary_as_float);
  std::optional<Predictions> ref;
  if (ends_with(o.reference_path, ".npy")) {
    ref = predictions_from_npy(o.reference_path, d, p.classes);
  } else if (!o.reference_path.empty()) {
    ref = evaluate(o.reference_path, o, d, "reference", false);
    if (ref->classes != p.classes) {
      throw std::runtime_error(o.reference_path + ": has " + std::to_string(ref->classes) + " classes but " + o.model_path + " has " +
                               std::to_string(p.classes));
    }
  }
  if (!o.save_top1.empty()) {
    const std::vector<float> classes(p.top1.begin(), p.top1.end());
    ternrt::tools::write_npy_f32(o.save_top1, {static_cast<int64_t>(classes.size())}, classes.data());
  }

  std::optional<double> top1, top5, agreement;
  size_t correct1 = 0, correct5 = 0, agree = 0;
  if (!d.labels.empty()) {
    for (size_t i = 0; i < d.count; ++i) {
      correct1 += p.top1[i] == d.labels[i];
      correct5 += p.label_in_top5[i];
    }
    top1 = double(correct1) / double(d.count);
    top5 = double(correct5) / double(d.count);
  }
  if (ref) {
    for (size_t i = 0; i < d.count; ++i) agree += p.top1[i] == ref->top1[i];
    agreement = double(agree) / double(d.count);
  }
  std::optional<double> ref_top1;
  if (ref && !d.labels.empty()) {
    size_t c = 0;
    for (size_t i = 0; i < d.count; ++i) c += ref->top1[i] == d.labels[i];
    ref_top1 = double(c) / double(d.count);
  }
  const double ips = p.seconds > 0 ? double(d.count) / p.seconds : 0;

  if (o.json) {
    std::printf("{\"model\": %s, \"n\": %zu, \"top1\": %s, \"top5\": %s, \"agreement\": %s, \"images_per_s\": %s, \"seconds\": %s, "
                "\"classes\": %zu, \"batch\": %zu, \"threads\": %ld, \"isa\": %s, \"reference\": %s, \"reference_top1\": %s, "
                "\"normalization\": %s, \"ternary_as_float\": %s, \"activations\": %s}\n",
                json_string(o.model_path).c_str(), d.count, json_number(top1).c_str(), json_number(top5).c_str(),
                json_number(agreement).c_str(), json_number(ips, "%.2f").c_str(), json_number(p.seconds).c_str(), p.classes, p.batch,
                o.threads, json_string(p.isa).c_str(), o.reference_path.empty() ? "null" : json_string(o.reference_path).c_str(),
                json_number(ref_top1).c_str(),
                json_string(p.norm.origin).c_str(), o.ternary_as_float ? "true" : "false",
                json_string(p.activations).c_str());
    return 0;
  }
  std::printf("model      %s (ternary kernels: %s, %s activations, %ld thread%s, batch %zu, %zu classes)\n", o.model_path.c_str(),
              p.isa.c_str(), p.activations.c_str(), o.threads, o.threads == 1 ? "" : "s", p.batch, p.classes);
  std::printf("images     %zu from %s", d.count, d.images_path.c_str());
  if (d.from_idx) {
    std::string m, s;
    for (float v : p.norm.mean) m += (m.empty() ? "" : ",") + json_number(v, "%g");
    for (float v : p.norm.stddev) s += (s.empty() ? "" : ",") + json_number(v, "%g");
    std::printf(" (x/255 - %s) / %s from %s", m.c_str(), s.c_str(), p.norm.origin.c_str());
  }
  std::printf("\n");
  if (top1) {
    std::printf("top-1      %.2f%% (%zu/%zu)\n", 100 * *top1, correct1, d.count);
    std::printf("top-5      %.2f%% (%zu/%zu)\n", 100 * *top5, correct5, d.count);
  } else {
    std::printf("top-1      - (no labels)\n");
  }
  if (agreement) std::printf("agreement  %.2f%% top-1 equal to %s (%zu/%zu)\n", 100 * *agreement, o.reference_path.c_str(), agree, d.count);
  std::printf("speed      %.1f images/s (%.3f s in invoke for %zu images)\n", ips, p.seconds, d.count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return ternrt::tools::tool_main("ternrt-eval", run, argc, argv); }
