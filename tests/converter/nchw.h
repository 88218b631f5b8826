// One calibration-style sample, NCHW as the ONNX model takes it, into the NHWC layout the runtime
// takes (tests that feed converted models directly through the C API).
#pragma once

#include <cstddef>

namespace ternrt::test {

inline void nchw_to_nhwc(const float* x, int c, int h, int w, float* nhwc) {
  for (int ci = 0; ci < c; ++ci)
    for (int y = 0; y < h; ++y)
      for (int xi = 0; xi < w; ++xi) nhwc[(y * w + xi) * c + ci] = x[(ci * h + y) * w + xi];
}

}  // namespace ternrt::test
