// The t2i8 GEMM micro-kernels behind t2i8-gemm.h: contract, layouts and a table for tests and
// benchmarks. The runtime needs only t2i8-gemm.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

// How a micro-kernel wants the ternary weights.
enum class WeightLayout : int {
  // int8 trits {-1,0,+1}, one row of k per output channel (the scalar reference).
  trits_s8_rows = 0,
  // Tiles of nr output channels, zero-padded to a whole tile. Inside a tile, K runs in chunks of 16;
  // a chunk is nr / vec_cols vectors of 4 * vec_cols bytes. Byte b of vector v holds, in bits
  // 2g..2g+1, the multiplier u = t + 1 of channel v * vec_cols + b / 4 at k = 16 * chunk + 4 * g +
  // b % 4 (g = 0..3). Padding (k beyond K, channels beyond N) stores u = 0, i.e. "multiply by 0",
  // so padded activation bytes never contribute; the kernel subtracts sum_k a[k] (over the real K)
  // to turn sum u*a into sum t*a.
  code_planes_c4 = 1,
  // Like code_planes_c4 but one byte per multiplier u = t + 1 (4x the memory, no unpacking): tiles
  // of nr channels; K runs in steps of 4; a step is nr / vec_cols vectors of 4 * vec_cols bytes,
  // byte b of vector v = u of channel v * vec_cols + b / 4 at k = 4 * step + b % 4. Padding u = 0.
  // For compute-bound layers (many rows per weight), where unpacking 2-bit planes costs more than
  // reading 4x the weight bytes.
  codes_u8_c4 = 2,
  // The layouts of int8 weights (i8i8 kernels, values in [-127, 127]; PackedTernaryWeights::pack_s8):
  // int8 weights, one row of k per output channel (the scalar reference).
  s8_rows = 3,
  // Tiles of nr channels; K in steps of 4; a step is nr / vec_cols vectors of 4 * vec_cols bytes,
  // byte b of vector v = the int8 weight of channel v * vec_cols + b / 4 at k = 4 * step + b % 4
  // (padding 0); after the steps, nr int32: 128 * sum_k w of each channel. vpdpbusd multiplies u8 by
  // s8: the kernel flips each activation to a + 128 and subtracts these sums, so it needs no
  // activation sums.
  s8_c4_wsums = 4,
  // Like s8_c4_wsums's steps, but of u = w + 128 (in [1, 255]; padding u = 0), each step holding u's
  // low nibbles (nr / vec_cols vectors) then its high nibbles (u = 16 * hi + lo, both in [0, 15]):
  // vpmaddubsw of a nibble and two int8 activations cannot saturate (2 * 15 * 128 < 32767), where u
  // itself could. The kernel subtracts 128 * sum_k a[k] to turn sum u*a into sum w*a.
  offset_nibbles_c4 = 5,
  // As s8_c4_wsums without the sums (sdot, smull multiply s8 by s8); no activation sums.
  s8_c4 = 6,
};

// Whether kernels of this layout take a_sums (sum_k a per row): the offset layouts (t + 1, w + 128).
bool layout_uses_activation_sums(WeightLayout layout);
// Whether the layout holds int8 weights (i8i8 kernels) rather than ternary ones (t2i8).
bool layout_is_int8(WeightLayout layout);

// Micro-kernel: c[r][j] = sum_{q<slices} sum_{kk<k} t[j][q * k + kk] * a[r][q][kk] for r < mr (<= MR),
// (t: the trits, or for an i8i8 kernel the int8 weights)
// j < nc (<= NR), where a[r][q] = a + r * a_stride + q * a_slice_stride. A GEMM passes slices = 1;
// a convolution read in place (t2i8-conv.h) passes one slice per kernel row, so the accumulators
// stay in registers across the kernel rows. K = slices * k is the packed weights' depth.
//   k: depth of one slice; with slices > 1 a multiple of t2i8_slice_depth_multiple(layout), so each
//      slice starts on a chunk / step of the packed weights.
//   a: mr rows, a_stride bytes apart; each slice readable for round_up(k, 16) bytes (k + 16 suffices).
//   w: the packed tile of the first output channel (layout above).
//   a_sums: sum over all slices of a[r][q][kk] for the mr rows (layouts for which
//      layout_uses_activation_sums; the others ignore it).
//   c: writes exactly mr x nc int32, c_stride elements apart.
// GEMV kernels (MR == 1) take any nc, not only nc <= NR: w then holds the ceil(nc / NR) consecutive
// tiles of those channels, so one call can stream the weights of many tiles (batch-1 layers are
// bound by weight bandwidth; the x86 ones keep several tiles in flight with software prefetch).
// int16 accumulation (vpmaddubsw, smlal) is widened often enough that it never overflows for any
// int8 input: see each kernel's header comment.
using T2I8GemmUkernelFn = void (*)(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                                   size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                                   size_t c_stride);

