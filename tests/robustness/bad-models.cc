#include "bad-models.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>

#include "../runtime/model-builder.h"
#include "trit-formats.h"

namespace ternrt::robustness {

using test::ModelBuilder;

namespace {

constexpr ternrt_status kInvalid = TERNRT_INVALID_MODEL;

// x (1,4,4,3) -> ternary 3x3 conv, pad 1 (5 out) + bias -> y (1,4,4,5).
// Tensors: 0 x, 1 w, 2 b, 3 y. Buffers: 0 empty, 1 packed w (5 rows x 7 bytes), 2 bias.
ModelBuilder conv_model() {
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 4, 4, 3});
  std::vector<int8_t> trits(5 * 27);
  for (size_t i = 0; i < trits.size(); ++i) trits[i] = static_cast<int8_t>(static_cast<int>(i % 3) - 1);
  const int w = mb.ternary("w", {5, 3, 3, 3}, trits, {0.5f, 0.25f, 1.0f, 2.0f, 0.125f});
  const int b = mb.constant("b", {5}, {0, 1, 2, 3, 4});
  const int y = mb.activation("y", {1, 4, 4, 5});
  mb.op(fb::OpCode::CONV_2D, {x, w, b}, {y}, test::conv_options(1, 1, 1, 1, 1));
  mb.inputs({x});
  mb.outputs({y});
  return mb;
}

// conv_model followed by a ReLU: ... -> y -> ACTIVATION -> z (tensor 4).
ModelBuilder chain_model() {
  ModelBuilder mb = conv_model();
  const int z = mb.activation("z", {1, 4, 4, 5});
  fb::ActivationOptionsT o;
  o.activation = std::make_unique<fb::FusedActivationT>();
  o.activation->type = fb::Activation::RELU;
  mb.op(fb::OpCode::ACTIVATION, {3}, {z}, test::options(std::move(o)));
  mb.outputs({z});
  return mb;
}

// x (1,4,4,5) -> op -> y with the given options; for single-input operator parameter cases.
ModelBuilder unary_model(fb::OpCode code, fb::OperatorOptionsUnion options, std::vector<int32_t> out_shape,
                         std::vector<int32_t> in_shape = {1, 4, 4, 5}) {
  ModelBuilder mb;
  const int x = mb.activation("x", std::move(in_shape));
  const int y = mb.activation("y", std::move(out_shape));
  mb.op(code, {x}, {y}, std::move(options));
  mb.inputs({x});
  mb.outputs({y});
  return mb;
}

fb::OperatorOptionsUnion pool_options(int kernel, int stride, int pad) {
  fb::Pool2DOptionsT o;
  o.kernel_h = o.kernel_w = kernel;
  o.stride_h = o.stride_w = stride;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = pad;
  return test::options(std::move(o));
}

// Replaces the canonical codes of ternary tensor `t` (built by ModelBuilder::ternary) by the
// 5-trits-per-byte packing of the same trits.
void repack_base3(ModelBuilder& mb, int t) {
  fb::TensorT& tensor = *mb.model().graph->tensors[t];
  const size_t n = tensor.shape[0], k = [&] {
    size_t e = 1;
    for (size_t i = 1; i < tensor.shape.size(); ++i) e *= tensor.shape[i];
    return e;
  }();
  std::vector<uint8_t>& data = mb.model().buffers[tensor.ternary->buffer]->data;
  std::vector<int8_t> trits(n * k);
  if (!trits::unpack(trits::Format::canonical_2bit, data.data(), n, k, trits.data())) throw std::logic_error("bad codes");
  size_t bytes = 0;
  trits::packed_bytes(trits::Format::base3_5per_byte, n, k, &bytes);
  data.assign(bytes, 0);
  trits::pack(trits::Format::base3_5per_byte, trits.data(), n, k, data.data());
  tensor.ternary->packing = fb::TritPacking::BASE3_5PER_BYTE;
}

// conv_model with the packed codes of w moved out of the FlatBuffer into a 64-byte aligned
// region after it (Buffer.offset/size). Returns the bytes; *region_offset receives the offset.
std::vector<uint8_t> region_model(uint64_t* region_offset) {
  ModelBuilder mb = conv_model();
  fb::BufferT& buf = *mb.model().buffers[1];
  const std::vector<uint8_t> codes = buf.data;
  buf.data.clear();
  buf.offset = 64;  // non-default so the field is present in both passes and the size is stable
  buf.size = codes.size();
  const size_t fb_size = mb.finish().size();
  const uint64_t offset = (fb_size + 63) / 64 * 64;
  buf.offset = offset;
  std::vector<uint8_t> bytes = mb.finish();
  if (bytes.size() != fb_size) throw std::logic_error("region model size changed");
  bytes.resize(offset, 0);
  bytes.insert(bytes.end(), codes.begin(), codes.end());
  *region_offset = offset;
  return bytes;
}

// Byte offset of `p` inside `bytes`.
size_t offset_of(const std::vector<uint8_t>& bytes, const void* p) {
  return static_cast<size_t>(static_cast<const uint8_t*>(p) - bytes.data());
}

void put_u32(std::vector<uint8_t>& bytes, size_t at, uint32_t v) {
  if (at > bytes.size() || bytes.size() - at < 4) throw std::logic_error("put_u32 outside the model");
  std::memcpy(bytes.data() + at, &v, 4);
}

