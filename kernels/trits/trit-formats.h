// Packed storage formats for ternary weights (a traits table, one row per format).
// Canonical 2-bit: code = t + 1 (0 -> -1, 1 -> 0, 2 -> +1, 3 invalid), trit j of a row in bits
// 2*(j%4) .. 2*(j%4)+1 of byte j/4, each row padded to whole bytes (padding codes are 1 = zero trit).
// Base-3: 5 trits per byte, byte = sum_{i<5} (t_i + 1) * 3^i (<= 242), rows padded to whole bytes
// (padding trits are 0, i.e. digit 1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ternrt::trits {

enum class Format : int { canonical_2bit = 0, base3_5per_byte = 1 };

struct FormatTraits {
  const char* name;        // "2bit", "base3"
  size_t trits_per_byte;   // 4 or 5
  double bits_per_trit;    // 2.0 or 1.6
};
const FormatTraits& traits(Format format);

// Bytes of one packed row of k trits, and of n rows.
size_t row_bytes(Format format, size_t k);
// Returns false (and leaves *bytes alone) when n * row_bytes overflows size_t.
bool packed_bytes(Format format, size_t n, size_t k, size_t* bytes);

// trits: n*k values in {-1,0,+1}, row-major. out: packed_bytes(format, n, k) bytes.
// Throws std::invalid_argument naming (row, col) for a value outside {-1,0,+1}. Every function
// here throws std::invalid_argument for an unknown `format` or a shape whose packed size
// overflows size_t (no buffer can have it), instead of touching memory.
void pack(Format format, const int8_t* trits, size_t n, size_t k, uint8_t* out);
// Inverse of pack. Returns false at the first invalid code/byte (*bad_row / *bad_col say where:
// *bad_col is the trit index in the padded row, so >= k for an invalid code in the row padding;
// for base-3 it is the first trit of the invalid byte, i.e. 5 * byte). Padding trits are not
// otherwise checked (only an invalid code is an error) and are not written to `trits`.
bool unpack(Format format, const uint8_t* packed, size_t n, size_t k, int8_t* trits,
            size_t* bad_row = nullptr, size_t* bad_col = nullptr);
// Checks codes without unpacking: no 0b11 2-bit code (including padding) / no byte > 242.
// On failure *bad_row is the row and *bad_byte the byte index inside that row (first in memory order).
bool validate(Format format, const uint8_t* packed, size_t n, size_t k,
              size_t* bad_row = nullptr, size_t* bad_byte = nullptr);
// Decodes base-3 rows into canonical 2-bit rows (n * row_bytes(canonical_2bit, k) bytes).
// Returns false on an invalid byte (same reporting as validate). The output padding is always code 1.
bool base3_to_canonical(const uint8_t* packed, size_t n, size_t k, uint8_t* canonical,
                        size_t* bad_row = nullptr, size_t* bad_byte = nullptr);

}  // namespace ternrt::trits
