#include "idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ternrt::tools {
namespace {

const char* type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "u8";
    case 0x09: return "i8";
    case 0x0B: return "i16";
    case 0x0C: return "i32";
    case 0x0D: return "f32";
    case 0x0E: return "f64";
    default: return nullptr;
  }
}

size_t type_bytes(IdxType t) {
  switch (t) {
    case IdxType::u8:
    case IdxType::i8: return 1;
    case IdxType::i16: return 2;
    case IdxType::i32:
    case IdxType::f32: return 4;
    case IdxType::f64: return 8;
  }
  return 1;
}

uint64_t read_be(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// The whole file, decompressed when it is gzip. gzread passes non-gzip files through unchanged,
// so one path handles both; truncated gzip streams surface as a gzread/gzclose error.
std::vector<uint8_t> read_maybe_gz(const std::string& path) {
  std::FILE* probe = std::fopen(path.c_str(), "rb");
  if (!probe) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::fclose(probe);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> gz(gzopen(path.c_str(), "rb"), &gzclose);
  if (!gz) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int got = gzread(gz.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(gz.get(), &code);
      throw std::runtime_error(path + ": corrupt or truncated gzip data (" + std::string(msg ? msg : "?") + ")");
    }
    if (got == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
  }
  // A gzip stream cut short reads as a short file on some zlib versions; gzerror tells.
  int code = Z_OK;
  const char* msg = gzerror(gz.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    throw std::runtime_error(path + ": corrupt or truncated gzip data (" + std::string(msg ? msg : "?") + ")");
  }
  return out;
}

}  // namespace

size_t IdxArray::element_bytes() const { return type_bytes(type); }

size_t IdxArray::elements() const {
  size_t n = 1;
  for (uint32_t d : dims) n *= d;
  return n;
}

double IdxArray::value(size_t i) const {
  const uint8_t* p = data.data() + i * element_bytes();
  switch (type) {
    case IdxType::u8: return p[0];
    case IdxType::i8: return static_cast<int8_t>(p[0]);
    case IdxType::i16: return static_cast<int16_t>(static_cast<uint16_t>(read_be(p, 2)));
    case IdxType::i32: return static_cast<int32_t>(static_cast<uint32_t>(read_be(p, 4)));
    case IdxType::f32: {
      const uint32_t bits = static_cast<uint32_t>(read_be(p, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case IdxType::f64: {
      const uint64_t bits = read_be(p, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
  }
  return 0;
}

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& source) {
  if (bytes.size() < 4) {
    throw std::runtime_error(source + ": not an IDX file: " + std::to_string(bytes.size()) + " bytes, shorter than the 4-byte magic");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "bad IDX magic %02x %02x %02x %02x (expected 00 00 TYPE RANK)", bytes[0], bytes[1], bytes[2],
                  bytes[3]);
    throw std::runtime_error(source + ": " + buf);
  }
  if (!type_name(bytes[2])) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "unknown IDX element type 0x%02x (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)",
                  bytes[2]);
    throw std::runtime_error(source + ": " + buf);
  }
  IdxArray a;
  a.type = static_cast<IdxType>(bytes[2]);
  const size_t rank = bytes[3];
  if (rank == 0) throw std::runtime_error(source + ": IDX rank 0 (expected at least one dimension)");
  const size_t header = 4 + 4 * rank;
  if (bytes.size() < header) {
    throw std::runtime_error(source + ": truncated IDX header: rank " + std::to_string(rank) + " needs " + std::to_string(header) +
                             " bytes, file has " + std::to_string(bytes.size()));
  }
  uint64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    const uint32_t dim = static_cast<uint32_t>(read_be(bytes.data() + 4 + 4 * d, 4));
    a.dims.push_back(dim);
    count *= dim;
    if (count > (uint64_t(1) << 40)) throw std::runtime_error(source + ": IDX dimensions are implausibly large");
  }
  const uint64_t payload = count * a.element_bytes();
  const uint64_t have = bytes.size() - header;
  if (have < payload) {
    throw std::runtime_error(source + ": truncated IDX data: dimensions need " + std::to_string(payload) + " bytes of " +
                             type_name(bytes[2]) + ", file has " + std::to_string(have));
  }
  if (have > payload) {
    throw std::runtime_error(source + ": " + std::to_string(have - payload) + " unexpected bytes after the IDX data");
  }
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

IdxArray read_idx(const std::string& path) { return parse_idx(read_maybe_gz(path), path); }

void write_idx(const std::string& path, const IdxArray& array) {
  if (array.dims.empty() || array.dims.size() > 255) throw std::runtime_error(path + ": IDX rank must be in [1, 255]");
  if (array.data.size() != array.elements() * array.element_bytes()) {
    throw std::runtime_error(path + ": IDX data size does not match the dimensions");
  }
  std::vector<uint8_t> out = {0, 0, static_cast<uint8_t>(array.type), static_cast<uint8_t>(array.dims.size())};
  for (uint32_t d : array.dims) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(d >> s));
  }
  out.insert(out.end(), array.data.begin(), array.data.end());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error(path + ": write failed");
}

}  // namespace ternrt::tools