// A model whose graph has `count` entries in the tensors or operators vector, all offsets to one
// shared table: tiny per entry, so limits on counts can be reached with a few megabytes.
std::vector<uint8_t> many_entries_model(size_t count, bool operators) {
  flatbuffers::FlatBufferBuilder b(count * 4 + 1024);
  const auto shape = b.CreateVector(std::vector<int32_t>{1});
  const auto tensor = fb::CreateTensor(b, b.CreateString("t"), shape);
  const auto io = b.CreateVector(std::vector<int32_t>{0});
  const auto relu = fb::CreateActivationOptions(b, fb::CreateFusedActivation(b, fb::Activation::RELU));
  const auto op = fb::CreateOperator(b, fb::OpCode::ACTIVATION, io, io, fb::OperatorOptions::ActivationOptions, relu.Union());
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors(operators ? 1 : count, tensor);
  std::vector<flatbuffers::Offset<fb::Operator>> ops(operators ? count : 1, op);
  const auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(ops), io, io);
  const fb::FormatVersion version(1, 0);
  b.Finish(fb::CreateModel(b, &version, b.CreateString("robustness"), graph), fb::ModelIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

class Cases {
 public:
  std::vector<BadModel> list;

  void add(const std::string& klass, const std::string& what, std::vector<uint8_t> bytes, ternrt_status status,
           const std::string& fragment, uint64_t max_arena = 0, bool in_corpus = true) {
    BadModel m;
    m.klass = klass;
    m.name = klass + "-" + what;
    m.bytes = std::move(bytes);
    m.status = status;
    m.fragment = fragment;
    m.max_arena_bytes = max_arena;
    m.in_corpus = in_corpus;
    list.push_back(std::move(m));
  }
  // A ModelBuilder-made model corrupted at the object level.
  void edit(const std::string& klass, const std::string& what, ModelBuilder mb, const std::function<void(fb::ModelT&)>& corrupt,
            ternrt_status status, const std::string& fragment, uint64_t max_arena = 0) {
    corrupt(mb.model());
    add(klass, what, mb.finish(), status, fragment, max_arena);
  }
};

fb::Conv2DOptionsT& conv_opts(fb::ModelT& m, size_t op = 0) { return *m.graph->operators[op]->options.AsConv2DOptions(); }

}  // namespace

const std::vector<std::string>& bad_model_classes() {
  static const std::vector<std::string> classes = {
      "truncated", "identifier", "version", "verifier",   "index",  "buffer",   "shape",    "packed-length",
      "trit-code", "scale",      "region",  "enum",       "graph",  "op-param", "resource",
  };
  return classes;
}

std::vector<uint8_t> sweep_model(bool static_ranges) {
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 4, 4, 4});
  std::vector<int8_t> t1(8 * 36);
  for (size_t i = 0; i < t1.size(); ++i) t1[i] = static_cast<int8_t>(static_cast<int>((i * 7 + i / 5) % 3) - 1);
  const int w1 = mb.ternary("conv1.w", {8, 3, 3, 4}, t1, {0.5f, 0.25f, 1.0f, 2.0f, 0.125f, 0.75f, 1.5f, 0.3f});
  const int b1 = mb.constant("conv1.b", {8}, {0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f});
  const int a = mb.activation("conv1.y", {1, 4, 4, 8});
  mb.op(fb::OpCode::CONV_2D, {x, w1, b1}, {a}, test::conv_options(1, 1, 1, 1, 1, 1, 1, fb::Activation::RELU));
  std::vector<float> w2(8 * 4);
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = static_cast<float>(static_cast<int>(i % 9) - 4) * 0.125f;
  const int wf = mb.constant("conv2.w", {8, 1, 1, 4}, w2);
  const int c = mb.activation("conv2.y", {1, 4, 4, 8});
  mb.op(fb::OpCode::CONV_2D, {x, wf, -1}, {c}, test::conv_options(1, 0, 0, 0, 0));
  const int s = mb.activation("sum", {1, 4, 4, 8});
  mb.op(fb::OpCode::ADD, {a, c}, {s}, test::options(fb::ElementwiseOptionsT{}));
  const int p = mb.activation("pool", {1, 2, 2, 8});
  mb.op(fb::OpCode::MAX_POOL_2D, {s}, {p}, pool_options(2, 2, 0));
  std::vector<int8_t> t3(6 * 32);
  for (size_t i = 0; i < t3.size(); ++i) t3[i] = static_cast<int8_t>(static_cast<int>((i * 5 + i / 3) % 3) - 1);
  const int w3 = mb.ternary("fc.w", {6, 32}, t3, {0.5f});
  repack_base3(mb, w3);
  const int b3 = mb.constant("fc.b", {6}, {1, 2, 3, 4, 5, 6});
  const int y = mb.activation("logits", {1, 6});
  mb.op(fb::OpCode::FULLY_CONNECTED, {p, w3, b3}, {y}, test::fc_options());
  mb.inputs({x});
  mb.outputs({y});
  if (static_ranges) {
    for (int t : {a, c, s, p}) {
      auto q = std::make_unique<fb::QuantizationT>();
      q->scale = {0.05f};
      q->zero_point = {-20};
      mb.model().graph->tensors[t]->quantization = std::move(q);
    }
  }
  return mb.finish();
}

