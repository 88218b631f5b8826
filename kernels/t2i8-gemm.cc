// Dispatch, packing and threading for the t2i8 GEMM (public API: t2i8-gemm.h).
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"
#include "quantize/quantize-internal.h"

namespace ternrt::kernels {

namespace {

const T2I8GemmUkernel kUkernels[] = {
#define TERNRT_UKERNEL(isa, name, mr, nr, kr, layout, vec_cols) \
  {Isa::isa, #name, mr, nr, kr, WeightLayout::layout, vec_cols, name},
#include "ternrt/kernels/t2i8-gemm.inc"
#undef TERNRT_UKERNEL
};
constexpr size_t kUkernelCount = sizeof(kUkernels) / sizeof(kUkernels[0]);

size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Canonical code of channel j at k index kk (0..2; t = code - 1).
inline uint8_t canonical_code(const uint8_t* codes, size_t row_bytes, size_t j, size_t kk) {
  return (codes[j * row_bytes + kk / 4] >> (2 * (kk % 4))) & 3;
}

}  // namespace

const T2I8GemmUkernel* t2i8_gemm_ukernels(size_t* count) {
  *count = kUkernelCount;
  return kUkernels;
}

const T2I8GemmUkernel* t2i8_gemm_ukernel_for(Isa isa, bool gemv) {
  for (const T2I8GemmUkernel& ukernel : kUkernels) {
    if (ukernel.isa == isa && (ukernel.mr == 1) == gemv) return &ukernel;
  }
  return nullptr;
}

size_t t2i8_packed_tile_bytes(const T2I8GemmUkernel& ukernel, size_t k) {
  if (ukernel.layout == WeightLayout::trits_s8_rows) return ukernel.nr * k;
  return ukernel.nr * round_up(k, 16) / 4;
}

size_t t2i8_packed_bytes(const T2I8GemmUkernel& ukernel, size_t n, size_t k) {
  return round_up(n, ukernel.nr) / ukernel.nr * t2i8_packed_tile_bytes(ukernel, k);
}

void t2i8_pack_weights(const T2I8GemmUkernel& ukernel, const uint8_t* codes, size_t n, size_t k, uint8_t* packed) {
  const size_t row_bytes = (k + 3) / 4;
  const size_t n_padded = round_up(n, ukernel.nr);
  if (ukernel.layout == WeightLayout::trits_s8_rows) {
    int8_t* trits = reinterpret_cast<int8_t*>(packed);
    for (size_t j = 0; j < n_padded; ++j) {
      for (size_t kk = 0; kk < k; ++kk) {
        trits[j * k + kk] = j < n ? int8_t(canonical_code(codes, row_bytes, j, kk)) - 1 : 0;
      }
    }
    return;
  }
  const size_t nr = ukernel.nr, vec_cols = ukernel.vec_cols;
  const size_t chunks = round_up(k, 16) / 16;
  const size_t vec_bytes = 4 * vec_cols;
  uint8_t* out = packed;
  for (size_t tile = 0; tile < n_padded; tile += nr) {
    for (size_t chunk = 0; chunk < chunks; ++chunk) {
      for (size_t v = 0; v < nr / vec_cols; ++v) {
        for (size_t b = 0; b < vec_bytes; ++b) {
          const size_t j = tile + v * vec_cols + b / 4;
          uint8_t byte = 0;
          for (size_t g = 0; g < 4; ++g) {
            const size_t kk = chunk * 16 + 4 * g + b % 4;
            // u = t + 1 = canonical code; padding multiplies by 0.
            const uint8_t u = (j < n && kk < k) ? canonical_code(codes, row_bytes, j, kk) : 0;
            byte |= uint8_t(u << (2 * g));
          }
          *out++ = byte;
        }
      }
    }
  }
}

void t2i8_activation_sums(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums) {
  for (size_t r = 0; r < m; ++r) {
    const int8_t* row = a + r * a_stride;
    int32_t sum = 0;
    for (size_t kk = 0; kk < k; ++kk) sum += row[kk];
    sums[r] = sum;
  }
}

namespace {

class PackedWeightsImpl final : public PackedTernaryWeights {
 public:
  PackedWeightsImpl(size_t n, size_t k, Isa isa, const T2I8GemmUkernel* gemm, const T2I8GemmUkernel* gemv)
      : n_(n), k_(k), isa_(isa), gemm_(gemm), gemv_(gemv) {}

  size_t n() const override { return n_; }
  size_t k() const override { return k_; }
  Isa isa() const override { return isa_; }
  const char* kernel_name() const override { return gemm_->name; }
  size_t packed_bytes() const override { return data_.size() + row_sums_.size() * sizeof(int32_t); }
  const int32_t* row_sums() const override { return row_sums_.data(); }

