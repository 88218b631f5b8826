#include "passes/passes.h"

namespace ternrt::convert {

void remove_noops(Graph& graph) {
  for (Node& node : graph.nodes) {
    if (node.removed) continue;
    const bool noop =
        node.kind == OpKind::identity ||
        (node.kind == OpKind::reshape && graph.tensors[node.inputs[0]].shape == graph.tensors[node.outputs[0]].shape);
    if (!noop) continue;
    const int in = node.inputs[0], out = node.outputs[0];
    if (graph.is_graph_output(out)) {
      // Keep the ONNX output name: the producer of `in` writes straight into `out` instead.
      if (graph.is_graph_input(in) || graph.is_graph_output(in) || graph.producer(in) < 0) continue;
      Node& producer = graph.nodes[graph.producer(in)];
      for (int& t : producer.outputs)
        if (t == in) t = out;
      node.removed = true;
      graph.replace_uses(in, out);
      continue;
    }
    node.removed = true;
    graph.replace_uses(out, in);
  }
  // Dead nodes: outputs used by no node and no graph output. Backwards so chains die in one sweep.
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    Node& node = graph.nodes[i];
    if (node.removed) continue;
    bool used = false;
    for (int t : node.outputs) used = used || graph.is_graph_output(t) || !graph.consumers(t).empty();
    if (!used) node.removed = true;
  }
}

}  // namespace ternrt::convert
