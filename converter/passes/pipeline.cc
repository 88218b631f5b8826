#include "passes/passes.h"

namespace ternrt::convert {

void run_float_passes(Graph& graph) {
  remove_noops(graph);
  fold_batchnorm(graph);
  fuse_patterns(graph);
  fuse_activation(graph);
  remove_noops(graph);  // dead nodes left behind by the folds
  graph.compact();
  convert_layout(graph);
  graph.compact();
  graph.check_topological();
}

}  // namespace ternrt::convert