  size_t n_, k_;
  Isa isa_;
  const T2I8GemmUkernel* gemm_;
  const T2I8GemmUkernel* gemv_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> row_sums_;
};

const PackedWeightsImpl& impl(const PackedTernaryWeights& w) { return static_cast<const PackedWeightsImpl&>(w); }

}  // namespace

std::unique_ptr<PackedTernaryWeights> PackedTernaryWeights::pack(const uint8_t* codes, size_t n, size_t k, Isa isa) {
  // An ISA this CPU cannot run falls back to the scalar reference; isa() reports what was chosen.
  if (!isa_supported(isa)) isa = Isa::scalar;
  const T2I8GemmUkernel* gemm = t2i8_gemm_ukernel_for(isa, false);
  const T2I8GemmUkernel* gemv = t2i8_gemm_ukernel_for(isa, true);
  try {
    auto packed = std::make_unique<PackedWeightsImpl>(n, k, isa, gemm, gemv);
    packed->data_.resize(t2i8_packed_bytes(*gemm, n, k));
    t2i8_pack_weights(*gemm, codes, n, k, packed->data_.data());
    packed->row_sums_.resize(n);
    const size_t row_bytes = (k + 3) / 4;
    for (size_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (size_t kk = 0; kk < k; ++kk) sum += int32_t(canonical_code(codes, row_bytes, j, kk)) - 1;
      packed->row_sums_[j] = sum;
    }
    return packed;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

namespace {

// Runs body(m0, mt, n0, nt, ukernel, tile weights, a_sums) over MR x NR tiles. Tiles are split over
// output channels first so a weight tile stays in L1 while the rows pass; each output element is
// computed by exactly one task with the same arithmetic, so results do not depend on threads.
template <class Body>
void for_each_tile(const PackedWeightsImpl& w, size_t m, const int8_t* a, size_t a_stride,
                   pthreadpool_t pool, const Body& body) {
  const T2I8GemmUkernel& ukernel = m == 1 ? *w.gemv_ : *w.gemm_;
  std::vector<int32_t> a_sums;
  if (ukernel.layout == WeightLayout::code_planes_c4) {
    a_sums.resize(m);
    const size_t rows_per_task = 64;
    pthreadpool_parallelize_1d_tile_1d(
        pool,
        [&](size_t r0, size_t rows) { t2i8_activation_sums(rows, w.k_, a + r0 * a_stride, a_stride, a_sums.data() + r0); },
        m, rows_per_task);
  }
  const size_t tile_bytes = t2i8_packed_tile_bytes(ukernel, w.k_);
  const int32_t* sums = a_sums.empty() ? nullptr : a_sums.data();
  pthreadpool_parallelize_2d_tile_2d(
      pool,
      [&](size_t n0, size_t m0, size_t nt, size_t mt) {
        body(m0, mt, n0, nt, ukernel, w.data_.data() + n0 / ukernel.nr * tile_bytes, sums ? sums + m0 : nullptr);
      },
      w.n_, m, ukernel.nr, ukernel.mr);
}

}  // namespace

void t2i8_gemm_s32(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  for_each_tile(w, m, a, a_stride, pool,
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel& ukernel,
                    const uint8_t* tile, const int32_t* a_sums) {
                  ukernel.fn(mt, nt, w.k_, a + m0 * a_stride, a_stride, tile, a_sums, c + m0 * c_stride + n0, c_stride);
                });
}

void t2i8_gemm_f32(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  const int32_t* row_sums = w.row_sums_.data();
  for_each_tile(w, m, a, a_stride, pool,
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel& ukernel,
                    const uint8_t* tile, const int32_t* a_sums) {
                  constexpr size_t kMaxTile = 8 * 32;
                  int32_t acc[kMaxTile];
                  ukernel.fn(mt, nt, w.k_, a + m0 * a_stride, a_stride, tile, a_sums, acc, nt);
                  // Fixed order: (float)acc * (scale_n * s_a) + bias_n, then clamp; no FMA
                  // contraction (this file is compiled with -ffp-contract=off).
                  for (size_t r = 0; r < mt; ++r) {
                    float* c_row = c + (m0 + r) * c_stride + n0;
                    for (size_t j = 0; j < nt; ++j) {
                      const size_t n = n0 + j;
                      const int32_t corrected = acc[r * nt + j] - a_zero_point * row_sums[n];
                      const float multiplier = channel_scale[n] * a_scale;
                      float y = float(corrected) * multiplier;
                      y = y + (bias ? bias[n] : 0.0f);
                      c_row[j] = std::min(std::max(y, out_min), out_max);
                    }
                  }
                });
}

bool quantize_f32_s8_dynamic_isa(Isa isa, const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  if (!isa_supported(isa)) return false;
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: quantize_f32_s8_avx2(x, count, q, scale, zero_point); return true;
    case Isa::avx512bw:
    case Isa::avx512vnni: quantize_f32_s8_avx512(x, count, q, scale, zero_point); return true;
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: quantize_f32_s8_neon(x, count, q, scale, zero_point); return true;
#endif
    default: quantize_f32_s8_scalar(x, count, q, scale, zero_point); return true;
  }
}

void quantize_f32_s8_dynamic(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  quantize_f32_s8_dynamic_isa(default_isa(), x, count, q, scale, zero_point);
}

}  // namespace ternrt::kernels
