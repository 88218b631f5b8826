#include "model.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "error.h"
#include "mapped-file.h"
#include "ops/op.h"
#include "trit-formats.h"

namespace ternrt {
namespace {

// Limits for untrusted files (docs/robustness.md): generous for real models, small enough that a
// hostile file cannot make the loader allocate or loop without bound.
constexpr size_t kMaxTensors = 1u << 20;
constexpr size_t kMaxOperators = 1u << 20;
constexpr size_t kMaxRank = 8;
constexpr size_t kMaxOpInputs = 64;
constexpr uint64_t kMaxElements = uint64_t{1} << 40;  // also on 32-bit targets

size_t type_size(fb::TensorType type) {
  switch (type) {
    case fb::TensorType::F32: return 4;
    case fb::TensorType::I32: return 4;
    case fb::TensorType::I8: return 1;
    case fb::TensorType::U8: return 1;
    case fb::TensorType::TERNARY2: return 0;
  }
  return 0;
}

// Quantization parameters are not used by format-1.0 operators, but they come from the file and
// are shown by tools: check them like everything else (research B5 class 10).
void check_quantization(const std::string& what, const fb::Quantization& q, const std::vector<int32_t>& shape) {
  const size_t ns = q.scale() ? q.scale()->size() : 0;
  const size_t nz = q.zero_point() ? q.zero_point()->size() : 0;
  const int axis = q.axis();
  if (axis != -1 && (axis < 0 || static_cast<size_t>(axis) >= shape.size())) {
    fail(TERNRT_INVALID_MODEL, what + ": quantization axis " + std::to_string(axis) + " is out of range for rank " +
                                   std::to_string(shape.size()));
  }
  const size_t channels = axis == -1 ? 1 : static_cast<size_t>(shape[axis]);
  if (ns != 1 && ns != channels) {
    fail(TERNRT_INVALID_MODEL, what + ": " + std::to_string(ns) + " quantization scales, expected 1" +
                                   (axis == -1 ? std::string(" (axis is -1)")
                                               : " or " + std::to_string(channels) + " (the size of axis " + std::to_string(axis) + ")"));
  }
  if (nz != 0 && nz != 1 && nz != ns) {
    fail(TERNRT_INVALID_MODEL, what + ": " + std::to_string(nz) + " quantization zero points for " + std::to_string(ns) + " scales");
  }
  for (size_t i = 0; i < ns; ++i) {
    const float s = q.scale()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (!std::isfinite(s) || !(s >= std::numeric_limits<float>::min())) {
      fail(TERNRT_INVALID_MODEL, what + ": quantization scale " + std::to_string(i) + " is " + std::to_string(s) +
                                     ", expected a finite, positive, normal number");
    }
  }
  for (size_t i = 0; i < nz; ++i) {
    const int64_t z = quantization_zero_point(q, i);
    if (z < -128 || z > 255) {
      fail(TERNRT_INVALID_MODEL, what + ": quantization zero point " + std::to_string(i) + " is " + std::to_string(z) +
                                     ", outside [-128, 255]");
    }
  }
}

// The static int8 range of an activation (docs/format.md): one scale, one int8 zero point.
void decode_act_quant(const std::string& what, const fb::Quantization& q, TensorDesc& d) {
  const size_t ns = q.scale() ? q.scale()->size() : 0;
  const size_t nz = q.zero_point() ? q.zero_point()->size() : 0;
  if (ns == 0) return;
  if (ns != 1 || q.axis() != -1) {
    fail(TERNRT_INVALID_MODEL, what + ": an activation's quantization must be per tensor (1 scale, axis -1), got " +
                                   std::to_string(ns) + " scales on axis " + std::to_string(q.axis()));
  }
  const int64_t z = nz == 0 ? 0 : quantization_zero_point(q, 0);
  if (z < -128 || z > 127) {
    fail(TERNRT_INVALID_MODEL, what + ": an activation's zero point must be in [-128, 127] (int8), got " + std::to_string(z));
  }
  d.act_scale = q.scale()->Get(0);
  d.act_zero_point = static_cast<int32_t>(z);
}

}  // namespace

std::string shape_str(const std::vector<int32_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

std::string TensorDesc::label(int index) const { return "tensor " + std::to_string(index) + " '" + name + "'"; }

std::string OpDesc::label() const {
  return "operator " + std::to_string(index) + " '" + name + "' (" + fb::EnumNameOpCode(opcode) + ")";
}

int64_t quantization_zero_point(const fb::Quantization& q, size_t i) {
  int64_t z;
  std::memcpy(&z, q.zero_point()->Data() + i * sizeof(int64_t), sizeof(z));
  return flatbuffers::EndianScalar(z);
}

Model::~Model() = default;

std::unique_ptr<Model> Model::load_file(const std::string& path) {
  std::unique_ptr<Model> m(new Model());
  m->source_ = path;
  m->file_ = std::make_unique<MappedFile>(path);
  m->data_ = m->file_->data();
  m->size_ = m->file_->size();
  m->verify_and_decode();
  return m;
}

std::unique_ptr<Model> Model::load_memory(const void* data, size_t size, const std::string& source) {
  if (data == nullptr && size != 0) fail(TERNRT_INVALID_ARGUMENT, source + ": null model buffer");
  std::unique_ptr<Model> m(new Model());
  m->source_ = source;
  m->data_ = static_cast<const uint8_t*>(data);
  m->size_ = size;
  m->verify_and_decode();
  return m;
}

const char* Model::metadata(const char* key) const {
  for (const auto& kv : metadata_) {
    if (kv.first == key) return kv.second.c_str();
  }
  return nullptr;
}

size_t Model::weight_bytes() const {
  size_t total = 0;
  for (const TensorDesc& t : tensors_) {
    if (t.ternary) total += t.ternary->stored_bytes + t.ternary->channel_scales.size() * sizeof(float);
    else if (t.data) total += t.bytes;
  }
  return total;
}

void Model::verify_and_decode() {
  verify_header();
  decode_tensors();
  decode_ops();
  check_graph_order();
}

void Model::verify_header() {
  if (size_ < 8) {
    fail(TERNRT_INVALID_MODEL, where() + "truncated (" + std::to_string(size_) + " bytes), expected a ternrt model");
  }
  if (!fb::ModelBufferHasIdentifier(data_)) {
    std::string id;
    for (int i = 4; i < 8; ++i) {
      char c = static_cast<char>(data_[i]);
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(data_[i]));  // hex, as the escape says
      id += (c >= 32 && c < 127) ? std::string(1, c) : std::string(hex);
    }
    fail(TERNRT_INVALID_MODEL, where() + "bad file identifier '" + id + "', expected '" +
                                   fb::ModelIdentifier() + "' (not a ternrt model)");
  }
  if (size_ >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    fail(TERNRT_INVALID_MODEL, where() + "file of " + std::to_string(size_) + " bytes exceeds the 2 GiB format limit");
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = 64;
  opts.max_tables = 4 * 1000 * 1000;
  opts.check_alignment = true;
  flatbuffers::Verifier verifier(data_, size_, opts);
  if (!fb::VerifyModelBuffer(verifier)) {
    fail(TERNRT_INVALID_MODEL, where() + "structurally invalid or truncated FlatBuffer (" + std::to_string(size_) +
                                   " bytes): offsets, sizes, strings or alignment out of bounds");
  }
  fb_ = fb::GetModel(data_);
  const fb::FormatVersion* v = fb_->version();
  if (v == nullptr) fail(TERNRT_INVALID_MODEL, where() + "missing format version");
  if (v->major() != TERNRT_FORMAT_VERSION_MAJOR) {
    fail(TERNRT_UNSUPPORTED, where() + "format version " + std::to_string(v->major()) + "." + std::to_string(v->minor()) +
                                 ", this runtime reads major version " + std::to_string(TERNRT_FORMAT_VERSION_MAJOR));
  }
  if (fb_->graph() == nullptr) fail(TERNRT_INVALID_MODEL, where() + "missing graph");
  const fb::Graph& g = *fb_->graph();
  if (g.tensors() == nullptr || g.operators() == nullptr || g.inputs() == nullptr || g.outputs() == nullptr) {
    fail(TERNRT_INVALID_MODEL, where() + "graph lacks tensors, operators, inputs or outputs");
  }
  if (g.tensors()->size() > kMaxTensors) {
    fail(TERNRT_OUT_OF_MEMORY, where() + std::to_string(g.tensors()->size()) + " tensors exceed the limit of " +
                                   std::to_string(kMaxTensors));
  }
  if (g.operators()->size() > kMaxOperators) {
    fail(TERNRT_OUT_OF_MEMORY, where() + std::to_string(g.operators()->size()) + " operators exceed the limit of " +
                                   std::to_string(kMaxOperators));
  }
  if (fb_->buffers() != nullptr && fb_->buffers()->size() > 0) {
    const fb::Buffer* b0 = fb_->buffers()->Get(0);
    if ((b0->data() && b0->data()->size() != 0) || b0->size() != 0) {
      fail(TERNRT_INVALID_MODEL, where() + "buffer 0 must be empty (it means 'no data')");
    }
  }
  if (fb_->metadata()) {
    for (const fb::MetadataEntry* e : *fb_->metadata()) {
      if (e->key() == nullptr) fail(TERNRT_INVALID_MODEL, where() + "metadata entry without a key");
      metadata_.emplace_back(e->key()->str(), e->value() ? e->value()->str() : "");
    }
  }
}

const uint8_t* Model::buffer_bytes(uint32_t index, size_t* size, const std::string& what) const {
  const auto* buffers = fb_->buffers();
  const size_t count = buffers ? buffers->size() : 0;
  if (index >= count) {
    fail(TERNRT_INVALID_MODEL, where() + what + " refers to buffer " + std::to_string(index) + ", but the model has " +
                                   std::to_string(count) + " buffers");
  }
  const fb::Buffer* b = buffers->Get(index);
  if (b->data() != nullptr && b->data()->size() > 0) {
    if (b->offset() != 0 || b->size() != 0) {
      fail(TERNRT_INVALID_MODEL, where() + what + ": buffer " + std::to_string(index) + " has both inline data and a file region");
    }
    *size = b->data()->size();
    return b->data()->data();
  }
  const uint64_t off = b->offset(), len = b->size();
  if (len == 0) {
    *size = 0;
    return nullptr;
  }
  // Written so that off + len cannot wrap.
  if (len > size_ || off > size_ - len) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": buffer " + std::to_string(index) + " region [" + std::to_string(off) +
                                   ", " + std::to_string(off) + "+" + std::to_string(len) + ") lies outside the file of " +
                                   std::to_string(size_) + " bytes");
  }
  if (off % 16 != 0) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": buffer " + std::to_string(index) + " offset " + std::to_string(off) +
                                   " is not 16-byte aligned");
  }
  *size = static_cast<size_t>(len);
  return data_ + off;
}

