// Dispatch, packing and threading for the t2i8 GEMM (public API: t2i8-gemm.h).
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "t2i8-gemm-internal.h"

#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"
#include "quantize/quantize-internal.h"

namespace ternrt::kernels {

#if defined(__x86_64__) || defined(_M_X64)
// In t2i8-gemm/t2i8-gemm-avx2.cc and -avx512bw.cc.
void t2i8_activation_sums__avx2(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums);
void t2i8_activation_sums__avx512(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums);
void t2i8_epilogue_f32__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                             const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                             size_t c_stride);
void t2i8_epilogue_f32__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                               const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                               size_t c_stride);
#endif

namespace {

void t2i8_epilogue_f32__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                               const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                               size_t c_stride) {
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < nt; ++j) {
      float y = float(acc[r * acc_stride + j] - correction[j]) * multiplier[j];
      y = y + offset[j];
      y = y < out_min ? out_min : y;
      c[r * c_stride + j] = out_max < y ? out_max : y;
    }
  }
}

EpilogueFn epilogue_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return t2i8_epilogue_f32__avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return t2i8_epilogue_f32__avx512;
#endif
    default: return t2i8_epilogue_f32__scalar;
  }
}

ActivationSumsFn activation_sums_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return t2i8_activation_sums__avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return t2i8_activation_sums__avx512;
#endif
    default: return t2i8_activation_sums;
  }
}

}  // namespace

EpilogueS8Fn epilogue_s8_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return t2i8_epilogue_s8__avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return t2i8_epilogue_s8__avx512;
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return t2i8_epilogue_s8__neon;
#endif
    default: return t2i8_epilogue_s8__scalar;
  }
}

EpilogueHswishS8Fn epilogue_hswish_s8_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return t2i8_epilogue_hswish_s8__avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return t2i8_epilogue_hswish_s8__avx512;
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return t2i8_epilogue_hswish_s8__neon;
#endif
    default: return t2i8_epilogue_hswish_s8__scalar;
  }
}

namespace {

const T2I8GemmUkernel kUkernels[] = {
#define TERNRT_UKERNEL(isa, name, mr, nr, kr, layout, vec_cols) \
  {Isa::isa, #name, mr, nr, kr, WeightLayout::layout, vec_cols, name},
#include "ternrt/kernels/t2i8-gemm.inc"
#undef TERNRT_UKERNEL
};
constexpr size_t kUkernelCount = sizeof(kUkernels) / sizeof(kUkernels[0]);

const T2I8GemmUkernel kI8I8Ukernels[] = {
#define TERNRT_UKERNEL(isa, name, mr, nr, kr, layout, vec_cols) \
  {Isa::isa, #name, mr, nr, kr, WeightLayout::layout, vec_cols, name},
#include "ternrt/kernels/i8i8-gemm.inc"
#undef TERNRT_UKERNEL
};

#define TERNRT_U8_FORM_UKERNEL(base_name, name) {#name, #base_name, base_name, name},
const U8FormUkernel kU8I8Ukernels[] = {
#include "ternrt/kernels/u8i8-gemm.inc"
};
const U8FormUkernel kT2U8Ukernels[] = {
#include "ternrt/kernels/t2u8-gemm.inc"
};
#undef TERNRT_U8_FORM_UKERNEL

#define TERNRT_MINMAX_FORM_UKERNEL(base_name, name) {#name, #base_name, base_name, name},
const MinmaxFormUkernel kMinmaxUkernels[] = {
#include "ternrt/kernels/minmax-fp32-gemm.inc"
};
#undef TERNRT_MINMAX_FORM_UKERNEL

const U8FormUkernel* form_of(const U8FormUkernel* forms, size_t count, const T2I8GemmUkernel& base) {
  for (size_t i = 0; i < count; ++i) {
    if (forms[i].base == base.fn) return &forms[i];
  }
  return nullptr;
}

constexpr size_t kTileElements[] = {
#define TERNRT_UKERNEL(isa, name, mr, nr, kr, layout, vec_cols) (mr) * (nr),
#include "ternrt/kernels/t2i8-gemm.inc"
#include "ternrt/kernels/i8i8-gemm.inc"
#undef TERNRT_UKERNEL
};
constexpr size_t max_tile_elements() {
  size_t most = 0;
  for (size_t elements : kTileElements) most = elements > most ? elements : most;
  return most;
}
// t2i8_gemm_f32 keeps one tile of accumulators on the stack.
constexpr size_t kMaxTileElements = 16 * 32;
static_assert(max_tile_elements() <= kMaxTileElements, "a micro-kernel tile exceeds t2i8_gemm_f32's tile buffer");

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

const T2I8GemmUkernel* i8i8_gemm_ukernels(size_t* count) {
  *count = sizeof(kI8I8Ukernels) / sizeof(kI8I8Ukernels[0]);
  return kI8I8Ukernels;
}

const U8FormUkernel* u8i8_gemm_ukernels(size_t* count) {
  *count = sizeof(kU8I8Ukernels) / sizeof(kU8I8Ukernels[0]);
  return kU8I8Ukernels;
}

const U8FormUkernel* t2u8_gemm_ukernels(size_t* count) {
  *count = sizeof(kT2U8Ukernels) / sizeof(kT2U8Ukernels[0]);
  return kT2U8Ukernels;
}

const MinmaxFormUkernel* minmax_fp32_gemm_ukernels(size_t* count) {
  *count = sizeof(kMinmaxUkernels) / sizeof(kMinmaxUkernels[0]);
  return kMinmaxUkernels;
}

const MinmaxFormUkernel* minmax_fp32_form_of(T2I8GemmUkernelFn base) {
  size_t count = 0;
  const MinmaxFormUkernel* forms = minmax_fp32_gemm_ukernels(&count);
  for (size_t i = 0; i < count; ++i) {
    if (forms[i].base == base) return &forms[i];
  }
  return nullptr;
}

const U8FormUkernel* u8i8_form_of(const T2I8GemmUkernel& i8i8) {
  size_t count = 0;
  const U8FormUkernel* forms = u8i8_gemm_ukernels(&count);
  return form_of(forms, count, i8i8);
}

const U8FormUkernel* t2u8_form_of(const T2I8GemmUkernel& t2i8) {
  size_t count = 0;
  const U8FormUkernel* forms = t2u8_gemm_ukernels(&count);
  return form_of(forms, count, t2i8);
}

bool layout_uses_activation_sums(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::code_planes_c4:
    case WeightLayout::codes_u8_c4:
    case WeightLayout::offset_nibbles_c4: return true;
    case WeightLayout::trits_s8_rows:
    case WeightLayout::s8_rows:
    case WeightLayout::s8_c4_wsums:
    case WeightLayout::s8_c4: break;
  }
  return false;
}

bool layout_is_int8(WeightLayout layout) {
  return layout == WeightLayout::s8_rows || layout == WeightLayout::s8_c4_wsums ||
         layout == WeightLayout::offset_nibbles_c4 || layout == WeightLayout::s8_c4;
}

const T2I8GemmUkernel* t2i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr, WeightLayout layout) {
  for (const T2I8GemmUkernel& ukernel : kUkernels) {
    if (ukernel.isa == isa && (ukernel.mr == 1) == gemv && ukernel.nr == nr && ukernel.layout == layout) return &ukernel;
  }
  return nullptr;
}

const T2I8GemmUkernel* t2i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr) {
  const WeightLayout layout = isa == Isa::scalar ? WeightLayout::trits_s8_rows : WeightLayout::code_planes_c4;
  if (nr == 0) {
    for (const T2I8GemmUkernel& ukernel : kUkernels) {
      if (ukernel.isa == isa && ukernel.layout == layout) nr = std::max(nr, ukernel.nr);
    }
  }
  return t2i8_gemm_ukernel_for(isa, gemv, nr, layout);
}

