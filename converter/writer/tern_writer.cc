#include "writer/tern_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "ternrt_generated.h"
#include "trit-formats.h"

#ifndef TERNRT_VERSION
#define TERNRT_VERSION "unknown"
#endif

namespace ternrt::convert {
namespace {

namespace fb = ternrt::fb;

std::vector<int32_t> to_int32(const Shape& shape, const std::string& what) {
  std::vector<int32_t> out;
  for (int64_t d : shape) {
    if (d < 0 || d > std::numeric_limits<int32_t>::max())
      throw ConvertError(what + ": dimension " + std::to_string(d) + " does not fit the format's int32 shapes");
    out.push_back(static_cast<int32_t>(d));
  }
  return out;
}

std::unique_ptr<fb::FusedActivationT> fused(const Activation& a) {
  auto out = std::make_unique<fb::FusedActivationT>();
  switch (a.type) {
    case ActivationType::none: out->type = fb::Activation::NONE; break;
    case ActivationType::relu: out->type = fb::Activation::RELU; break;
    case ActivationType::relu6: out->type = fb::Activation::RELU6; break;
    case ActivationType::clip:
      out->type = fb::Activation::CLIP;
      out->clip_min = a.clip_min;
      out->clip_max = a.clip_max;
      break;
    case ActivationType::hard_swish: out->type = fb::Activation::HARD_SWISH; break;
    case ActivationType::hard_sigmoid:
      out->type = fb::Activation::HARD_SIGMOID;
      out->alpha = a.alpha;
      out->beta = a.beta;
      break;
    case ActivationType::sigmoid: out->type = fb::Activation::SIGMOID; break;
  }
  return out;
}

fb::TernaryMethod method_enum(const std::string& name) {
  if (name == "rtn") return fb::TernaryMethod::RTN;
  if (name == "twn") return fb::TernaryMethod::TWN;
  if (name == "tquant") return fb::TernaryMethod::TQUANT;
  if (name == "mquant") return fb::TernaryMethod::MQUANT;
  if (name == "l2opt") return fb::TernaryMethod::L2OPT;
  return fb::TernaryMethod::NONE;
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

class Writer {
 public:
  explicit Writer(const Graph& graph) : graph_(graph) {}

  std::vector<uint8_t> run() {
    if (!graph_.nhwc) throw ConvertError("internal: the layout pass has not run before writing");
    // 1.1: activation tensors may carry static int8 quantization (older runtimes ignore it).
    model_.version = std::make_unique<fb::FormatVersion>(1, 1);
    model_.producer = producer_string();
    model_.buffers.push_back(std::make_unique<fb::BufferT>());  // buffer 0: always empty
    model_.graph = std::make_unique<fb::GraphT>();
    for (size_t i = 0; i < graph_.tensors.size(); ++i) model_.graph->tensors.push_back(tensor(graph_.tensors[i]));
    for (const Node& node : graph_.nodes) model_.graph->operators.push_back(op(node));
    model_.graph->inputs.assign(graph_.inputs.begin(), graph_.inputs.end());
    model_.graph->outputs.assign(graph_.outputs.begin(), graph_.outputs.end());

    std::map<std::string, std::string> metadata = graph_.metadata;
    metadata["producer"] = producer_string();
    for (const auto& [key, value] : metadata) {  // std::map order = the sorted order `(key)` needs
      auto e = std::make_unique<fb::MetadataEntryT>();
      e->key = key;
      e->value = value;
      model_.metadata.push_back(std::move(e));
    }

    flatbuffers::FlatBufferBuilder builder(1 << 20);
    builder.Finish(fb::Model::Pack(builder, &model_), fb::ModelIdentifier());
    return std::vector<uint8_t>(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
  }

 private:
  const Graph& graph_;
  fb::ModelT model_;

  uint32_t add_buffer(std::vector<uint8_t> data) {
    auto b = std::make_unique<fb::BufferT>();
    b->data = std::move(data);
    model_.buffers.push_back(std::move(b));
    return static_cast<uint32_t>(model_.buffers.size() - 1);
  }

  std::unique_ptr<fb::TensorT> tensor(const Tensor& t) {
    const std::string what = "tensor '" + t.name + "'";
    auto out = std::make_unique<fb::TensorT>();
    out->name = t.name;
    out->shape = to_int32(t.shape, what);
    out->type = fb::TensorType::F32;
    if (t.int8) {
      if (t.is_constant) throw ConvertError("internal: constant " + what + " has static int8 parameters");
      auto q = std::make_unique<fb::QuantizationT>();
      q->scale = {t.int8->scale};
      q->zero_point = {t.int8->zero_point};
      q->axis = -1;
      out->quantization = std::move(q);
    }
    if (!t.is_constant) return out;
    if (t.is_int) throw ConvertError(what + ": integer constants are not supported as operator inputs");
    if (!t.ternary) {
      if (t.data.size() != static_cast<size_t>(num_elements(t.shape)))
        throw ConvertError("internal: " + what + " holds " + std::to_string(t.data.size()) + " values for shape " +
                           shape_string(t.shape));
      out->buffer = add_buffer(bytes_of(t.data));
      return out;
    }
    const TernaryData& td = *t.ternary;
    const size_t n = static_cast<size_t>(t.shape.at(0));
    const size_t k = static_cast<size_t>(num_elements(t.shape)) / std::max<size_t>(n, 1);
    if (td.trits.size() != n * k) throw ConvertError("internal: " + what + ": trit count does not match its shape");
    const auto format = td.packing == 1 ? trits::Format::base3_5per_byte : trits::Format::canonical_2bit;
    size_t packed_size = 0;
    if (!trits::packed_bytes(format, n, k, &packed_size)) throw ConvertError(what + ": packed size overflows");
    std::vector<uint8_t> packed(packed_size);
    trits::pack(format, td.trits.data(), n, k, packed.data());
    out->type = fb::TensorType::TERNARY2;
    auto tw = std::make_unique<fb::TernaryWeightsT>();
    tw->logical_shape = out->shape;
    tw->scales = td.scales;
    tw->method = method_enum(td.method);
    tw->per_channel = td.per_channel;
    tw->thresholds = td.thresholds;
    tw->levels = td.levels;
    tw->packing = td.packing == 1 ? fb::TritPacking::BASE3_5PER_BYTE : fb::TritPacking::CANONICAL_2BIT;
    tw->buffer = add_buffer(std::move(packed));
    out->ternary = std::move(tw);
    return out;
  }

  std::unique_ptr<fb::OperatorT> op(const Node& node) {
    auto out = std::make_unique<fb::OperatorT>();
    out->name = node.name;
    out->inputs.assign(node.inputs.begin(), node.inputs.end());
    out->outputs.assign(node.outputs.begin(), node.outputs.end());
    auto pool = [&]() {
      fb::Pool2DOptionsT o;
      o.kernel_h = node.kernel_h;
      o.kernel_w = node.kernel_w;
      o.stride_h = node.stride_h;
      o.stride_w = node.stride_w;
      o.pad_top = node.pad_top;
      o.pad_left = node.pad_left;
      o.pad_bottom = node.pad_bottom;
      o.pad_right = node.pad_right;
      o.count_include_pad = node.count_include_pad;
      o.activation = fused(node.activation);
      return o;
    };
    switch (node.kind) {
      case OpKind::conv: {
        out->opcode = fb::OpCode::CONV_2D;
        fb::Conv2DOptionsT o;
        o.stride_h = node.stride_h;
        o.stride_w = node.stride_w;
        o.dilation_h = node.dilation_h;
        o.dilation_w = node.dilation_w;
        o.pad_top = node.pad_top;
        o.pad_left = node.pad_left;
        o.pad_bottom = node.pad_bottom;
        o.pad_right = node.pad_right;
        o.groups = node.groups;
        o.activation = fused(node.activation);
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::fully_connected: {
        out->opcode = fb::OpCode::FULLY_CONNECTED;
        fb::FullyConnectedOptionsT o;
        o.activation = fused(node.activation);
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::add:
      case OpKind::mul: {
        out->opcode = node.kind == OpKind::add ? fb::OpCode::ADD : fb::OpCode::MUL;
        fb::ElementwiseOptionsT o;
        o.activation = fused(node.activation);
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::max_pool:
        out->opcode = fb::OpCode::MAX_POOL_2D;
        out->options.Set(pool());
        break;
      case OpKind::avg_pool:
        out->opcode = fb::OpCode::AVG_POOL_2D;
        out->options.Set(pool());
        break;
      case OpKind::global_avg_pool:
        out->opcode = fb::OpCode::GLOBAL_AVG_POOL;
        break;
      case OpKind::reshape:
        out->opcode = fb::OpCode::RESHAPE;
        out->options.Set(fb::ReshapeOptionsT());
        break;
      case OpKind::concat: {
        out->opcode = fb::OpCode::CONCAT;
        fb::ConcatOptionsT o;
        o.axis = node.axis;
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::pad: {
        out->opcode = fb::OpCode::PAD;
        fb::PadOptionsT o;
        for (int64_t p : node.paddings) o.paddings.push_back(static_cast<int32_t>(p));
        o.value = node.pad_value;
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::softmax: {
        out->opcode = fb::OpCode::SOFTMAX;
        out->options.Set(fb::SoftmaxOptionsT());
        break;
      }
      case OpKind::activation: {
        out->opcode = fb::OpCode::ACTIVATION;
        fb::ActivationOptionsT o;
        o.activation = fused(node.activation);
        out->options.Set(std::move(o));
        break;
      }
      case OpKind::batch_norm:
      case OpKind::identity:
        throw ConvertError("internal: " + node.describe() + " survived the passes");
    }
    return out;
  }
};

}  // namespace

std::string producer_string() { return std::string("ternrt-convert ") + TERNRT_VERSION; }

std::vector<uint8_t> serialize_model(const Graph& graph) { return Writer(graph).run(); }

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw ConvertError("cannot create '" + tmp + "': " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    throw ConvertError("cannot write '" + tmp + "': " + std::strerror(written ? errno : write_errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw ConvertError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(e));
  }
}

}  // namespace ternrt::convert
