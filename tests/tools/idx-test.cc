// IDX reader: round trips of raw and gzip files the test writes, every element type, and the
// errors for missing files, bad magic, truncated headers / data / gzip streams, trailing bytes.
#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "idx.h"

using ternrt::tools::IdxArray;
using ternrt::tools::IdxType;

namespace {

std::string temp_path(const std::string& name) { return std::string(TERNRT_BINARY_DIR) + "/idx_test_" + name; }

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb9");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(gz) == Z_OK);
}

// A random N x H x W u8 image set, as MNIST stores it.
IdxArray random_images(std::mt19937& rng, uint32_t n, uint32_t h, uint32_t w) {
  IdxArray a;
  a.type = IdxType::u8;
  a.dims = {n, h, w};
  a.data.resize(size_t(n) * h * w);
  for (auto& v : a.data) v = static_cast<uint8_t>(rng() & 0xFF);
  return a;
}

std::string error_of(const std::string& path) {
  try {
    ternrt::tools::read_idx(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("raw and gzip IDX files read back the same dimensions and pixels") {
  const unsigned seed = std::random_device{}();
  MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  const IdxArray images = random_images(rng, 7, 5, 3);
  const std::string raw = temp_path("images.idx"), gz = temp_path("images.idx.gz");
  ternrt::tools::write_idx(raw, images);
  write_gz(gz, read_bytes(raw));
  const auto raw_bytes = read_bytes(raw);
  REQUIRE(raw_bytes.size() == 4 + 3 * 4 + 7 * 5 * 3);
  CHECK(raw_bytes[2] == 0x08);
  CHECK(raw_bytes[3] == 3);
  CHECK(raw_bytes[7] == 7);  // big-endian N
  for (const std::string& path : {raw, gz}) {
    const IdxArray a = ternrt::tools::read_idx(path);
    CHECK(a.type == IdxType::u8);
    CHECK(a.dims == std::vector<uint32_t>{7, 5, 3});
    CHECK(a.elements() == 105);
    CHECK(a.data == images.data);
    CHECK(a.value(17) == images.data[17]);
  }
  std::remove(raw.c_str());
  std::remove(gz.c_str());
}

TEST_CASE("multi-byte element types are big-endian") {
  // i16 -2, i32 70000, f32 1.5, f64 -0.25, i8 -3: written by hand, independent of write_idx.
  struct Case {
    uint8_t type;
    std::vector<uint8_t> payload;
    double want;
  };
  const Case cases[] = {{0x09, {0xFD}, -3},
                        {0x0B, {0xFF, 0xFE}, -2},
                        {0x0C, {0x00, 0x01, 0x11, 0x70}, 70000},
                        {0x0D, {0x3F, 0xC0, 0x00, 0x00}, 1.5},
                        {0x0E, {0xBF, 0xD0, 0, 0, 0, 0, 0, 0}, -0.25}};
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes(8 + c.payload.size(), 0);
    bytes[2] = c.type;
    bytes[3] = 1;  // rank 1
    bytes[7] = 1;  // one element
    std::copy(c.payload.begin(), c.payload.end(), bytes.begin() + 8);
    const IdxArray a = ternrt::tools::parse_idx(bytes, "mem");
    REQUIRE(a.elements() == 1);
    CHECK(a.value(0) == c.want);
  }
}

TEST_CASE("errors name the file and say what is wrong") {
  const std::string missing = temp_path("does-not-exist.idx");
  CHECK(error_of(missing).find(missing + ": cannot open") == 0);

  const std::string bad_magic = temp_path("bad_magic.idx");
  write_bytes(bad_magic, {0x1F, 0x00, 0x08, 0x01, 0, 0, 0, 1, 42});
  CHECK(error_of(bad_magic) == bad_magic + ": bad IDX magic 1f 00 08 01 (expected 00 00 TYPE RANK)");

  const std::string bad_type = temp_path("bad_type.idx");
  write_bytes(bad_type, {0, 0, 0x07, 1, 0, 0, 0, 1, 42});
  CHECK(error_of(bad_type).find(bad_type + ": unknown IDX element type 0x07") == 0);

  const std::string short_header = temp_path("short_header.idx");
  write_bytes(short_header, {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0});
  CHECK(error_of(short_header).find(short_header + ": truncated IDX header: rank 3 needs 16 bytes") == 0);

  const std::string tiny = temp_path("tiny.idx");
  write_bytes(tiny, {0, 0});
  CHECK(error_of(tiny).find("shorter than the 4-byte magic") != std::string::npos);

  std::mt19937 rng(3);
  IdxArray images = random_images(rng, 4, 6, 6);
  const std::string full = temp_path("full.idx");
  ternrt::tools::write_idx(full, images);
  std::vector<uint8_t> bytes = read_bytes(full);

  const std::string truncated = temp_path("truncated.idx");
  write_bytes(truncated, std::vector<uint8_t>(bytes.begin(), bytes.end() - 10));
  CHECK(error_of(truncated) == truncated + ": truncated IDX data: dimensions need 144 bytes of u8, file has 134");

  const std::string trailing = temp_path("trailing.idx");
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  write_bytes(trailing, longer);
  CHECK(error_of(trailing) == trailing + ": 1 unexpected bytes after the IDX data");

  // A gzip stream cut in half: either zlib reports it, or the IDX size check does; both name the file.
  const std::string gz = temp_path("cut.idx.gz");
  write_gz(gz, bytes);
  const std::vector<uint8_t> compressed = read_bytes(gz);
  write_bytes(gz, std::vector<uint8_t>(compressed.begin(), compressed.begin() + static_cast<std::ptrdiff_t>(compressed.size() / 2)));
  const std::string gz_error = error_of(gz);
  CHECK(gz_error.find(gz + ": ") == 0);
  CHECK(gz_error.find("truncated") != std::string::npos);

  for (const auto& p : {bad_magic, bad_type, short_header, tiny, full, truncated, trailing, gz}) std::remove(p.c_str());
}
