#include "ops/op.h"

namespace ternrt {

const OpSpec* find_op_spec(fb::OpCode opcode) {
  static const OpSpec* const kSpecs[] = {
      &kConv2DSpec, &kFullyConnectedSpec, &kAddSpec,     &kMulSpec,  &kMaxPool2DSpec, &kAvgPool2DSpec,
      &kGlobalAvgPoolSpec, &kReshapeSpec, &kConcatSpec, &kPadSpec, &kSoftmaxSpec,   &kActivationSpec,
  };
  for (const OpSpec* spec : kSpecs) {
    if (spec->opcode == opcode) return spec;
  }
  return nullptr;
}

}  // namespace ternrt