namespace {

// The tile width with the least padded work among list's GEMM kernels of isa and layout:
// round_up(n, nr), with narrower tiles charged 30% for their lower throughput per channel (more
// activation broadcasts per multiply; measured 0.7-0.9x on the x86 t2i8 kernels): n = 16 takes a
// 16-wide tile over a half-empty 32-wide one, n = 24 or 64 not.
template <size_t N>
const T2I8GemmUkernel* least_padded_ukernel(const T2I8GemmUkernel (&list)[N], Isa isa, size_t n, WeightLayout layout) {
  size_t widest = 0;
  for (const T2I8GemmUkernel& ukernel : list) {
    if (ukernel.isa == isa && ukernel.layout == layout) widest = std::max(widest, ukernel.nr);
  }
  const T2I8GemmUkernel* best = nullptr;
  double best_cost = 0.0;
  for (const T2I8GemmUkernel& ukernel : list) {
    if (ukernel.isa != isa || ukernel.layout != layout || ukernel.mr == 1) continue;
    bool first_of_nr = true;   // later kernels of the same nr are alternatives, never dispatched
    for (const T2I8GemmUkernel* other = list; other != &ukernel; ++other) {
      first_of_nr = first_of_nr && !(other->isa == isa && other->layout == layout && other->mr != 1 && other->nr == ukernel.nr);
    }
    if (!first_of_nr) continue;
    const double cost = double(round_up(n, ukernel.nr)) * (ukernel.nr == widest ? 1.0 : 1.3);
    if (best == nullptr || cost < best_cost || (cost == best_cost && ukernel.nr > best->nr)) {
      best = &ukernel;
      best_cost = cost;
    }
  }
  return best;
}

}  // namespace