struct T2I8GemmUkernel {
  Isa isa;
  const char* name;
  size_t mr, nr, kr;
  WeightLayout layout;
  size_t vec_cols;
  T2I8GemmUkernelFn fn;
};

#define TERNRT_UKERNEL(isa, name, mr, nr, kr, layout, vec_cols)                                          \
  void name(size_t mr_, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,             \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride);
#include "ternrt/kernels/t2i8-gemm.inc"
#include "ternrt/kernels/i8i8-gemm.inc"
#undef TERNRT_UKERNEL

// u8-activation forms of GEMM micro-kernels: the same tile, ISA and packing as the kernel they are a
// form of (`base`), reading activation bytes as unsigned.
//   u8i8-gemm.inc (forms of i8i8 kernels): fn computes what the i8i8 kernel does, reading each
//     activation byte as a ^ 0x80 instead of a.
//   t2u8-gemm.inc (forms of t2i8 kernels): fn computes sum t * u over activation bytes u read as
//     unsigned, ignoring a_sums; k per slice must be a multiple of 16.
struct U8FormUkernel {
  const char* name;
  const char* base_name;
  T2I8GemmUkernelFn base;
  T2I8GemmUkernelFn fn;
};
#define TERNRT_U8_FORM_UKERNEL(base_name, name)                                                          \
  void name(size_t mr_, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,             \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride);
#include "ternrt/kernels/u8i8-gemm.inc"
#include "ternrt/kernels/t2u8-gemm.inc"
#undef TERNRT_U8_FORM_UKERNEL
const U8FormUkernel* u8i8_gemm_ukernels(size_t* count);
const U8FormUkernel* t2u8_gemm_ukernels(size_t* count);
// The u8-activation form of an i8i8 / a t2i8 kernel; nullptr when it has none.
const U8FormUkernel* u8i8_form_of(const T2I8GemmUkernel& i8i8);
const U8FormUkernel* t2u8_form_of(const T2I8GemmUkernel& t2i8);

// Requantizing forms of GEMM micro-kernels (minmax-fp32-gemm.inc): the base kernel's accumulation
// (same arguments up to w and a_sums), then the int8 epilogue of t2i8_gemm_s8 (t2i8-epilogue in
// t2i8-gemm.h) on the accumulators while they are in registers. Unlike the base kernels they take
// any number of rows m (in row tiles of the base's MR, one call for a block of rows): for r < m, j < nc,
//   c[r][j] = requantize(base's c[r][j] - correction[j])   (int8, c_stride bytes apart)
// with the per-channel terms of `terms`, which point at the tile's first channel. Bit-identical to
// the base kernel followed by any t2i8_epilogue_s8_isa. Saves the int32 tile's store and reload
// and the epilogue's pass; MobileNetV2's int8 epilogues were a quarter of its time.
struct RequantS8Terms {
  const int32_t* correction;
  const float* multiplier;
  const float* offset;
  int8_t out_min, out_max;
  // The HardSwish form of the epilogue (t2i8_gemm_hardswish_s8, t2i8-gemm.h): offset then holds
  // bias / out_scale without the zero point; slope = out_scale / 6, zero_point = the output's.
  bool hardswish = false;
  float slope = 0.0f, zero_point = 0.0f;
  // The residual form (t2i8_gemm_residual_s8, t2i8-gemm.h; not with hardswish): one more fma before the
  // clamps, y = fma(float(r - residual_zero_point), residual_multiplier, y), with r the residual's int8
  // value of the same row and channel; residual points at the tile's first row and channel, rows
  // residual_stride bytes apart.
  const int8_t* residual = nullptr;
  size_t residual_stride = 0;
  float residual_multiplier = 0.0f;
  int32_t residual_zero_point = 0;
};
using T2I8GemmMinmaxUkernelFn = void (*)(size_t m, size_t nc, size_t k, size_t slices, const int8_t* a,
                                         size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                         const int32_t* a_sums, const RequantS8Terms& terms, int8_t* c,
                                         size_t c_stride);
struct MinmaxFormUkernel {
  const char* name;
  const char* base_name;
  T2I8GemmUkernelFn base;
  T2I8GemmMinmaxUkernelFn fn;
};
#define TERNRT_MINMAX_FORM_UKERNEL(base_name, name)                                                          \
  void name(size_t m, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,                 \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, const RequantS8Terms& terms,      \
            int8_t* c, size_t c_stride);
