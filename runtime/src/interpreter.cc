#include "interpreter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <xnnpack.h>

#include "error.h"
#include "memory-planner.h"
#include "ops/common.h"
#include "ops/float-fallback.h"
#include "residual-fusion.h"

namespace ternrt {
namespace {

constexpr size_t kArenaAlignment = 64;
constexpr size_t kTailPadding = 64;  // XNNPACK and our kernels may read (never write) past a tensor

void initialize_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_success;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success) {
    fail(status == xnn_status_unsupported_hardware ? TERNRT_UNSUPPORTED : TERNRT_INTERNAL,
         std::string("XNNPACK initialization failed: ") + xnn_status_str(status));
  }
}

kernels::Isa choose_isa(const char* requested) {
  kernels::Isa isa;
  if (requested != nullptr && requested[0] != '\0') {
    if (!kernels::parse_isa(requested, &isa)) {
      fail(TERNRT_INVALID_ARGUMENT, std::string("unknown ISA '") + requested +
                                        "', expected one of scalar, avx2, avx512, avx512vnni, neon, neondot");
    }
    if (!kernels::isa_supported(isa)) {
      fail(TERNRT_UNSUPPORTED, std::string("ISA '") + requested + "' is not supported by this CPU or this build");
    }
    return isa;
  }
  const char* error = nullptr;
  isa = kernels::default_isa(&error);
  if (error != nullptr) fail(TERNRT_INVALID_ARGUMENT, std::string("TERNRT_ISA: ") + error);
  return isa;
}

// Operators smaller than this run on the calling thread even with a pool: dispatching a parallel
// region costs microseconds, more than it saves on small layers (the fixture ResNet, 16 operators of
// 0.1-11 us, took 66 us per invoke with 2 threads and 37 us with 1). In multiply-adds; an operator
// without weights counts 16 per output element (memory-bound work). TERNRT_MIN_PARALLEL_WORK
// overrides it (0: every operator parallel, as the thread-invariance tests want).
constexpr uint64_t kMinParallelWork = uint64_t(1) << 20;
// And a model uses the pool only when its operators above that threshold add up to this many times
// it (12M multiply-adds by default), counting a ternary layer's multiply-adds a third (its kernels
// run 2.3-3.7x faster than XNNPACK f32 on the same layer, RESULTS.md): the workers sleep between
// invokes (release_workers), and waking them costs the first parallel operator of each invoke
// 30-40 us on the machine of benchmarks/RESULTS.md. That is about what 2 threads saved on the
// bundled 28x28 ResNet's ten 1.8M-MAC ternary layers (22 -> 18 us each; 200-240 us per invoke with
// 2 threads, 160-230 us with 1), while the same model in float (50 us layers) gains 10-15%.
constexpr uint64_t kMinParallelModelFactor = 12;
constexpr uint64_t kTernaryWorkDivisor = 3;

uint64_t min_parallel_work() {
  const char* text = std::getenv("TERNRT_MIN_PARALLEL_WORK");
  if (text == nullptr || *text == '\0') return kMinParallelWork;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return end != nullptr && *end == '\0' ? value : kMinParallelWork;
}

uint64_t estimated_work(const Model& model, const OpDesc& op) {
  uint64_t outputs = 0;
  for (int t : op.outputs)
    if (t >= 0) outputs += model.tensors()[t].elements;
  uint64_t depth = 16;
  if (op.inputs.size() >= 2 && op.inputs[1] >= 0) {  // weights (OC, ...): depth = elements / OC
    const TensorDesc& w = model.tensors()[op.inputs[1]];
    if (w.is_constant() && w.shape.size() >= 2 && w.shape[0] > 0)
      depth = std::max<uint64_t>(depth, w.elements / static_cast<uint64_t>(w.shape[0]));
  }
  return outputs * depth;
}

}  // namespace