const T2I8GemmUkernel* t2i8_gemm_choose_ukernel(Isa isa, size_t n, size_t /*k*/, const PackOptions& options) {
  WeightLayout layout = isa == Isa::scalar ? WeightLayout::trits_s8_rows : WeightLayout::code_planes_c4;
  if (options.allow_expanded && options.rows_hint >= options.expand_min_rows) {
    for (const T2I8GemmUkernel& ukernel : kUkernels) {
      if (ukernel.isa == isa && ukernel.layout == WeightLayout::codes_u8_c4) layout = WeightLayout::codes_u8_c4;
    }
  }
  return least_padded_ukernel(kUkernels, isa, n, layout);
}

const T2I8GemmUkernel* i8i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr, WeightLayout layout) {
  for (const T2I8GemmUkernel& ukernel : kI8I8Ukernels) {
    if (ukernel.isa == isa && (ukernel.mr == 1) == gemv && ukernel.nr == nr && ukernel.layout == layout) return &ukernel;
  }
  return nullptr;
}

const T2I8GemmUkernel* i8i8_gemm_choose_ukernel(Isa isa, size_t n) {
  for (const T2I8GemmUkernel& ukernel : kI8I8Ukernels) {   // one layout per ISA
    if (ukernel.isa == isa) return least_padded_ukernel(kI8I8Ukernels, isa, n, ukernel.layout);
  }
  return nullptr;
}

size_t t2i8_slice_depth_multiple(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::trits_s8_rows:
    case WeightLayout::s8_rows: return 1;
    case WeightLayout::codes_u8_c4:
    case WeightLayout::s8_c4_wsums:
    case WeightLayout::offset_nibbles_c4:
    case WeightLayout::s8_c4: return 4;
    case WeightLayout::code_planes_c4: break;
  }
  return 16;
}