std::vector<BadModel> bad_models() {
  Cases c;
  const std::vector<uint8_t> good = conv_model().finish();
  const std::string n_good = std::to_string(good.size());

  // Control models: valid, must load, create and run.
  c.add("valid", "conv", good, TERNRT_OK, "");
  c.add("valid", "sweep", sweep_model(), TERNRT_OK, "");
  c.edit("valid", "minor-version-99", conv_model(), [](fb::ModelT& m) { m.version = std::make_unique<fb::FormatVersion>(1, 99); },
         TERNRT_OK, "");
  c.edit("valid", "no-bias", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[2] = -1; }, TERNRT_OK, "");
  c.edit("valid", "unused-graph-input", conv_model(),
         [](fb::ModelT& m) {
           auto t = std::make_unique<fb::TensorT>();
           t->name = "unused";
           t->shape = {2, 3};
           m.graph->tensors.push_back(std::move(t));
           m.graph->inputs.push_back(4);
         },
         TERNRT_OK, "");
  {
    uint64_t off = 0;
    c.add("valid", "weights-in-file-region", region_model(&off), TERNRT_OK, "");
  }

  // 1. Empty or truncated files. (Every length of the sweep model: test-mutation-sweep.cc.)
  c.add("truncated", "empty", {}, kInvalid, "(0 bytes)");
  c.add("truncated", "7-bytes", std::vector<uint8_t>(good.begin(), good.begin() + 7), kInvalid, "truncated (7 bytes)");
  c.add("truncated", "header-only", std::vector<uint8_t>(good.begin(), good.begin() + 8), kInvalid,
        "structurally invalid or truncated FlatBuffer (8 bytes)");
  c.add("truncated", "mid-table", std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2), kInvalid,
        "structurally invalid or truncated FlatBuffer (" + std::to_string(good.size() / 2) + " bytes)");
  c.add("truncated", "three-quarters", std::vector<uint8_t>(good.begin(), good.begin() + good.size() * 3 / 4), kInvalid,
        "structurally invalid or truncated FlatBuffer (" + std::to_string(good.size() * 3 / 4) + " bytes)");
  {
    uint64_t off = 0;
    std::vector<uint8_t> r = region_model(&off);
    r.resize(off + 20);  // cut inside the weight blob
    c.add("truncated", "inside-weight-region", r, kInvalid,
          "tensor 1 'w': buffer 1 region [" + std::to_string(off) + ", " + std::to_string(off) + "+35) lies outside the file of " +
              std::to_string(r.size()) + " bytes");
  }

  // 2. File identifier.
  {
    std::vector<uint8_t> b = good;
    std::memcpy(b.data() + 4, "TFL3", 4);
    c.add("identifier", "tflite", b, kInvalid, "bad file identifier 'TFL3', expected 'TRNT' (not a ternrt model)");
    const uint8_t junk[4] = {0xde, 0xad, 0xbe, 0xef};
    std::memcpy(b.data() + 4, junk, 4);
    c.add("identifier", "random", b, kInvalid, "bad file identifier '\\xde\\xad\\xbe\\xef', expected 'TRNT'");
    b = good;
    b.insert(b.begin() + 4, 4, 0);  // the identifier now sits at offset 8
    c.add("identifier", "wrong-offset", b, kInvalid, "bad file identifier '\\x00\\x00\\x00\\x00', expected 'TRNT'");
    b = good;
    std::memcpy(b.data() + 4, "trnt", 4);
    c.add("identifier", "lower-case", b, kInvalid, "bad file identifier 'trnt', expected 'TRNT'");
  }

  // 3. Format version.
  c.edit("version", "major-2", conv_model(), [](fb::ModelT& m) { m.version = std::make_unique<fb::FormatVersion>(2, 0); },
         TERNRT_UNSUPPORTED, "format version 2.0, this runtime reads major version 1");
  c.edit("version", "major-0", conv_model(), [](fb::ModelT& m) { m.version = std::make_unique<fb::FormatVersion>(0, 7); },
         TERNRT_UNSUPPORTED, "format version 0.7, this runtime reads major version 1");
  c.edit("version", "major-65535", conv_model(), [](fb::ModelT& m) { m.version = std::make_unique<fb::FormatVersion>(65535, 0); },
         TERNRT_UNSUPPORTED, "format version 65535.0, this runtime reads major version 1");
  c.edit("version", "missing", conv_model(), [](fb::ModelT& m) { m.version.reset(); }, kInvalid, "missing format version");

  // 4. Structurally bad FlatBuffers (the verifier), and verifier limits.
  {
    const fb::Model* root = fb::GetModel(good.data());
    const std::string invalid = "structurally invalid or truncated FlatBuffer (" + n_good + " bytes)";
    std::vector<uint8_t> b = good;
    put_u32(b, 0, 0xffffff00u);
    c.add("verifier", "root-offset-outside", b, kInvalid, invalid);
    b = good;
    put_u32(b, 0, static_cast<uint32_t>(good.size() - 2));
    c.add("verifier", "root-offset-near-end", b, kInvalid, invalid);
    b = good;
    uint32_t root_off;
    std::memcpy(&root_off, good.data(), 4);
    put_u32(b, 0, root_off + 1);
    c.add("verifier", "root-misaligned", b, kInvalid, invalid);
    b = good;
    put_u32(b, root_off, 0x7ffffff0u);  // soffset to the vtable far outside
    c.add("verifier", "vtable-outside", b, kInvalid, invalid);
    b = good;
    put_u32(b, offset_of(good, root->graph()->tensors()), 0x0fffffffu);
    c.add("verifier", "vector-length-past-end", b, kInvalid, invalid);
    b = good;
    put_u32(b, offset_of(good, root->graph()->tensors()), 0xffffffffu);
    c.add("verifier", "vector-length-max", b, kInvalid, invalid);
    b = good;
    b[offset_of(good, root->producer()->c_str()) + root->producer()->size()] = 'x';
    c.add("verifier", "string-unterminated", b, kInvalid, invalid);
    b = good;
    put_u32(b, offset_of(good, root->producer()), 0x10000000u);
    c.add("verifier", "string-length-past-end", b, kInvalid, invalid);
    // 4M + 1 operator entries (one shared table): the verifier's table budget (max_tables).
    const size_t over_tables = 4 * 1000 * 1000 + 1;
    const std::vector<uint8_t> many = many_entries_model(over_tables, true);
    c.add("verifier", "max-tables", many, kInvalid,
          "structurally invalid or truncated FlatBuffer (" + std::to_string(many.size()) + " bytes)", 0, false);
  }

  // 5. Tensor indices.
  c.edit("index", "op-input-999", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[0] = 999; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D) inputs 0: tensor index 999 out of range [0, 4)");
  c.edit("index", "op-input-negative", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[1] = -7; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D) inputs 1: tensor index -7 out of range [0, 4)");
  c.edit("index", "op-input-int-min", conv_model(),
         [](fb::ModelT& m) { m.graph->operators[0]->inputs[2] = std::numeric_limits<int32_t>::min(); }, kInvalid,
         "inputs 2: tensor index -2147483648 out of range [0, 4)");
  c.edit("index", "op-input-equals-count", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[0] = 4; }, kInvalid,
         "inputs 0: tensor index 4 out of range [0, 4)");
  c.edit("index", "required-input-absent", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[0] = -1; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): input 0 is required but absent (-1)");
  c.edit("index", "required-weights-absent", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[1] = -1; }, kInvalid,
         "input 1 is required but absent (-1)");
  c.edit("index", "op-output-absent", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->outputs[0] = -1; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D) outputs 0: tensor index -1 out of range [0, 4)");
  c.edit("index", "graph-input-out-of-range", conv_model(), [](fb::ModelT& m) { m.graph->inputs[0] = 4; }, kInvalid,
         "graph input 0: tensor index 4 out of range [0, 4)");
  c.edit("index", "graph-input-negative", conv_model(), [](fb::ModelT& m) { m.graph->inputs[0] = -1; }, kInvalid,
         "graph input 0: tensor index -1 out of range [0, 4)");
  c.edit("index", "graph-output-out-of-range", conv_model(), [](fb::ModelT& m) { m.graph->outputs[0] = 12; }, kInvalid,
         "graph output 0: tensor index 12 out of range [0, 4)");
  c.edit("index", "too-many-op-inputs", conv_model(),
         [](fb::ModelT& m) { m.graph->operators[0]->inputs.assign(65, 0); }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D) has too many inputs");

  // 6. Buffer references.
  c.edit("buffer", "index-out-of-range", conv_model(), [](fb::ModelT& m) { m.graph->tensors[2]->buffer = 42; }, kInvalid,
         "tensor 2 'b' refers to buffer 42, but the model has 3 buffers");
  c.edit("buffer", "ternary-index-out-of-range", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary->buffer = 0xffffffffu; },
         kInvalid, "tensor 1 'w' refers to buffer 4294967295, but the model has 3 buffers");
  c.edit("buffer", "buffer0-data", conv_model(), [](fb::ModelT& m) { m.buffers[0]->data = {1, 2, 3}; }, kInvalid,
         "buffer 0 must be empty (it means 'no data')");
  c.edit("buffer", "buffer0-region", conv_model(), [](fb::ModelT& m) { m.buffers[0]->size = 16; }, kInvalid, "buffer 0 must be empty");
  c.edit("buffer", "constant-empty-buffer", conv_model(),
         [](fb::ModelT& m) {
           m.buffers.push_back(std::make_unique<fb::BufferT>());
           m.graph->tensors[2]->buffer = 3;
         },
         kInvalid, "tensor 2 'b' of shape (5) and type F32 needs 20 bytes, but buffer 3 has 0");
  c.edit("buffer", "ternary-null-buffer", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary->buffer = 0; }, kInvalid,
         "tensor 1 'w': packed codes have 0 bytes, expected 35 for 5 rows of 27 trits");
  c.edit("buffer", "size-mismatch", conv_model(), [](fb::ModelT& m) { m.buffers[2]->data.resize(24); }, kInvalid,
         "tensor 2 'b' of shape (5) and type F32 needs 20 bytes, but buffer 2 has 24");
  c.edit("buffer", "ternary-in-tensor-buffer", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->buffer = 2; }, kInvalid,
         "tensor 1 'w': TERNARY2 data must be in ternary.buffer, not tensor.buffer");
  c.edit("buffer", "inline-and-region", conv_model(),
         [](fb::ModelT& m) {
           m.buffers[2]->offset = 0;
           m.buffers[2]->size = 20;
         },
         kInvalid, "tensor 2 'b': buffer 2 has both inline data and a file region");
  c.edit("buffer", "ternary-data-on-float", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[2]->ternary = std::make_unique<fb::TernaryWeightsT>(); }, kInvalid,
         "tensor 2 'b' has ternary weights but type F32");

  // 7. Shapes.
  c.edit("shape", "negative-dim", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->shape = {1, -4, 4, 3}; }, kInvalid,
         "tensor 0 'x' has shape (1, -4)...: dimensions must be >= 1");
  c.edit("shape", "zero-dim", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->shape = {1, 4, 0, 3}; }, kInvalid,
         "tensor 0 'x' has shape (1, 4, 0)...: dimensions must be >= 1");
  c.edit("shape", "rank-9", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->shape.assign(9, 1); }, kInvalid,
         "tensor 0 'x' has rank 9, the maximum is 8");
  c.edit("shape", "missing", conv_model(), [](fb::ModelT& m) { m.graph->tensors[3]->shape.clear(); }, kInvalid,
         "tensor 3 'y' has no shape");
  c.edit("shape", "element-overflow", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[0]->shape = {65536, 65536, 65536, 65536}; }, kInvalid,
         "tensor 0 'x': element count of shape overflows ((65536, 65536, 65536)...)");
  c.edit("shape", "int32-max-dims", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[3]->shape = {2147483647, 2147483647, 2147483647, 5}; }, kInvalid,
         "tensor 3 'y': element count of shape overflows ((2147483647, 2147483647)...)");
  c.edit("shape", "output-mismatch", conv_model(), [](fb::ModelT& m) { m.graph->tensors[3]->shape = {1, 4, 4, 6}; }, kInvalid,
         "output tensor 3 'y' has shape (1, 4, 4, 6), expected (1, 4, 4, 5) from the inputs and options");
  c.edit("shape", "input-rank", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->shape = {4, 4, 3}; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): input 'x' has shape (4, 4, 3), expected rank 4");
  c.edit("shape", "bias-shape", conv_model(),
         [](fb::ModelT& m) {
           m.graph->tensors[2]->shape = {1, 5};
         },
         kInvalid, "bias 'b' must be a constant of shape (5), got (1, 5)");

  // 8. Packed ternary length.
  c.edit("packed-length", "one-byte-short", conv_model(), [](fb::ModelT& m) { m.buffers[1]->data.pop_back(); }, kInvalid,
         "tensor 1 'w': packed codes have 34 bytes, expected 35 for 5 rows of 27 trits in");
  c.edit("packed-length", "one-byte-long", conv_model(), [](fb::ModelT& m) { m.buffers[1]->data.push_back(0x55); }, kInvalid,
         "tensor 1 'w': packed codes have 36 bytes, expected 35 for 5 rows of 27 trits in");
  c.edit("packed-length", "base3-declared-canonical-data", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[1]->ternary->packing = fb::TritPacking::BASE3_5PER_BYTE; }, kInvalid,
         "tensor 1 'w': packed codes have 35 bytes, expected 30 for 5 rows of 27 trits in");
  c.edit("packed-length", "logical-shape-differs", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[1]->ternary->logical_shape = {5, 27}; }, kInvalid,
         "tensor 1 'w': ternary logical_shape (5, 27) differs from the tensor shape (5, 3, 3, 3)");
  c.edit("packed-length", "logical-shape-missing", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[1]->ternary->logical_shape.clear(); }, kInvalid,
         "tensor 1 'w': ternary logical_shape must have rank >= 2");
  c.edit("packed-length", "no-ternary-table", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary.reset(); }, kInvalid,
         "tensor 1 'w' has type TERNARY2 but no ternary weights table");

  // 9. Invalid trit codes.
  c.edit("trit-code", "0b11-in-row", conv_model(), [](fb::ModelT& m) { m.buffers[1]->data[9] |= 0x0c; }, kInvalid,
         "tensor 1 'w': invalid trit code in row 1, byte 2 (2-bit code 0b11 is not a trit)");
  c.edit("trit-code", "0b11-in-row-padding", conv_model(), [](fb::ModelT& m) { m.buffers[1]->data[6] |= 0xc0; }, kInvalid,
         "tensor 1 'w': invalid trit code in row 0, byte 6 (2-bit code 0b11 is not a trit)");
  c.edit("trit-code", "all-0xff", conv_model(), [](fb::ModelT& m) { m.buffers[1]->data.assign(35, 0xff); }, kInvalid,
         "tensor 1 'w': invalid trit code in row 0, byte 0");
  {
    ModelBuilder mb = conv_model();
    repack_base3(mb, 1);
    c.edit("trit-code", "base3-243", mb, [](fb::ModelT& m) { m.buffers[1]->data[13] = 243; }, kInvalid,
           "tensor 1 'w': invalid trit code in row 2, byte 1 (base-3 byte above 242)");
    ModelBuilder mb2 = conv_model();
    repack_base3(mb2, 1);
    c.edit("trit-code", "base3-255", mb2, [](fb::ModelT& m) { m.buffers[1]->data[29] = 255; }, kInvalid,
           "tensor 1 'w': invalid trit code in row 4, byte 5 (base-3 byte above 242)");
  }

  // 10. Scales and quantization parameters.
  const std::pair<const char*, float> bad_scales[] = {
      {"zero", 0.0f}, {"negative", -1.0f}, {"nan", NAN}, {"inf", INFINITY}, {"subnormal", 1e-40f}};
  for (const auto& s : bad_scales) {
    const float v = s.second;
    c.edit("scale", std::string("ternary-") + s.first, conv_model(), [v](fb::ModelT& m) { m.graph->tensors[1]->ternary->scales[3] = v; },
           kInvalid, "tensor 1 'w': scale 3 is " + std::to_string(v) + ", expected a finite, positive, normal number");
  }
  c.edit("scale", "count-2", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary->scales = {1, 2}; }, kInvalid,
         "tensor 1 'w' has 2 scales, expected 1 or 5 (one per output channel)");
  c.edit("scale", "count-0", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary->scales.clear(); }, kInvalid,
         "tensor 1 'w' has 0 scales, expected 1 or 5 (one per output channel)");
  c.edit("scale", "per-tensor-nan", conv_model(), [](fb::ModelT& m) { m.graph->tensors[1]->ternary->scales = {NAN}; }, kInvalid,
         "tensor 1 'w': scale 0 is nan");
  c.edit("scale", "bias-nan", conv_model(),
         [](fb::ModelT& m) {
           const float v = NAN;
           std::memcpy(m.buffers[2]->data.data() + 12, &v, 4);
         },
         kInvalid, "tensor 2 'b' has a non-finite value at element 3");
  auto quantized = [](std::vector<float> scales, std::vector<int64_t> zero_points, int axis) {
    return [=](fb::ModelT& m) {
      auto q = std::make_unique<fb::QuantizationT>();
      q->scale = scales;
      q->zero_point = zero_points;
      q->axis = axis;
      m.graph->tensors[2]->quantization = std::move(q);
    };
  };
  c.edit("scale", "quantization-nan", conv_model(), quantized({NAN}, {0}, -1), kInvalid,
         "tensor 2 'b': quantization scale 0 is nan, expected a finite, positive, normal number");
  c.edit("scale", "quantization-count", conv_model(), quantized({1, 1, 1}, {0, 0, 0}, 0), kInvalid,
         "tensor 2 'b': 3 quantization scales, expected 1 or 5 (the size of axis 0)");
  c.edit("scale", "quantization-axis", conv_model(), quantized({1}, {0}, 3), kInvalid,
         "tensor 2 'b': quantization axis 3 is out of range for rank 1");
  c.edit("scale", "quantization-zero-point-range", conv_model(), quantized({1}, {300}, -1), kInvalid,
         "tensor 2 'b': quantization zero point 0 is 300, outside [-128, 255]");
  c.edit("scale", "quantization-zero-point-count", conv_model(), quantized({1}, {0, 0}, -1), kInvalid,
         "tensor 2 'b': 2 quantization zero points for 1 scales");

  // 11. Weight regions outside the FlatBuffer.
  {
    uint64_t off = 0;
    const std::vector<uint8_t> base = region_model(&off);
    const size_t wfield = [&] {
      // Locate the offset field of buffer 1 by its value (unique 8 bytes at an 8-aligned place).
      for (size_t i = 0; i + 8 <= base.size(); i += 4) {
        uint64_t v;
        std::memcpy(&v, base.data() + i, 8);
        if (v == off) return i;
      }
      throw std::logic_error("region offset field not found");
    }();
    auto with_region = [&](uint64_t offset, uint64_t size, size_t extra_bytes) {
      std::vector<uint8_t> b = base;
      std::memcpy(b.data() + wfield, &offset, 8);
      std::memcpy(b.data() + wfield + 8, &size, 8);  // Buffer.size follows Buffer.offset in the table
      b.resize(b.size() + extra_bytes, 0x55);
      return b;
    };
    const std::string file = std::to_string(base.size());
    c.add("region", "past-end", with_region(off + 64, 35, 0), kInvalid,
          "tensor 1 'w': buffer 1 region [" + std::to_string(off + 64) + ", " + std::to_string(off + 64) + "+35) lies outside the file of " +
              file + " bytes");
    const uint64_t wrap = std::numeric_limits<uint64_t>::max() - 15;
    c.add("region", "offset-plus-size-wraps", with_region(wrap, 35, 0), kInvalid,
          "buffer 1 region [" + std::to_string(wrap) + ", " + std::to_string(wrap) + "+35) lies outside the file of " + file + " bytes");
    const uint64_t huge = uint64_t{1} << 63;
    c.add("region", "size-huge", with_region(off, huge, 0), kInvalid,
          "buffer 1 region [" + std::to_string(off) + ", " + std::to_string(off) + "+" + std::to_string(huge) + ") lies outside the file");
    c.add("region", "misaligned", with_region(off + 4, 35, 4), kInvalid,
          "tensor 1 'w': buffer 1 offset " + std::to_string(off + 4) + " is not 16-byte aligned");
    c.add("region", "size-mismatch", with_region(off, 34, 0), kInvalid, "tensor 1 'w': packed codes have 34 bytes, expected 35");
  }

  // 12. Unknown enum values (the verifier does not check enum ranges).
  c.edit("enum", "opcode-77", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->opcode = static_cast<fb::OpCode>(77); },
         TERNRT_UNSUPPORTED, "operator 0 'CONV_2D_0': unsupported opcode 77 (this runtime knows 0..11)");
  c.edit("enum", "opcode-255", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->opcode = static_cast<fb::OpCode>(255); },
         TERNRT_UNSUPPORTED, "unsupported opcode 255 (this runtime knows 0..11)");
  c.edit("enum", "activation-99", conv_model(),
         [](fb::ModelT& m) { conv_opts(m).activation->type = static_cast<fb::Activation>(99); }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): unknown activation 99");
  c.edit("enum", "activation-negative", conv_model(),
         [](fb::ModelT& m) { conv_opts(m).activation->type = static_cast<fb::Activation>(-1); }, kInvalid, "unknown activation -1");
  c.edit("enum", "tensor-type-9", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->type = static_cast<fb::TensorType>(9); },
         kInvalid, "tensor 0 'x' has unknown type 9");
  c.edit("enum", "tensor-type-negative", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[3]->type = static_cast<fb::TensorType>(-3); }, kInvalid, "tensor 3 'y' has unknown type -3");
  c.edit("enum", "packing-5", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[1]->ternary->packing = static_cast<fb::TritPacking>(5); }, kInvalid,
         "tensor 1 'w': unknown trit packing 5");
  c.edit("enum", "method-17", conv_model(),
         [](fb::ModelT& m) { m.graph->tensors[1]->ternary->method = static_cast<fb::TernaryMethod>(17); }, kInvalid,
         "tensor 1 'w': unknown ternary method 17");
  c.edit("enum", "options-union-type-200", conv_model(),
         [](fb::ModelT& m) {
           m.graph->operators[0]->options.Reset();
           m.graph->operators[0]->options.type = static_cast<fb::OperatorOptions>(200);
         },
         kInvalid, "operator 0 'CONV_2D_0' (CONV_2D): missing or wrong options table, expected Conv2DOptions");
  c.edit("enum", "options-wrong-table", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->options = test::fc_options(); },
         kInvalid, "missing or wrong options table, expected Conv2DOptions");
  c.edit("enum", "weights-type-i8", conv_model(),
         [](fb::ModelT& m) {
           m.graph->tensors[1]->type = fb::TensorType::I8;
           m.graph->tensors[1]->ternary.reset();
           m.graph->tensors[1]->buffer = 1;
           m.buffers[1]->data.resize(135);
         },
         kInvalid, "operator 0 'CONV_2D_0' (CONV_2D): weights have type I8, expected F32 or TERNARY2");

  // 13. Graph structure.
  c.edit("graph", "read-before-write", chain_model(),
         [](fb::ModelT& m) { std::swap(m.graph->operators[0], m.graph->operators[1]); }, kInvalid,
         "operator 0 'ACTIVATION_1' (ACTIVATION) input 0 reads tensor 3 'y' before any operator produces it (operators must be in topological order)");
  c.edit("graph", "cycle", chain_model(), [](fb::ModelT& m) { m.graph->operators[0]->inputs[0] = 4; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D) input 0 reads tensor 4 'z' before any operator produces it");
  c.edit("graph", "input-is-output", conv_model(), [](fb::ModelT& m) { m.graph->operators[0]->outputs[0] = 0; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): tensor 0 'x' is both an input and an output");
  c.edit("graph", "two-producers", chain_model(),
         [](fb::ModelT& m) { m.graph->operators[1]->outputs[0] = 3; m.graph->operators[1]->inputs[0] = 0; }, kInvalid,
         "operator 1 'ACTIVATION_1' (ACTIVATION) writes tensor 3 'y', which is already a graph input or produced by an earlier operator");
  c.edit("graph", "writes-graph-input", chain_model(), [](fb::ModelT& m) { m.graph->operators[1]->outputs[0] = 0; }, kInvalid,
         "operator 1 'ACTIVATION_1' (ACTIVATION) writes tensor 0 'x', which is already a graph input");
  c.edit("graph", "writes-constant", chain_model(), [](fb::ModelT& m) { m.graph->operators[1]->outputs[0] = 2; }, kInvalid,
         "operator 1 'ACTIVATION_1' (ACTIVATION): output tensor 2 'b' is a constant");
  c.edit("graph", "output-never-produced", chain_model(), [](fb::ModelT& m) { m.graph->outputs = {4, 3, 0}; m.graph->operators.pop_back(); },
         kInvalid, "graph output tensor 4 'z' is never produced by an operator");
  c.edit("graph", "output-is-constant", conv_model(), [](fb::ModelT& m) { m.graph->outputs = {2}; }, kInvalid,
         "graph output tensor 2 'b' is never produced by an operator");
  c.edit("graph", "input-is-constant", conv_model(), [](fb::ModelT& m) { m.graph->inputs = {0, 2}; }, kInvalid,
         "graph input tensor 2 'b' is a constant");
  c.edit("graph", "input-listed-twice", conv_model(), [](fb::ModelT& m) { m.graph->inputs = {0, 0}; }, kInvalid,
         "graph input tensor 0 'x' is listed twice");
  c.edit("graph", "output-listed-twice", conv_model(), [](fb::ModelT& m) { m.graph->outputs = {3, 3}; }, kInvalid,
         "graph output tensor 3 'y' is listed twice");
  c.edit("graph", "no-inputs", conv_model(), [](fb::ModelT& m) { m.graph->inputs.clear(); }, kInvalid,
         "graph lacks tensors, operators, inputs or outputs");
  c.edit("graph", "input-not-f32", conv_model(), [](fb::ModelT& m) { m.graph->tensors[0]->type = fb::TensorType::U8; },
         TERNRT_UNSUPPORTED, "graph input tensor 0 'x' has type U8, expected F32");

  // 14. Operator parameter semantics.
  c.edit("op-param", "stride-0", conv_model(), [](fb::ModelT& m) { conv_opts(m).stride_h = 0; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): strides, dilations and groups must be in [1, 65536], got 0");
  c.edit("op-param", "dilation-0", conv_model(), [](fb::ModelT& m) { conv_opts(m).dilation_w = 0; }, kInvalid,
         "strides, dilations and groups must be in [1, 65536], got 0");
  c.edit("op-param", "stride-huge", conv_model(), [](fb::ModelT& m) { conv_opts(m).stride_w = 1 << 20; }, kInvalid,
         "strides, dilations and groups must be in [1, 65536], got 1048576");
  c.edit("op-param", "pad-negative", conv_model(), [](fb::ModelT& m) { conv_opts(m).pad_left = -1; }, kInvalid,
         "pads must be in [0, 65536], got -1");
  c.edit("op-param", "kernel-larger-than-padded-input", conv_model(),
         [](fb::ModelT& m) {
           conv_opts(m).dilation_h = conv_opts(m).dilation_w = 2;
           conv_opts(m).pad_top = conv_opts(m).pad_left = conv_opts(m).pad_bottom = conv_opts(m).pad_right = 0;
         },
         kInvalid, "operator 0 'CONV_2D_0' (CONV_2D): kernel 5x5 (with dilation) is larger than the padded input 4x4");
  c.edit("op-param", "groups-not-dividing", conv_model(), [](fb::ModelT& m) { conv_opts(m).groups = 3; }, kInvalid,
         "groups 3 must divide input channels 3 and output channels 5");
  c.edit("op-param", "weights-not-constant", conv_model(),
         [](fb::ModelT& m) { m.graph->operators[0]->inputs[1] = 0; }, kInvalid,
         "operator 0 'CONV_2D_0' (CONV_2D): weights tensor 0 'x' must be constant");
  c.edit("op-param", "clip-min-above-max", conv_model(),
         [](fb::ModelT& m) {
           conv_opts(m).activation->type = fb::Activation::CLIP;
           conv_opts(m).activation->clip_min = 3;
         },
         kInvalid, "CLIP activation needs clip_min <= clip_max, got [3.000000, 0.000000]");
  {
    fb::ConcatOptionsT axis0;
    axis0.axis = 0;
    c.edit("op-param", "concat-axis-0", unary_model(fb::OpCode::CONCAT, test::options(axis0), {1, 4, 4, 5}), [](fb::ModelT&) {},
           kInvalid, "operator 0 'CONCAT_0' (CONCAT): axis 0 is not supported, only the last axis (-1 or 3)");
    fb::ConcatOptionsT axis_min;
    axis_min.axis = std::numeric_limits<int32_t>::min();
    c.edit("op-param", "concat-axis-int-min", unary_model(fb::OpCode::CONCAT, test::options(axis_min), {1, 4, 4, 5}), [](fb::ModelT&) {},
           kInvalid, "axis -2147483648 is not supported");
    // Found by fuzz_model_load: a present but empty shape (rank 0) made CONCAT write through a
    // null pointer. The object API omits empty vectors, so the length of x's shape is zeroed.
    auto rank0 = [](std::vector<uint8_t> b) {
      put_u32(b, offset_of(b, fb::GetModel(b.data())->graph()->tensors()->Get(0)->shape()), 0);
      return b;
    };
    c.add("op-param", "concat-rank-0", rank0(unary_model(fb::OpCode::CONCAT, test::options(fb::ConcatOptionsT{}), {1}, {1}).finish()),
          kInvalid, "operator 0 'CONCAT_0' (CONCAT): input 0 'x' has rank 0, expected rank >= 1");
    c.add("op-param", "softmax-rank-0", rank0(unary_model(fb::OpCode::SOFTMAX, test::options(fb::SoftmaxOptionsT{}), {1}, {1}).finish()),
          kInvalid, "operator 0 'SOFTMAX_0' (SOFTMAX): input 'x' has rank 0, expected rank >= 1");
    fb::PadOptionsT three;
    three.paddings = {0, 0, 1};
    c.edit("op-param", "pad-count", unary_model(fb::OpCode::PAD, test::options(three), {1, 4, 4, 5}), [](fb::ModelT&) {}, kInvalid,
           "operator 0 'PAD_0' (PAD): needs 2 * rank = 8 paddings, has 3");
    fb::PadOptionsT negative;
    negative.paddings = {0, 0, -1, 0, 0, 0, 0, 0};
    c.edit("op-param", "pad-negative-amount", unary_model(fb::OpCode::PAD, test::options(negative), {1, 3, 4, 5}), [](fb::ModelT&) {},
           kInvalid, "paddings must be in [0, 65536], got (-1, 0) on axis 1");
    c.edit("op-param", "reshape-element-count", unary_model(fb::OpCode::RESHAPE, test::options(fb::ReshapeOptionsT{}), {1, 81}),
           [](fb::ModelT&) {}, kInvalid, "operator 0 'RESHAPE_0' (RESHAPE): cannot reshape (1, 4, 4, 5) (80 elements) to (1, 81) (81 elements)");
    c.edit("op-param", "pool-window-above-input", unary_model(fb::OpCode::MAX_POOL_2D, pool_options(5, 1, 0), {1, 1, 1, 5}),
           [](fb::ModelT&) {}, kInvalid, "operator 0 'MAX_POOL_2D_0' (MAX_POOL_2D): pooling window is larger than the padded input");
    c.edit("op-param", "pool-pad-not-below-window", unary_model(fb::OpCode::AVG_POOL_2D, pool_options(2, 1, 2), {1, 7, 7, 5}),
           [](fb::ModelT&) {}, kInvalid, "pads must be smaller than the pooling window");
    c.edit("op-param", "pool-kernel-0", unary_model(fb::OpCode::MAX_POOL_2D, pool_options(0, 1, 0), {1, 4, 4, 5}), [](fb::ModelT&) {},
           kInvalid, "kernel sizes and strides must be in [1, 65536], got 0");
    fb::SoftmaxOptionsT beta0;
    beta0.beta = 0;
    c.edit("op-param", "softmax-beta-0", unary_model(fb::OpCode::SOFTMAX, test::options(beta0), {1, 4, 4, 5}), [](fb::ModelT&) {},
           kInvalid, "operator 0 'SOFTMAX_0' (SOFTMAX): beta must be finite and > 0, got 0.000000");
    c.edit("op-param", "global-pool-output", unary_model(fb::OpCode::GLOBAL_AVG_POOL, {}, {1, 4, 4, 5}), [](fb::ModelT&) {}, kInvalid,
           "expected (1, 1, 1, 5) from the inputs and options");
  }
  {
    // FC: x (1,4,4,5) -> FC with weights (3, 79): K mismatch.
    ModelBuilder mb;
    const int x = mb.activation("x", {1, 4, 4, 5});
    const int w = mb.constant("fc.w", {3, 79}, std::vector<float>(3 * 79, 0.5f));
    const int y = mb.activation("y", {1, 3});
    mb.op(fb::OpCode::FULLY_CONNECTED, {x, w, -1}, {y}, test::fc_options());
    mb.inputs({x});
    mb.outputs({y});
    c.add("op-param", "fc-k-mismatch", mb.finish(), kInvalid,
          "operator 0 'FULLY_CONNECTED_0' (FULLY_CONNECTED): weights (3, 79) need K = 79 but input (1, 4, 4, 5) flattens to K = 80");
  }

  // 15. Resource limits.
  c.add("resource", "arena-cap", good, TERNRT_OUT_OF_MEMORY, "bytes, above the limit of 100", 100);
  c.add("resource", "large-legal-shapes",
        unary_model(fb::OpCode::ACTIVATION, [] {
          fb::ActivationOptionsT o;
          o.activation = std::make_unique<fb::FusedActivationT>();
          return test::options(std::move(o));
        }(), {1, 4096, 4096, 16}, {1, 4096, 4096, 16}).finish(),
        TERNRT_OUT_OF_MEMORY, "bytes, above the limit of 16777216", 16u << 20);
  {
    const size_t over = (size_t{1} << 20) + 1;
    c.add("resource", "tensor-count", many_entries_model(over, false), TERNRT_OUT_OF_MEMORY,
          "1048577 tensors exceed the limit of 1048576", 0, false);
    c.add("resource", "operator-count", many_entries_model(over, true), TERNRT_OUT_OF_MEMORY,
          "1048577 operators exceed the limit of 1048576", 0, false);
  }
  return c.list;
}

Outcome load_create_invoke(const uint8_t* data, size_t size, uint64_t max_arena_bytes) {
  Outcome r;
  ternrt_model* model = nullptr;
  static const uint8_t kEmpty[1] = {0};
  r.status = ternrt_model_load_memory(size == 0 ? kEmpty : data, size, &model);
  if (r.status != TERNRT_OK) {
    r.message = ternrt_last_error();
    return r;
  }
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.max_arena_bytes = max_arena_bytes;
  // With a cap, operator scratch and repacked weights are bounded too (hostile shapes can ask for
  // far more scratch than arena).
  if (max_arena_bytes != 0) options.max_memory_bytes = max_arena_bytes + (uint64_t{256} << 20);
  ternrt_interpreter* it = nullptr;
  r.status = ternrt_interpreter_create(model, &options, &it);
  if (r.status == TERNRT_OK) {
    std::vector<float> buffer;
    for (size_t i = 0; i < ternrt_interpreter_input_count(it) && r.status == TERNRT_OK; ++i) {
      ternrt_tensor_info info;
      r.status = ternrt_interpreter_input_info(it, i, &info);
      if (r.status != TERNRT_OK) break;
      buffer.resize(info.bytes / 4 + 1);
      for (size_t e = 0; e < buffer.size(); ++e) buffer[e] = static_cast<float>(static_cast<int>(e % 17) - 8) * 0.25f;
      r.status = ternrt_interpreter_set_input(it, i, buffer.data(), info.bytes);
    }
    if (r.status == TERNRT_OK) r.status = ternrt_interpreter_invoke(it);
    r.invoked = r.status == TERNRT_OK;
    for (size_t i = 0; i < ternrt_interpreter_output_count(it) && r.status == TERNRT_OK; ++i) {
      ternrt_tensor_info info;
      r.status = ternrt_interpreter_output_info(it, i, &info);
      if (r.status != TERNRT_OK) break;
      buffer.resize(info.bytes / 4 + 1);
      r.status = ternrt_interpreter_get_output(it, i, buffer.data(), info.bytes);
    }
  }
  if (r.status != TERNRT_OK) r.message = ternrt_last_error();
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
  return r;
}

}  // namespace ternrt::robustness