void Model::decode_tensors() {
  const auto& fts = *fb_->graph()->tensors();
  tensors_.resize(fts.size());
  for (size_t i = 0; i < fts.size(); ++i) {
    const fb::Tensor& t = *fts.Get(static_cast<flatbuffers::uoffset_t>(i));
    TensorDesc& d = tensors_[i];
    d.name = t.name() ? t.name()->str() : "#" + std::to_string(i);
    const std::string what = d.label(static_cast<int>(i));
    d.type = t.type();
    if (d.type < fb::TensorType::MIN || d.type > fb::TensorType::MAX) {
      fail(TERNRT_INVALID_MODEL, where() + what + " has unknown type " + std::to_string(static_cast<int>(d.type)));
    }
    if (t.shape() == nullptr) fail(TERNRT_INVALID_MODEL, where() + what + " has no shape");
    if (t.shape()->size() > kMaxRank) {
      fail(TERNRT_INVALID_MODEL, where() + what + " has rank " + std::to_string(t.shape()->size()) + ", the maximum is " +
                                     std::to_string(kMaxRank));
    }
    uint64_t elements = 1;  // 64-bit on every target, so the limit and the messages do not depend on size_t
    for (int32_t dim : *t.shape()) {
      d.shape.push_back(dim);
      if (dim <= 0) fail(TERNRT_INVALID_MODEL, where() + what + " has shape " + shape_str(d.shape) + "...: dimensions must be >= 1");
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dim), &elements) || elements > kMaxElements) {
        fail(TERNRT_INVALID_MODEL, where() + what + ": element count of shape overflows (" + shape_str(d.shape) + "...)");
      }
    }
    if (elements > SIZE_MAX) {
      fail(TERNRT_INVALID_MODEL, where() + what + ": shape " + shape_str(d.shape) + " has more elements than this platform can address");
    }
    d.elements = static_cast<size_t>(elements);
    if (t.quantization() != nullptr) check_quantization(where() + what, *t.quantization(), d.shape);
    if (t.quantization() != nullptr && t.buffer() == 0 && d.type == fb::TensorType::F32) decode_act_quant(where() + what, *t.quantization(), d);
    if (d.type == fb::TensorType::TERNARY2) {
      decode_ternary(static_cast<int>(i), t, d);
      continue;
    }
    if (t.ternary() != nullptr) fail(TERNRT_INVALID_MODEL, where() + what + " has ternary weights but type " + fb::EnumNameTensorType(d.type));
    if (mul_overflows(elements, type_size(d.type), &d.bytes)) {  // possible on 32-bit targets
      fail(TERNRT_INVALID_MODEL, where() + what + ": byte size of shape " + shape_str(d.shape) + " overflows");
    }
    if (t.buffer() != 0) {
      size_t size = 0;
      const uint8_t* bytes = buffer_bytes(t.buffer(), &size, what);
      if (size != d.bytes) {
        fail(TERNRT_INVALID_MODEL, where() + what + " of shape " + shape_str(d.shape) + " and type " +
                                       fb::EnumNameTensorType(d.type) + " needs " + std::to_string(d.bytes) +
                                       " bytes, but buffer " + std::to_string(t.buffer()) + " has " + std::to_string(size));
      }
      if (reinterpret_cast<uintptr_t>(bytes) % 4 != 0) {
        fail(TERNRT_INVALID_MODEL, where() + what + ": constant data is not 4-byte aligned");
      }
      d.data = bytes;
      if (d.type == fb::TensorType::F32) {
        const float* f = reinterpret_cast<const float*>(bytes);
        for (size_t e = 0; e < elements; ++e) {
          if (!std::isfinite(f[e])) {
            fail(TERNRT_INVALID_MODEL, where() + what + " has a non-finite value at element " + std::to_string(e));
          }
        }
      }
    }
  }
}