size_t t2i8_packed_tile_bytes(const T2I8GemmUkernel& ukernel, size_t k) {
  switch (ukernel.layout) {
    case WeightLayout::trits_s8_rows:
    case WeightLayout::s8_rows: return ukernel.nr * k;
    case WeightLayout::codes_u8_c4:
    case WeightLayout::s8_c4: return ukernel.nr * round_up(k, 4);
    case WeightLayout::s8_c4_wsums: return ukernel.nr * (round_up(k, 4) + sizeof(int32_t));
    case WeightLayout::offset_nibbles_c4: return 2 * ukernel.nr * round_up(k, 4);
    case WeightLayout::code_planes_c4: break;
  }
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
  if (ukernel.layout == WeightLayout::codes_u8_c4) {
    const size_t steps = round_up(k, 4) / 4;
    uint8_t* out = packed;
    for (size_t tile = 0; tile < n_padded; tile += nr) {
      for (size_t step = 0; step < steps; ++step) {
        for (size_t v = 0; v < nr / vec_cols; ++v) {
          for (size_t b = 0; b < 4 * vec_cols; ++b) {
            const size_t j = tile + v * vec_cols + b / 4, kk = 4 * step + b % 4;
            *out++ = (j < n && kk < k) ? canonical_code(codes, row_bytes, j, kk) : 0;
          }
        }
      }
    }
    return;
  }
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

void i8i8_pack_weights(const T2I8GemmUkernel& ukernel, const int8_t* weights, size_t n, size_t k, uint8_t* packed) {
  const size_t nr = ukernel.nr, n_padded = round_up(n, nr);
  if (ukernel.layout == WeightLayout::s8_rows) {
    std::memset(packed, 0, n_padded * k);
    std::memcpy(packed, weights, n * k);
    return;
  }
  // The c4 layouts: per tile and step of 4 k, vectors of vec_cols channels x 4 k.
  const size_t vec_cols = ukernel.vec_cols, vectors = nr / vec_cols, steps = round_up(k, 4) / 4;
  const bool nibbles = ukernel.layout == WeightLayout::offset_nibbles_c4;
  uint8_t* out = packed;
  for (size_t tile = 0; tile < n_padded; tile += nr) {
    for (size_t step = 0; step < steps; ++step) {
      for (size_t plane = 0; plane < (nibbles ? 2u : 1u); ++plane) {
        for (size_t v = 0; v < vectors; ++v) {
          for (size_t b = 0; b < 4 * vec_cols; ++b) {
            const size_t j = tile + v * vec_cols + b / 4, kk = 4 * step + b % 4;
            const bool real = j < n && kk < k;
            // Padding multiplies by 0 (u = 0 in the nibble layout, whose correction counts only real k).
            const int w = real ? weights[j * k + kk] : 0;
            const uint8_t u = real ? uint8_t(w + 128) : 0;
            *out++ = !nibbles ? uint8_t(int8_t(w)) : plane == 0 ? uint8_t(u & 15) : uint8_t(u >> 4);
          }
        }
      }
    }
    if (ukernel.layout == WeightLayout::s8_c4_wsums) {   // 128 * sum_k w per channel, after the steps
      for (size_t j = tile; j < tile + nr; ++j) {
        int32_t sum = 0;
        for (size_t kk = 0; j < n && kk < k; ++kk) sum += weights[j * k + kk];
        const int32_t scaled = 128 * sum;
        std::memcpy(out, &scaled, sizeof(scaled));
        out += sizeof(scaled);
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

void t2i8_activation_sums_isa(Isa isa, size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums) {
  activation_sums_for(isa_supported(isa) ? isa : Isa::scalar)(m, k, a, a_stride, sums);
}

PackedWeightsImpl::PackedWeightsImpl(size_t n, size_t k, Isa isa, const T2I8GemmUkernel* gemm,
                                     const T2I8GemmUkernel* gemv)
    : n_(n), k_(k), isa_(isa), gemm_(gemm), gemv_(gemv), epilogue_(epilogue_for(isa)),
      epilogue_s8_(epilogue_s8_for(isa)), gemm_minmax_(minmax_fp32_form_of(gemm->fn)),
      activation_sums_(activation_sums_for(isa)) {}

std::unique_ptr<PackedTernaryWeights> PackedTernaryWeights::pack(const uint8_t* codes, size_t n, size_t k, Isa isa) {
  return pack(codes, n, k, isa, PackOptions());
}

std::unique_ptr<PackedTernaryWeights> PackedTernaryWeights::pack(const uint8_t* codes, size_t n, size_t k, Isa isa,
                                                                 const PackOptions& options) {
  // An ISA this CPU cannot run falls back to the scalar reference; isa() reports what was chosen.
  if (!isa_supported(isa)) isa = Isa::scalar;
  const T2I8GemmUkernel* gemm = t2i8_gemm_choose_ukernel(isa, n, k, options);
  const T2I8GemmUkernel* gemv = t2i8_gemm_ukernel_for(isa, true, gemm->nr, gemm->layout);
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

std::unique_ptr<PackedTernaryWeights> PackedTernaryWeights::pack_s8(const int8_t* weights, size_t n, size_t k, Isa isa) {
  for (size_t i = 0; i < n * k; ++i) {
    if (weights[i] == -128) return nullptr;   // outside the kernels' range (see pack_s8's contract)
  }
  if (!isa_supported(isa)) isa = Isa::scalar;
  const T2I8GemmUkernel* gemm = i8i8_gemm_choose_ukernel(isa, n);
  if (gemm == nullptr) gemm = i8i8_gemm_choose_ukernel(isa = Isa::scalar, n);
  const T2I8GemmUkernel* gemv = i8i8_gemm_ukernel_for(isa, true, gemm->nr, gemm->layout);
  try {
    auto packed = std::make_unique<PackedWeightsImpl>(n, k, isa, gemm, gemv);
    packed->data_.resize(t2i8_packed_bytes(*gemm, n, k));
    i8i8_pack_weights(*gemm, weights, n, k, packed->data_.data());
    packed->row_sums_.resize(n);
    for (size_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (size_t kk = 0; kk < k; ++kk) sum += weights[j * k + kk];
      packed->row_sums_[j] = sum;
    }
    return packed;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

namespace {

// Weights up to this size stay cache-resident across a whole row panel: then the tile loop runs
// over rows outside and output channels inside, so each panel of MR activation rows is read from
// memory once and stays in L1 while all weight tiles pass. Larger weights run channels outside, so
// a weight tile stays in L1 while the rows pass.
constexpr size_t kRowsOuterMaxWeightBytes = 256 * 1024;

const T2I8GemmUkernel& ukernel_for_rows(const PackedWeightsImpl& w, size_t m) { return m == 1 ? *w.gemv_ : *w.gemm_; }

// GEMV kernels take many tiles per call (t2i8-gemm-ukernels.h): channels per call without a pool
// (the f32 path's accumulator buffer holds kMaxTileElements) and per task with one (enough tasks
// to balance threads; 128 = one pass of the x86 kernels).
constexpr size_t kGemvChannelsPerCall = 512;
constexpr size_t kGemvChannelsPerTask = 128;

// Output channels per call of ukernel: a tile, or for GEMV whole runs of tiles.
size_t channels_per_call(const T2I8GemmUkernel& ukernel, bool threaded) {
  if (ukernel.mr != 1) return ukernel.nr;
  const size_t channels = threaded ? kGemvChannelsPerTask : kGemvChannelsPerCall;
  return std::max(ukernel.nr, channels / ukernel.nr * ukernel.nr);
}

// Runs body(m0, mt, n0, nt, ukernel, tile weights, a_sums) over MR x NR tiles (blocks of rows_per_call
// rows, a multiple of MR, for the requantizing forms, which loop over row tiles themselves). Each
// output element is computed by exactly one task with the same arithmetic, so results do not depend
// on threads.
// a_sums: workspace of m int32 (code_planes_c4 / codes_u8_c4 kernels), filled first.
template <class Body>
void for_each_tile(const PackedWeightsImpl& w, size_t m, const int8_t* a, size_t a_stride, pthreadpool_t pool,
                   int32_t* a_sums, const Body& body, size_t rows_per_call = 0) {
  const T2I8GemmUkernel& ukernel = ukernel_for_rows(w, m);
  size_t rows = rows_per_call != 0 ? rows_per_call : ukernel.mr;
  if (layout_uses_activation_sums(ukernel.layout)) {
    const size_t rows_per_task = 256;
    if (m <= rows_per_task || pool == nullptr) {
      w.activation_sums_(m, w.k_, a, a_stride, a_sums);
    } else {
      pthreadpool_parallelize_1d_tile_1d(
          pool,
          [&](size_t r0, size_t rows) { w.activation_sums_(rows, w.k_, a + r0 * a_stride, a_stride, a_sums + r0); },
          m, rows_per_task);
    }
  } else {
    a_sums = nullptr;
  }
  const size_t tile_bytes = t2i8_packed_tile_bytes(ukernel, w.k_);
  const uint8_t* data = w.data_.data();
  const bool threaded = pool != nullptr && pthreadpool_get_threads_count(pool) > 1;
  const size_t nc_step = channels_per_call(ukernel, threaded);
  if (threaded && rows > ukernel.mr) {   // keep 4 row blocks per thread where there are enough rows
    const size_t blocks = 4 * pthreadpool_get_threads_count(pool);
    rows = std::max(ukernel.mr, std::min(rows, (m + blocks - 1) / blocks / ukernel.mr * ukernel.mr));
  }
  if (!threaded) {
    // Same tiles, no task dispatch.
    if (w.data_.size() <= kRowsOuterMaxWeightBytes) {
      for (size_t m0 = 0; m0 < m; m0 += rows) {
        const size_t mt = std::min(rows, m - m0);
        for (size_t n0 = 0; n0 < w.n_; n0 += nc_step) {
          body(m0, mt, n0, std::min(nc_step, w.n_ - n0), ukernel, data + n0 / ukernel.nr * tile_bytes,
               a_sums ? a_sums + m0 : nullptr);
        }
      }
    } else {
      for (size_t n0 = 0; n0 < w.n_; n0 += nc_step) {
        const size_t nt = std::min(nc_step, w.n_ - n0);
        for (size_t m0 = 0; m0 < m; m0 += rows) {
          body(m0, std::min(rows, m - m0), n0, nt, ukernel, data + n0 / ukernel.nr * tile_bytes,
               a_sums ? a_sums + m0 : nullptr);
        }
      }
    }
    return;
  }
  if (w.data_.size() <= kRowsOuterMaxWeightBytes) {
    pthreadpool_parallelize_2d_tile_2d(
        pool,
        [&](size_t m0, size_t n0, size_t mt, size_t nt) {
          body(m0, mt, n0, nt, ukernel, data + n0 / ukernel.nr * tile_bytes, a_sums ? a_sums + m0 : nullptr);
        },
        m, w.n_, rows, nc_step);
  } else {
    pthreadpool_parallelize_2d_tile_2d(
        pool,
        [&](size_t n0, size_t m0, size_t nt, size_t mt) {
          body(m0, mt, n0, nt, ukernel, data + n0 / ukernel.nr * tile_bytes, a_sums ? a_sums + m0 : nullptr);
        },
        w.n_, m, nc_step, rows);
  }
}

}  // namespace

// Workspace: [m activation sums (int32; not for trits_s8_rows)] [n corrections (int32)]
// [n multipliers (float)] [n offsets (float)]; the per-channel arrays are for t2i8_gemm_f32/_s8.
size_t t2i8_gemm_workspace_bytes(const PackedTernaryWeights& weights, size_t m) {
  const PackedWeightsImpl& w = impl(weights);
  const size_t sums = layout_uses_activation_sums(ukernel_for_rows(w, m).layout) ? m : 0;
  return (sums + 3 * w.n_) * sizeof(int32_t);
}

void t2i8_gemm_s32(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool, void* workspace) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  for_each_tile(w, m, a, a_stride, pool, static_cast<int32_t*>(workspace),
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel& ukernel,
                    const uint8_t* tile, const int32_t* a_sums) {
                  ukernel.fn(mt, nt, w.k_, 1, a + m0 * a_stride, a_stride, 0, tile, a_sums, c + m0 * c_stride + n0, c_stride);
                });
}

void zero_point_correction(const PackedWeightsImpl& w, int32_t a_zero_point, int32_t* correction) {
  for (size_t j = 0; j < w.n_; ++j) correction[j] = a_zero_point * w.row_sums_[j];
}

void epilogue_terms_f32(size_t n, float a_scale, const float* channel_scale, const float* bias, float* multiplier,
                        float* offset) {
  for (size_t j = 0; j < n; ++j) {
    multiplier[j] = channel_scale[j] * a_scale;
    offset[j] = bias ? bias[j] : 0.0f;
  }
}

// In the order t2i8-gemm.h documents (IEEE division, not a reciprocal: every ISA shares these
// values, so only the per-element operations must agree).
void epilogue_terms_s8(size_t n, float a_scale, const float* channel_scale, const float* bias, float out_scale,
                       int32_t out_zero_point, float* multiplier, float* offset) {
  const float zero_point = float(out_zero_point);
  for (size_t j = 0; j < n; ++j) {
    multiplier[j] = (channel_scale[j] * a_scale) / out_scale;
    offset[j] = (bias ? bias[j] : 0.0f) / out_scale + zero_point;
  }
}

void epilogue_terms_hswish_s8(size_t n, float a_scale, const float* channel_scale, const float* bias,
                              float out_scale, float* multiplier, float* offset) {
  for (size_t j = 0; j < n; ++j) {
    multiplier[j] = (channel_scale[j] * a_scale) / out_scale;
    offset[j] = (bias ? bias[j] : 0.0f) / out_scale;
  }
}

namespace {

// The workspace of a full-layer call: [activation sums][per-channel correction, multiplier, offset]
// (t2i8_gemm_workspace_bytes). The per-channel terms are computed once per call, so each tile's
// epilogue is a plain vector loop.
struct ChannelTerms {
  int32_t* a_sums;
  int32_t* correction;
  float* multiplier;
  float* offset;
};

ChannelTerms channel_terms(const PackedWeightsImpl& w, size_t m, void* workspace, int32_t a_zero_point) {
  const size_t sums = layout_uses_activation_sums(ukernel_for_rows(w, m).layout) ? m : 0;
  ChannelTerms t;
  t.a_sums = static_cast<int32_t*>(workspace);
  t.correction = t.a_sums + sums;
  t.multiplier = reinterpret_cast<float*>(t.correction + w.n_);
  t.offset = t.multiplier + w.n_;
  zero_point_correction(w, a_zero_point, t.correction);
  return t;
}

// Micro-kernel into a tile of accumulators, then `epilogue` (float or requantizing) into c.
template <typename Epilogue, typename Bound, typename Out>
void gemm_with_epilogue(const PackedWeightsImpl& w, size_t m, const int8_t* a, size_t a_stride, pthreadpool_t pool,
                        const ChannelTerms& t, Epilogue epilogue, Bound out_min, Bound out_max, Out* c, size_t c_stride) {
  for_each_tile(w, m, a, a_stride, pool, t.a_sums,
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel& ukernel,
                    const uint8_t* tile, const int32_t* tile_sums) {
                  alignas(64) int32_t acc[kMaxTileElements];
                  ukernel.fn(mt, nt, w.k_, 1, a + m0 * a_stride, a_stride, 0, tile, tile_sums, acc, nt);
                  epilogue(mt, nt, acc, nt, t.correction + n0, t.multiplier + n0, t.offset + n0, out_min, out_max,
                           c + m0 * c_stride + n0, c_stride);
                });
}

// The kernel's requantizing form on every tile (the epilogue in registers, int8 out); `form` holds
// out_min / out_max and the HardSwish switch, the per-channel terms come from t.
void gemm_requantizing_form(const PackedWeightsImpl& w, size_t m, const int8_t* a, size_t a_stride,
                            pthreadpool_t pool, const ChannelTerms& t, const RequantS8Terms& form, int8_t* c,
                            size_t c_stride) {
  const T2I8GemmMinmaxUkernelFn fused = w.gemm_minmax_->fn;
  // Row blocks of about 8 KiB of activations (they stay in L1 across the channel tiles), at most 16
  // row tiles: the call overhead of a tile mattered only where a tile is short work (small K).
  const size_t mr = ukernel_for_rows(w, m).mr;
  const size_t rows = mr * std::max<size_t>(1, std::min<size_t>(16, 8192 / (mr * std::max<size_t>(w.k_, 1))));
  for_each_tile(w, m, a, a_stride, pool, t.a_sums,
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel&, const uint8_t* tile,
                    const int32_t* tile_sums) {
                  RequantS8Terms terms = form;
                  terms.correction = t.correction + n0;
                  terms.multiplier = t.multiplier + n0;
                  terms.offset = t.offset + n0;
                  if (form.residual != nullptr) terms.residual = form.residual + m0 * form.residual_stride + n0;
                  fused(mt, nt, w.k_, 1, a + m0 * a_stride, a_stride, 0, tile, tile_sums, terms, c + m0 * c_stride + n0,
                        c_stride);
                },
                rows);
}

}  // namespace

void t2i8_gemm_f32(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool, void* workspace) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  const ChannelTerms t = channel_terms(w, m, workspace, a_zero_point);
  epilogue_terms_f32(w.n_, a_scale, channel_scale, bias, t.multiplier, t.offset);
  gemm_with_epilogue(w, m, a, a_stride, pool, t, w.epilogue_, out_min, out_max, c, c_stride);
}

void t2i8_gemm_s8(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                  float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                  float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                  int8_t* c, size_t c_stride, pthreadpool_t pool, void* workspace) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  const ChannelTerms t = channel_terms(w, m, workspace, a_zero_point);
  epilogue_terms_s8(w.n_, a_scale, channel_scale, bias, out_scale, out_zero_point, t.multiplier, t.offset);
  if (w.gemm_minmax_ != nullptr && m > 1) {
    gemm_requantizing_form(w, m, a, a_stride, pool, t, RequantS8Terms{nullptr, nullptr, nullptr, out_min, out_max}, c,
                           c_stride);
    return;
  }
  gemm_with_epilogue(w, m, a, a_stride, pool, t, w.epilogue_s8_, out_min, out_max, c, c_stride);
}

void t2i8_gemm_hardswish_s8(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                            float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                            float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride, pthreadpool_t pool, void* workspace) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  const ChannelTerms t = channel_terms(w, m, workspace, a_zero_point);
  epilogue_terms_hswish_s8(w.n_, a_scale, channel_scale, bias, out_scale, t.multiplier, t.offset);
  const HswishEpilogue epilogue(w.isa_, out_scale, out_zero_point);
  if (w.gemm_minmax_ != nullptr && m > 1) {   // the requantizing form, in its HardSwish form
    RequantS8Terms terms{nullptr, nullptr, nullptr, out_min, out_max};
    terms.hardswish = true;
    terms.slope = epilogue.slope;
    terms.zero_point = epilogue.zero_point;
    gemm_requantizing_form(w, m, a, a_stride, pool, t, terms, c, c_stride);
    return;
  }
  gemm_with_epilogue(w, m, a, a_stride, pool, t, epilogue, out_min, out_max, c, c_stride);
}

void t2i8_gemm_residual_s8(const PackedTernaryWeights& weights, size_t m, const int8_t* a, size_t a_stride,
                           float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                           float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                           const ResidualS8& residual, int8_t* c, size_t c_stride, pthreadpool_t pool,
                           void* workspace) {
  const PackedWeightsImpl& w = impl(weights);
  if (m == 0 || w.n_ == 0) return;
  const ChannelTerms t = channel_terms(w, m, workspace, a_zero_point);
  epilogue_terms_s8(w.n_, a_scale, channel_scale, bias, out_scale, out_zero_point, t.multiplier, t.offset);
  const float residual_multiplier = residual.scale / out_scale;
  if (w.gemm_minmax_ != nullptr && m > 1) {   // the requantizing form, in its residual form
    RequantS8Terms terms{nullptr, nullptr, nullptr, out_min, out_max};
    terms.residual = residual.data;
    terms.residual_stride = residual.stride;
    terms.residual_multiplier = residual_multiplier;
    terms.residual_zero_point = residual.zero_point;
    gemm_requantizing_form(w, m, a, a_stride, pool, t, terms, c, c_stride);
    return;
  }
  // No requantizing form (a GEMV, or a kernel without one): the reference epilogue on the tile, which
  // the forms match bit for bit.
  for_each_tile(w, m, a, a_stride, pool, t.a_sums,
                [&](size_t m0, size_t mt, size_t n0, size_t nt, const T2I8GemmUkernel& ukernel,
                    const uint8_t* tile, const int32_t* tile_sums) {
                  alignas(64) int32_t acc[kMaxTileElements];
                  ukernel.fn(mt, nt, w.k_, 1, a + m0 * a_stride, a_stride, 0, tile, tile_sums, acc, nt);
                  t2i8_epilogue_residual_s8__scalar(mt, nt, acc, nt, t.correction + n0, t.multiplier + n0,
                                                    t.offset + n0, residual.data + m0 * residual.stride + n0,
                                                    residual.stride, residual_multiplier, residual.zero_point,
                                                    out_min, out_max, c + m0 * c_stride + n0, c_stride);
                });
}

bool t2i8_epilogue_hswish_s8_isa(Isa isa, size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                 const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                 float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  if (!isa_supported(isa)) return false;
  epilogue_hswish_s8_for(isa)(mt, nt, acc, acc_stride, correction, multiplier, offset, slope, zero_point, out_min,
                              out_max, c, c_stride);
  return true;
}

bool t2i8_epilogue_s8_isa(Isa isa, size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                          const int32_t* correction, const float* multiplier, const float* offset, int8_t out_min,
                          int8_t out_max, int8_t* c, size_t c_stride) {
  if (!isa_supported(isa)) return false;
  epilogue_s8_for(isa)(mt, nt, acc, acc_stride, correction, multiplier, offset, out_min, out_max, c, c_stride);
  return true;
}

namespace {

// Per-call workspace for the overloads without one; reused by the calling thread, so repeated calls
// of one size do not allocate.
void* thread_workspace(size_t bytes) {
  thread_local std::vector<int32_t> storage;
  if (storage.size() * sizeof(int32_t) < bytes) storage.resize((bytes + sizeof(int32_t) - 1) / sizeof(int32_t));
  return storage.data();
}

}  // namespace

void t2i8_gemm_s32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool) {
  t2i8_gemm_s32(w, m, a, a_stride, c, c_stride, pool, thread_workspace(t2i8_gemm_workspace_bytes(w, m)));
}

