// Weight-side post-training quantization of one ternary layer from calibration statistics
// (docs/ptq.md). For output channel n and calibration row p (one output pixel of one sample):
//   target   y[n,p] = <w_n, x_p> + b_n      the float layer on the float model's input x
//   ternary  z[n,p] = <t_n, xq_p>           ternary pre-scale output on the quantized model's input
//   output   yq[n,p] = alpha_n z[n,p] + c_n  what the runtime computes (c_n: stored bias)
// where xq is the layer input as the runtime sees it: the input of the model whose earlier layers
// are already ternary, after the dynamic int8 quantization (scale * (q - zero_point)).
// Everything below needs only these sufficient statistics, so every step and every threshold
// candidate is evaluated exactly on all calibration rows without another pass over the data:
//   P, Sy = sum <w,x>, Syy = sum <w,x>^2, Cy = sum <w,x> xq (K), m = sum xq (K),
//   Szz = sum z^2 for the current trits, and G = sum xq xq^T (K x K, for the threshold search).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ternrt::ptq {

class LayerStats {
 public:
  // n output channels, k inputs per output (KH*KW*IC or the FC width). `with_gram`: also
  // accumulate G (k*k doubles), needed by the threshold search.
  LayerStats(size_t n, size_t k, bool with_gram);

  // Adds `rows` calibration rows: x and xq are rows*k values (row-major), weights the float
  // weights (n*k), trits the current ternary codes (n*k) whose z statistics are collected.
  void add_rows(const float* x, const float* xq, size_t rows, const float* weights, const int8_t* trits);

  size_t n() const { return n_; }
  size_t k() const { return k_; }
  bool has_gram() const { return !g_.empty(); }
  double rows() const { return rows_; }

  // Statistics as documented above (per channel n, input k).
  double sy(size_t n) const { return sy_[n]; }
  double syy(size_t n) const { return syy_[n]; }
  const double* cy(size_t n) const { return &cy_[n * k_]; }
  const std::vector<double>& m() const { return m_; }
  double szz(size_t n) const { return szz_[n]; }
  // Row i of G (k values; has_gram() only).
  const double* gram_row(size_t i) const;
  // Adds the rows of `other` (same n, k, gram).
  void merge(const LayerStats& other);

 private:
  size_t n_, k_;
  double rows_ = 0;
  std::vector<double> sy_, syy_, cy_, m_, szz_;
  // Only the upper triangle is accumulated (half the work); mirrored on first read.
  mutable std::vector<double> g_;
  mutable bool mirrored_ = false;
};

// The ternary form of one layer as PTQ edits it.
struct TernaryLayer {
  std::vector<int8_t> trits;       // n*k
  std::vector<float> scales;       // n (per channel) or 1 (per tensor)
  std::vector<float> thresholds;   // same count as scales
  std::vector<float> bias;         // n: the bias stored with the ternary layer
};

struct StepOptions {
  bool scale_refit = true;
  bool bias_correction = true;
  bool threshold_search = false;
  // Threshold candidates: factor * (the method's threshold), factors evenly spaced in [lo, hi].
  double grid_lo = 0.5, grid_hi = 1.5;
  int grid_points = 21;
  // Trit refinement (needs G, per-channel scales): rounds of coordinate descent on the channel's
  // output error, each weight's trit set to the best of {-1, 0, +1} given the others and the
  // scale, then the scale (and bias) refit; stops early when a round changes nothing.
  bool trit_search = false;
  int trit_rounds = 8;
};

// Output SQNR in dB of the layer after each step (NaN when the step is off or not applicable).
struct StepSqnr {
  double data_free = NAN, refit = NAN, bias = NAN, threshold = NAN, trits = NAN;
};

// Per-channel sums of the ternary output for some trits t_n: Szz = t G t, Sz = <t, m>, Syz = <t, Cy_n>.
struct ChannelSums {
  double szz = 0, sz = 0, syz = 0;
};

// Sum over rows of (y - yq)^2 for channel n with output alpha*z + stored_bias.
double channel_error(const LayerStats& s, size_t n, const ChannelSums& z, double alpha, double float_bias, double stored_bias);
// Sum over rows of y^2 (the signal).
double channel_signal(const LayerStats& s, size_t n, double float_bias);
// 10 log10(signal / error) over all channels of the layer.
double layer_sqnr_db(const LayerStats& s, const std::vector<ChannelSums>& z, const TernaryLayer& layer,
                     const std::vector<float>& float_bias);

// Runs the enabled steps in order (scale refit, bias correction, threshold search, trit
// refinement) on `layer`
// (data-free ternarization on entry; `weights` are the float weights, `float_bias` the float
// layer's bias) and returns the output SQNR after each. Every step keeps its result only where it
// does not increase the channel's output error on the calibration rows, so no step makes the
// layer worse on that data. Scales stay finite and positive.
StepSqnr optimize_layer(const LayerStats& stats, const float* weights, const std::vector<float>& float_bias,
                        TernaryLayer* layer, const StepOptions& options);

// Float Conv/FC layers after ternary ones: least-squares refit of one output channel whose input
// has shifted. Weights w and bias c minimize
//   sum_p (<w0,x_p> + b - <w,xq_p> - c)^2 + lambda |w - w0|^2,  lambda = ridge * trace(H) / k
// (H the input covariance times P), i.e. the float layer reproduces its float-model output from
// the quantized model's input; the ridge keeps a fit from few rows near the float weights. `s`
// holds the statistics of the channel's inputs (k values, G required) collected with `w0` as the
// weights; `n` is the channel within `s`. Returns false (w, c untouched) for a singular system.
bool refit_float_channel(const LayerStats& s, size_t n, const float* w0, double float_bias, double ridge, float* w, float* c);

// refit_float_channel for many channels of one LayerStats: H + lambda I is the same for all of them,
// so it is factored once (Cholesky, k^3 / 6 multiply-adds) and each channel costs two triangular
// solves (k^2). `s` must outlive it.
class FloatRefit {
 public:
  FloatRefit(const LayerStats& s, double ridge);
  // Same result and contract as refit_float_channel(s, n, w0, float_bias, ridge, w, c).
  bool solve(size_t n, const float* w0, double float_bias, float* w, float* c) const;

 private:
  const LayerStats& s_;
  double lambda_ = 0;
  std::vector<double> l_;   // lower triangle of the factor, row-major k x k
  bool ok_ = false;
};

// Sum over the rows of `s` of (<w0,x> + b - <w,xq> - c)^2 (w0: the weights `s` was collected with).
double float_channel_error(const LayerStats& s, size_t n, const float* w, double float_bias, double c);

// The ridge for refitting a float layer, by two-fold cross-validation: channel ch (weights
// w0 + ch*k, statistics stats[ch / per_group] channel ch % per_group, folds a and b) is fit on
// one fold and measured on the other for each ridge of a grid; the ridge with the lowest total
// held-out error wins. Returns +inf when the bias-only correction (weights kept) does best.
double choose_float_ridge(const std::vector<LayerStats>& fold_a, const std::vector<LayerStats>& fold_b, size_t per_group,
                          const float* w0, const std::vector<float>& float_bias);

}  // namespace ternrt::ptq