Interpreter::Interpreter(const Model& model, const ternrt_interpreter_options& options) : model_(model) {
  try {
    initialize_xnnpack();
    isa_ = choose_isa(options.isa);
    if (options.num_threads > 1) {
      pool_ = pthreadpool_create(options.num_threads);
      if (pool_ == nullptr) fail(TERNRT_OUT_OF_MEMORY, "cannot create a pool of " + std::to_string(options.num_threads) + " threads");
    }
    preserve_all_ = (options.flags & TERNRT_FLAG_PRESERVE_ALL_TENSORS) != 0;
    expand_weights_ = (options.flags & TERNRT_FLAG_EXPAND_WEIGHTS) != 0;
    choose_int8_tensors(options);
    CreateOptions create_options;
    create_options.ternary_as_float = (options.flags & TERNRT_FLAG_TERNARY_AS_FLOAT) != 0;
    create_options.int8 = &int8_;
    create_options.static_ranges = std::string(mode_) == "static";
    // Residual ADDs run inside the layer before them, whatever the flags (the layer's own output is then
    // never computed, not even with TERNRT_FLAG_PRESERVE_ALL_TENSORS: results do not depend on flags).
    fusions_ = find_residual_fusions(model, create_options);
    fused_add_of_.assign(model.tensors().size(), -1);
    for (const ResidualFusion& f : fusions_) fused_add_of_[f.skipped] = f.add;
    MemoryBudget budget(options.max_memory_bytes);
    plan_and_allocate(options.max_arena_bytes, preserve_all_, budget);
    ops_.reserve(model.ops().size());
    const uint64_t parallel_work = min_parallel_work();
    uint64_t model_parallel_work = 0;
    for (const OpDesc& op : model.ops()) {
      const uint64_t work = estimated_work(model, op);
      const bool parallel = pool_ != nullptr && work >= parallel_work;
      op_pools_.push_back(parallel ? pool_ : nullptr);
      const bool ternary = !create_options.ternary_as_float && op.inputs.size() >= 2 && op.inputs[1] >= 0 &&
                           model.tensors()[op.inputs[1]].type == fb::TensorType::TERNARY2;
      if (parallel) model_parallel_work += ternary ? work / kTernaryWorkDivisor : work;
    }
    // (model work < factor * line, without overflowing for a huge TERNRT_MIN_PARALLEL_WORK)
    if (model_parallel_work / kMinParallelModelFactor < parallel_work) op_pools_.assign(op_pools_.size(), nullptr);
    std::vector<const ResidualFusion*> fused_layer(model.ops().size(), nullptr), fused_add(model.ops().size(), nullptr);
    for (const ResidualFusion& f : fusions_) {
      fused_layer[f.layer] = &f;
      fused_add[f.add] = &f;
    }
    for (size_t i = 0; i < model.ops().size(); ++i) {
      if (fused_add[i] != nullptr) {
        op_pools_[i] = nullptr;
        ops_.push_back(make_fused_add(model.ops()[fused_add[i]->layer].label()));
      } else {
        pool_used_ = pool_used_ || op_pools_[i] != nullptr;
        ops_.push_back(create_op(model.ops()[i], create_options, budget, op_pools_[i], fused_layer[i]));
      }
      kernels_.push_back(ops_.back()->kernel());
    }
    scratch_.allocate();
    op_ns_.assign(ops_.size(), 0);
    input_set_.assign(model.inputs().size(), 0);
  } catch (...) {
    ops_.clear();
    std::free(arena_);
    if (pool_) pthreadpool_destroy(pool_);
    throw;
  }
}

std::unique_ptr<Interpreter> Interpreter::create(const Model& model, const ternrt_interpreter_options& options) {
  const bool may_fall_back = (options.flags & TERNRT_FLAG_EXPAND_WEIGHTS) != 0 && options.max_memory_bytes != 0;
  try {
    return std::make_unique<Interpreter>(model, options);
  } catch (const Error& e) {
    if (!may_fall_back || e.status() != TERNRT_OUT_OF_MEMORY) throw;
  }
  ternrt_interpreter_options compact = options;
  compact.flags &= ~TERNRT_FLAG_EXPAND_WEIGHTS;
  return std::make_unique<Interpreter>(model, compact);
}

Interpreter::~Interpreter() {
  ops_.clear();  // XNNPACK operators before the memory they point into
  std::free(arena_);
  if (pool_) pthreadpool_destroy(pool_);
}

