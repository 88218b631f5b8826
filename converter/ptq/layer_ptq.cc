#include "ptq/layer_ptq.h"

#include <algorithm>
#include <memory>
#include <numeric>

namespace ternrt::ptq {

LayerStats::LayerStats(size_t n, size_t k, bool with_gram)
    : n_(n), k_(k), sy_(n), syy_(n), cy_(n * k), m_(k), szz_(n), g_(with_gram ? k * k : 0) {}

void LayerStats::add_rows(const float* x, const float* xq, size_t rows, const float* weights, const int8_t* trits) {
  std::vector<double> y(n_);
  for (size_t p = 0; p < rows; ++p) {
    const float* xr = x + p * k_;
    const float* qr = xq + p * k_;
    for (size_t n = 0; n < n_; ++n) {
      const float* w = weights + n * k_;
      const int8_t* t = trits + n * k_;
      float yn = 0, zn = 0;
      for (size_t k = 0; k < k_; ++k) {
        yn += w[k] * xr[k];
        zn += static_cast<float>(t[k]) * qr[k];
      }
      y[n] = yn;
      sy_[n] += yn;
      syy_[n] += double(yn) * yn;
      szz_[n] += double(zn) * zn;
    }
    for (size_t n = 0; n < n_; ++n) {
      double* c = &cy_[n * k_];
      const double yn = y[n];
      for (size_t k = 0; k < k_; ++k) c[k] += yn * qr[k];
    }
    for (size_t k = 0; k < k_; ++k) m_[k] += qr[k];
    if (!g_.empty()) {
      for (size_t i = 0; i < k_; ++i) {
        const double a = qr[i];
        if (a == 0) continue;  // zero-padded and ReLU-zero inputs are common
        double* gi = &g_[i * k_];
        for (size_t j = i; j < k_; ++j) gi[j] += a * qr[j];
      }
      mirrored_ = false;
    }
  }
  rows_ += double(rows);
}

const double* LayerStats::gram_row(size_t i) const {
  if (!mirrored_) {
    for (size_t a = 0; a < k_; ++a)
      for (size_t b = a + 1; b < k_; ++b) g_[b * k_ + a] = g_[a * k_ + b];
    mirrored_ = true;
  }
  return &g_[i * k_];
}

void LayerStats::merge(const LayerStats& o) {
  auto add = [](std::vector<double>& a, const std::vector<double>& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] += b[i];
  };
  add(sy_, o.sy_);
  add(syy_, o.syy_);
  add(cy_, o.cy_);
  add(m_, o.m_);
  add(szz_, o.szz_);
  add(g_, o.g_);  // the upper triangles are exact; the lower one is mirrored again on read
  mirrored_ = false;
  rows_ += o.rows_;
}

double channel_error(const LayerStats& s, size_t n, const ChannelSums& z, double alpha, double float_bias, double stored_bias) {
  // e = y + b - alpha z - c = (<w,x> - alpha z) + d with d = b - c.
  const double d = float_bias - stored_bias;
  const double e = s.syy(n) - 2 * alpha * z.syz + alpha * alpha * z.szz + 2 * d * (s.sy(n) - alpha * z.sz) + s.rows() * d * d;
  return std::max(e, 0.0);  // rounding can leave a tiny negative value for an exact fit
}

double channel_signal(const LayerStats& s, size_t n, double float_bias) {
  return s.syy(n) + 2 * float_bias * s.sy(n) + s.rows() * float_bias * float_bias;
}

