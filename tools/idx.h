// IDX files (the MNIST / Fashion-MNIST container: big-endian header, magic 0 0 TYPE RANK, then
// RANK u32 dimensions and the data), plain or gzip-compressed, for ternrt-eval.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ternrt::tools {

enum class IdxType : uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

struct IdxArray {
  IdxType type = IdxType::u8;
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // the payload as stored (big-endian for multi-byte types)

  size_t elements() const;
  size_t element_bytes() const;
  // Element i converted to double (byte order handled).
  double value(size_t i) const;
};

// Reads `path` (gzip is detected from its content, not its name). Throws std::runtime_error naming
// the file and what is wrong: missing file, bad magic, unknown type, truncated data, trailing bytes.
IdxArray read_idx(const std::string& path);

// Parses an IDX image already in memory; `source` names it in errors.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& source);

// Writes an uncompressed IDX file (for tests and for exporting subsets).
void write_idx(const std::string& path, const IdxArray& array);

}  // namespace ternrt::tools
