// Builds small .tern models in memory for runtime tests (FlatBuffers object API), so each test
// states its graph in a few lines and can then corrupt one field at a time.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ternrt_generated.h"

namespace ternrt::test {

class ModelBuilder {
 public:
  ModelBuilder() {
    model_.version = std::make_unique<fb::FormatVersion>(1, 0);
    model_.producer = "test";
    model_.graph = std::make_unique<fb::GraphT>();
    model_.buffers.push_back(std::make_unique<fb::BufferT>());  // buffer 0: empty sentinel
  }

  int activation(const std::string& name, std::vector<int32_t> shape) { return add_tensor(name, std::move(shape), fb::TensorType::F32, 0); }

  int constant(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& values) {
    return add_tensor(name, std::move(shape), fb::TensorType::F32, add_buffer(values.data(), values.size() * 4));
  }

  // trits: n*k values in {-1,0,1}; packed canonically (2 bits, code = t + 1, low bits first).
  int ternary(const std::string& name, std::vector<int32_t> shape, const std::vector<int8_t>& trits, const std::vector<float>& scales) {
    const size_t n = shape[0], k = trits.size() / n, row = (k + 3) / 4;
    std::vector<uint8_t> packed(n * row, 0x55);  // padding codes are 1 (zero trit)
    for (size_t r = 0; r < n; ++r) {
      for (size_t j = 0; j < k; ++j) {
        uint8_t& b = packed[r * row + j / 4];
        b = static_cast<uint8_t>((b & ~(3u << (2 * (j % 4)))) | ((trits[r * k + j] + 1) << (2 * (j % 4))));
      }
    }
    const int t = add_tensor(name, shape, fb::TensorType::TERNARY2, 0);
    auto tw = std::make_unique<fb::TernaryWeightsT>();
    tw->logical_shape = shape;
    tw->scales = scales;
    tw->method = fb::TernaryMethod::NONE;
    tw->buffer = add_buffer(packed.data(), packed.size());
    model_.graph->tensors[t]->ternary = std::move(tw);
    return t;
  }

  fb::OperatorT& op(fb::OpCode code, std::vector<int32_t> inputs, std::vector<int32_t> outputs, fb::OperatorOptionsUnion options) {
    auto o = std::make_unique<fb::OperatorT>();
    o->opcode = code;
    o->inputs = std::move(inputs);
    o->outputs = std::move(outputs);
    o->options = std::move(options);
    o->name = std::string(fb::EnumNameOpCode(code)) + "_" + std::to_string(model_.graph->operators.size());
    model_.graph->operators.push_back(std::move(o));
    return *model_.graph->operators.back();
  }

  void inputs(std::vector<int32_t> v) { model_.graph->inputs = std::move(v); }
  void outputs(std::vector<int32_t> v) { model_.graph->outputs = std::move(v); }
  void metadata(const std::string& k, const std::string& v) {
    auto e = std::make_unique<fb::MetadataEntryT>();
    e->key = k;
    e->value = v;
    model_.metadata.push_back(std::move(e));
  }
  fb::ModelT& model() { return model_; }

  std::vector<uint8_t> finish() {
    flatbuffers::FlatBufferBuilder b;
    b.Finish(fb::Model::Pack(b, &model_), fb::ModelIdentifier());
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }

 private:
  int add_tensor(const std::string& name, std::vector<int32_t> shape, fb::TensorType type, uint32_t buffer) {
    auto t = std::make_unique<fb::TensorT>();
    t->name = name;
    t->shape = std::move(shape);
    t->type = type;
    t->buffer = buffer;
    model_.graph->tensors.push_back(std::move(t));
    return static_cast<int>(model_.graph->tensors.size() - 1);
  }
  uint32_t add_buffer(const void* data, size_t bytes) {
    auto buf = std::make_unique<fb::BufferT>();
    buf->data.resize(bytes);
    std::memcpy(buf->data.data(), data, bytes);
    model_.buffers.push_back(std::move(buf));
    return static_cast<uint32_t>(model_.buffers.size() - 1);
  }
  fb::ModelT model_;
};

inline fb::OperatorOptionsUnion conv_options(int stride, int pad_t, int pad_l, int pad_b, int pad_r, int groups = 1, int dilation = 1,
                                             fb::Activation act = fb::Activation::NONE) {
  fb::Conv2DOptionsT o;
  o.stride_h = o.stride_w = stride;
  o.dilation_h = o.dilation_w = dilation;
  o.pad_top = pad_t;
  o.pad_left = pad_l;
  o.pad_bottom = pad_b;
  o.pad_right = pad_r;
  o.groups = groups;
  o.activation = std::make_unique<fb::FusedActivationT>();
  o.activation->type = act;
  fb::OperatorOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

inline fb::OperatorOptionsUnion fc_options(fb::Activation act = fb::Activation::NONE) {
  fb::FullyConnectedOptionsT o;
  o.activation = std::make_unique<fb::FusedActivationT>();
  o.activation->type = act;
  fb::OperatorOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

template <typename T>
fb::OperatorOptionsUnion options(T o) {
  fb::OperatorOptionsUnion u;
  u.Set(std::move(o));
  return u;
}

}  // namespace ternrt::test