#include "ternrt/kernels/minmax-fp32-gemm.inc"
#undef TERNRT_MINMAX_FORM_UKERNEL
const MinmaxFormUkernel* minmax_fp32_gemm_ukernels(size_t* count);
// The requantizing form of a micro-kernel (a list kernel or a u8-activation form); nullptr when it
// has none.
const MinmaxFormUkernel* minmax_fp32_form_of(T2I8GemmUkernelFn base);

// Every micro-kernel compiled into this build (whether this CPU runs it or not), in list order:
// the ternary ones (t2i8-gemm.inc), and the int8-weight ones (i8i8-gemm.inc), which share the
// signature, the tiles and the drivers (the weights are int8 in [-127, 127] instead of trits).
const T2I8GemmUkernel* t2i8_gemm_ukernels(size_t* count);
const T2I8GemmUkernel* i8i8_gemm_ukernels(size_t* count);
// The first kernel in list order for isa with the given class (gemv: mr == 1), tile width nr and
// layout; nr == 0 means the ISA's widest tile, layout code_planes_c4 (trits_s8_rows for scalar).
// Returns nullptr when there is none (e.g. isa not compiled in).
const T2I8GemmUkernel* t2i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr = 0);
const T2I8GemmUkernel* t2i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr, WeightLayout layout);
// The GEMM kernel PackedTernaryWeights::pack picks for n channels, K = k and the options: the tile
// width with the least padded work, and codes_u8_c4 where that layout exists and options allow it
// (allow_expanded and rows_hint >= expand_min_rows). Its GEMV partner is t2i8_gemm_ukernel_for(isa, true, nr, layout).
const T2I8GemmUkernel* t2i8_gemm_choose_ukernel(Isa isa, size_t n, size_t k, const PackOptions& options);

// The int8-weight counterpart of t2i8_gemm_choose_ukernel (i8i8-gemm.inc): the ISA's layout, the
// tile width with the least padded work. Its GEMV partner: the list's MR = 1 kernel of that layout
// and nr.
const T2I8GemmUkernel* i8i8_gemm_choose_ukernel(Isa isa, size_t n);
const T2I8GemmUkernel* i8i8_gemm_ukernel_for(Isa isa, bool gemv, size_t nr, WeightLayout layout);

// The multiple of k a slice must be when slices > 1 (the layout's K granularity): 16 for
// code_planes_c4, 1 for trits_s8_rows and s8_rows, 4 for the others.
size_t t2i8_slice_depth_multiple(WeightLayout layout);

// Packed weight bytes for one tile of nr channels, and for n channels (whole tiles).
size_t t2i8_packed_tile_bytes(const T2I8GemmUkernel& ukernel, size_t k);
size_t t2i8_packed_bytes(const T2I8GemmUkernel& ukernel, size_t n, size_t k);
// Repacks canonical 2-bit codes (see t2i8-gemm.h) into ukernel's layout; packed must hold
// t2i8_packed_bytes(ukernel, n, k) bytes.
void t2i8_pack_weights(const T2I8GemmUkernel& ukernel, const uint8_t* codes, size_t n, size_t k, uint8_t* packed);
// Repacks int8 weights (n rows of k values in [-127, 127]) into an i8i8 ukernel's layout; packed
// must hold t2i8_packed_bytes(ukernel, n, k) bytes.
void i8i8_pack_weights(const T2I8GemmUkernel& ukernel, const int8_t* weights, size_t n, size_t k, uint8_t* packed);

// sum_{kk<k} a[r][kk] for r < m (what code_planes_c4 kernels take as a_sums): the scalar
// definition, and the fastest implementation isa supports (bit-identical; falls back to scalar).
void t2i8_activation_sums(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums);
void t2i8_activation_sums_isa(Isa isa, size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums);

// The int8 epilogue of t2i8_gemm_s8 on one tile, with a given ISA's implementation (all
// bit-identical): per r < mt, j < nt, c[r][j] = requantize(acc[r][j] - correction[j]) with the
// per-channel multiplier and offset and the operations of t2i8-gemm.h. False if the ISA is not
// supported here.
bool t2i8_epilogue_s8_isa(Isa isa, size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                          const int32_t* correction, const float* multiplier, const float* offset, int8_t out_min,
                          int8_t out_max, int8_t* c, size_t c_stride);
// Its HardSwish form (t2i8_gemm_hardswish_s8 in t2i8-gemm.h): multiplier and offset without the output
// zero point, slope = out_scale / 6, zero_point = float(out_zero_point). False if isa is not supported.
bool t2i8_epilogue_hswish_s8_isa(Isa isa, size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                 const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                 float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride);

// quantize_f32_s8_dynamic with a given ISA's implementation (bit-identical to the scalar one);
// false if the ISA is not supported here.
bool quantize_f32_s8_dynamic_isa(Isa isa, const float* x, size_t count, int8_t* q, float* scale,
                                 int32_t* zero_point);

}  // namespace ternrt::kernels