namespace {

// The fused activation of an operator (or a standalone ACTIVATION's), nullptr when it has none.
const fb::FusedActivation* fused_activation(const fb::Operator& op) {
  if (const auto* o = op.options_as_Conv2DOptions()) return o->activation();
  if (const auto* o = op.options_as_FullyConnectedOptions()) return o->activation();
  if (const auto* o = op.options_as_ElementwiseOptions()) return o->activation();
  if (const auto* o = op.options_as_Pool2DOptions()) return o->activation();
  if (const auto* o = op.options_as_ActivationOptions()) return o->activation();
  return nullptr;
}

}  // namespace

// The static int8 path (docs/static-int8.md) runs when the model carries activation ranges and
// the caller did not ask for dynamic activations or float: every activation with a range is stored
// as int8, except graph inputs and outputs, which the API exchanges as float.
void Interpreter::choose_int8_tensors(const ternrt_interpreter_options& options) {
  const auto& tensors = model_.tensors();
  int8_.assign(tensors.size(), 0);
  if (options.flags & TERNRT_FLAG_TERNARY_AS_FLOAT) {
    mode_ = "float";
    return;
  }
  bool any = false;
  for (const TensorDesc& t : tensors) any = any || (!t.is_constant() && t.has_act_quant());
  if (!any || (options.flags & TERNRT_FLAG_DYNAMIC_ACTIVATIONS)) {
    mode_ = "dynamic";
    return;
  }
  mode_ = "static";
  for (size_t t = 0; t < tensors.size(); ++t) int8_[t] = !tensors[t].is_constant() && tensors[t].has_act_quant();
  for (int t : model_.inputs()) int8_[t] = 0;
  for (int t : model_.outputs()) int8_[t] = 0;
  // An operator whose activation has no int8 form (Sigmoid, HardSigmoid) computes its result in
  // float anyway, so an int8 output would cost it a quantization pass. Written as float, a ternary
  // consumer quantizes it with the tensor's range instead (the same pass) and any other consumer
  // skips it: a MobileNet head (HardSwish 1x1 conv -> pool -> classifier) ran 3% slower end to end
  // with the head's output int8 (benchmarks/RESULTS.md). HardSwish has an int8 form in the ternary
  // GEMM and depthwise epilogues, so its outputs stay int8 (and its depthwise consumers on int8).
  for (const OpDesc& op : model_.ops()) {
    const fb::Activation post = activation_of(fused_activation(*op.fb)).post;
    if (post == fb::Activation::NONE || post == fb::Activation::HARD_SWISH) continue;
    for (int t : op.outputs) int8_[t] = 0;
  }
  // A tensor some consumer would only dequantize again (an operator without an int8 form, run by
  // FloatFallback) stays float: its producer then writes float directly, and a ternary consumer
  // quantizes it with the tensor's static range. Whether an operator has an int8 form depends on its
  // tensors, so this repeats until nothing changes (each pass only turns tensors float).
  CreateOptions probe;
  probe.int8 = &int8_;
  probe.static_ranges = true;
  for (bool changed = true; changed;) {
    changed = false;
    for (const OpDesc& op : model_.ops()) {
      bool touches_int8 = false;
      for (int t : op.inputs) touches_int8 = touches_int8 || probe.is_s8(t);
      if (!touches_int8 || find_op_spec(op.opcode)->create(model_, op, probe)->handles_int8()) continue;
      for (int t : op.inputs) {
        if (t >= 0 && int8_[t]) {
          int8_[t] = 0;
          changed = true;
        }
      }
    }
  }
}

