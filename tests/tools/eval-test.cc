// ternrt-eval as a process, on one-layer classifiers whose predictions are known in closed form:
// images are 2x5 pixels, all 0 except one "hot" pixel at 255, and the model is a FULLY_CONNECTED
// layer over the 10 pixels. With identity weights and bias 0.01 * class, class `hot` wins and the
// rest rank by bias, so top-1 / top-5 for any labels, and agreement with a permuted model, follow
// from the hot positions alone.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "idx.h"
#include "model-builder.h"
#include "npy.h"

namespace fb = ternrt::fb;
using ternrt::test::ModelBuilder;

namespace {

// 32 pixels: ternary layers with fewer inputs run in float (runtime/src/ops/ternary-gemm.h).
constexpr int kPixels = 32, kClasses = 10;

std::string temp_path(const std::string& name) { return std::string(TERNRT_BINARY_DIR) + "/eval_test_" + name; }

struct ModelSpec {
  int batch = 1;
  std::vector<int> perm = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // class o reads pixel perm[o]
  std::vector<float> bias = {0.f, .01f, .02f, .03f, .04f, .05f, .06f, .07f, .08f, .09f};
  bool ternary = false;
  std::vector<std::pair<std::string, std::string>> metadata;
};

std::string write_model(const ModelSpec& spec, const std::string& name) {
  ModelBuilder mb;
  const int x = mb.activation("x", {spec.batch, kPixels});
  std::vector<float> w(kClasses * kPixels, 0.f);
  std::vector<int8_t> trits(kClasses * kPixels, 0);
  for (int o = 0; o < kClasses; ++o) {
    w[o * kPixels + spec.perm[o]] = 1.f;
    trits[o * kPixels + spec.perm[o]] = 1;
  }
  const int wt = spec.ternary ? mb.ternary("w", {kClasses, kPixels}, trits, std::vector<float>(kClasses, 1.f))
                              : mb.constant("w", {kClasses, kPixels}, w);
  const int b = mb.constant("b", {kClasses}, spec.bias);
  const int y = mb.activation("logits", {spec.batch, kClasses});
  mb.op(fb::OpCode::FULLY_CONNECTED, {x, wt, b}, {y}, ternrt::test::fc_options());
  mb.inputs({x});
  mb.outputs({y});
  for (const auto& [k, v] : spec.metadata) mb.metadata(k, v);
  const auto bytes = mb.finish();
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

struct Data {
  std::vector<int> hot, labels;
};

// n images with random hot pixels; labels equal the hot pixel with probability 1/2, else random.
Data hot_pixel_data(std::mt19937& rng, int n) {
  Data d;
  for (int i = 0; i < n; ++i) {
    d.hot.push_back(static_cast<int>(rng() % kClasses));  // the hot pixel is the class
    d.labels.push_back(rng() % 2 ? d.hot.back() : static_cast<int>(rng() % kClasses));
  }
  return d;
}

void write_idx_set(const Data& d, const std::string& images, const std::string& labels) {
  ternrt::tools::IdxArray im, lb;
  im.dims = {static_cast<uint32_t>(d.hot.size()), 4, 8};
  im.data.assign(d.hot.size() * kPixels, 0);
  for (size_t i = 0; i < d.hot.size(); ++i) im.data[i * kPixels + d.hot[i]] = 255;
  lb.dims = {static_cast<uint32_t>(d.labels.size())};
  for (int l : d.labels) lb.data.push_back(static_cast<uint8_t>(l));
  ternrt::tools::write_idx(images, im);
  ternrt::tools::write_idx(labels, lb);
}

// With identity weights and increasing biases: class `hot` first, then 9, 8, 7, ... without `hot`.
std::vector<int> top5_of(int hot) {
  std::vector<int> top = {hot};
  for (int c = kClasses - 1; c >= 0 && top.size() < 5; --c)
    if (c != hot) top.push_back(c);
  return top;
}

double expected_top1(const Data& d) {
  int hits = 0;
  for (size_t i = 0; i < d.hot.size(); ++i) hits += d.labels[i] == d.hot[i];
  return double(hits) / double(d.hot.size());
}

double expected_top5(const Data& d) {
  int hits = 0;
  for (size_t i = 0; i < d.hot.size(); ++i) {
    const auto top = top5_of(d.hot[i]);
    hits += std::find(top.begin(), top.end(), d.labels[i]) != top.end();
  }
  return double(hits) / double(d.hot.size());
}

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr
};

Run run_eval(const std::string& args) {
  const std::string cmd = std::string(TERNRT_EVAL_EMULATOR " \"") + TERNRT_EVAL_EXE + "\" " + args + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The number after "key": in a one-line JSON object; NaN when the key is missing or null.
double json_value(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return std::nan("");
  const char* start = json.c_str() + at + key.size() + 4;
  if (std::strncmp(start, "null", 4) == 0) return std::nan("");
  return std::strtod(start, nullptr);
}

unsigned seed() {
  static const unsigned s = [] {
    const unsigned v = std::random_device{}();
    std::fprintf(stderr, "eval-test seed %u\n", v);
    return v;
  }();
  return s;
}

}  // namespace

TEST_CASE("IDX set: top-1 / top-5 match the closed form; batch 1 and batch 4 agree; --limit") {
  std::mt19937 rng(seed());
  MESSAGE("seed " << seed());
  const Data d = hot_pixel_data(rng, 37);  // 37: the batch-4 model ends on a partial batch
  const std::string images = temp_path("images.idx"), labels = temp_path("labels.idx");
  write_idx_set(d, images, labels);
  for (int batch : {1, 4}) {
    ModelSpec spec;
    spec.batch = batch;
    const std::string model = write_model(spec, "identity_b" + std::to_string(batch) + ".tern");
    const Run r = run_eval(model + " --idx-images " + images + " --idx-labels " + labels + " --json");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(json_value(r.output, "n") == 37);
    CHECK(json_value(r.output, "top1") == doctest::Approx(expected_top1(d)).epsilon(1e-6));
    CHECK(json_value(r.output, "top5") == doctest::Approx(expected_top5(d)).epsilon(1e-6));
    CHECK(std::isnan(json_value(r.output, "agreement")));  // no reference given: null
    CHECK(json_value(r.output, "images_per_s") > 0);
    CHECK(json_value(r.output, "batch") == batch);
  }
  Data first10 = d;
  first10.hot.resize(10);
  first10.labels.resize(10);
  const std::string model = temp_path("identity_b1.tern");
  const Run r = run_eval(model + " --idx-images " + images + " --idx-labels " + labels + " --limit 10 --json");
  REQUIRE(r.exit_code == 0);
  CHECK(json_value(r.output, "n") == 10);
  CHECK(json_value(r.output, "top1") == doctest::Approx(expected_top1(first10)).epsilon(1e-6));
}

TEST_CASE("--json has exactly one object with top1, top5, agreement, images_per_s and n") {
  std::mt19937 rng(seed() + 1);
  const Data d = hot_pixel_data(rng, 12);
  const std::string images = temp_path("j_images.idx"), labels = temp_path("j_labels.idx");
  write_idx_set(d, images, labels);
  const std::string model = write_model(ModelSpec{}, "json.tern");
  const Run r = run_eval(model + " --idx-images " + images + " --idx-labels " + labels + " --reference " + model + " --json --no-progress");
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.front() == '{');
  CHECK(r.output.find('{', 1) == std::string::npos);
  CHECK(r.output.substr(r.output.size() - 2) == "}\n");
  for (const char* key : {"top1", "top5", "agreement", "images_per_s", "n"}) {
    INFO(key);
    CHECK(r.output.find(std::string("\"") + key + "\": ") != std::string::npos);
    CHECK(!std::isnan(json_value(r.output, key)));
  }
  CHECK(json_value(r.output, "agreement") == 1.0);  // a model agrees with itself
}

