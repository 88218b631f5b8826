// Malformed models are rejected at load / interpreter creation with a precise status and
// message; never a crash. (The full bad-input corpus and fuzzing extend this: issue 7.)
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <tuple>

#include <doctest/doctest.h>

#include "model-builder.h"
#include "run-helpers.h"

using namespace ternrt;
using namespace ternrt::test;

namespace {

// x (1,4,4,3) -> ternary 3x3 conv (5 out) -> y (1,4,4,5)
ModelBuilder small_model() {
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 4, 4, 3});
  std::vector<int8_t> trits(5 * 27);
  for (size_t i = 0; i < trits.size(); ++i) trits[i] = static_cast<int8_t>(static_cast<int>(i % 3) - 1);
  const int w = mb.ternary("w", {5, 3, 3, 3}, trits, {0.5f, 0.25f, 1.0f, 2.0f, 0.125f});
  const int b = mb.constant("b", {5}, {0, 1, 2, 3, 4});
  const int y = mb.activation("y", {1, 4, 4, 5});
  mb.op(fb::OpCode::CONV_2D, {x, w, b}, {y}, conv_options(1, 1, 1, 1, 1));
  mb.inputs({x});
  mb.outputs({y});
  return mb;
}

void expect_error(const std::function<void(ModelBuilder&)>& corrupt, ternrt_status status, const std::string& fragment) {
  ModelBuilder mb = small_model();
  corrupt(mb);
  const LoadResult r = try_load(mb.finish());
  CHECK_MESSAGE(r.status == status, "status " << ternrt_status_name(r.status) << ": " << r.message);
  CHECK_MESSAGE(r.message.find(fragment) != std::string::npos, "message: '" << r.message << "' lacks '" << fragment << "'");
}

}  // namespace

TEST_CASE("the small valid model loads and runs") {
  const LoadResult r = try_load(small_model().finish());
  CHECK_MESSAGE(r.status == TERNRT_OK, r.message);
}

TEST_CASE("truncation at every length is a clean INVALID_MODEL") {
  const auto bytes = small_model().finish();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    if (cut.empty()) cut.reserve(1);
    ternrt_model* m = nullptr;
    const ternrt_status s = ternrt_model_load_memory(cut.empty() ? bytes.data() : cut.data(), n, &m);
    if (s == TERNRT_OK) {  // a prefix can only be accepted if it still verifies; it must then run
      ternrt_interpreter* it = nullptr;
      if (ternrt_interpreter_create(m, nullptr, &it) == TERNRT_OK) ternrt_interpreter_delete(it);
      ternrt_model_delete(m);
      continue;
    }
    CHECK(m == nullptr);
    CHECK(s == TERNRT_INVALID_MODEL);
    CHECK(std::string(ternrt_last_error()).size() > 10);
  }
}

TEST_CASE("header errors: identifier, version, buffer 0") {
  auto bytes = small_model().finish();
  bytes[4] = 'T', bytes[5] = 'F', bytes[6] = 'L', bytes[7] = '3';
  LoadResult r = try_load(bytes);
  CHECK(r.status == TERNRT_INVALID_MODEL);
  CHECK(r.message.find("bad file identifier 'TFL3', expected 'TRNT'") != std::string::npos);

  expect_error([](ModelBuilder& mb) { mb.model().version = std::make_unique<fb::FormatVersion>(2, 0); }, TERNRT_UNSUPPORTED,
               "format version 2.0, this runtime reads major version 1");
  expect_error([](ModelBuilder& mb) { mb.model().version.reset(); }, TERNRT_INVALID_MODEL, "missing format version");
  expect_error([](ModelBuilder& mb) { mb.model().buffers[0]->data = {1, 2, 3}; }, TERNRT_INVALID_MODEL, "buffer 0 must be empty");
}

