// Ternary convolution read straight from an int8 NHWC image, without an im2col buffer. The taps of
// one kernel row for consecutive output pixels are consecutive bytes of the image, so the GEMM
// micro-kernels read them in place with a row stride of stride_w * in_c, one K slice per kernel row
// (t2i8-gemm-ukernels.h): one call per tile, accumulators in registers across the kernel rows. A
// padded layer first copies the image into a buffer with a border of the zero point (about the
// image's size, against kernel_h * kernel_w times that for im2col), unless the caller wrote it there
// (image_slot). An image stored flipped (ImageEncoding::flipped_u8) runs the kernels' u8i8 forms; a
// padded layer with a t2i8 kernel that has a t2u8 form flips its copy and runs that form. Otherwise
// the activation sums (layouts that take them) come from per-pixel sums. Results are bit-identical to im2col_s8 (padding = the
// image's zero point) followed by t2i8_gemm_f32 / t2i8_gemm_s8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <pthreadpool.h>

#include "ternrt/kernels/im2col.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

// How an image's bytes hold its int8 activations: as they are, or flipped, a ^ 0x80 (the u8 value
// a + 128), for the u8-activation kernel forms (u8i8-gemm.inc). Scale and zero point stay those of a.
enum class ImageEncoding { s8, flipped_u8 };

class T2I8Conv {
 public:
  // w: the layer's packed weights (K = kernel_h * kernel_w * in_c). nullptr when the layer should
  // use im2col: dilation_w != 1, kernel rows (in_c * kernel_w bytes) not a multiple of the weight
  // layout's K chunk (16 bytes for the 2-bit planes: in_c % 16 == 0 for those) or, for layouts that
  // take activation sums, shorter than 48 bytes; or when memory runs out. Also nullptr for a
  // flipped_u8 image when w's micro-kernel has no u8 form.
  static std::unique_ptr<T2I8Conv> create(const PackedTernaryWeights& w, const Im2colGeometry& g,
                                          ImageEncoding encoding = ImageEncoding::s8);

  // Where a caller that produces the image itself (e.g. quantizes it) may write it, saving run_*'s
  // copy into the padded buffer: pixel (b, y, x) at data + b * batch_stride + y * row_stride + x *
  // in_c bytes, in the workspace run_* will get; run_* are then called with image == nullptr and
  // fill only the border (and flip the image in place when the layer runs a t2u8 form, see
  // kernel_name()). data is null when the layer has no padding (run_* read the image where it is,
  // nothing to save).
  struct ImageSlot {
    int8_t* data;
    size_t row_stride, batch_stride;
  };
  ImageSlot image_slot(void* workspace) const;

  // The micro-kernel it calls (a u8i8 form for a flipped image, a t2u8 form for a flipped copy).
  const char* kernel_name() const { return kernel_name_; }
  // The one run_s8 calls: that kernel's requantizing form where it has one (minmax-fp32-gemm.inc).
  const char* kernel_name_s8() const { return minmax_ ? minmax_->name : kernel_name_; }

  // Scratch for one call (padded image, per-pixel and per-output-pixel sums if the kernel takes them,
  // per-channel terms); any alignment of 4.
  size_t workspace_bytes() const;

  // image: batch x in_h x in_w x in_c int8 (scale a_scale, zero point a_zero_point; stored as
  // create()'s encoding says), readable 64 bytes past its end, or nullptr when it was written into
  // image_slot(workspace); c: one row of out_c values per output pixel, c_stride elements apart.
  void run_f32(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
               const float* bias, float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool,
               void* workspace) const;
  void run_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
              float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride,
              pthreadpool_t pool, void* workspace) const;
  // With a fused HardSwish (t2i8_gemm_hardswish_s8's arithmetic; kernel_name_s8()'s kernel, the
  // requantizing form in its HardSwish form where there is one).
  void run_hardswish_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                        const float* bias, float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                        int8_t* c, size_t c_stride, pthreadpool_t pool, void* workspace) const;
  // With a residual added before the requantization (t2i8_gemm_residual_s8's arithmetic, t2i8-gemm.h;
  // residual row p = output pixel p, residual.stride bytes apart).
  void run_residual_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                       const float* bias, float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                       const ResidualS8& residual, int8_t* c, size_t c_stride, pthreadpool_t pool,
                       void* workspace) const;

 private:
  T2I8Conv(const PackedTernaryWeights& w, const Im2colGeometry& g, ImageEncoding encoding);
  struct Workspace;
  Workspace split(void* workspace, int32_t a_zero_point) const;
  size_t padded_pixels() const;
  size_t output_pixels() const;
  size_t padded_image_bytes() const;
  size_t sum_elements() const;
  void activation_sums(const int8_t* src, const Workspace& ws, pthreadpool_t pool) const;
  template <typename Out, typename Bound, typename Epilogue>
  // minmax: the requantizing form to call instead of the kernel + epilogue (int8 output), or null.
  void run(const int8_t* image, int32_t a_zero_point, const Workspace& ws, Epilogue epilogue,
           const MinmaxFormUkernel* minmax, Bound out_min, Bound out_max, Out* c, size_t c_stride,
           pthreadpool_t pool) const;

  const PackedTernaryWeights& w_;
  Im2colGeometry g_;
  size_t padded_h_, padded_w_;      // the image with the padding the output needs on every side
  bool padded_;                     // some padding: run() copies the image into the workspace
  bool flips_copy_ = false;         // the copy is flipped, read by a t2u8 form (no activation sums)
  ImageEncoding encoding_;
  T2I8GemmUkernelFn ukernel_;
  const MinmaxFormUkernel* minmax_;  // ukernel_'s requantizing form for run_s8, nullptr if none
  const char* kernel_name_;
};

}  // namespace ternrt::kernels