void Model::decode_ternary(int index, const fb::Tensor& t, TensorDesc& d) {
  const std::string what = d.label(index);
  const fb::TernaryWeights* tw = t.ternary();
  if (tw == nullptr) fail(TERNRT_INVALID_MODEL, where() + what + " has type TERNARY2 but no ternary weights table");
  if (t.buffer() != 0) fail(TERNRT_INVALID_MODEL, where() + what + ": TERNARY2 data must be in ternary.buffer, not tensor.buffer");
  auto desc = std::make_unique<TernaryDesc>();
  if (tw->logical_shape() == nullptr || tw->logical_shape()->size() < 2) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": ternary logical_shape must have rank >= 2 ((N, K) or (OC, KH, KW, IC))");
  }
  for (int32_t dim : *tw->logical_shape()) desc->logical_shape.push_back(dim);
  if (desc->logical_shape != d.shape) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": ternary logical_shape " + shape_str(desc->logical_shape) +
                                   " differs from the tensor shape " + shape_str(d.shape));
  }
  desc->n = static_cast<size_t>(d.shape[0]);
  desc->k = d.elements / desc->n;
  desc->method = tw->method();
  if (desc->method < fb::TernaryMethod::MIN || desc->method > fb::TernaryMethod::MAX) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": unknown ternary method " + std::to_string(static_cast<int>(desc->method)));
  }
  desc->packing = tw->packing();
  trits::Format format;
  if (desc->packing == fb::TritPacking::CANONICAL_2BIT) format = trits::Format::canonical_2bit;
  else if (desc->packing == fb::TritPacking::BASE3_5PER_BYTE) format = trits::Format::base3_5per_byte;
  else fail(TERNRT_INVALID_MODEL, where() + what + ": unknown trit packing " + std::to_string(static_cast<int>(desc->packing)));

  // The packed codes first: their size bounds n by the file's size, before n floats are allocated
  // for the expanded scales (a tiny hostile file could otherwise ask for gigabytes).
  size_t expected = 0;
  if (!trits::packed_bytes(format, desc->n, desc->k, &expected)) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": packed size overflows");
  }
  size_t size = 0;
  const uint8_t* packed = buffer_bytes(tw->buffer(), &size, what);
  if (size != expected) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": packed codes have " + std::to_string(size) + " bytes, expected " +
                                   std::to_string(expected) + " for " + std::to_string(desc->n) + " rows of " +
                                   std::to_string(desc->k) + " trits in " + trits::traits(format).name + " packing");
  }
  desc->stored_bytes = size;

  const auto* scales = tw->scales();
  const size_t ns = scales ? scales->size() : 0;
  if (ns != 1 && ns != desc->n) {
    fail(TERNRT_INVALID_MODEL, where() + what + " has " + std::to_string(ns) + " scales, expected 1 or " + std::to_string(desc->n) +
                                   " (one per output channel)");
  }
  desc->channel_scales.resize(desc->n);
  for (size_t c = 0; c < desc->n; ++c) {
    const float s = scales->Get(static_cast<flatbuffers::uoffset_t>(ns == 1 ? 0 : c));
    if (!std::isfinite(s) || !(s >= std::numeric_limits<float>::min())) {
      fail(TERNRT_INVALID_MODEL, where() + what + ": scale " + std::to_string(ns == 1 ? 0 : c) + " is " + std::to_string(s) +
                                     ", expected a finite, positive, normal number");
    }
    desc->channel_scales[c] = s;
  }

  size_t bad_row = 0, bad_byte = 0;
  if (!trits::validate(format, packed, desc->n, desc->k, &bad_row, &bad_byte)) {
    fail(TERNRT_INVALID_MODEL, where() + what + ": invalid trit code in row " + std::to_string(bad_row) + ", byte " +
                                   std::to_string(bad_byte) + (format == trits::Format::canonical_2bit
                                                                   ? " (2-bit code 0b11 is not a trit)"
                                                                   : " (base-3 byte above 242)"));
  }
  if (format == trits::Format::canonical_2bit) {
    desc->codes = packed;
  } else {
    desc->decoded.resize(desc->n * trits::row_bytes(trits::Format::canonical_2bit, desc->k));
    trits::base3_to_canonical(packed, desc->n, desc->k, desc->decoded.data());
    desc->codes = desc->decoded.data();
  }
  d.ternary = std::move(desc);
}

