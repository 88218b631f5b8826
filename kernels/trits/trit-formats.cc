// Packed ternary formats: the traits table and the reference pack/unpack/validate routines.
// Layouts are documented in trit-formats.h; these routines are the specification the runtime's
// load-time checks and the kernels' repacking follow.
#include "trit-formats.h"

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace ternrt::trits {
namespace {

constexpr size_t kFormatCount = 2;

constexpr FormatTraits kTraits[kFormatCount] = {
    {"2bit", 4, 2.0},   // Format::canonical_2bit
    {"base3", 5, 1.6},  // Format::base3_5per_byte
};

// The enum values index the table; keep them in sync.
static_assert(static_cast<int>(Format::canonical_2bit) == 0, "traits table order");
static_assert(static_cast<int>(Format::base3_5per_byte) == 1, "traits table order");
// 4 codes of 2 bits fill one byte exactly.
static_assert(kTraits[0].trits_per_byte * 2 == 8, "2-bit: 4 codes per byte");
// 3^5 = 243 digit combinations fit in a byte (3^6 = 729 would not): 5 trits per byte is the max.
static_assert(3 * 3 * 3 * 3 * 3 <= 256 && 3 * 3 * 3 * 3 * 3 * 3 > 256, "base-3: 5 trits per byte");
static_assert(kTraits[1].trits_per_byte == 5, "base-3: 5 trits per byte");
static_assert(kTraits[0].bits_per_trit * kTraits[0].trits_per_byte == 8.0, "2-bit density");
static_assert(kTraits[1].bits_per_trit * kTraits[1].trits_per_byte == 8.0, "base-3 density");

constexpr uint8_t kZeroCode = 1;            // canonical code of trit 0 (also the padding code)
constexpr uint8_t kMaxBase3Byte = 242;      // 3^5 - 1
constexpr uint8_t kZeroBase3Byte = 1 + 3 + 9 + 27 + 81;  // five zero trits (digit 1 each) = 121

const FormatTraits& checked_traits(Format format) {
  const int index = static_cast<int>(format);
  if (index < 0 || static_cast<size_t>(index) >= kFormatCount) {
    throw std::invalid_argument("trit formats: unknown packed format " + std::to_string(index) +
                                " (expected 0 = 2bit or 1 = base3)");
  }
  return kTraits[index];
}

// Decode tables, built at compile time so they need no initialization at run time and are safe to
// use from any thread. base-3 byte b -> its 5 trits (digit - 1), and -> the same 5 digits as
// canonical 2-bit codes packed in 10 bits (digit == code == t + 1). 2-bit byte -> its 4 trits
// (entries of bytes holding a 0b11 code are never used: those bytes are rejected first).
struct DecodeTables {
  int8_t base3_trits[kMaxBase3Byte + 1][5];
  uint16_t base3_codes[kMaxBase3Byte + 1];
  int8_t canonical_trits[256][4];
};

constexpr DecodeTables make_decode_tables() {
  DecodeTables tables{};
  for (int b = 0; b <= kMaxBase3Byte; ++b) {
    int rest = b;
    for (int i = 0; i < 5; ++i) {
      const int digit = rest % 3;
      rest /= 3;
      tables.base3_trits[b][i] = static_cast<int8_t>(digit - 1);
      tables.base3_codes[b] = static_cast<uint16_t>(tables.base3_codes[b] | digit << (2 * i));
    }
  }
  for (int b = 0; b < 256; ++b) {
    for (int i = 0; i < 4; ++i) tables.canonical_trits[b][i] = static_cast<int8_t>(((b >> (2 * i)) & 3) - 1);
  }
  return tables;
}
constexpr DecodeTables kDecode = make_decode_tables();
static_assert(kDecode.base3_trits[kZeroBase3Byte][0] == 0 && kDecode.base3_trits[kZeroBase3Byte][4] == 0,
              "121 is five zero trits");
static_assert(kDecode.base3_codes[kZeroBase3Byte] == 0x155, "121 is five zero codes 0b01");
static_assert(kDecode.base3_trits[kMaxBase3Byte][4] == 1, "242 is five +1 trits");

[[noreturn]] void throw_bad_trit(size_t row, size_t col, int value) {
  throw std::invalid_argument("trit formats: pack: trit at (row " + std::to_string(row) + ", col " +
                              std::to_string(col) + ") is " + std::to_string(value) +
                              "; expected -1, 0 or +1");
}

// Row-major total size; throws instead of overflowing (a shape no buffer can have).
size_t checked_total_bytes(Format format, size_t n, size_t k, const char* what) {
  size_t bytes = 0;
  if (!packed_bytes(format, n, k, &bytes)) {
    throw std::invalid_argument(std::string("trit formats: ") + what + ": " + std::to_string(n) +
                                " rows of " + std::to_string(k) + " trits overflow size_t");
  }
  return bytes;
}

// pack/unpack also index n*k unpacked trits, which can overflow when the packed size does not.
void check_trit_count(size_t n, size_t k, const char* what) {
  if (k != 0 && n > std::numeric_limits<size_t>::max() / k) {
    throw std::invalid_argument(std::string("trit formats: ") + what + ": " + std::to_string(n) +
                                " rows of " + std::to_string(k) + " trits overflow size_t");
  }
}

uint8_t code_of(int8_t t, size_t row, size_t col) {
  if (t < -1 || t > 1) throw_bad_trit(row, col, t);
  return static_cast<uint8_t>(t + 1);
}

void pack_2bit_row(const int8_t* trits, size_t row, size_t k, uint8_t* out) {
  const size_t full = k / 4;
  for (size_t b = 0; b < full; ++b) {
    const int8_t* t = trits + 4 * b;
    out[b] = static_cast<uint8_t>(code_of(t[0], row, 4 * b) | code_of(t[1], row, 4 * b + 1) << 2 |
                                  code_of(t[2], row, 4 * b + 2) << 4 |
                                  code_of(t[3], row, 4 * b + 3) << 6);
  }
  if (const size_t tail = k % 4; tail != 0) {
    uint8_t byte = 0;
    for (size_t i = 0; i < 4; ++i) {
      const uint8_t code = i < tail ? code_of(trits[4 * full + i], row, 4 * full + i) : kZeroCode;
      byte = static_cast<uint8_t>(byte | code << (2 * i));
    }
    out[full] = byte;
  }
}

void pack_base3_row(const int8_t* trits, size_t row, size_t k, uint8_t* out) {
  const size_t bytes = row_bytes(Format::base3_5per_byte, k);
  for (size_t b = 0; b < bytes; ++b) {
    unsigned value = 0;
    unsigned power = 1;
    for (size_t i = 0; i < 5; ++i, power *= 3) {
      const size_t col = 5 * b + i;
      const unsigned digit = col < k ? code_of(trits[col], row, col) : kZeroCode;
      value += digit * power;
    }
    out[b] = static_cast<uint8_t>(value);
  }
}

// Any 2-bit code equal to 0b11 in the 8 bytes of `word`: the high bit of each pair is shifted
// onto the low bit and both must be set; the mask keeps the low bit of every pair.
inline bool has_invalid_2bit_code(uint64_t word) {
  return ((word & (word >> 1)) & 0x5555555555555555ull) != 0;
}
inline bool is_invalid_2bit_byte(uint8_t byte) {
  return ((byte & (byte >> 1)) & 0x55) != 0;
}

// Index of the first invalid byte in [data, data + size), or size when all are valid.
size_t find_invalid_2bit_byte(const uint8_t* data, size_t size) {
  size_t i = 0;
  // 32 bytes per step with one branch; the compiler vectorizes the four independent words.
  for (; i + 32 <= size; i += 32) {
    uint64_t words[4];
    std::memcpy(words, data + i, 32);  // unaligned-safe load; byte order does not matter here
    const uint64_t any = (words[0] & (words[0] >> 1)) | (words[1] & (words[1] >> 1)) |
                         (words[2] & (words[2] >> 1)) | (words[3] & (words[3] >> 1));
    if ((any & 0x5555555555555555ull) != 0) break;
  }
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    if (has_invalid_2bit_code(word)) break;
  }
  for (; i < size; ++i) {
    if (is_invalid_2bit_byte(data[i])) return i;
  }
  return size;
}

size_t find_invalid_base3_byte(const uint8_t* data, size_t size) {
  // Blocks of a branch-free max (vectorized by the compiler); scan a block only when it fails.
  constexpr size_t kBlock = 256;
  size_t i = 0;
  for (; i + kBlock <= size; i += kBlock) {
    uint8_t max_byte = 0;
    for (size_t j = 0; j < kBlock; ++j) max_byte = data[i + j] > max_byte ? data[i + j] : max_byte;
    if (max_byte > kMaxBase3Byte) break;
  }
  for (; i < size; ++i) {
    if (data[i] > kMaxBase3Byte) return i;
  }
  return size;
}

void set_if(size_t* out, size_t value) {
  if (out != nullptr) *out = value;
}

}  // namespace

