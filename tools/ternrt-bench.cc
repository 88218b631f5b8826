// ternrt-bench: end-to-end latency of a .tern model on this device (the counterpart of TFLite's
// benchmark_model): latency percentiles, per-operator times, memory; and, for models with
// ternary layers, the same model with those layers run in float through XNNPACK, for a ratio;
// for models with static int8 ranges, the static path next to the dynamic one.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tool-common.h"

namespace {

const char kUsage[] =
    "usage: ternrt-bench MODEL.tern [--threads N] [--warmup W] [--runs R] [--isa ISA] [--activations static|dynamic]\n"
    "                    [--expand-weights] [--no-float] [--no-dynamic] [--json] [--verbose]\n"
    "  --threads N  worker threads (default 1)\n"
    "  --warmup W   untimed invokes first (default 5)\n"
    "  --runs R     timed invokes (default 50); latency min / median / p90 / max over them\n"
    "  --isa ISA    force the ternary kernels: scalar, avx2, avx512, avx512vnni, neon, neondot\n"
    "  --activations M  static (default when the model has int8 ranges: int8 between layers) or dynamic\n"
    "               (ranges measured per invoke; TERNRT_FLAG_DYNAMIC_ACTIVATIONS)\n"
    "  --expand-weights  keep compute-bound layers' weights at one byte per trit where the kernels\n"
    "               have that layout (AVX2): faster, 4x their packed bytes (TERNRT_FLAG_EXPAND_WEIGHTS)\n"
    "  --no-float   skip the float comparison (ternary layers dequantized and run by XNNPACK)\n"
    "  --no-dynamic skip the dynamic comparison of a model run with static int8 activations\n"
    "  --json       print one JSON object instead of the tables\n"
    "  --verbose    also list the kernel chosen for every operator\n";

struct Latency {
  double min = 0, median = 0, p90 = 0, max = 0;
};

Latency summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    const double pos = p * static_cast<double>(ms.size() - 1);
    const size_t lo = static_cast<size_t>(pos);
    const size_t hi = std::min(lo + 1, ms.size() - 1);
    return ms[lo] + (ms[hi] - ms[lo]) * (pos - static_cast<double>(lo));
  };
  return {ms.front(), pct(0.5), pct(0.9), ms.back()};
}

struct Result {
  Latency latency;
  std::vector<double> op_ms;  // median per operator over the profiled runs
  size_t arena = 0, packed = 0, scratch = 0;
  std::string isa;
  std::string activations;  // "static", "dynamic" or "float"
};

// One configuration of the model (static / dynamic / float) with its own interpreter.
struct Variant {
  Variant(const ternrt::ModelHandle& model, unsigned threads, const char* isa, uint32_t flags)
      : interp(model, threads, isa, 0, flags) {}
  ternrt::InterpreterHandle interp;
  std::vector<double> ms;
  Result result;
};

void set_random_inputs(ternrt_interpreter* raw) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (size_t i = 0; i < ternrt_interpreter_input_count(raw); ++i) {
    ternrt_tensor_info info;
    ternrt::check(ternrt_interpreter_input_info(raw, i, &info));
    std::vector<float> x(info.bytes / 4);
    for (float& v : x) v = dist(rng);
    ternrt::check(ternrt_interpreter_set_input(raw, i, x.data(), info.bytes));
  }
}