TEST_CASE("index, buffer and shape errors name the tensor or operator") {
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->inputs[0] = 999; }, TERNRT_INVALID_MODEL,
               "operator 0 'CONV_2D_0' (CONV_2D) inputs 0: tensor index 999 out of range [0, 4)");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->inputs[0] = -7; }, TERNRT_INVALID_MODEL, "tensor index -7");
  expect_error([](ModelBuilder& mb) { mb.model().graph->outputs[0] = 12; }, TERNRT_INVALID_MODEL, "graph output 0: tensor index 12");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[2]->buffer = 42; }, TERNRT_INVALID_MODEL,
               "tensor 2 'b' refers to buffer 42, but the model has");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[2]->shape = {6}; }, TERNRT_INVALID_MODEL,
               "tensor 2 'b' of shape (6) and type F32 needs 24 bytes, but buffer");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[0]->shape = {1, -4, 4, 3}; }, TERNRT_INVALID_MODEL,
               "dimensions must be >= 1");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[0]->shape = {65536, 65536, 65536, 65536}; }, TERNRT_INVALID_MODEL,
               "element count of shape overflows");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[3]->shape = {1, 4, 4, 6}; }, TERNRT_INVALID_MODEL,
               "output tensor 3 'y' has shape (1, 4, 4, 6), expected (1, 4, 4, 5)");
}

TEST_CASE("ternary weight errors: packed length, invalid code, bad scales") {
  expect_error([](ModelBuilder& mb) { mb.model().buffers[1]->data.pop_back(); }, TERNRT_INVALID_MODEL,
               "tensor 1 'w': packed codes have 34 bytes, expected 35 for 5 rows of 27 trits");
  expect_error([](ModelBuilder& mb) { mb.model().buffers[1]->data[9] |= 0x0c; }, TERNRT_INVALID_MODEL,
               "tensor 1 'w': invalid trit code in row 1, byte 2");
  expect_error([](ModelBuilder& mb) { mb.model().buffers[1]->data[6] |= 0xc0; }, TERNRT_INVALID_MODEL,  // row padding
               "invalid trit code in row 0, byte 6");
  for (float bad : {0.0f, -1.0f, NAN, INFINITY, 1e-40f}) {
    expect_error([bad](ModelBuilder& mb) { mb.model().graph->tensors[1]->ternary->scales[3] = bad; }, TERNRT_INVALID_MODEL,
                 "tensor 1 'w': scale 3 is");
  }
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[1]->ternary->scales = {1, 2}; }, TERNRT_INVALID_MODEL,
               "has 2 scales, expected 1 or 5");
  // A huge channel count with a tiny code buffer is refused by the buffer's size before anything of
  // N elements is allocated (libFuzzer found a 2 KB file that asked for 4 GB of expanded scales);
  // the bad scale would only be reported after that allocation.
  expect_error(
      [](ModelBuilder& mb) {
        auto& w = *mb.model().graph->tensors[1];
        w.shape = {1 << 28, 1, 1, 3};
        w.ternary->logical_shape = w.shape;
        w.ternary->scales = {NAN};
      },
      TERNRT_INVALID_MODEL, "tensor 1 'w': packed codes have 35 bytes, expected 268435456 for 268435456 rows of 3 trits");
  expect_error([](ModelBuilder& mb) { mb.model().graph->tensors[1]->ternary->logical_shape = {5, 27}; }, TERNRT_INVALID_MODEL,
               "ternary logical_shape (5, 27) differs from the tensor shape (5, 3, 3, 3)");
}

TEST_CASE("graph structure and operator parameter errors") {
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->outputs[0] = 0; }, TERNRT_INVALID_MODEL,
               "is both an input and an output");
  expect_error([](ModelBuilder& mb) { mb.model().graph->inputs = {3}; }, TERNRT_INVALID_MODEL,
               "before any operator produces it");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->options.AsConv2DOptions()->stride_h = 0; }, TERNRT_INVALID_MODEL,
               "strides, dilations and groups must be in [1, 65536], got 0");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->options = fc_options(); }, TERNRT_INVALID_MODEL,
               "missing or wrong options table, expected Conv2DOptions");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->opcode = static_cast<fb::OpCode>(77); }, TERNRT_UNSUPPORTED,
               "unsupported opcode 77");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->options.AsConv2DOptions()->activation->type = fb::Activation::CLIP;
                                      mb.model().graph->operators[0]->options.AsConv2DOptions()->activation->clip_min = 3; },
               TERNRT_INVALID_MODEL, "CLIP activation needs clip_min <= clip_max");
  expect_error([](ModelBuilder& mb) { mb.model().graph->operators[0]->options.AsConv2DOptions()->groups = 3; }, TERNRT_INVALID_MODEL,
               "groups 3 must divide input channels 3 and output channels 5");
}

