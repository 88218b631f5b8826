// Calibration inputs (.npy, .npy folders, images, IDX), --preprocess parsing, activation ranges
// and data-free BatchNorm range estimates (converter/calibrate/).
#include <doctest/doctest.h>

#include <stb/stb_image_write.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "calibrate/activation_ranges.h"
#include "calibrate/calibration_data.h"
#include "idx.h"
#include "npy.h"

using namespace ternrt::calibrate;

namespace {

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(TERNRT_BINARY_DIR) + "/ptq_data_test_" + name;
  mkdir(dir.c_str(), 0755);
  // Leftovers of an earlier run are overwritten by name; tests use fixed file names.
  return dir;
}

}  // namespace

TEST_CASE("--preprocess parsing") {
  const Preprocess p = parse_preprocess("resize=28x32,mean=0.5,0.25,0.125,std=2,layout=nhwc,scale=1/255");
  CHECK(p.resize_h == 28);
  CHECK(p.resize_w == 32);
  CHECK(p.mean == std::vector<float>{0.5f, 0.25f, 0.125f});
  CHECK(p.std == std::vector<float>{2.0f});
  CHECK(p.nhwc);
  CHECK(p.scale == doctest::Approx(1.0 / 255));
  CHECK(parse_preprocess("scale=0.5").scale == 0.5f);
  CHECK_THROWS_WITH_AS(parse_preprocess("resize=28"), doctest::Contains("HxW"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_preprocess("std=0"), doctest::Contains("positive"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_preprocess("layout=chw"), doctest::Contains("nchw or nhwc"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_preprocess("scale=1/0"), doctest::Contains("scale"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_preprocess("gamma=2"), doctest::Contains("unknown key 'gamma'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_preprocess("mean=a"), doctest::Contains("--preprocess mean"), std::invalid_argument);
}

TEST_CASE("spread_indices covers the whole set") {
  CHECK(spread_indices(10, 5) == std::vector<size_t>{0, 2, 4, 6, 8});
  CHECK(spread_indices(3, 8) == std::vector<size_t>{0, 1, 2});
  CHECK(spread_indices(0, 4).empty());
}

TEST_CASE(".npy file and folder") {
  const std::string dir = fresh_dir("npy");
  std::vector<float> data(10 * 2 * 3 * 3);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i);
  ternrt::tools::write_npy_f32(dir + "/all.npy", {10, 2, 3, 3}, data.data());
  const CalibrationSet set = load_calibration_set(dir + "/all.npy", detect_source(dir + "/all.npy"), {1, 2, 3, 3}, 4, {});
  REQUIRE(set.samples.size() == 4);
  CHECK(set.sample_shape == std::vector<int64_t>{2, 3, 3});
  // Samples 0, 2, 5, 7 of 10 (even spread), each 18 values.
  CHECK(set.samples[1][0] == 2 * 18.0f);
  CHECK(set.samples[3][17] == 7 * 18.0f + 17);

  CHECK_THROWS_WITH_AS(load_calibration_set(dir + "/all.npy", SourceKind::npy_file, {1, 2, 3, 4}, 4, {}),
                       doctest::Contains("all.npy: array of shape 10x2x3x3 does not hold samples of the model input 2x3x4"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(load_calibration_set(dir + "/all.npy", SourceKind::npy_file, {2, 2, 3, 3}, 4, {}),
                       doctest::Contains("batch of 1"), std::runtime_error);

  const std::string folder = fresh_dir("npy_folder");
  ternrt::tools::write_npy_f32(folder + "/a.npy", {1, 2, 3, 3}, data.data());        // one sample with batch dim
  ternrt::tools::write_npy_f32(folder + "/b.npy", {2, 3, 3}, data.data() + 18);      // one sample
  ternrt::tools::write_npy_f32(folder + "/c.npy", {3, 2, 3, 3}, data.data() + 36);   // three samples
  CHECK(detect_source(folder) == SourceKind::npy_folder);
  const CalibrationSet f = load_calibration_set(folder, SourceKind::npy_folder, {1, 2, 3, 3}, 100, {});
  REQUIRE(f.samples.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(f.samples[i][0] == float(18 * i));

  std::vector<float> bad(7);
  ternrt::tools::write_npy_f32(folder + "/d.npy", {7}, bad.data());
  CHECK_THROWS_WITH_AS(load_calibration_set(folder, SourceKind::npy_folder, {1, 2, 3, 3}, 100, {}),
                       doctest::Contains("d.npy"), std::runtime_error);
  std::remove((folder + "/d.npy").c_str());
  CHECK_THROWS_WITH_AS(detect_source(dir + "/missing.npy"), doctest::Contains("no such calibration file"), std::runtime_error);
}

TEST_CASE("image folder: decode, resize, normalize, layout") {
  const std::string dir = fresh_dir("images");
  // 16x16 RGB images with a constant color each: resizing keeps the color, so every value is known.
  const unsigned char colors[3][3] = {{10, 20, 30}, {200, 100, 0}, {255, 255, 255}};
  for (int i = 0; i < 3; ++i) {
    std::vector<unsigned char> px(16 * 16 * 3);
    for (size_t p = 0; p < 16 * 16; ++p)
      for (int c = 0; c < 3; ++c) px[p * 3 + c] = colors[i][c];
    REQUIRE(stbi_write_png((dir + "/img" + std::to_string(i) + ".png").c_str(), 16, 16, 3, px.data(), 16 * 3));
  }
  CHECK(detect_source(dir) == SourceKind::image_folder);
  const Preprocess p = parse_preprocess("mean=0.5,0.5,0.5,std=0.25,0.5,1");
  const CalibrationSet set = load_calibration_set(dir, SourceKind::image_folder, {1, 3, 8, 8}, 10, p);
  REQUIRE(set.samples.size() == 3);
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 64; ++y) {
        const float want = (colors[i][c] / 255.0f - 0.5f) / p.std[c];
        CHECK(set.samples[i][c * 64 + y] == doctest::Approx(want).epsilon(1e-3));
      }
  // NHWC layout: channel is the fastest dimension.
  const CalibrationSet nhwc = load_calibration_set(dir, SourceKind::image_folder, {1, 8, 8, 3}, 1,
                                                   parse_preprocess("layout=nhwc"));
  CHECK(nhwc.samples[0][0] == doctest::Approx(10 / 255.0f));
  CHECK(nhwc.samples[0][1] == doctest::Approx(20 / 255.0f));
  CHECK_THROWS_WITH_AS(load_calibration_set(dir, SourceKind::image_folder, {1, 3, 8, 8}, 1, parse_preprocess("resize=4x4")),
                       doctest::Contains("does not match the model input"), std::runtime_error);
  CHECK_THROWS_WITH_AS(load_calibration_set(dir, SourceKind::image_folder, {1, 2, 8, 8}, 1, {}),
                       doctest::Contains("1 or 3 channels"), std::runtime_error);
  std::FILE* f = std::fopen((dir + "/zz_broken.png").c_str(), "wb");
  std::fputs("not a png", f);
  std::fclose(f);
  CHECK_THROWS_WITH_AS(load_calibration_set(dir, SourceKind::image_folder, {1, 3, 8, 8}, 10, {}),
                       doctest::Contains("zz_broken.png: cannot decode image"), std::runtime_error);
  std::remove((dir + "/zz_broken.png").c_str());
}

TEST_CASE("IDX images with the model's mean/std as default") {
  const std::string dir = fresh_dir("idx");
  ternrt::tools::IdxArray a;
  a.type = ternrt::tools::IdxType::u8;
  a.dims = {6, 4, 4};
  for (size_t i = 0; i < 6 * 16; ++i) a.data.push_back(static_cast<uint8_t>(i * 2));
  ternrt::tools::write_idx(dir + "/images.idx", a);
  const CalibrationSet set =
      load_calibration_set(dir + "/images.idx", SourceKind::idx_file, {1, 1, 4, 4}, 3, Preprocess{}, {0.25f}, {0.5f});
  REQUIRE(set.samples.size() == 3);  // images 0, 2, 4
  CHECK(set.samples[1][3] == doctest::Approx(((2 * 16 + 3) * 2 / 255.0f - 0.25f) / 0.5f));
  // --preprocess overrides the metadata.
  const CalibrationSet raw =
      load_calibration_set(dir + "/images.idx", SourceKind::idx_file, {1, 1, 4, 4}, 1, parse_preprocess("mean=0,std=1"), {0.25f}, {0.5f});
  CHECK(raw.samples[0][5] == doctest::Approx(10 / 255.0f));
  CHECK_THROWS_WITH_AS(load_calibration_set(dir + "/images.idx", SourceKind::idx_file, {1, 1, 5, 4}, 1, {}),
                       doctest::Contains("images.idx"), std::runtime_error);
}

TEST_CASE("activation ranges: min/max, percentile, MSE-optimal clipping") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq ranges seed %u\n", seed);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(20000);
  for (float& x : v) x = normal(rng);
  v[123] = 40.0f;  // one outlier stretches min/max
  RangeCollector c(1 << 16);
  c.add(v.data(), 7000);
  c.add(v.data() + 7000, v.size() - 7000);
  const Range mm = c.minmax();
  CHECK(mm.hi == 40.0f);
  CHECK(mm.lo == *std::min_element(v.begin(), v.end()));
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const Range pr = c.percentile(99.0);
  CHECK(pr.hi == doctest::Approx(sorted[static_cast<size_t>(0.99 * (v.size() - 1))]).epsilon(5e-3));
  CHECK(pr.lo == doctest::Approx(sorted[static_cast<size_t>(0.01 * (v.size() - 1))]).epsilon(1e-2));
  const Range mse = c.mse_optimal();
  CHECK(mse.hi < mm.hi);  // the outlier is clipped
  CHECK(int8_quantization_mse(v, mse.lo, mse.hi) < int8_quantization_mse(v, mm.lo, mm.hi));
  CHECK(c.compute(RangeMethod::percentile, 99.0).hi == pr.hi);
  RangeMethod m;
  CHECK(parse_range_method("mse", &m));
  CHECK(m == RangeMethod::mse);
  CHECK_FALSE(parse_range_method("max", &m));
}

TEST_CASE("data-free ranges from BatchNorm statistics") {
  using namespace ternrt::convert;
  Graph g;
  auto tensor = [&](const std::string& name) {
    Tensor t;
    t.name = name;
    t.shape = {1, 2, 4, 4};
    return g.add_tensor(t);
  };
  const int x = tensor("x"), bn_out = tensor("bn"), relu_out = tensor("relu"), pool_out = tensor("pool"), sum = tensor("sum");
  const int gamma = g.add_constant("gamma", {2}, {0.5f, -2.0f});
  const int beta = g.add_constant("beta", {2}, {1.0f, 0.0f});
  const int mean = g.add_constant("mean", {2}, {0, 0});
  const int var = g.add_constant("var", {2}, {1, 1});
  g.inputs = {x};
  Node bn;
  bn.kind = OpKind::batch_norm;
  bn.inputs = {x, gamma, beta, mean, var};
  bn.outputs = {bn_out};
  Node relu;
  relu.kind = OpKind::activation;
  relu.activation.type = ActivationType::relu6;
  relu.inputs = {bn_out};
  relu.outputs = {relu_out};
  Node pool;
  pool.kind = OpKind::max_pool;
  pool.inputs = {relu_out};
  pool.outputs = {pool_out};
  Node add;
  add.kind = OpKind::add;
  add.inputs = {pool_out, bn_out};
  add.outputs = {sum};
  g.nodes = {bn, relu, pool, add};
  const auto r = batchnorm_range_estimates(g, 3.0);
  // Channel 0: 1 +- 1.5, channel 1: 0 +- 6 -> [-6, 6].
  CHECK(r.at("bn").lo == doctest::Approx(-6.0));
  CHECK(r.at("bn").hi == doctest::Approx(6.0));
  CHECK(r.at("relu").lo == doctest::Approx(0.0));
  CHECK(r.at("relu").hi == doctest::Approx(6.0));
  CHECK(r.at("pool").hi == doctest::Approx(6.0));
  CHECK(r.at("sum").lo == doctest::Approx(-6.0));
  CHECK(r.at("sum").hi == doctest::Approx(12.0));
  CHECK(r.count("x") == 0);  // the graph input has no estimate
  ternrt::convert::Activation hs;
  hs.type = ActivationType::hard_swish;
  const Range h = activation_range(hs, Range{-4.0, 1.0});
  CHECK(h.lo == doctest::Approx(-0.375));
  CHECK(h.hi == doctest::Approx(1.0 * 4.0 / 6.0));
}

#include "ptq/ptq_flags.h"

TEST_CASE("calibration flags of ternrt-convert") {
  auto parse = [](std::vector<std::string> args, ternrt::ptq::PtqOptions* o, std::string* error) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    int consumed = 0;
    for (int i = 0; i < static_cast<int>(argv.size()); ++i) {
      if (!ternrt::ptq::parse_ptq_flag(static_cast<int>(argv.size()), argv.data(), &i, o, error)) break;
      ++consumed;
      if (!error->empty()) break;
    }
    return consumed;
  };
  ternrt::ptq::PtqOptions o;
  std::string error;
  CHECK(parse({"--calibrate", "d", "--calib-samples", "64", "--act-range", "mse", "--no-scale-refit", "--no-bias-correction",
               "--threshold-search", "--preprocess", "scale=1,layout=nhwc", "--act-percentile", "99.9"},
              &o, &error) == 8);
  CHECK(error.empty());
  CHECK(o.data == "d");
  CHECK(o.samples == 64);
  CHECK(o.act_range == RangeMethod::mse);
  CHECK_FALSE(o.steps.scale_refit);
  CHECK_FALSE(o.steps.bias_correction);
  CHECK(o.threshold_search == 1);
  CHECK(o.preprocess.nhwc);
  CHECK(o.percentile == 99.9);
  CHECK(ternrt::ptq::check_ptq_options(o).empty());
  o.idx = "x.gz";
  CHECK(ternrt::ptq::check_ptq_options(o).find("one calibration source") != std::string::npos);
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--calib-samples", "0"}, {"--calib-samples", "12x"}, {"--act-range", "max"}, {"--act-percentile", "40"},
           {"--preprocess", "layout=x"}, {"--calibrate"}}) {
    ternrt::ptq::PtqOptions p;
    error.clear();
    parse(bad, &p, &error);
    CAPTURE(bad[0]);
    CHECK(error.find(bad[0].substr(0, 6)) != std::string::npos);
  }
  error.clear();
  CHECK(parse({"--method", "mquant"}, &o, &error) == 0);  // not a calibration flag
}