namespace {

float scale_of(const TernaryLayer& layer, size_t n) { return layer.scales.size() == 1 ? layer.scales[0] : layer.scales[n]; }

bool usable_scale(double a) { return std::isfinite(a) && a > 0 && a < 3.0e38; }

ChannelSums sums_for(const LayerStats& s, size_t n, const int8_t* t) {
  ChannelSums z;
  const double* cy = s.cy(n);
  for (size_t k = 0; k < s.k(); ++k) {
    z.sz += t[k] * s.m()[k];
    z.syz += t[k] * cy[k];
  }
  z.szz = s.szz(n);
  if (s.has_gram()) {
    // From G when there is one, so every candidate of the threshold search is measured alike.
    z.szz = 0;
    for (size_t i = 0; i < s.k(); ++i) {
      if (!t[i]) continue;
      const double* gi = s.gram_row(i);
      double row = 0;
      for (size_t j = 0; j < s.k(); ++j) row += gi[j] * t[j];
      z.szz += t[i] * row;
    }
  }
  return z;
}

// Least-squares scale for target (y + b - c) = alpha z: with a free offset (`centered`) the
// covariance form, which together with the matching bias is the joint optimum.
void scale_terms(const LayerStats& s, size_t n, const ChannelSums& z, double float_bias, double stored_bias, bool centered,
                 double* num, double* den) {
  if (centered) {
    const double p = s.rows();
    *num = z.syz - s.sy(n) * z.sz / p;
    *den = z.szz - z.sz * z.sz / p;
  } else {
    *num = z.syz + (float_bias - stored_bias) * z.sz;
    *den = z.szz;
  }
}

// The stored bias that zeroes the mean output error for scale alpha: b + E[<w,x> - alpha z].
double corrected_bias(const LayerStats& s, size_t n, const ChannelSums& z, double alpha, double float_bias) {
  return float_bias + (s.sy(n) - alpha * z.sz) / s.rows();
}

}  // namespace

double layer_sqnr_db(const LayerStats& s, const std::vector<ChannelSums>& z, const TernaryLayer& layer,
                     const std::vector<float>& float_bias) {
  double signal = 0, error = 0;
  for (size_t n = 0; n < s.n(); ++n) {
    signal += channel_signal(s, n, float_bias[n]);
    error += channel_error(s, n, z[n], scale_of(layer, n), float_bias[n], layer.bias[n]);
  }
  if (error <= 0) return INFINITY;
  return 10 * std::log10(signal / error);
}

