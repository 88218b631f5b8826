// The operator interface. One file per operator implements a check (run when the model is
// loaded: options, input/output counts, types and shapes) and a factory for its executable form
// (run when an interpreter is created: packs weights, creates XNNPACK operators).
// "Validate while preparing, run blind while invoking": run() does no checks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <pthreadpool.h>

#include "model.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt {

// What an interpreter may still allocate (ternrt_interpreter_options.max_memory_bytes). Operators
// reserve before they allocate, so a hostile model is refused instead of exhausting memory.
class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}
  // Throws Error(OUT_OF_MEMORY) naming `what` when `bytes` more would exceed the limit.
  void reserve(uint64_t bytes, const std::string& what);
  uint64_t used() const { return used_; }
  // Gives back what was reserved since used() returned `used` (an abandoned operator form).
  void release_to(uint64_t used) { used_ = used < used_ ? used : used_; }

 private:
  uint64_t limit_;  // 0: unlimited
  uint64_t used_ = 0;
};

// Scratch that operators use only inside one run() and need not keep (int8 copies of inputs, GEMM
// workspaces): one buffer per interpreter, as large as the largest request, since operators run one
// after another. It is allocated after every operator is prepared, so operators keep their offsets
// and read data() in run().
class SharedScratch {
 public:
  // Reserves the growth over the largest request so far in the budget (throws like reserve()).
  void request(size_t bytes, MemoryBudget& budget, const std::string& what);
  void allocate();  // after the last prepare(); may throw std::bad_alloc
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage_.data()); }  // 64-byte aligned
  size_t size() const { return size_; }
  void shrink_to(size_t bytes) { size_ = bytes < size_ ? bytes : size_; }  // an abandoned operator form

 private:
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  size_t size_ = 0;
  std::vector<Line> storage_;
};

struct PrepareArgs {
  const Model& model;
  const OpDesc& op;
  const std::vector<void*>& tensor_data;  // every tensor's data: constants or arena slots
  pthreadpool_t pool;
  kernels::Isa isa;
  MemoryBudget& budget;

  // Static int8 path: which tensors this interpreter stores as int8 (with the tensor's act_scale /
  // act_zero_point); all zero in the dynamic and float paths.
  const std::vector<char>& int8;
  // The static path is on: a float input with a range in the model may be quantized with it.
  bool static_ranges = false;
  SharedScratch* scratch = nullptr;  // the interpreter's; always set by it
  // TERNRT_FLAG_EXPAND_WEIGHTS: ternary layers may use a kernel's expanded weight layout.
  bool expand_weights = false;

  float* f32(int tensor) const { return static_cast<float*>(tensor_data[tensor]); }
  int8_t* s8(int tensor) const { return static_cast<int8_t*>(tensor_data[tensor]); }
  bool is_s8(int tensor) const { return tensor >= 0 && int8[tensor] != 0; }
  const TensorDesc& tensor(int index) const { return model.tensors()[index]; }
};

// Thrown by an int8 operator's prepare() when XNNPACK refuses its quantization parameters (e.g. a
// scale ratio outside its range): the interpreter then runs the operator in float instead.
struct Int8Unsupported {
  std::string why;
};

class Op {
 public:
  virtual ~Op() = default;
  virtual void prepare(const PrepareArgs& args) = 0;  // tensor pointers are final here
  virtual void run(pthreadpool_t pool) = 0;
  virtual std::string kernel() const = 0;             // what executes it, for profiles
  virtual size_t scratch_bytes() const { return 0; }  // memory held besides the arena
  virtual size_t packed_weight_bytes() const { return 0; }
  // True when the operator reads and writes its int8 tensors itself (PrepareArgs::int8); otherwise
  // the interpreter wraps it in FloatFallback, which converts int8 tensors around a float run.
  virtual bool handles_int8() const { return false; }
  // Residual fusion (residual-fusion.h, static int8 path): whether this operator, as created, can add
  // an int8 tensor of its output's shape to its result before requantizing, so that the ADD after it
  // runs inside it; fuse_residual() (before prepare()) makes it add `residual` and write the ADD's
  // `output` with the ADD's clamp instead of its own output.
  virtual bool can_fuse_residual() const { return false; }
  virtual void fuse_residual(int /*residual*/, int /*output*/, float /*clamp_min*/, float /*clamp_max*/) {}
};

struct CreateOptions {
  bool ternary_as_float = false;  // TERNRT_FLAG_TERNARY_AS_FLOAT
  const std::vector<char>* int8 = nullptr;  // as PrepareArgs::int8 (nullptr: no int8 tensors)
  bool static_ranges = false;  // the static int8 path (as PrepareArgs::static_ranges)
  bool is_s8(int tensor) const { return int8 != nullptr && tensor >= 0 && (*int8)[tensor] != 0; }
};

struct OpSpec {
  fb::OpCode opcode;
  void (*check)(const Model& model, const OpDesc& op);        // throws Error(INVALID_MODEL/UNSUPPORTED)
  std::unique_ptr<Op> (*create)(const Model& model, const OpDesc& op, const CreateOptions& options);
};

// nullptr for an opcode this runtime does not know.
const OpSpec* find_op_spec(fb::OpCode opcode);

// The specs, one per operator file.
extern const OpSpec kConv2DSpec, kFullyConnectedSpec, kAddSpec, kMulSpec, kMaxPool2DSpec, kAvgPool2DSpec,
    kGlobalAvgPoolSpec, kReshapeSpec, kConcatSpec, kPadSpec, kSoftmaxSpec, kActivationSpec;

}  // namespace ternrt