TEST_CASE("agreement with a reference; ternary model; .npy images and labels") {
  std::mt19937 rng(seed() + 2);
  const Data d = hot_pixel_data(rng, 40);
  ModelSpec ternary;
  ternary.ternary = true;
  const std::string model = write_model(ternary, "ternary.tern");
  ModelSpec swapped;  // classes 0 and 1 read each other's pixel: disagrees exactly on hot 0 and 1
  swapped.perm = {1, 0, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::string reference = write_model(swapped, "swapped.tern");
  int agree = 0, ref_hits = 0;
  for (size_t i = 0; i < d.hot.size(); ++i) {
    agree += d.hot[i] > 1;
    const int ref_pred = d.hot[i] == 0 ? 1 : d.hot[i] == 1 ? 0 : d.hot[i];
    ref_hits += ref_pred == d.labels[i];
  }

  // .npy: NCHW float images (already "normalized": 0/1), labels as float class indices.
  std::vector<float> x(d.hot.size() * kPixels, 0.f), y;
  for (size_t i = 0; i < d.hot.size(); ++i) x[i * kPixels + d.hot[i]] = 1.f;
  for (int l : d.labels) y.push_back(static_cast<float>(l));
  const std::string xs = temp_path("x.npy"), ys = temp_path("y.npy");
  ternrt::tools::write_npy_f32(xs, {static_cast<int64_t>(d.hot.size()), 1, 4, 8}, x.data());
  ternrt::tools::write_npy_f32(ys, {static_cast<int64_t>(d.labels.size())}, y.data());
  const Run r = run_eval(model + " --images " + xs + " --labels " + ys + " --reference " + reference + " --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(json_value(r.output, "top1") == doctest::Approx(expected_top1(d)).epsilon(1e-6));
  CHECK(json_value(r.output, "top5") == doctest::Approx(expected_top5(d)).epsilon(1e-6));
  CHECK(json_value(r.output, "agreement") == doctest::Approx(double(agree) / d.hot.size()).epsilon(1e-6));
  CHECK(json_value(r.output, "reference_top1") == doctest::Approx(double(ref_hits) / d.hot.size()).epsilon(1e-6));

  // The reference's top-1 saved once (--save-top1) gives the same agreement as the model itself.
  const std::string saved = temp_path("swapped_top1.npy");
  REQUIRE(run_eval(reference + " --images " + xs + " --save-top1 " + saved + " --json").exit_code == 0);
  const auto saved_top1 = ternrt::tools::read_npy(saved);
  REQUIRE(saved_top1.data.size() == d.hot.size());
  CHECK(saved_top1.data[0] == (d.hot[0] == 0 ? 1 : d.hot[0] == 1 ? 0 : d.hot[0]));
  const Run from_npy = run_eval(model + " --images " + xs + " --labels " + ys + " --reference " + saved + " --json");
  REQUIRE(from_npy.exit_code == 0);
  CHECK(json_value(from_npy.output, "agreement") == doctest::Approx(double(agree) / d.hot.size()).epsilon(1e-6));

  const Run text = run_eval(model + " --images " + xs + " --labels " + ys + " --reference " + reference);
  REQUIRE(text.exit_code == 0);
  CHECK(text.output.find("top-1") != std::string::npos);
  CHECK(text.output.find("agreement") != std::string::npos);
  CHECK(text.output.find("images/s") != std::string::npos);
}

TEST_CASE("IDX normalization from model metadata, overridden by --mean/--std") {
  // Bias 1.5 on class 9: unnormalized pixels (hot 1, rest 0) always predict 9; with mean 0.5,
  // std 0.25 the hot pixel becomes 2 and the rest -2, so the hot class wins (9 only when hot is 9).
  std::mt19937 rng(seed() + 3);
  Data d = hot_pixel_data(rng, 30);
  for (size_t i = 0; i < d.hot.size(); ++i) d.labels[i] = d.hot[i];  // every label right
  const std::string images = temp_path("n_images.idx"), labels = temp_path("n_labels.idx");
  write_idx_set(d, images, labels);
  int nines = 0;
  for (int h : d.hot) nines += h == 9;
  ModelSpec plain;
  plain.bias = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1.5f};
  ModelSpec with_meta = plain;
  with_meta.metadata = {{"input.mean", "0.5"}, {"input.std", "0.25"}};
  const std::string m_plain = write_model(plain, "norm_plain.tern"), m_meta = write_model(with_meta, "norm_meta.tern");
  const std::string data = " --idx-images " + images + " --idx-labels " + labels + " --json";
  CHECK(json_value(run_eval(m_plain + data).output, "top1") == doctest::Approx(double(nines) / 30).epsilon(1e-6));
  CHECK(json_value(run_eval(m_meta + data).output, "top1") == 1.0);
  CHECK(json_value(run_eval(m_plain + data + " --mean 0.5 --std 0.25").output, "top1") == 1.0);
  CHECK(json_value(run_eval(m_meta + data + " --mean 0 --std 1").output, "top1") == doctest::Approx(double(nines) / 30).epsilon(1e-6));
  const Run three = run_eval(m_plain + data + " --mean 0.1,0.2,0.3");
  CHECK(three.exit_code == 1);
  CHECK(three.output.find("3 values per channel but " + images + " has 1 channel") != std::string::npos);
}

TEST_CASE("errors name the file: missing, bad magic, count mismatch, label out of range") {
  std::mt19937 rng(seed() + 4);
  const Data d = hot_pixel_data(rng, 10);
  const std::string images = temp_path("e_images.idx"), labels = temp_path("e_labels.idx");
  write_idx_set(d, images, labels);
  const std::string model = write_model(ModelSpec{}, "errors.tern");

  const Run missing = run_eval(model + " --idx-images " + temp_path("nope.idx"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("ternrt-eval: " + temp_path("nope.idx") + ": cannot open") == 0);

  const Run missing_model = run_eval(temp_path("nope.tern") + " --idx-images " + images);
  CHECK(missing_model.exit_code == 1);
  CHECK(missing_model.output.find(temp_path("nope.tern")) != std::string::npos);

  const std::string bad = temp_path("bad_magic.idx");
  std::ofstream(bad, std::ios::binary) << "PK\x03\x04 not idx";
  const Run bad_magic = run_eval(model + " --idx-images " + bad);
  CHECK(bad_magic.exit_code == 1);
  CHECK(bad_magic.output.find(bad + ": bad IDX magic") != std::string::npos);

  Data nine = d;
  nine.hot.resize(9);
  nine.labels.resize(9);
  const std::string short_images = temp_path("e_images9.idx"), short_labels = temp_path("e_labels9.idx");
  write_idx_set(nine, short_images, short_labels);
  const Run mismatch = run_eval(model + " --idx-images " + images + " --idx-labels " + short_labels);
  CHECK(mismatch.exit_code == 1);
  CHECK(mismatch.output.find(short_labels + ": has 9 labels but " + images + " has 10 images") != std::string::npos);

  Data out_of_range = d;
  out_of_range.labels[3] = 10;
  const std::string bad_labels_images = temp_path("e_images_r.idx"), bad_labels = temp_path("e_labels_r.idx");
  write_idx_set(out_of_range, bad_labels_images, bad_labels);
  const Run range = run_eval(model + " --idx-images " + bad_labels_images + " --idx-labels " + bad_labels);
  CHECK(range.exit_code == 1);
  CHECK(range.output.find(bad_labels + ": label 3 is 10, outside [0, 10)") != std::string::npos);

  const Run both = run_eval(model + " --idx-images " + images + " --images x.npy");
  CHECK(both.exit_code == 1);
  CHECK(both.output.find("exactly one of") != std::string::npos);

  const Run mode = run_eval(model + " --idx-images " + images + " --activations fast");
  CHECK(mode.exit_code == 1);
  CHECK(mode.output.find("--activations: expected static or dynamic, got 'fast'") != std::string::npos);

  const std::string wrong_shape = temp_path("wrong_shape.npy");
  std::vector<float> zeros(3 * 7, 0.f);
  ternrt::tools::write_npy_f32(wrong_shape, {3, 7}, zeros.data());
  const Run shape = run_eval(model + " --images " + wrong_shape);
  CHECK(shape.exit_code == 1);
  CHECK(shape.output.find(wrong_shape + ": shape") != std::string::npos);
}

TEST_CASE("--ternary-as-float runs ternary layers in float, without the int8 activation rounding") {
  // One image: pixel 0 = 100 (its class is pushed down by a -300 bias), pixel 1 = 0.20, pixel 2 = 0.21.
  // In float, class 2 wins by 0.01. Any 8-bit activation quantization of the range [0, 100] has a
  // step of at least 0.39, so pixels 1 and 2 become equal and the first of them, class 1, wins.
  ModelSpec spec;
  spec.ternary = true;
  spec.bias = {-300.f, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::string model = write_model(spec, "as_float.tern");
  std::vector<float> x(kPixels, 0.f);
  x[0] = 100.f;
  x[1] = 0.20f;
  x[2] = 0.21f;
  const float label = 2;
  const std::string xs = temp_path("as_float_x.npy"), ys = temp_path("as_float_y.npy");
  ternrt::tools::write_npy_f32(xs, {1, kPixels}, x.data());
  ternrt::tools::write_npy_f32(ys, {1}, &label);
  const Run int8 = run_eval(model + " --images " + xs + " --labels " + ys + " --json");
  const Run as_float = run_eval(model + " --images " + xs + " --labels " + ys + " --json --ternary-as-float");
  INFO(int8.output);
  INFO(as_float.output);
  REQUIRE(int8.exit_code == 0);
  REQUIRE(as_float.exit_code == 0);
  CHECK(json_value(as_float.output, "top1") == 1.0);
  CHECK(json_value(int8.output, "top1") == 0.0);
  CHECK(as_float.output.find("\"ternary_as_float\": true") != std::string::npos);
}
