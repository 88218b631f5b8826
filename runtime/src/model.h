// A loaded, verified model: the FlatBuffer plus the descriptors derived from it at load time.
// Immutable after construction; shared by every interpreter created from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ternrt_generated.h"

namespace ternrt {

class MappedFile;

struct TernaryDesc {
  size_t n = 0;                      // output channels (rows)
  size_t k = 0;                      // values per row
  std::vector<int32_t> logical_shape;
  std::vector<float> channel_scales; // n values (a per-tensor scale is expanded)
  const uint8_t* codes = nullptr;    // canonical 2-bit rows, n * ((k + 3) / 4) bytes, validated
  std::vector<uint8_t> decoded;      // owns `codes` when the file stored another packing
  fb::TernaryMethod method = fb::TernaryMethod::NONE;
  fb::TritPacking packing = fb::TritPacking::CANONICAL_2BIT;
  size_t stored_bytes = 0;           // bytes of packed codes in the file
};

struct TensorDesc {
  std::string name;
  fb::TensorType type = fb::TensorType::F32;
  std::vector<int32_t> shape;
  size_t elements = 0;
  size_t bytes = 0;                  // of the runtime representation (0 for TERNARY2)
  const uint8_t* data = nullptr;     // constant data; nullptr for activations
  std::unique_ptr<TernaryDesc> ternary;
  // Static int8 range of an F32 activation (Tensor.quantization, format 1.1): real = scale * (q - zero_point).
  // scale 0 = none; the static path then keeps the tensor float.
  float act_scale = 0.0f;
  int32_t act_zero_point = 0;
  bool has_act_quant() const { return act_scale > 0.0f; }
  bool is_constant() const { return data != nullptr || ternary != nullptr; }
  std::string label(int index) const;  // "tensor 7 'conv1.weight'"
};

struct OpDesc {
  int index = 0;
  fb::OpCode opcode = fb::OpCode::CONV_2D;
  std::string name;
  std::vector<int> inputs;           // -1 = absent optional input
  std::vector<int> outputs;
  const fb::Operator* fb = nullptr;
  std::string label() const;         // "operator 3 'conv1' (CONV_2D)"
};

class Model {
 public:
  // Both throw ternrt::Error with a message that names the source and the problem.
  static std::unique_ptr<Model> load_file(const std::string& path);
  static std::unique_ptr<Model> load_memory(const void* data, size_t size, const std::string& source);
  ~Model();

  const std::string& source() const { return source_; }
  const fb::Model& flatbuffer() const { return *fb_; }
  const std::vector<TensorDesc>& tensors() const { return tensors_; }
  const std::vector<OpDesc>& ops() const { return ops_; }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  const char* metadata(const char* key) const;  // nullptr when absent
  size_t file_bytes() const { return size_; }
  size_t weight_bytes() const;                  // bytes of constant tensors as stored

 private:
  Model() = default;
  void verify_and_decode();
  void verify_header();
  void decode_tensors();
  void decode_ternary(int index, const fb::Tensor& t, TensorDesc& desc);
  void decode_ops();
  void check_graph_order();
  const uint8_t* buffer_bytes(uint32_t index, size_t* size, const std::string& what) const;
  std::string where() const { return source_ + ": "; }

  std::string source_;
  std::unique_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  const fb::Model* fb_ = nullptr;
  std::vector<TensorDesc> tensors_;
  std::vector<OpDesc> ops_;
  std::vector<int> inputs_, outputs_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// Zero point i of q (i < q.zero_point()->size()). flatbuffers' verifier checks a vector's length
// field for 4-byte alignment but not its int64 elements for 8, so a crafted file can place them at
// 4 mod 8 (fuzz_model_load found one): they are read byte-wise, never with an int64 load.
int64_t quantization_zero_point(const fb::Quantization& q, size_t i);

// Shape helpers shared by the operator checks.
std::string shape_str(const std::vector<int32_t>& shape);

}  // namespace ternrt