StepSqnr optimize_layer(const LayerStats& s, const float* weights, const std::vector<float>& float_bias, TernaryLayer* layer,
                        const StepOptions& o) {
  const size_t nch = s.n(), k = s.k();
  const bool per_channel = layer->scales.size() == nch;
  StepSqnr out;
  if (s.rows() <= 0) return out;
  std::vector<ChannelSums> z(nch);
  for (size_t n = 0; n < nch; ++n) z[n] = sums_for(s, n, &layer->trits[n * k]);
  auto error_of = [&](size_t n) { return channel_error(s, n, z[n], scale_of(*layer, n), float_bias[n], layer->bias[n]); };
  out.data_free = layer_sqnr_db(s, z, *layer, float_bias);

  // Fits the scale(s) for the current trits and bias; `centered` when the bias is refit too.
  auto refit_scales = [&](bool centered) {
    if (per_channel) {
      for (size_t n = 0; n < nch; ++n) {
        double num = 0, den = 0;
        scale_terms(s, n, z[n], float_bias[n], layer->bias[n], centered, &num, &den);
        const double a = den > 0 ? num / den : NAN;
        if (!usable_scale(a)) continue;
        const double before = error_of(n);
        const float old = layer->scales[n];
        layer->scales[n] = static_cast<float>(a);
        // With `centered` the error only drops once the bias follows; checked by the caller.
        if (!centered && error_of(n) > before) layer->scales[n] = old;
      }
    } else {
      double num = 0, den = 0;
      for (size_t n = 0; n < nch; ++n) {
        double a = 0, b = 0;
        scale_terms(s, n, z[n], float_bias[n], layer->bias[n], centered, &a, &b);
        num += a;
        den += b;
      }
      const double a = den > 0 ? num / den : NAN;
      if (usable_scale(a)) layer->scales[0] = static_cast<float>(a);
    }
  };

  if (o.scale_refit) {
    const std::vector<float> old = layer->scales;
    double before = 0, after = 0;
    for (size_t n = 0; n < nch; ++n) before += error_of(n);
    refit_scales(false);
    for (size_t n = 0; n < nch; ++n) after += error_of(n);
    if (after > before) layer->scales = old;  // per-tensor guard (rounding only)
    out.refit = layer_sqnr_db(s, z, *layer, float_bias);
  }

  if (o.bias_correction) {
    const std::vector<float> old_scales = layer->scales, old_bias = layer->bias;
    std::vector<double> before(nch);
    for (size_t n = 0; n < nch; ++n) before[n] = error_of(n);
    // With the refit on, scale and bias are solved together (the joint least-squares optimum,
    // never worse than the refit followed by a plain correction).
    if (o.scale_refit) refit_scales(true);
    for (size_t n = 0; n < nch; ++n) layer->bias[n] = static_cast<float>(corrected_bias(s, n, z[n], scale_of(*layer, n), float_bias[n]));
    if (per_channel) {
      for (size_t n = 0; n < nch; ++n)
        if (error_of(n) > before[n]) {
          layer->scales[n] = old_scales[n];
          layer->bias[n] = old_bias[n];
        }
    } else {
      double b = 0, a = 0;
      for (size_t n = 0; n < nch; ++n) {
        b += before[n];
        a += error_of(n);
      }
      if (a > b) {
        layer->scales = old_scales;
        layer->bias = old_bias;
      }
    }
    out.bias = layer_sqnr_db(s, z, *layer, float_bias);
  }

  if (o.threshold_search && s.has_gram() && per_channel && o.grid_points >= 1) {
    std::vector<size_t> order(k);
    std::vector<double> v(k);
    for (size_t n = 0; n < nch; ++n) {
      const float* w = weights + n * k;
      int8_t* trits = &layer->trits[n * k];
      // The current configuration is a candidate by construction: start from its error.
      double best = error_of(n);
      double base = layer->thresholds[n];
      if (!(base > 0)) {
        double mean_abs = 0;
        for (size_t i = 0; i < k; ++i) mean_abs += std::fabs(w[i]);
        base = 0.7 * mean_abs / double(k);
      }
      if (!(base > 0)) continue;
      std::iota(order.begin(), order.end(), size_t(0));
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::fabs(w[a]) < std::fabs(w[b]); });
      auto threshold_at = [&](int j) {
        const double f = o.grid_points == 1 ? o.grid_lo : o.grid_lo + (o.grid_hi - o.grid_lo) * j / (o.grid_points - 1);
        return f * base;
      };
      // Kept set for the lowest threshold, then drop weights as the threshold rises; G t and the
      // sums are updated per dropped weight (O(k) each), so the sweep costs O(k^2) per channel.
      size_t next = 0;
      const double t0 = threshold_at(0);
      while (next < k && std::fabs(w[order[next]]) <= t0) ++next;
      std::vector<int8_t> t(k, 0);
      ChannelSums cur;
      double abs_sum = 0;
      size_t kept = 0;
      std::fill(v.begin(), v.end(), 0.0);
      for (size_t q = next; q < k; ++q) {
        const size_t i = order[q];
        t[i] = w[i] > 0 ? 1 : -1;
        abs_sum += std::fabs(w[i]);
        ++kept;
        const double* gi = s.gram_row(i);
        for (size_t j = 0; j < k; ++j) v[j] += t[i] * gi[j];
      }
      for (size_t i = 0; i < k; ++i) {
        cur.szz += t[i] * v[i];
        cur.sz += t[i] * s.m()[i];
        cur.syz += t[i] * s.cy(n)[i];
      }
      int best_j = -1;
      double best_scale = 0, best_bias = 0;
      for (int j = 0; j < o.grid_points; ++j) {
        const double thr = threshold_at(j);
        while (next < k && std::fabs(w[order[next]]) <= thr) {
          const size_t i = order[next++];
          const double sign = t[i];
          const double* gi = s.gram_row(i);
          cur.szz += -2 * sign * v[i] + gi[i];
          for (size_t c = 0; c < k; ++c) v[c] -= sign * gi[c];
          cur.sz -= sign * s.m()[i];
          cur.syz -= sign * s.cy(n)[i];
          abs_sum -= std::fabs(w[i]);
          --kept;
          t[i] = 0;
        }
        if (!kept || !(cur.szz > 0)) continue;
        double alpha = abs_sum / double(kept);  // the L2 level of the kept weights
        double bias = layer->bias[n];
        if (o.scale_refit) {
          double num = 0, den = 0;
          scale_terms(s, n, cur, float_bias[n], o.bias_correction ? float_bias[n] : layer->bias[n], o.bias_correction, &num, &den);
          if (den > 0 && usable_scale(num / den)) alpha = num / den;
        }
        if (!usable_scale(alpha)) continue;
        if (o.bias_correction) bias = corrected_bias(s, n, cur, alpha, float_bias[n]);
        const double e = channel_error(s, n, cur, alpha, float_bias[n], bias);
        if (e < best) {
          best = e;
          best_j = j;
          best_scale = alpha;
          best_bias = bias;
        }
      }
      if (best_j < 0) continue;
      const std::vector<int8_t> old_trits(trits, trits + k);
      const float old_threshold = layer->thresholds[n], old_scale = layer->scales[n], old_bias = layer->bias[n];
      const ChannelSums old_sums = z[n];
      const double old_error = error_of(n);
      const double thr = threshold_at(best_j);
      for (size_t i = 0; i < k; ++i) trits[i] = std::fabs(w[i]) > thr ? (w[i] > 0 ? 1 : -1) : 0;
      layer->thresholds[n] = static_cast<float>(thr);
      layer->scales[n] = static_cast<float>(best_scale);
      layer->bias[n] = static_cast<float>(best_bias);
      // Exact sums of the chosen trits (the incremental ones carry rounding).
      z[n] = sums_for(s, n, trits);
      if (error_of(n) > old_error) {
        std::copy(old_trits.begin(), old_trits.end(), trits);
        layer->thresholds[n] = old_threshold;
        layer->scales[n] = old_scale;
        layer->bias[n] = old_bias;
        z[n] = old_sums;
      }
    }
    out.threshold = layer_sqnr_db(s, z, *layer, float_bias);
  }

  if (o.trit_search && s.has_gram() && per_channel && o.trit_rounds > 0) {
    // Channel error as a function of the trits t for a fixed scale a:
    //   E(t) = const - 2 a <t, c> + a^2 t'H t
    // with a free bias (bias correction on) in centered form, H = G - m m'/P, c = Cy - (Sy/P) m;
    // with the stored bias fixed, H = G and c = Cy + (b - stored) m. Flipping t_i by d changes E
    // by a^2 (2 d (Ht)_i + d^2 H_ii) - 2 a d c_i, so each coordinate step costs O(k) and never
    // raises E; refitting a between rounds (a = <t,c> / t'Ht) does not either.
    const bool centered = o.bias_correction;
    const double p = s.rows();
    const std::vector<double>& m = s.m();
    std::vector<double> c(k), v(k);
    std::vector<int8_t> t(k);
    for (size_t n = 0; n < nch; ++n) {
      double alpha = layer->scales[n];
      if (!usable_scale(alpha)) continue;
      int8_t* trits = &layer->trits[n * k];
      const double mean_y = s.sy(n) / p, d = double(float_bias[n]) - layer->bias[n];
      const double* cy = s.cy(n);
      for (size_t i = 0; i < k; ++i) c[i] = centered ? cy[i] - mean_y * m[i] : cy[i] + d * m[i];
      auto h = [&](size_t i, size_t j, const double* gi) { return centered ? gi[j] - m[i] * m[j] / p : gi[j]; };
      std::copy(trits, trits + k, t.begin());
      std::fill(v.begin(), v.end(), 0.0);
      for (size_t i = 0; i < k; ++i) {
        if (!t[i]) continue;
        const double* gi = s.gram_row(i);
        for (size_t j = 0; j < k; ++j) v[j] += t[i] * h(i, j, gi);
      }
      // Ignore gains at the level of rounding so no round flips back and forth.
      const double tiny = 1e-12 * (s.syy(n) + 1);
      for (int round = 0; round < o.trit_rounds; ++round) {
        size_t changed = 0;
        for (size_t i = 0; i < k; ++i) {
          const double* gi = s.gram_row(i);
          const double hii = h(i, i, gi);
          int best_d = 0;
          double best_gain = -tiny;
          for (int u = -1; u <= 1; ++u) {
            const int dd = u - t[i];
            if (!dd) continue;
            const double de = alpha * alpha * (2 * dd * v[i] + dd * dd * hii) - 2 * alpha * dd * c[i];
            if (de < best_gain) {
              best_gain = de;
              best_d = dd;
            }
          }
          if (!best_d) continue;
          t[i] = static_cast<int8_t>(t[i] + best_d);
          for (size_t j = 0; j < k; ++j) v[j] += best_d * h(i, j, gi);
          ++changed;
        }
        if (o.scale_refit) {
          double num = 0, den = 0;
          for (size_t i = 0; i < k; ++i) {
            num += t[i] * c[i];
            den += t[i] * v[i];
          }
          if (den > 0 && usable_scale(num / den)) alpha = num / den;
        }
        if (!changed) break;
      }
      const std::vector<int8_t> old_trits(trits, trits + k);
      const float old_scale = layer->scales[n], old_bias = layer->bias[n];
      const ChannelSums old_sums = z[n];
      const double old_error = error_of(n);
      std::copy(t.begin(), t.end(), trits);
      z[n] = sums_for(s, n, trits);
      layer->scales[n] = static_cast<float>(alpha);
      if (o.bias_correction) layer->bias[n] = static_cast<float>(corrected_bias(s, n, z[n], alpha, float_bias[n]));
      if (error_of(n) > old_error) {
        std::copy(old_trits.begin(), old_trits.end(), trits);
        layer->scales[n] = old_scale;
        layer->bias[n] = old_bias;
        z[n] = old_sums;
      }
    }
    out.trits = layer_sqnr_db(s, z, *layer, float_bias);
  }
  return out;
}