TEST_CASE("files, arena cap and call-order errors") {
  ternrt_model* m = nullptr;
  CHECK(ternrt_model_load_file("/nonexistent/model.tern", &m) == TERNRT_IO_ERROR);
  CHECK(std::string(ternrt_last_error()).find("/nonexistent/model.tern: cannot open") != std::string::npos);

  const auto bytes = small_model().finish();
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK);
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  o.max_arena_bytes = 100;
  ternrt_interpreter* it = nullptr;
  CHECK(ternrt_interpreter_create(m, &o, &it) == TERNRT_OUT_OF_MEMORY);
  CHECK(std::string(ternrt_last_error()).find("above the limit of 100") != std::string::npos);
  o.max_arena_bytes = 0;
  o.isa = "sse9";
  CHECK(ternrt_interpreter_create(m, &o, &it) == TERNRT_INVALID_ARGUMENT);
  REQUIRE(ternrt_interpreter_create(m, nullptr, &it) == TERNRT_OK);
  CHECK(ternrt_interpreter_invoke(it) == TERNRT_INVALID_STATE);
  CHECK(std::string(ternrt_last_error()).find("input 0 'x' was never set") != std::string::npos);
  std::vector<float> x(47);
  CHECK(ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4) == TERNRT_INVALID_ARGUMENT);
  CHECK(std::string(ternrt_last_error()).find("has 192 bytes, got 188") != std::string::npos);
  x.resize(48);
  CHECK(ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4) == TERNRT_OK);
  CHECK(ternrt_interpreter_invoke(it) == TERNRT_OK);
  CHECK(ternrt_interpreter_set_input(it, 1, x.data(), x.size() * 4) == TERNRT_INVALID_ARGUMENT);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
}

TEST_CASE("intermediate tensors are readable only with TERNRT_FLAG_PRESERVE_ALL_TENSORS") {
  // x -> relu6 -> a -> relu -> y ; a is intermediate.
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 2, 2, 3});
  const int a = mb.activation("a", {1, 2, 2, 3});
  const int y = mb.activation("y", {1, 2, 2, 3});
  for (auto [in, out, act] : {std::tuple{x, a, fb::Activation::RELU6}, std::tuple{a, y, fb::Activation::RELU}}) {
    fb::ActivationOptionsT o;
    o.activation = std::make_unique<fb::FusedActivationT>();
    o.activation->type = act;
    mb.op(fb::OpCode::ACTIVATION, {in, }, {out}, options(std::move(o)));
  }
  mb.inputs({x});
  mb.outputs({y});
  const auto bytes = mb.finish();
  ternrt_model* m = nullptr;
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK);
  std::vector<float> in(12);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) - 4.0f;
  for (uint32_t flags : {0u, static_cast<uint32_t>(TERNRT_FLAG_PRESERVE_ALL_TENSORS)}) {
    ternrt_interpreter_options o;
    ternrt_interpreter_options_init(&o);
    o.flags = flags;
    ternrt_interpreter* it = nullptr;
    REQUIRE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK);
    REQUIRE(ternrt_interpreter_set_input(it, 0, in.data(), 48) == TERNRT_OK);
    REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);
    CHECK(ternrt_interpreter_tensor_count(it) == 3);
    ternrt_tensor_info info;
    const void* data = nullptr;
    const ternrt_status s = ternrt_interpreter_tensor(it, static_cast<size_t>(a), &info, &data);
    if (flags == 0) {
      CHECK(s == TERNRT_INVALID_STATE);
    } else {
      REQUIRE(s == TERNRT_OK);
      CHECK(std::string(info.name) == "a");
      const float* v = static_cast<const float*>(data);
      for (size_t i = 0; i < 12; ++i) CHECK(v[i] == std::min(6.0f, std::max(0.0f, in[i])));
    }
    CHECK(ternrt_interpreter_tensor(it, static_cast<size_t>(y), &info, &data) == TERNRT_OK);
    CHECK(ternrt_interpreter_tensor(it, 99, &info, &data) == TERNRT_INVALID_ARGUMENT);
    ternrt_interpreter_delete(it);
  }
  ternrt_model_delete(m);
}

