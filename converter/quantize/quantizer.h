// Ternary weight quantizers: one interface, one file per method (docs/quantizers.md).
// A weight tensor is viewed as N rows (output channels) x K values. Every method works per
// output channel (default) or per tensor, and returns trits, scales and the parameters it used.
// Definitions: ../shared/research/paper.md and ../shared/ARCHITECTURE.md section 6.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ternrt::quantize {

enum class Method { rtn, twn, tquant, mquant, l2opt };
// MQuant level: the L2 centroid of the kept weights (default) or a = 2t (round-and-clip form).
enum class MQuantLevel { centroid, two_t };
// MQuant threshold: empirical 1/3-quantile of |w| (default) or from a fitted zero-mean Gaussian.
enum class QuantileSource { empirical, gaussian };

struct Options {
  Method method = Method::mquant;
  bool per_channel = true;
  MQuantLevel mquant_level = MQuantLevel::centroid;
  QuantileSource mquant_quantiles = QuantileSource::empirical;
};

struct Result {
  std::vector<int8_t> trits;       // n * k, row-major, values in {-1, 0, +1}
  std::vector<float> scales;       // n values (per channel) or 1; finite and > 0 (1 for all-zero rows)
  std::vector<float> thresholds;   // same count as scales: t, with trit = sign(w) * (|w| > t)
                                   // (l2opt: t = a/2, codes are the exact top-k set; they can
                                   // differ from the rule only for |w| == a/2 up to rounding)
  std::vector<float> levels;       // same count as scales: the level a the method chose
                                   // (0 for an all-zero group, whose scale is 1)
};

struct ErrorStats {
  double mse = 0;            // mean (w - scale*trit)^2 over all n*k weights
  double max_error = 0;      // max |w - scale*trit|
  double sqnr_db = 0;        // 10 log10(sum w^2 / sum err^2); +inf when the error is 0
  double zero_fraction = 0;  // fraction of zero trits
};

const char* method_name(Method method);                 // "rtn", "twn", "tquant", "mquant", "l2opt"
bool parse_method(std::string_view name, Method* method);

// Throws std::invalid_argument naming `tensor_name` for NaN/Inf weights or n*k == 0.
Result ternarize(const float* w, size_t n, size_t k, const Options& options, const std::string& tensor_name);
ErrorStats error_stats(const float* w, size_t n, size_t k, const Result& result);

}  // namespace ternrt::quantize