namespace {

// sum_q a[q] * b[q] on 4 partial sums (independent chains, which the compiler also vectorizes).
template <typename B>
double dot(const double* a, const B* b, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t q = 0;
  for (; q + 4 <= n; q += 4) {
    s0 += a[q] * double(b[q]);
    s1 += a[q + 1] * double(b[q + 1]);
    s2 += a[q + 2] * double(b[q + 2]);
    s3 += a[q + 3] * double(b[q + 3]);
  }
  for (; q < n; ++q) s0 += a[q] * double(b[q]);
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

FloatRefit::FloatRefit(const LayerStats& s, double ridge) : s_(s) {
  const size_t k = s.k();
  const double p = s.rows();
  if (!s.has_gram() || !(p > 0) || !(ridge >= 0) || std::isinf(ridge)) return;
  const std::vector<double>& m = s.m();
  // Centered normal equations (the bias is free): (H + lambda I) w = c + lambda w0 with
  // H = G - m m'/P, lambda = ridge * trace(H) / k. H does not depend on the channel.
  l_.resize(k * k);
  double trace = 0;
  for (size_t i = 0; i < k; ++i) {
    const double* gi = s.gram_row(i);
    for (size_t j = 0; j <= i; ++j) l_[i * k + j] = gi[j] - m[i] * m[j] / p;
    trace += l_[i * k + i];
  }
  lambda_ = std::max(ridge * trace / double(k), 1e-12 * (trace + 1));
  for (size_t i = 0; i < k; ++i) l_[i * k + i] += lambda_;
  // Cholesky in place (lower triangle); H + lambda I is symmetric positive definite. Rows in blocks
  // of kRows: each finished row j is read once per block, not once per row (a 1280-wide classifier's
  // factor is 13 MB, far beyond the caches), and the dot products run on 4 partial sums.
  constexpr size_t kRows = 16;
  for (size_t i0 = 0; i0 < k; i0 += kRows) {
    const size_t i1 = std::min(k, i0 + kRows);
    for (size_t j = 0; j < i1; ++j) {
      const double* lj = &l_[j * k];
      for (size_t i = std::max(i0, j); i < i1; ++i) {
        double* li = &l_[i * k];
        const double v = li[j] - dot(li, lj, j);
        if (j < i) {
          li[j] = v / lj[j];
        } else {
          if (!(v > 0) || !std::isfinite(v)) return;
          li[i] = std::sqrt(v);
        }
      }
    }
  }
  ok_ = true;
}

bool FloatRefit::solve(size_t n, const float* w0, double float_bias, float* w, float* c) const {
  if (!ok_) return false;
  const LayerStats& s = s_;
  const size_t k = s.k();
  const double p = s.rows();
  const std::vector<double>& m = s.m();
  const double mean_y = s.sy(n) / p;
  std::vector<double> x(k);
  for (size_t i = 0; i < k; ++i) x[i] = s.cy(n)[i] - mean_y * m[i] + lambda_ * w0[i];   // c + lambda w0
  for (size_t i = 0; i < k; ++i) {   // L y = rhs
    const double* li = &l_[i * k];
    x[i] = (x[i] - dot(li, x.data(), i)) / li[i];
  }
  for (size_t i = k; i-- > 0;) {   // L' x = y: column i of L' is row i of L
    x[i] /= l_[i * k + i];
    const double* li = &l_[i * k];
    for (size_t q = 0; q < i; ++q) x[q] -= li[q] * x[i];
  }
  for (double v : x)
    if (!std::isfinite(v)) return false;
  double sum = 0;
  for (size_t i = 0; i < k; ++i) {
    w[i] = static_cast<float>(x[i]);
    sum += x[i] * m[i];
  }
  *c = static_cast<float>(float_bias + (s.sy(n) - sum) / p);
  return true;
}

bool refit_float_channel(const LayerStats& s, size_t n, const float* w0, double float_bias, double ridge, float* w, float* c) {
  return FloatRefit(s, ridge).solve(n, w0, float_bias, w, c);
}

double float_channel_error(const LayerStats& s, size_t n, const float* w, double float_bias, double c) {
  // e = y + d - <w,xq> with y = <w0,x>, d = b - c.
  const size_t k = s.k();
  const double d = float_bias - c;
  double wc = 0, wm = 0, quad = 0;
  for (size_t i = 0; i < k; ++i) {
    if (w[i] == 0) continue;
    wc += w[i] * s.cy(n)[i];
    wm += w[i] * s.m()[i];
    quad += w[i] * dot(s.gram_row(i), w, k);
  }
  const double e = s.syy(n) + 2 * d * s.sy(n) + s.rows() * d * d - 2 * (wc + d * wm) + quad;
  return std::max(e, 0.0);
}

double choose_float_ridge(const std::vector<LayerStats>& fold_a, const std::vector<LayerStats>& fold_b, size_t per_group,
                          const float* w0, const std::vector<float>& float_bias) {
  if (fold_a.empty() || fold_a.size() != fold_b.size()) return INFINITY;
  const size_t k = fold_a[0].k(), nch = float_bias.size();
  const double grid[] = {1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, INFINITY};
  double best = INFINITY, best_ridge = INFINITY;
  std::vector<float> w(k);
  for (double ridge : grid) {
    double held_out = 0;
    for (int fold = 0; fold < 2; ++fold) {
      const std::vector<LayerStats>& fit = fold ? fold_b : fold_a;
      const std::vector<LayerStats>& eval = fold ? fold_a : fold_b;
      // One factorization per group, shared by its channels (a 1280-wide classifier has 1000).
      std::vector<std::unique_ptr<FloatRefit>> systems(fit.size());
      for (size_t ch = 0; ch < nch; ++ch) {
        const LayerStats& sf = fit[ch / per_group];
        const size_t local = ch % per_group;
        const float* w_ch = w0 + ch * k;
        float c = 0;
        if (!(sf.rows() > 0)) return INFINITY;
        std::unique_ptr<FloatRefit>& system = systems[ch / per_group];
        if (!system && std::isfinite(ridge)) system = std::make_unique<FloatRefit>(sf, ridge);
        if (std::isinf(ridge) || !system->solve(local, w_ch, float_bias[ch], w.data(), &c)) {
          // Weights kept, bias corrected for the mean shift on the fitting fold.
          double wm = 0;
          for (size_t i = 0; i < k; ++i) wm += double(w_ch[i]) * sf.m()[i];
          std::copy(w_ch, w_ch + k, w.begin());
          c = static_cast<float>(float_bias[ch] + (sf.sy(local) - wm) / sf.rows());
        }
        held_out += float_channel_error(eval[ch / per_group], local, w.data(), float_bias[ch], c);
      }
    }
    // Ties go to the stronger ridge (closer to the float weights).
    if (held_out <= best * (1 + 1e-9) || (std::isinf(best) && std::isfinite(held_out))) {
      best = held_out;
      best_ridge = ridge;
    }
  }
  return best_ridge;
}

}  // namespace ternrt::ptq
