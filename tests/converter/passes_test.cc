// The float passes on IR built directly in C++ (one test per pass).
#include <doctest/doctest.h>

#include <cmath>

#include "passes/passes.h"

using namespace ternrt::convert;

namespace {

int activation(Graph& g, const std::string& name, Shape shape) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  return g.add_tensor(std::move(t));
}

Node make(OpKind kind, const std::string& name, std::vector<int> in, std::vector<int> out) {
  Node n;
  n.kind = kind;
  n.name = name;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x (1,2,3,3) -> conv(1x1, 2->2) -> t
Graph conv_graph(int* conv_out) {
  Graph g;
  int x = activation(g, "x", {1, 2, 3, 3});
  int w = g.add_constant("w", {2, 2, 1, 1}, {1, 2, 3, 4});
  int b = g.add_constant("b", {2}, {0.5f, -0.5f});
  *conv_out = activation(g, "c", {1, 2, 3, 3});
  Node conv = make(OpKind::conv, "conv", {x, w, b}, {*conv_out});
  conv.kernel_h = conv.kernel_w = 1;
  g.nodes.push_back(conv);
  g.inputs = {x};
  return g;
}

}  // namespace

TEST_CASE("fold_batchnorm: folded into a single-consumer conv, else lowered to Mul + Add") {
  int c;
  Graph g = conv_graph(&c);
  int gamma = g.add_constant("g", {2}, {2, 3}), beta = g.add_constant("be", {2}, {1, 1});
  int mean = g.add_constant("m", {2}, {0.5f, 0}), var = g.add_constant("v", {2}, {4, 9});
  int y = activation(g, "y", {1, 2, 3, 3});
  Node bn = make(OpKind::batch_norm, "bn", {c, gamma, beta, mean, var}, {y});
  bn.epsilon = 0;
  g.nodes.push_back(bn);
  g.outputs = {y};

  SUBCASE("foldable") {
    fold_batchnorm(g);
    g.compact();
    REQUIRE(g.nodes.size() == 1);
    // scale = gamma / sqrt(var) = (1, 1); shift = beta - mean * scale = (0.5, 1)
    CHECK(g.tensors[g.nodes[0].inputs[1]].data == std::vector<float>{1, 2, 3, 4});
    CHECK(g.tensors[g.nodes[0].inputs[2]].data == std::vector<float>{0.5f * 1 + 0.5f, -0.5f + 1});
    CHECK(g.tensors[g.nodes[0].outputs[0]].name == "y");
  }
  SUBCASE("the conv output has a second consumer: Mul + Add") {
    int r = activation(g, "r", {1, 2, 3, 3});
    g.nodes.push_back(make(OpKind::activation, "relu", {c}, {r}));
    g.outputs.push_back(r);
    fold_batchnorm(g);
    g.compact();
    REQUIRE(g.nodes.size() == 4);
    CHECK(g.nodes[1].kind == OpKind::mul);
    CHECK(g.nodes[2].kind == OpKind::add);
    CHECK(g.tensors[g.nodes[1].inputs[1]].shape == Shape{1, 2, 1, 1});
    CHECK(g.tensors[g.nodes[1].inputs[1]].data == std::vector<float>{1, 1});
    CHECK(g.tensors[g.nodes[2].inputs[1]].data == std::vector<float>{0.5f, 1});
    CHECK(g.tensors[g.nodes[2].outputs[0]].name == "y");
  }
}

TEST_CASE("fuse_activation: only into a single-consumer, non-output Conv/FC/Add/Mul") {
  int c;
  Graph g = conv_graph(&c);
  int y = activation(g, "y", {1, 2, 3, 3});
  Node relu6 = make(OpKind::activation, "relu6", {c}, {y});
  relu6.activation.type = ActivationType::relu6;
  g.nodes.push_back(relu6);
  g.outputs = {y};
  SUBCASE("fused") {
    fuse_activation(g);
    g.compact();
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].activation.type == ActivationType::relu6);
    CHECK(g.nodes[0].outputs[0] == g.outputs[0]);
  }
  SUBCASE("not fused when the conv output is also a graph output") {
    g.outputs.push_back(c);
    fuse_activation(g);
    g.compact();
    CHECK(g.nodes.size() == 2);
    CHECK(g.nodes[0].activation.type == ActivationType::none);
  }
  SUBCASE("not fused after a max pool") {
    int p = activation(g, "p", {1, 2, 3, 3});
    g.nodes[1].inputs = {p};
    Node pool = make(OpKind::max_pool, "pool", {c}, {p});
    g.nodes.insert(g.nodes.begin() + 1, pool);
    fuse_activation(g);
    g.compact();
    CHECK(g.nodes.size() == 3);
  }
}

TEST_CASE("remove_noops: Identity, same-shape Reshape and dead nodes go; output names stay") {
  int c;
  Graph g = conv_graph(&c);
  int i = activation(g, "i", {1, 2, 3, 3});
  int r = activation(g, "r", {1, 2, 3, 3});
  int dead = activation(g, "dead", {1, 2, 3, 3});
  g.nodes.push_back(make(OpKind::identity, "id", {c}, {i}));
  g.nodes.push_back(make(OpKind::reshape, "rs", {i}, {r}));
  g.nodes.push_back(make(OpKind::activation, "unused", {c}, {dead}));
  g.outputs = {r};
  remove_noops(g);
  g.compact();
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].name == "conv");
  CHECK(g.tensors[g.nodes[0].outputs[0]].name == "r");
  CHECK(g.tensors[g.outputs[0]].name == "r");
}

TEST_CASE("convert_layout: NCHW -> NHWC once (shapes, conv weights, constants, axes, pads)") {
  Graph g;
  int x = activation(g, "x", {1, 2, 2, 3});  // N C H W
  int w = g.add_constant("w", {1, 2, 1, 2}, {1, 2, 3, 4});  // OC IC KH KW
  int b = g.add_constant("b", {1}, {0});
  int c = activation(g, "c", {1, 1, 2, 2});
  Node conv = make(OpKind::conv, "conv", {x, w, b}, {c});
  conv.kernel_h = 1, conv.kernel_w = 2;
  g.nodes.push_back(conv);
  int k = g.add_constant("k", {2, 1, 1}, {5, 6});  // broadcast over x's channels
  int m = activation(g, "m", {1, 2, 2, 3});
  g.nodes.push_back(make(OpKind::mul, "mul", {x, k}, {m}));
  int p = activation(g, "p", {1, 2, 4, 3});
  Node pad = make(OpKind::pad, "pad", {m}, {p});
  pad.paddings = {0, 0, 0, 0, 1, 1, 0, 0};
  g.nodes.push_back(pad);
  g.inputs = {x};
  g.outputs = {c, p};
  convert_layout(g);
  CHECK(g.nhwc);
  CHECK(g.tensors[x].shape == Shape{1, 2, 3, 2});
  CHECK(g.tensors[c].shape == Shape{1, 2, 2, 1});
  CHECK(g.tensors[w].shape == Shape{1, 1, 2, 2});
  CHECK(g.tensors[w].data == std::vector<float>{1, 3, 2, 4});  // (kw, ic) order
  CHECK(g.tensors[g.nodes[1].inputs[1]].shape == Shape{1, 1, 1, 2});
  CHECK(g.tensors[g.nodes[1].inputs[1]].data == std::vector<float>{5, 6});
  CHECK(g.nodes[2].paddings == std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 0});
  CHECK(g.metadata["source_layout"] == "NCHW");
  convert_layout(g);  // idempotent: done once
  CHECK(g.tensors[x].shape == Shape{1, 2, 3, 2});
}