// The operator's executable form; one without an int8 form for its int8 tensors (or whose int8
// form XNNPACK refuses) runs in float between conversions (FloatFallback).
std::unique_ptr<Op> Interpreter::create_op(const OpDesc& op, const CreateOptions& options, MemoryBudget& budget,
                                           pthreadpool_t pool, const ResidualFusion* fusion) {
  const OpSpec* spec = find_op_spec(op.opcode);
  bool touches_int8 = false;
  for (int t : op.inputs) touches_int8 = touches_int8 || options.is_s8(t);
  for (int t : op.outputs) touches_int8 = touches_int8 || options.is_s8(t);
  std::unique_ptr<Op> created = spec->create(model_, op, options);
  const bool static_ranges = std::string(mode_) == "static";
  const PrepareArgs args{model_, op, tensor_data_, pool, isa_, budget, int8_, static_ranges, &scratch_, expand_weights_};
  if (fusion != nullptr) {   // find_residual_fusions asked this form; it has no float fallback
    if (!created->can_fuse_residual()) fail(TERNRT_INTERNAL, model_.source() + ": " + op.label() + ": residual fusion refused");
    created->fuse_residual(fusion->residual, fusion->output, fusion->clamp_min, fusion->clamp_max);
    try {
      created->prepare(args);
    } catch (const Int8Unsupported& e) {
      fail(TERNRT_INTERNAL, model_.source() + ": " + op.label() + " with a fused residual ADD: " + e.why);
    }
    return created;
  }
  // An int8 form: for int8 tensors, or on the static path for float ones (a float-weight
  // convolution run with int8 weights, conv2d.cc).
  if ((touches_int8 || static_ranges) && created->handles_int8()) {
    const uint64_t reserved = budget.used();
    const size_t scratch_before = scratch_.size();
    try {
      created->prepare(args);
      return created;
    } catch (const Int8Unsupported&) {
      budget.release_to(reserved);  // the int8 form's buffers go with it; the same operator in float follows
      scratch_.shrink_to(scratch_before);
    }
    CreateOptions float_options = options;
    float_options.int8 = nullptr;
    float_options.static_ranges = false;
    created = spec->create(model_, op, float_options);
  }
  if (touches_int8 && !created->handles_int8()) created = std::make_unique<FloatFallback>(std::move(created));
  created->prepare(args);
  return created;
}

void Interpreter::plan_and_allocate(uint64_t max_arena_bytes, bool preserve_all, MemoryBudget& budget) {
  const auto& tensors = model_.tensors();
  const int n_ops = static_cast<int>(model_.ops().size());
  std::vector<int> first(tensors.size(), n_ops), last(tensors.size(), -2);
  for (const OpDesc& op : model_.ops()) {
    for (int t : op.inputs) {
      if (t < 0) continue;
      first[t] = std::min(first[t], op.index);
      last[t] = std::max(last[t], op.index);
    }
    for (int t : op.outputs) {
      first[t] = std::min(first[t], op.index);
      last[t] = std::max(last[t], op.index);
    }
  }
  // Inputs are written by set_input before any operator and stay valid across invokes, so they
  // are never shared with other tensors.
  for (int t : model_.inputs()) {
    first[t] = -1;
    last[t] = n_ops;
  }
  for (int t : model_.outputs()) last[t] = n_ops;           // read by get_output after the last one
  is_graph_io_.assign(tensors.size(), 0);
  for (int t : model_.inputs()) is_graph_io_[t] = 1;
  for (int t : model_.outputs()) is_graph_io_[t] = 1;
  // A fused residual ADD's output is written when its layer runs; the layer's own output never is.
  for (const ResidualFusion& f : fusions_) {
    first[f.output] = std::min(first[f.output], f.layer);
    last[f.skipped] = -2;
  }
  std::vector<BufferRequest> requests;
  std::vector<int> owners;
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].is_constant() || last[t] == -2) continue;  // constants live in the model; unused tensors need nothing
    if (preserve_all) {  // alive for the whole invoke: nothing is shared
      first[t] = -1;
      last[t] = n_ops;
    }
    const size_t bytes = int8_[t] ? tensors[t].elements : tensors[t].bytes;
    requests.push_back({bytes, std::min(first[t], last[t]), last[t]});
    owners.push_back(static_cast<int>(t));
  }
  const MemoryPlan plan = plan_memory(requests, kArenaAlignment, kTailPadding);
  arena_bytes_ = plan.arena_bytes;
  if (max_arena_bytes != 0 && arena_bytes_ > max_arena_bytes) {
    fail(TERNRT_OUT_OF_MEMORY, model_.source() + ": the activation arena needs " + std::to_string(arena_bytes_) +
                                   " bytes, above the limit of " + std::to_string(max_arena_bytes));
  }
  budget.reserve(arena_bytes_, model_.source() + ": the activation arena");
  arena_ = std::aligned_alloc(kArenaAlignment, std::max<size_t>(arena_bytes_, kArenaAlignment));
  if (arena_ == nullptr) fail(TERNRT_OUT_OF_MEMORY, model_.source() + ": cannot allocate the " + std::to_string(arena_bytes_) + "-byte arena");
  std::memset(arena_, 0, arena_bytes_);
  tensor_data_.assign(tensors.size(), nullptr);
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].data) tensor_data_[t] = const_cast<uint8_t*>(tensors[t].data);  // read-only by contract
  }
  for (size_t i = 0; i < owners.size(); ++i) tensor_data_[owners[i]] = static_cast<uint8_t*>(arena_) + plan.offsets[i];
}