const FormatTraits& traits(Format format) { return checked_traits(format); }

size_t row_bytes(Format format, size_t k) {
  const size_t per_byte = checked_traits(format).trits_per_byte;
  return k / per_byte + (k % per_byte != 0 ? 1 : 0);  // ceil without overflowing at SIZE_MAX
}

bool packed_bytes(Format format, size_t n, size_t k, size_t* bytes) {
  const size_t row = row_bytes(format, k);
  if (row != 0 && n > std::numeric_limits<size_t>::max() / row) return false;
  *bytes = n * row;
  return true;
}

void pack(Format format, const int8_t* trits, size_t n, size_t k, uint8_t* out) {
  checked_total_bytes(format, n, k, "pack");
  check_trit_count(n, k, "pack");
  const size_t row_size = row_bytes(format, k);
  for (size_t r = 0; r < n; ++r) {
    if (format == Format::canonical_2bit) {
      pack_2bit_row(trits + r * k, r, k, out + r * row_size);
    } else {
      pack_base3_row(trits + r * k, r, k, out + r * row_size);
    }
  }
}

bool unpack(Format format, const uint8_t* packed, size_t n, size_t k, int8_t* trits,
            size_t* bad_row, size_t* bad_col) {
  checked_total_bytes(format, n, k, "unpack");
  check_trit_count(n, k, "unpack");
  const size_t row_size = row_bytes(format, k);
  const size_t per_byte = checked_traits(format).trits_per_byte;
  const size_t full_bytes = k / per_byte;  // bytes without padding
  const size_t tail = k % per_byte;        // trits in the last, padded byte
  for (size_t r = 0; r < n; ++r) {
    const uint8_t* row = packed + r * row_size;
    int8_t* out = trits + r * k;
    if (format == Format::canonical_2bit) {
      // Padding codes are checked too: 0b11 is never valid.
      const size_t bad = find_invalid_2bit_byte(row, row_size);
      if (bad != row_size) {
        size_t i = 0;
        while (((row[bad] >> (2 * i)) & 3u) != 3u) ++i;
        set_if(bad_row, r);
        set_if(bad_col, 4 * bad + i);
        return false;
      }
      for (size_t b = 0; b < full_bytes; ++b) std::memcpy(out + 4 * b, kDecode.canonical_trits[row[b]], 4);
      if (tail != 0) std::memcpy(out + 4 * full_bytes, kDecode.canonical_trits[row[full_bytes]], tail);
    } else {
      const size_t bad = find_invalid_base3_byte(row, row_size);
      if (bad != row_size) {
        set_if(bad_row, r);
        set_if(bad_col, 5 * bad);
        return false;
      }
      for (size_t b = 0; b < full_bytes; ++b) std::memcpy(out + 5 * b, kDecode.base3_trits[row[b]], 5);
      if (tail != 0) std::memcpy(out + 5 * full_bytes, kDecode.base3_trits[row[full_bytes]], tail);
    }
  }
  return true;
}

