#include "ptq/ptq_flags.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace ternrt::ptq {

const char kPtqUsage[] =
    "calibration (post-training quantization, docs/ptq.md):\n"
    "  --calibrate DATA          calibration inputs: a .npy array (N x input shape, source layout), a\n"
    "                            folder of .npy files, or a folder of PNG/JPEG/BMP images\n"
    "  --calibrate-idx FILE      IDX images (e.g. train-images-idx3-ubyte.gz), scaled to [0,1], then\n"
    "                            (x - mean) / std from --preprocess or --input-mean/--input-std\n"
    "  --calib-samples N         samples used, spread evenly over the data (default 512)\n"
    "  --preprocess SPEC         images/IDX: resize=HxW,mean=a[,b,c],std=a[,b,c],layout=nchw|nhwc,scale=1/255\n"
    "  --act-range M             input range recorded per ternary layer: minmax (default) | percentile | mse\n"
    "  --act-percentile P        percentile for --act-range percentile (default 99.99)\n"
    "  --no-scale-refit          keep the method's scales (default: least-squares refit per channel)\n"
    "  --no-bias-correction      keep the float bias (default: remove the mean output shift)\n"
    "  --threshold-search        search each channel's threshold in 0.5t..1.5t in every layer (default:\n"
    "                            in layers where it is cheap, about rows * K^2 / 2 <= 1e10)\n"
    "  --no-threshold-search     keep the method's thresholds\n"
    "  --trit-search             refine each weight's trit by coordinate descent on the layer's output\n"
    "                            error (default: where the threshold search is cheap)\n"
    "  --no-trit-search          keep the trits of the threshold rule\n"
    "  --no-float-refit          float Conv/FC layers after ternary ones: bias correction only (default:\n"
    "                            refit weights and bias by least squares on the shifted input)\n"
    "  --float-refit-ridge R     ridge toward the float weights, relative to the input power (default:\n"
    "                            chosen per layer by two-fold cross-validation on the calibration data)\n"
    "  --calib-rows N            output pixels per layer used for statistics (default 65536)\n";

bool parse_ptq_flag(int argc, char** argv, int* i, PtqOptions* o, std::string* error) {
  const std::string arg = argv[*i];
  auto value = [&]() -> const char* {
    if (*i + 1 >= argc) {
      *error = arg + " needs a value";
      return nullptr;
    }
    return argv[++*i];
  };
  auto count = [&](const char* v, size_t max, size_t* out) {
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    if (!*v || *end || n < 1 || static_cast<unsigned long long>(n) > max)
      *error = arg + ": expected an integer in [1, " + std::to_string(max) + "], got '" + v + "'";
    else *out = static_cast<size_t>(n);
  };
  if (arg == "--calibrate") {
    if (const char* v = value()) o->data = v;
  } else if (arg == "--calibrate-idx") {
    if (const char* v = value()) o->idx = v;
  } else if (arg == "--calib-samples") {
    if (const char* v = value()) count(v, 1000000, &o->samples);
  } else if (arg == "--calib-rows") {
    if (const char* v = value()) count(v, 100000000, &o->max_rows);
  } else if (arg == "--preprocess") {
    if (const char* v = value()) {
      try {
        o->preprocess = calibrate::parse_preprocess(v);
      } catch (const std::invalid_argument& e) {
        *error = e.what();
      }
    }
  } else if (arg == "--act-range") {
    if (const char* v = value())
      if (!calibrate::parse_range_method(v, &o->act_range))
        *error = std::string("--act-range: expected minmax, percentile or mse, got '") + v + "'";
  } else if (arg == "--act-percentile") {
    if (const char* v = value()) {
      char* end = nullptr;
      const double p = std::strtod(v, &end);
      if (!*v || *end || !(p > 50 && p <= 100)) *error = std::string("--act-percentile: expected a number in (50, 100], got '") + v + "'";
      else o->percentile = p;
    }
  } else if (arg == "--no-scale-refit") {
    o->steps.scale_refit = false;
  } else if (arg == "--no-bias-correction") {
    o->steps.bias_correction = false;
  } else if (arg == "--threshold-search") {
    o->threshold_search = 1;
  } else if (arg == "--no-threshold-search") {
    o->threshold_search = 0;
  } else if (arg == "--no-float-refit") {
    o->float_refit = false;
  } else if (arg == "--float-refit-ridge") {
    if (const char* v = value()) {
      char* end = nullptr;
      const double r = std::strtod(v, &end);
      if (!*v || *end || !(r >= 0 && r <= 1e6)) *error = std::string("--float-refit-ridge: expected a number in [0, 1e6], got '") + v + "'";
      else o->float_refit_ridge = r;
    }
  } else if (arg == "--trit-search") {
    o->trit_search = 1;
  } else if (arg == "--no-trit-search") {
    o->trit_search = 0;
  } else {
    return false;
  }
  return true;
}

std::string check_ptq_options(const PtqOptions& o) {
  if (!o.data.empty() && !o.idx.empty()) return "--calibrate and --calibrate-idx: give one calibration source";
  return "";
}

}  // namespace ternrt::ptq