size_t Interpreter::packed_weight_bytes() const {
  size_t total = 0;
  for (const auto& op : ops_) total += op->packed_weight_bytes();
  return total;
}

size_t Interpreter::scratch_bytes() const {
  size_t total = scratch_.size();
  for (const auto& op : ops_) total += op->scratch_bytes();
  return total;
}

// The graph input/output `index` after checking the caller's index, pointer and byte count.
static int checked_io_tensor(const Model& model, bool input, size_t index, const void* data, size_t bytes) {
  const char* role = input ? "input" : "output";
  const auto& list = input ? model.inputs() : model.outputs();
  if (index >= list.size()) {
    fail(TERNRT_INVALID_ARGUMENT, std::string(role) + " index " + std::to_string(index) + " out of range (model has " +
                                      std::to_string(list.size()) + " " + role + "s)");
  }
  const int t = list[index];
  const TensorDesc& d = model.tensors()[t];
  if (data == nullptr) fail(TERNRT_INVALID_ARGUMENT, std::string(role) + " '" + d.name + "': null data");
  if (bytes != d.bytes) {
    fail(TERNRT_INVALID_ARGUMENT, std::string(role) + " '" + d.name + "' of shape " + shape_str(d.shape) + " has " +
                                      std::to_string(d.bytes) + " bytes, got " + std::to_string(bytes));
  }
  return t;
}

void Interpreter::set_input(size_t index, const void* data, size_t bytes) {
  const int t = checked_io_tensor(model_, true, index, data, bytes);
  std::memcpy(tensor_data_[t], data, bytes);
  input_set_[index] = 1;
}

void Interpreter::get_output(size_t index, void* data, size_t bytes) const {
  const int t = checked_io_tensor(model_, false, index, data, bytes);
  std::memcpy(data, tensor_data_[t], bytes);
}

void Interpreter::invoke() {
  for (size_t i = 0; i < input_set_.size(); ++i) {
    if (!input_set_[i]) {
      fail(TERNRT_INVALID_STATE, "input " + std::to_string(i) + " '" + model_.tensors()[model_.inputs()[i]].name +
                                     "' was never set before invoke");
    }
  }
  if (!profiling_) {
    for (size_t i = 0; i < ops_.size(); ++i) ops_[i]->run(op_pools_[i]);
  } else {
    using clock = std::chrono::steady_clock;
    for (size_t i = 0; i < ops_.size(); ++i) {
      const auto start = clock::now();
      ops_[i]->run(op_pools_[i]);
      op_ns_[i] = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start).count());
    }
  }
  release_workers();
}

// pthreadpool's workers spin for a while after each parallel region, waiting for the next one;
// between the operators of an invoke that is what keeps dispatch cheap, but after the last one the
// spinning workers hold CPUs the caller, other interpreters' pools or other processes need (two
// interleaved 2-thread interpreters on a 2-core machine took 4 ms per invoke instead of 0.07). An
// empty region with PTHREADPOOL_FLAG_YIELD_WORKERS sends them to sleep, as XNNPACK's own runtime
// does after its last operator.
void Interpreter::release_workers() {
  // Only when some operator used the pool: waking sleeping workers just to park them costs more.
  if (!pool_used_) return;
  pthreadpool_parallelize_1d(
      pool_, [](void*, size_t) {}, nullptr, pthreadpool_get_threads_count(pool_), PTHREADPOOL_FLAG_YIELD_WORKERS);
}

}  // namespace ternrt