void t2i8_gemm_f32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool) {
  t2i8_gemm_f32(w, m, a, a_stride, a_scale, a_zero_point, channel_scale, bias, out_min, out_max, c, c_stride, pool,
                thread_workspace(t2i8_gemm_workspace_bytes(w, m)));
}

void t2i8_gemm_s8(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                  float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                  float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                  int8_t* c, size_t c_stride, pthreadpool_t pool) {
  t2i8_gemm_s8(w, m, a, a_stride, a_scale, a_zero_point, channel_scale, bias, out_scale, out_zero_point, out_min,
               out_max, c, c_stride, pool, thread_workspace(t2i8_gemm_workspace_bytes(w, m)));
}

namespace {

// One ISA's quantization kernels (quantize-internal.h); every set gives the same bits.
struct QuantizeKernels {
  void (*dynamic)(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);
  void (*fixed)(const float* x, size_t count, QuantParams params, int8_t* q);
  void (*dequantize)(const int8_t* q, size_t count, QuantParams params, float* x);
};

// The set for isa; scalar when isa is not supported here.
const QuantizeKernels& quantize_kernels(Isa isa) {
  static const QuantizeKernels scalar{quantize_f32_s8_scalar, quantize_f32_s8_static_scalar, dequantize_s8_f32_scalar};
#if defined(__x86_64__) || defined(_M_X64)
  static const QuantizeKernels avx2{quantize_f32_s8_avx2, quantize_f32_s8_static_avx2, dequantize_s8_f32_avx2};
  static const QuantizeKernels avx512{quantize_f32_s8_avx512, quantize_f32_s8_static_avx512, dequantize_s8_f32_avx512};
#endif
#if defined(__aarch64__)
  static const QuantizeKernels neon{quantize_f32_s8_neon, quantize_f32_s8_static_neon, dequantize_s8_f32_neon};
#endif
  switch (isa_supported(isa) ? isa : Isa::scalar) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return avx512;
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return neon;
#endif
    default: return scalar;
  }
}

}  // namespace