// Times every variant with their invokes interleaved (run i of each, then run i + 1, ...), so load
// changes on a shared machine hit all of them alike and the ratios stay meaningful.
void measure(std::vector<Variant*>& variants, long warmup, long runs) {
  for (Variant* v : variants) {
    set_random_inputs(v->interp.get());
    for (long i = 0; i < warmup; ++i) ternrt::check(ternrt_interpreter_invoke(v->interp.get()));
  }
  for (long i = 0; i < runs; ++i) {
    for (Variant* v : variants) {
      const auto t0 = std::chrono::steady_clock::now();
      ternrt::check(ternrt_interpreter_invoke(v->interp.get()));
      v->ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  for (Variant* v : variants) {
    ternrt_interpreter* raw = v->interp.get();
    Result& r = v->result;
    r.latency = summarize(v->ms);
    // Per-operator times come from separate profiled runs so the timers do not touch the latencies.
    ternrt_interpreter_set_profiling(raw, 1);
    const size_t n_ops = ternrt_interpreter_op_count(raw);
    std::vector<std::vector<double>> samples(n_ops);
    const long prof_runs = std::max<long>(1, std::min<long>(runs, 20));
    for (long i = 0; i < prof_runs; ++i) {
      ternrt::check(ternrt_interpreter_invoke(raw));
      for (size_t k = 0; k < n_ops; ++k) samples[k].push_back(static_cast<double>(ternrt_interpreter_op_time_ns(raw, k)) / 1e6);
    }
    for (auto& s : samples) r.op_ms.push_back(summarize(s).median);  // medians: robust to a preempted run
    ternrt_interpreter_set_profiling(raw, 0);
    r.arena = ternrt_interpreter_arena_bytes(raw);
    r.packed = ternrt_interpreter_packed_weight_bytes(raw);
    r.scratch = ternrt_interpreter_scratch_bytes(raw);
    r.isa = ternrt_interpreter_isa(raw);
    r.activations = ternrt_interpreter_activation_mode(raw);
  }
}

std::string json_latency(const Latency& l) {
  char b[160];
  std::snprintf(b, sizeof b, "{\"min\": %.4f, \"median\": %.4f, \"p90\": %.4f, \"max\": %.4f}", l.min, l.median, l.p90, l.max);
  return b;
}

// Where a model's time goes: its operators with ternary weights against the others, as sums of
// per-operator medians in the measured variant and in float. The others bound what the ternary
// kernels alone can gain: with them as fast as in float, the model is at most
// float_total / others_float faster than float (Amdahl), however fast its ternary layers run.
struct TimeSplit {
  double ternary_ms = 0, other_ms = 0, ternary_float_ms = 0, other_float_ms = 0;
  size_t ternary_ops = 0, other_ops = 0;
  double bound() const { return other_float_ms > 0 ? (ternary_float_ms + other_float_ms) / other_float_ms : 0; }
};

TimeSplit split_time(const std::vector<ternrt_op_info>& ops, const Result& t, const Result* f) {
  TimeSplit s;
  for (size_t k = 0; k < ops.size(); ++k) {
    const bool ternary = ops[k].ternary != 0;
    (ternary ? s.ternary_ms : s.other_ms) += t.op_ms[k];
    (ternary ? s.ternary_ops : s.other_ops) += 1;
    if (f != nullptr) (ternary ? s.ternary_float_ms : s.other_float_ms) += f->op_ms[k];
  }
  return s;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

int run(int argc, char** argv) {
  std::string path, isa;
  long threads = 1, warmup = 5, runs = 50;
  bool with_float = true, with_dynamic = true, json = false, verbose = false;
  uint32_t flags = 0, weight_flags = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--threads") threads = ternrt::tools::parse_int_flag(a, value(), 1, 256);
    else if (a == "--warmup") warmup = ternrt::tools::parse_int_flag(a, value(), 0, 1000000);
    else if (a == "--runs") runs = ternrt::tools::parse_int_flag(a, value(), 1, 10000000);
    else if (a == "--isa") isa = value();
    else if (a == "--expand-weights") weight_flags = TERNRT_FLAG_EXPAND_WEIGHTS;
    else if (a == "--no-float") with_float = false;
    else if (a == "--no-dynamic") with_dynamic = false;
    else if (a == "--activations") flags = ternrt::tools::parse_activations_flag(value());
    else if (a == "--json") json = true;
    else if (a == "--verbose") verbose = true;
    else if (!a.empty() && a[0] == '-') throw std::runtime_error("unknown option '" + a + "'\n" + kUsage);
    else if (path.empty()) path = a;
    else throw std::runtime_error("unexpected argument '" + a + "'");
  }
  if (path.empty()) throw std::runtime_error(std::string("missing MODEL\n") + kUsage);

  const auto model = ternrt::ModelHandle::load_file(path);
  const char* isa_arg = isa.empty() ? nullptr : isa.c_str();
  const unsigned n_threads = static_cast<unsigned>(threads);
  Variant main_variant(model, n_threads, isa_arg, flags | weight_flags);
  ternrt_interpreter* probe = main_variant.interp.get();
  const bool is_static = std::string(ternrt_interpreter_activation_mode(probe)) == "static";
  if (flags == 0 && !is_static && !json) std::fprintf(stderr, "note: the model has no static int8 ranges (ternrt-convert --static-int8); running the dynamic path\n");

  // Operator names, types and kernels (the same operators in every variant).
  const size_t n_ops = ternrt_interpreter_op_count(probe);
  std::vector<ternrt_op_info> ops(n_ops);
  std::vector<uint32_t> op_threads(n_ops);
  bool has_ternary = false;
  size_t parallel_ops = 0;
  for (size_t k = 0; k < n_ops; ++k) {
    ternrt::check(ternrt_interpreter_op_info(probe, k, &ops[k]));
    has_ternary |= ops[k].ternary != 0;
    op_threads[k] = ternrt_interpreter_op_threads(probe, k);
    parallel_ops += op_threads[k] > 1;
  }
  const bool compare = with_float && has_ternary;
  const bool compare_dynamic = with_dynamic && is_static;
  std::unique_ptr<Variant> dynamic_variant, float_variant;
  std::vector<Variant*> variants{&main_variant};
  if (compare_dynamic) {
    dynamic_variant = std::make_unique<Variant>(model, n_threads, isa_arg, TERNRT_FLAG_DYNAMIC_ACTIVATIONS | weight_flags);
    variants.push_back(dynamic_variant.get());
  }
  if (compare) {
    float_variant = std::make_unique<Variant>(model, n_threads, nullptr, TERNRT_FLAG_TERNARY_AS_FLOAT);
    variants.push_back(float_variant.get());
  }
  measure(variants, warmup, runs);
  const Result& t = main_variant.result;
  const Result d = compare_dynamic ? dynamic_variant->result : Result{};
  const Result f = compare ? float_variant->result : Result{};
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const size_t peak_rss = static_cast<size_t>(ru.ru_maxrss) * 1024;
  const size_t weight_bytes = model.weight_bytes();
  const TimeSplit split = split_time(ops, t, compare ? &f : nullptr);

  if (json) {
    std::printf("{\"model\": \"%s\", \"isa\": \"%s\", \"activations\": \"%s\", \"threads\": %ld, \"parallel_ops\": %zu, \"runs\": %ld, \"latency_ms\": %s",
                json_escape(path).c_str(), t.isa.c_str(), t.activations.c_str(), threads, parallel_ops, runs, json_latency(t.latency).c_str());
    if (compare_dynamic) {
      std::printf(", \"dynamic_latency_ms\": %s, \"speedup_vs_dynamic\": %.4f", json_latency(d.latency).c_str(),
                  d.latency.median / t.latency.median);
    }
    if (compare) std::printf(", \"float_latency_ms\": %s, \"speedup_vs_float\": %.4f", json_latency(f.latency).c_str(), f.latency.median / t.latency.median);
    std::printf(", \"ternary_ops_ms\": %.5f, \"other_ops_ms\": %.5f", split.ternary_ms, split.other_ms);
    if (compare) {
      std::printf(", \"ternary_ops_float_ms\": %.5f, \"other_ops_float_ms\": %.5f, \"speedup_bound_ternary_only\": %.4f",
                  split.ternary_float_ms, split.other_float_ms, split.bound());
    }
    std::printf(", \"expand_weights\": %s, \"arena_bytes\": %zu, \"weight_bytes\": %zu, \"packed_weight_bytes\": %zu, \"scratch_bytes\": %zu, \"peak_rss_bytes\": %zu, \"ops\": [",
                weight_flags ? "true" : "false", t.arena, weight_bytes, t.packed, t.scratch, peak_rss);
    for (size_t k = 0; k < n_ops; ++k) {
      std::printf("%s{\"index\": %zu, \"name\": \"%s\", \"type\": \"%s\", \"kernel\": \"%s\", \"ternary\": %s, \"threads\": %u, \"ms\": %.5f",
                  k ? ", " : "", k, json_escape(ops[k].name).c_str(), ops[k].type, json_escape(ops[k].kernel).c_str(),
                  ops[k].ternary ? "true" : "false", op_threads[k], t.op_ms[k]);
      if (compare_dynamic) std::printf(", \"dynamic_ms\": %.5f", d.op_ms[k]);
      if (compare) std::printf(", \"float_ms\": %.5f", f.op_ms[k]);
      std::printf("}");
    }
    std::printf("]}\n");
    return 0;
  }

  std::printf("model     %s\nisa       %s (ternary kernels), %s activations, threads %ld, %ld warmup + %ld timed runs\n", path.c_str(),
              t.isa.c_str(), t.activations.c_str(), threads, warmup, runs);
  if (threads > 1) {
    std::printf("threads   %zu of %zu operators on the pool (smaller ones, or a model too small to pay for waking it, run on\n"
                "          the calling thread; TERNRT_MIN_PARALLEL_WORK moves the line)\n", parallel_ops, n_ops);
  }
  std::printf("\n%-24s %9s %9s %9s %9s\n", "latency (ms)", "min", "median", "p90", "max");
  const std::string label = !has_ternary ? "model" : "ternary, " + t.activations + " int8";
  std::printf("%-24s %9.3f %9.3f %9.3f %9.3f\n", label.c_str(), t.latency.min, t.latency.median, t.latency.p90, t.latency.max);
  if (compare_dynamic) {
    std::printf("%-24s %9.3f %9.3f %9.3f %9.3f\n", "ternary, dynamic int8", d.latency.min, d.latency.median, d.latency.p90, d.latency.max);
  }
  if (compare) {
    std::printf("%-24s %9.3f %9.3f %9.3f %9.3f\n", "same model in float", f.latency.min, f.latency.median, f.latency.p90, f.latency.max);
  }
  if (compare_dynamic) std::printf("speed-up vs dynamic (median): %.2fx\n", d.latency.median / t.latency.median);
  if (compare) std::printf("speed-up vs float (median): %.2fx\n", f.latency.median / t.latency.median);
  double total = 0;
  for (double v : t.op_ms) total += v;
  std::printf("\n%-4s %-16s %-26s %9s %6s%s%s%s\n", "#", "op", "name", "ms", "share", compare_dynamic ? "    dyn ms" : "",
              compare ? "  float ms" : "", verbose ? "  kernel" : "");
  for (size_t k = 0; k < n_ops; ++k) {
    std::printf("%-4zu %-16s %-26.26s %9.4f %5.1f%%", k, ops[k].type, ops[k].name, t.op_ms[k], total > 0 ? 100 * t.op_ms[k] / total : 0.0);
    if (compare_dynamic) std::printf("  %8.4f", d.op_ms[k]);
    if (compare) std::printf("  %8.4f", f.op_ms[k]);
    if (verbose) std::printf("  %s%s", ops[k].kernel, op_threads[k] > 1 ? " [pool]" : "");
    std::printf("\n");
  }
  if (compare && has_ternary) {
    std::printf("\n%-38s %9s %9s\n", "time split (sums of operator medians)", "ms", "float ms");
    std::printf("%-38s %9.4f %9.4f\n", ("operators with ternary weights (" + std::to_string(split.ternary_ops) + ")").c_str(),
                split.ternary_ms, split.ternary_float_ms);
    std::printf("%-38s %9.4f %9.4f\n", ("other operators (" + std::to_string(split.other_ops) + ")").c_str(), split.other_ms,
                split.other_float_ms);
    const double total_float = split.ternary_float_ms + split.other_float_ms;
    if (split.other_float_ms > 0 && total_float > 0) {
      std::printf("the other operators are %.0f%% of the float time: with them as fast as in float, the ternary layers\n"
                  "alone can make this model at most %.2fx faster than float\n",
                  100 * split.other_float_ms / total_float, split.bound());
    }
  }
  std::printf("\nmemory    arena %s, weights %s in the file, packed weights %s, scratch %s, peak RSS %s\n",
              ternrt::tools::human_bytes(static_cast<double>(t.arena)).c_str(), ternrt::tools::human_bytes(static_cast<double>(weight_bytes)).c_str(),
              ternrt::tools::human_bytes(static_cast<double>(t.packed)).c_str(), ternrt::tools::human_bytes(static_cast<double>(t.scratch)).c_str(),
              ternrt::tools::human_bytes(static_cast<double>(peak_rss)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return ternrt::tools::tool_main("ternrt-bench", run, argc, argv); }