TEST_CASE("inputs persist across invokes and the version strings agree") {
  // x -> relu -> a -> relu6 -> y: the planner must not reuse x's memory for y.
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 4, 4, 3});
  const int a = mb.activation("a", {1, 4, 4, 3});
  const int y = mb.activation("y", {1, 4, 4, 3});
  for (auto [in, out, act] : {std::tuple{x, a, fb::Activation::RELU}, std::tuple{a, y, fb::Activation::HARD_SWISH}}) {
    fb::ActivationOptionsT o;
    o.activation = std::make_unique<fb::FusedActivationT>();
    o.activation->type = act;
    mb.op(fb::OpCode::ACTIVATION, {in}, {out}, options(std::move(o)));
  }
  mb.inputs({x});
  mb.outputs({y});
  const auto bytes = mb.finish();
  ternrt_model* m = nullptr;
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK);
  ternrt_interpreter* it = nullptr;
  REQUIRE(ternrt_interpreter_create(m, nullptr, &it) == TERNRT_OK);
  std::vector<float> in(48), first(48), second(48);
  for (size_t i = 0; i < in.size(); ++i) in[i] = 0.25f * static_cast<float>(i) - 3.0f;
  REQUIRE(ternrt_interpreter_set_input(it, 0, in.data(), 192) == TERNRT_OK);
  REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);
  REQUIRE(ternrt_interpreter_get_output(it, 0, first.data(), 192) == TERNRT_OK);
  REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);  // same input, not set again
  REQUIRE(ternrt_interpreter_get_output(it, 0, second.data(), 192) == TERNRT_OK);
  CHECK(first == second);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
  char expected[32];
  std::snprintf(expected, sizeof expected, "%d.%d.%d", TERNRT_VERSION_MAJOR, TERNRT_VERSION_MINOR, TERNRT_VERSION_PATCH);
  CHECK(std::string(ternrt_version()) == expected);
}

TEST_CASE("max_memory_bytes refuses operator scratch before it is allocated") {
  // A 3x3 ternary conv (dilation 2, which T2I8Conv never reads in place) on a 96x96x12 input: a
  // small arena but a large im2col buffer (9216 x 108) on every ISA.
  ModelBuilder mb;
  const int x = mb.activation("x", {1, 96, 96, 12});
  const int w = mb.ternary("w", {8, 3, 3, 12}, std::vector<int8_t>(8 * 108, 1), {1.0f});
  const int y = mb.activation("y", {1, 96, 96, 8});
  mb.op(fb::OpCode::CONV_2D, {x, w, -1}, {y}, conv_options(1, 2, 2, 2, 2, 1, 2));
  mb.inputs({x});
  mb.outputs({y});
  const auto bytes = mb.finish();
  ternrt_model* m = nullptr;
  REQUIRE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK);
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  ternrt_interpreter* it = nullptr;
  o.max_memory_bytes = 1 << 20;  // the arena (~740 KB) fits, the 1 MB of patches do not
  CHECK(ternrt_interpreter_create(m, &o, &it) == TERNRT_OUT_OF_MEMORY);
  CHECK(it == nullptr);
  const std::string message = ternrt_last_error();
  CHECK_MESSAGE(message.find("operator 0 'CONV_2D_0' (CONV_2D): patch buffers needs") != std::string::npos, message);
  CHECK(message.find("max_memory_bytes = 1048576") != std::string::npos);
  o.max_memory_bytes = 4 << 20;
  REQUIRE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK);
  ternrt_interpreter_delete(it);
  o.max_memory_bytes = 1 << 20;
  o.flags = TERNRT_FLAG_TERNARY_AS_FLOAT;  // expanded float weights are small here: fits
  REQUIRE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
}