bool quantize_f32_s8_dynamic_isa(Isa isa, const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  if (!isa_supported(isa)) return false;
  quantize_kernels(isa).dynamic(x, count, q, scale, zero_point);
  return true;
}

void quantize_f32_s8_static(Isa isa, const float* x, size_t count, float scale, int32_t zero_point, int8_t* q) {
  quantize_kernels(isa).fixed(x, count, QuantParams{scale, zero_point}, q);
}

void dequantize_s8_f32(Isa isa, const int8_t* q, size_t count, float scale, int32_t zero_point, float* x) {
  quantize_kernels(isa).dequantize(q, count, QuantParams{scale, zero_point}, x);
}

void quantize_window_means_s8(Isa isa, const int32_t* sums, size_t count, int32_t zero_sum, float x_scale, float inv,
                              float lo, float hi, float y_scale, int32_t y_zero_point, int8_t* y) {
  const WindowMeans m{zero_sum, x_scale, inv, lo, hi};
  const QuantParams params{y_scale, y_zero_point};
#if defined(__x86_64__) || defined(_M_X64)
  if (isa_supported(isa) && (isa == Isa::avx512bw || isa == Isa::avx512vnni)) {
    quantize_window_means_s8_avx512(sums, count, m, params, y);
    return;
  }
  if (isa_supported(isa) && isa == Isa::avx2) {
    quantize_window_means_s8_avx2(sums, count, m, params, y);
    return;
  }
#endif
  quantize_window_means_s8_with(quantize_kernels(isa).fixed, sums, count, m, params, y);   // scalar, NEON
}

