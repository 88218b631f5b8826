#include "passes/passes.h"

namespace ternrt::convert {

void fuse_activation(Graph& graph) {
  for (Node& act : graph.nodes) {
    if (act.removed || act.kind != OpKind::activation) continue;
    const int x = act.inputs[0];
    const int p = graph.producer(x);
    if (p < 0 || graph.is_graph_output(x) || graph.consumers(x).size() != 1) continue;
    Node& producer = graph.nodes[p];
    const bool fusable_kind = producer.kind == OpKind::conv || producer.kind == OpKind::fully_connected ||
                              producer.kind == OpKind::add || producer.kind == OpKind::mul;
    if (!fusable_kind || producer.activation.type != ActivationType::none) continue;
    producer.activation = act.activation;
    for (int& t : producer.outputs)
      if (t == x) t = act.outputs[0];
    act.removed = true;
  }
}

}  // namespace ternrt::convert
