// ternrt-inspect: what is inside a .tern model (after full verification): metadata, graph
// inputs/outputs, operators with shapes and weights (ternary method, sparsity, bits per weight),
// static int8 activation params (format 1.1) and parameter / byte totals per tensor type.
#include <cstdio>
#include <map>
#include <string>

#include "error.h"
#include "model.h"
#include "tool-common.h"
#include "trit-formats.h"

namespace {

using ternrt::fb::TensorType;

double zero_fraction(const ternrt::TernaryDesc& t) {
  const size_t row = (t.k + 3) / 4;
  size_t zeros = 0;
  for (size_t n = 0; n < t.n; ++n) {
    for (size_t j = 0; j < t.k; ++j) zeros += ((t.codes[n * row + j / 4] >> (2 * (j % 4))) & 3) == 1;
  }
  return static_cast<double>(zeros) / static_cast<double>(t.n * t.k);
}

// Static int8 params of tensor `i` (Tensor.quantization on an F32 activation, format 1.1), or "".
std::string int8_params(const ternrt::fb::Model& fbm, int i) {
  const auto* q = fbm.graph()->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i))->quantization();
  if (!q || !q->scale() || q->scale()->size() != 1) return "";
  const long long zp = q->zero_point() && q->zero_point()->size() ? static_cast<long long>(ternrt::quantization_zero_point(*q, 0)) : 0;
  const double scale = q->scale()->Get(0);
  char b[96];
  // The float range the 256 int8 codes cover.
  std::snprintf(b, sizeof b, "s=%.4g zp=%lld [%.3g, %.3g]", scale, zp, scale * double(-128 - zp), scale * double(127 - zp));
  return b;
}

int run(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs("usage: ternrt-inspect MODEL.tern\n  Verifies the model and prints its operators, shapes, weights and sizes.\n",
               argc == 2 ? stdout : stderr);
    return argc == 2 ? 0 : 2;
  }
  auto model = ternrt::Model::load_file(argv[1]);
  const auto& fbm = model->flatbuffer();
  std::printf("model      %s (%s)\n", argv[1], ternrt::tools::human_bytes(static_cast<double>(model->file_bytes())).c_str());
  std::printf("format     %u.%u, producer '%s'\n", fbm.version()->major(), fbm.version()->minor(),
              fbm.producer() ? fbm.producer()->c_str() : "");
  if (fbm.metadata() && fbm.metadata()->size()) {
    std::printf("metadata\n");
    for (const auto* e : *fbm.metadata()) std::printf("  %-24s %s\n", e->key()->c_str(), e->value() ? e->value()->c_str() : "");
  }
  const auto& tensors = model->tensors();
  size_t activations = 0, with_int8 = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant()) continue;
    ++activations;
    with_int8 += !int8_params(fbm, static_cast<int>(i)).empty();
  }
  auto int8_suffix = [&](int i) {
    const std::string p = int8_params(fbm, i);
    return p.empty() ? p : "  int8 " + p;
  };
  for (int i : model->inputs())
    std::printf("input      '%s' %s (NHWC inside)%s\n", tensors[i].name.c_str(), ternrt::shape_str(tensors[i].shape).c_str(),
                int8_suffix(i).c_str());
  for (int i : model->outputs())
    std::printf("output     '%s' %s%s\n", tensors[i].name.c_str(), ternrt::shape_str(tensors[i].shape).c_str(), int8_suffix(i).c_str());

  std::printf("\n%-4s %-16s %-28s %-20s %-22s %-8s %7s %6s%s\n", "#", "op", "name", "output", "weights", "method", "zeros", "bits/w",
              with_int8 ? "  static int8 output" : "");
  std::map<std::string, std::pair<size_t, size_t>> by_type;  // type -> (parameters, bytes)
  size_t params = 0, float_equiv_bytes = 0;
  for (const auto& op : model->ops()) {
    std::string wshape = "-", method = "-", zeros = "-", bits = "-";
    if (op.inputs.size() > 1 && op.inputs[1] >= 0 && tensors[op.inputs[1]].is_constant()) {
      const auto& w = tensors[op.inputs[1]];
      wshape = ternrt::shape_str(w.shape);
      if (w.ternary) {
        const auto& t = *w.ternary;
        method = ternrt::fb::EnumNameTernaryMethod(t.method);
        char b[32];
        std::snprintf(b, sizeof b, "%.1f%%", 100.0 * zero_fraction(t));
        zeros = b;
        std::snprintf(b, sizeof b, "%.2f", 8.0 * static_cast<double>(t.stored_bytes) / static_cast<double>(t.n * t.k));
        bits = b;
      } else {
        method = "float";
        bits = "32";
      }
    }
    const auto& out = tensors[op.outputs[0]];
    std::string int8 = with_int8 ? int8_params(fbm, op.outputs[0]) : "";
    if (with_int8 && int8.empty()) int8 = "- (float)";
    std::printf("%-4d %-16s %-28.28s %-20s %-22s %-8s %7s %6s%s%s\n", op.index, ternrt::fb::EnumNameOpCode(op.opcode), op.name.c_str(),
                ternrt::shape_str(out.shape).c_str(), wshape.c_str(), method.c_str(), zeros.c_str(), bits.c_str(),
                with_int8 ? "  " : "", int8.c_str());
  }
  for (const auto& t : tensors) {
    if (!t.is_constant()) continue;
    params += t.elements;
    float_equiv_bytes += t.elements * 4;
    auto& slot = by_type[ternrt::fb::EnumNameTensorType(t.type)];
    slot.first += t.elements;
    slot.second += t.ternary ? t.ternary->stored_bytes + t.ternary->channel_scales.size() * 4 : t.bytes;
  }
  std::printf("\nparameters %zu\n", params);
  for (const auto& kv : by_type) {
    std::printf("  %-9s %10zu parameters  %12s\n", kv.first.c_str(), kv.second.first,
                ternrt::tools::human_bytes(static_cast<double>(kv.second.second)).c_str());
  }
  std::printf("weights    %s stored, %s as float32 (%.2fx smaller)\n",
              ternrt::tools::human_bytes(static_cast<double>(model->weight_bytes())).c_str(),
              ternrt::tools::human_bytes(static_cast<double>(float_equiv_bytes)).c_str(),
              model->weight_bytes() ? static_cast<double>(float_equiv_bytes) / static_cast<double>(model->weight_bytes()) : 0.0);
  std::string source;
  if (fbm.metadata())
    for (const auto* e : *fbm.metadata())
      if (e->key() && e->key()->str() == "activations.static" && e->value()) source = " (" + e->value()->str() + ")";
  if (with_int8)
    std::printf("activations static int8 ranges for %zu of %zu activation tensors%s%s\n", with_int8, activations,
                source.c_str(), with_int8 < activations ? "; the others stay float in the static path" : "");
  else
    std::printf("activations no static int8 ranges (%zu activation tensors, int8 quantized dynamically per invocation)\n",
                activations);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const ternrt::Error& e) {
    std::fprintf(stderr, "ternrt-inspect: %s: %s\n", ternrt_status_name(e.status()), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ternrt-inspect: %s\n", e.what());
  }
  return 1;
}