void quantize_f32_s8_pixels4(Isa isa, const float* x, size_t rows, size_t cols, size_t c, float scale,
                             int32_t zero_point, bool flipped, int8_t* q, size_t q_row_stride, int8_t* scratch) {
  const uint8_t flip = flipped ? 0x80 : 0;
  const QuantParams params{scale, zero_point};
#if defined(__x86_64__) || defined(_M_X64)
  if (isa_supported(isa) && (isa == Isa::avx512bw || isa == Isa::avx512vnni)) {
    quantize_f32_s8_pixels4_avx512(x, rows, cols, c, params, flip, q, q_row_stride);
    return;
  }
#endif
  const int8_t fill = int8_t(zero_point ^ flip);
  for (size_t r = 0; r < rows; ++r, x += cols * c, q += q_row_stride) {
    quantize_kernels(isa).fixed(x, cols * c, params, scratch);
    const int8_t* src = scratch;
    for (size_t p = 0; p < cols; ++p, src += c) {
      int8_t* dst = q + 4 * p;
      for (size_t i = 0; i < 4; ++i) dst[i] = i < c ? int8_t(src[i] ^ flip) : fill;
    }
  }
}

void quantize_f32_s8_dynamic(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  quantize_f32_s8_dynamic_isa(default_isa(), x, count, q, scale, zero_point);
}

}  // namespace ternrt::kernels