void Model::decode_ops() {
  const auto& fops = *fb_->graph()->operators();
  const int ntensors = static_cast<int>(tensors_.size());
  ops_.resize(fops.size());
  for (size_t i = 0; i < fops.size(); ++i) {
    const fb::Operator* o = fops.Get(static_cast<flatbuffers::uoffset_t>(i));
    OpDesc& d = ops_[i];
    d.index = static_cast<int>(i);
    d.fb = o;
    d.opcode = o->opcode();
    d.name = o->name() ? o->name()->str() : "";
    if (find_op_spec(d.opcode) == nullptr) {
      fail(TERNRT_UNSUPPORTED, where() + "operator " + std::to_string(i) + " '" + d.name + "': unsupported opcode " +
                                   std::to_string(static_cast<int>(d.opcode)) + " (this runtime knows 0.." +
                                   std::to_string(static_cast<int>(fb::OpCode::MAX)) + ")");
    }
    auto read = [&](const flatbuffers::Vector<int32_t>* v, std::vector<int>& out, const char* role, bool allow_absent) {
      if (v == nullptr) fail(TERNRT_INVALID_MODEL, where() + d.label() + " has no " + role + " list");
      if (v->size() > kMaxOpInputs) fail(TERNRT_INVALID_MODEL, where() + d.label() + " has too many " + role);
      for (size_t j = 0; j < v->size(); ++j) {
        const int32_t idx = v->Get(static_cast<flatbuffers::uoffset_t>(j));
        if (idx == -1 && allow_absent) {
          out.push_back(-1);
          continue;
        }
        if (idx < 0 || idx >= ntensors) {
          fail(TERNRT_INVALID_MODEL, where() + d.label() + " " + role + " " + std::to_string(j) + ": tensor index " +
                                         std::to_string(idx) + " out of range [0, " + std::to_string(ntensors) + ")");
        }
        out.push_back(idx);
      }
    };
    read(o->inputs(), d.inputs, "inputs", true);
    read(o->outputs(), d.outputs, "outputs", false);
    for (int out : d.outputs) {
      for (int in : d.inputs) {
        if (in == out) {
          fail(TERNRT_INVALID_MODEL, where() + d.label() + ": " + tensors_[out].label(out) + " is both an input and an output");
        }
      }
      if (tensors_[out].is_constant()) {
        fail(TERNRT_INVALID_MODEL, where() + d.label() + ": output " + tensors_[out].label(out) + " is a constant");
      }
    }
  }
}

