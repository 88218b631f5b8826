#include "residual-fusion.h"

#include "ops/common.h"

namespace ternrt {
namespace {

class FusedAdd final : public Op {
 public:
  explicit FusedAdd(std::string layer) : layer_(std::move(layer)) {}
  void prepare(const PrepareArgs&) override {}
  void run(pthreadpool_t) override {}
  std::string kernel() const override { return "fused into " + layer_; }
  bool handles_int8() const override { return true; }

 private:
  std::string layer_;
};

}  // namespace

std::vector<ResidualFusion> find_residual_fusions(const Model& model, const CreateOptions& options) {
  std::vector<ResidualFusion> fusions;
  if (!options.static_ranges || options.int8 == nullptr) return fusions;
  const auto& tensors = model.tensors();
  const auto& ops = model.ops();
  // Producer (operator index) and number of uses of every tensor.
  std::vector<int> producer(tensors.size(), -1), uses(tensors.size(), 0);
  for (const OpDesc& op : ops) {
    for (int t : op.outputs) producer[t] = op.index;
    for (int t : op.inputs)
      if (t >= 0) ++uses[t];
  }
  for (int t : model.outputs()) ++uses[t];   // a graph output is read by the caller
  std::vector<char> layer_taken(ops.size(), 0);
  for (const OpDesc& add : ops) {
    if (add.opcode != fb::OpCode::ADD || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    const Activation act = activation_of(add.fb->options_as_ElementwiseOptions()->activation());
    const int a = add.inputs[0], b = add.inputs[1], y = add.outputs[0];
    if (act.post != fb::Activation::NONE || a < 0 || b < 0 || a == b || !options.is_s8(a) || !options.is_s8(b) ||
        !options.is_s8(y) || tensors[a].shape != tensors[y].shape || tensors[b].shape != tensors[y].shape) {
      continue;
    }
    // Of the two inputs, the one whose layer runs last (so the other is ready before it).
    ResidualFusion best{-1, add.index, -1, -1, y, act.min, act.max};
    for (int pass = 0; pass < 2; ++pass) {
      const int x = pass == 0 ? a : b, r = pass == 0 ? b : a;
      const int layer = producer[x];
      if (layer < 0 || layer >= add.index || layer_taken[layer] || uses[x] != 1 || producer[r] >= layer) continue;
      const OpDesc& op = ops[layer];
      if (op.outputs.size() != 1 || (op.opcode != fb::OpCode::CONV_2D && op.opcode != fb::OpCode::FULLY_CONNECTED)) {
        continue;
      }
      if (!find_op_spec(op.opcode)->create(model, op, options)->can_fuse_residual()) continue;
      if (layer > best.layer) {
        best.layer = layer;
        best.skipped = x;
        best.residual = r;
      }
    }
    if (best.layer < 0) continue;
    layer_taken[best.layer] = 1;
    fusions.push_back(best);
  }
  return fusions;
}

std::unique_ptr<Op> make_fused_add(const std::string& layer_label) { return std::make_unique<FusedAdd>(layer_label); }

}  // namespace ternrt