bool validate(Format format, const uint8_t* packed, size_t n, size_t k, size_t* bad_row,
              size_t* bad_byte) {
  // Rows are contiguous and every byte (padding included) must pass, so one pass over the whole
  // buffer suffices; the row is recovered from the offset only on failure.
  const size_t total = checked_total_bytes(format, n, k, "validate");
  const size_t bad = format == Format::canonical_2bit ? find_invalid_2bit_byte(packed, total)
                                                      : find_invalid_base3_byte(packed, total);
  if (bad == total) return true;
  const size_t row_size = row_bytes(format, k);
  set_if(bad_row, bad / row_size);
  set_if(bad_byte, bad % row_size);
  return false;
}

bool base3_to_canonical(const uint8_t* packed, size_t n, size_t k, uint8_t* canonical,
                        size_t* bad_row, size_t* bad_byte) {
  checked_total_bytes(Format::base3_5per_byte, n, k, "base3_to_canonical");
  checked_total_bytes(Format::canonical_2bit, n, k, "base3_to_canonical");
  const size_t in_row_size = row_bytes(Format::base3_5per_byte, k);
  const size_t out_row_size = row_bytes(Format::canonical_2bit, k);
  const size_t full_bytes = k / 5;
  const unsigned tail = static_cast<unsigned>(k % 5);
  for (size_t r = 0; r < n; ++r) {
    const uint8_t* in = packed + r * in_row_size;
    const size_t bad = find_invalid_base3_byte(in, in_row_size);
    if (bad != in_row_size) {
      set_if(bad_row, r);
      set_if(bad_byte, bad);
      return false;
    }
    uint8_t* out = canonical + r * out_row_size;
    // Bit accumulator: each base-3 byte adds 10 bits of codes; whole output bytes leave from the
    // bottom. `bits` stays even, and below 8 after each flush.
    uint64_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    auto flush = [&]() {
      while (bits >= 8) {
        out[o++] = static_cast<uint8_t>(acc);
        acc >>= 8;
        bits -= 8;
      }
    };
    // Fast path: 4 base-3 bytes = 20 trits = exactly 5 canonical bytes.
    size_t b = 0;
    for (; b + 4 <= full_bytes; b += 4) {
      const uint64_t codes = static_cast<uint64_t>(kDecode.base3_codes[in[b]]) |
                             static_cast<uint64_t>(kDecode.base3_codes[in[b + 1]]) << 10 |
                             static_cast<uint64_t>(kDecode.base3_codes[in[b + 2]]) << 20 |
                             static_cast<uint64_t>(kDecode.base3_codes[in[b + 3]]) << 30;
      for (int i = 0; i < 5; ++i) out[o + i] = static_cast<uint8_t>(codes >> (8 * i));
      o += 5;
    }
    for (; b < full_bytes; ++b) {
      acc |= static_cast<uint64_t>(kDecode.base3_codes[in[b]]) << bits;
      bits += 10;
      flush();
    }
    if (tail != 0) {
      const uint64_t codes = kDecode.base3_codes[in[full_bytes]] & ((1u << (2 * tail)) - 1);
      acc |= codes << bits;
      bits += 2 * tail;
      flush();
    }
    if (bits != 0) {  // the rest of the last byte is padding: zero codes 0b01
      out[o++] = static_cast<uint8_t>(acc | (0x55u & (0xFFu << bits)));
    }
  }
  return true;
}

}  // namespace ternrt::trits