void Model::check_graph_order() {
  const fb::Graph& g = *fb_->graph();
  const int ntensors = static_cast<int>(tensors_.size());
  std::vector<char> available(tensors_.size(), 0);
  for (int i = 0; i < ntensors; ++i) available[i] = tensors_[i].is_constant();
  auto read_io = [&](const flatbuffers::Vector<int32_t>& v, std::vector<int>& out, const char* role) {
    for (size_t j = 0; j < v.size(); ++j) {
      const int32_t idx = v.Get(static_cast<flatbuffers::uoffset_t>(j));
      if (idx < 0 || idx >= ntensors) {
        fail(TERNRT_INVALID_MODEL, where() + "graph " + role + " " + std::to_string(j) + ": tensor index " + std::to_string(idx) +
                                       " out of range [0, " + std::to_string(ntensors) + ")");
      }
      out.push_back(idx);
    }
  };
  read_io(*g.inputs(), inputs_, "input");
  read_io(*g.outputs(), outputs_, "output");
  if (inputs_.empty() || outputs_.empty()) fail(TERNRT_INVALID_MODEL, where() + "graph needs at least one input and one output");
  std::unordered_set<int> seen;
  for (int idx : inputs_) {
    const TensorDesc& t = tensors_[idx];
    if (t.is_constant()) fail(TERNRT_INVALID_MODEL, where() + "graph input " + t.label(idx) + " is a constant");
    if (t.type != fb::TensorType::F32) {
      fail(TERNRT_UNSUPPORTED, where() + "graph input " + t.label(idx) + " has type " + fb::EnumNameTensorType(t.type) + ", expected F32");
    }
    if (!seen.insert(idx).second) fail(TERNRT_INVALID_MODEL, where() + "graph input " + t.label(idx) + " is listed twice");
    available[idx] = 1;
  }
  for (const OpDesc& op : ops_) {
    for (size_t j = 0; j < op.inputs.size(); ++j) {
      const int idx = op.inputs[j];
      if (idx >= 0 && !available[idx]) {
        fail(TERNRT_INVALID_MODEL, where() + op.label() + " input " + std::to_string(j) + " reads " + tensors_[idx].label(idx) +
                                       " before any operator produces it (operators must be in topological order)");
      }
    }
    for (int idx : op.outputs) {
      if (available[idx]) {
        fail(TERNRT_INVALID_MODEL, where() + op.label() + " writes " + tensors_[idx].label(idx) +
                                       ", which is already a graph input or produced by an earlier operator");
      }
      available[idx] = 1;
    }
    find_op_spec(op.opcode)->check(*this, op);
  }
  seen.clear();
  for (int idx : outputs_) {
    if (!available[idx] || tensors_[idx].is_constant()) {
      fail(TERNRT_INVALID_MODEL, where() + "graph output " + tensors_[idx].label(idx) + " is never produced by an operator");
    }
    if (!seen.insert(idx).second) fail(TERNRT_INVALID_MODEL, where() + "graph output " + tensors_[idx].label(idx) + " is listed twice");
    if (tensors_[idx].type != fb::TensorType::F32) {
      fail(TERNRT_UNSUPPORTED, where() + "graph output " + tensors_[idx].label(idx) + " must be F32");
    }
  }
}

}  // namespace ternrt
