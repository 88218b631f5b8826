// The execution state of one model: memory plan + arena, one executable Op per operator,
// the thread pool. Created once (all checks, weight packing, XNNPACK operator setup), then
// invoke() only runs the operators in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <pthreadpool.h>

#include "model.h"
#include "ops/op.h"
#include "residual-fusion.h"
#include "ternrt/ternrt.h"

namespace ternrt {

class Interpreter {
 public:
  Interpreter(const Model& model, const ternrt_interpreter_options& options);  // throws Error
  // The constructor, except that when TERNRT_FLAG_EXPAND_WEIGHTS makes the weights exceed
  // max_memory_bytes, the interpreter is created again with compact weights (the flag is a speed
  // preference; the limit is a requirement).
  static std::unique_ptr<Interpreter> create(const Model& model, const ternrt_interpreter_options& options);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  const Model& model() const { return model_; }
  void set_input(size_t index, const void* data, size_t bytes);
  void get_output(size_t index, void* data, size_t bytes) const;
  void invoke();

  size_t arena_bytes() const { return arena_bytes_; }
  // Tensor memory after invoke; nullptr when the planner may have reused it (see readable()).
  const void* tensor_data(size_t index) const { return tensor_data_[index]; }
  bool readable(size_t index) const {
    return fused_add_of_[index] < 0 && (preserve_all_ || model_.tensors()[index].data != nullptr || is_graph_io_[index]);
  }
  // For a layer's output that its fused residual ADD made unnecessary (never computed): that ADD's
  // operator index; -1 for every other tensor.
  int fused_away_by(size_t index) const { return fused_add_of_[index]; }
  size_t packed_weight_bytes() const;
  size_t scratch_bytes() const;
  kernels::Isa isa() const { return isa_; }
  // "static" (int8 between layers, ranges from the model), "dynamic" (ranges measured per invoke)
  // or "float" (TERNRT_FLAG_TERNARY_AS_FLOAT).
  const char* activation_mode() const { return mode_; }
  bool stored_as_int8(size_t index) const { return int8_[index] != 0; }
  size_t op_count() const { return ops_.size(); }
  const std::string& op_kernel(size_t i) const { return kernels_[i]; }
  void set_profiling(bool on) { profiling_ = on; }
  uint64_t op_time_ns(size_t i) const { return op_ns_[i]; }
  // Threads operator i runs on: the pool's size, or 1 on the calling thread (interpreter.cc).
  uint32_t op_threads(size_t i) const {
    return op_pools_[i] != nullptr ? static_cast<uint32_t>(pthreadpool_get_threads_count(op_pools_[i])) : 1;
  }

 private:
  void plan_and_allocate(uint64_t max_arena_bytes, bool preserve_all, MemoryBudget& budget);
  void choose_int8_tensors(const ternrt_interpreter_options& options);
  // fusion: this operator is the layer of a residual fusion (it adds the ADD's residual itself).
  std::unique_ptr<Op> create_op(const OpDesc& op, const CreateOptions& options, MemoryBudget& budget,
                                pthreadpool_t pool, const ResidualFusion* fusion = nullptr);
  void release_workers();

  const Model& model_;
  kernels::Isa isa_ = kernels::Isa::scalar;
  pthreadpool_t pool_ = nullptr;
  std::vector<void*> tensor_data_;
  std::vector<char> int8_;  // per tensor: stored as int8 (static path)
  const char* mode_ = "dynamic";
  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<ResidualFusion> fusions_;  // residual ADDs run inside the layer before them
  std::vector<int> fused_add_of_;        // per tensor: the ADD that made it unnecessary, or -1
  std::vector<pthreadpool_t> op_pools_;  // per operator: pool_, or nullptr when too small to split
  bool pool_used_ = false;               // some operator runs on pool_
  SharedScratch scratch_;                // operators' run()-time buffers, one after another
  std::vector<std::string> kernels_;
  std::vector<char> input_set_;
  bool profiling_ = false;
  bool preserve_all_ = false;
  bool expand_weights_ = false;  // TERNRT_FLAG_EXPAND_WEIGHTS
  std::vector<char> is_graph_io_;
  std::vector<uint64_t> op_ns_;
};

}  // namespace ternrt
