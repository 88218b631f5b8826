// Packed trit formats: round trips, exact byte layout (against a bit-by-bit reference written from
// the documented layout), invalid code detection with exact positions, size overflow.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "trit-formats.h"

namespace tt = ternrt::trits;

namespace {

uint64_t test_seed() {
  const char* env = std::getenv("TERNRT_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : 20240611ull;
  return seed;
}

// Reference packers written straight from the header's layout description, one trit at a time.
std::vector<uint8_t> reference_pack_2bit(const std::vector<int8_t>& trits, size_t n, size_t k) {
  const size_t row = (k + 3) / 4;
  std::vector<uint8_t> out(n * row, 0);
  for (size_t r = 0; r < n; ++r) {
    for (size_t j = 0; j < row * 4; ++j) {
      const int code = j < k ? trits[r * k + j] + 1 : 1;
      out[r * row + j / 4] = static_cast<uint8_t>(out[r * row + j / 4] + (code << (2 * (j % 4))));
    }
  }
  return out;
}

std::vector<uint8_t> reference_pack_base3(const std::vector<int8_t>& trits, size_t n, size_t k) {
  const size_t row = (k + 4) / 5;
  std::vector<uint8_t> out(n * row, 0);
  for (size_t r = 0; r < n; ++r) {
    for (size_t b = 0; b < row; ++b) {
      int value = 0;
      int power = 1;
      for (size_t i = 0; i < 5; ++i, power *= 3) {
        const size_t j = 5 * b + i;
        value += (j < k ? trits[r * k + j] + 1 : 1) * power;
      }
      out[r * row + b] = static_cast<uint8_t>(value);
    }
  }
  return out;
}

std::vector<int8_t> make_trits(int pattern, size_t n, size_t k, std::mt19937_64& rng) {
  std::vector<int8_t> t(n * k);
  std::uniform_int_distribution<int> dist(-1, 1);
  for (size_t r = 0; r < n; ++r) {
    for (size_t j = 0; j < k; ++j) {
      int v = 0;
      switch (pattern) {
        case 0: v = -1; break;
        case 1: v = 0; break;
        case 2: v = 1; break;
        case 3: v = static_cast<int>((j + r) % 3) - 1; break;  // every code at every position
        default: v = dist(rng); break;
      }
      t[r * k + j] = static_cast<int8_t>(v);
    }
  }
  return t;
}

constexpr tt::Format kFormats[] = {tt::Format::canonical_2bit, tt::Format::base3_5per_byte};

}  // namespace

TEST_CASE("traits table") {
  CHECK(std::string(tt::traits(tt::Format::canonical_2bit).name) == "2bit");
  CHECK(tt::traits(tt::Format::canonical_2bit).trits_per_byte == 4);
  CHECK(tt::traits(tt::Format::canonical_2bit).bits_per_trit == 2.0);
  CHECK(std::string(tt::traits(tt::Format::base3_5per_byte).name) == "base3");
  CHECK(tt::traits(tt::Format::base3_5per_byte).trits_per_byte == 5);
  CHECK(tt::traits(tt::Format::base3_5per_byte).bits_per_trit == 1.6);
  CHECK_THROWS_AS(tt::traits(static_cast<tt::Format>(7)), std::invalid_argument);
  CHECK_THROWS_AS(tt::row_bytes(static_cast<tt::Format>(-1), 3), std::invalid_argument);
  for (size_t k = 0; k < 50; ++k) {
    CHECK(tt::row_bytes(tt::Format::canonical_2bit, k) == (k + 3) / 4);
    CHECK(tt::row_bytes(tt::Format::base3_5per_byte, k) == (k + 4) / 5);
  }
}

TEST_CASE("round trip over all lengths 0..257, every code at every position") {
  const uint64_t seed = test_seed();
  std::printf("trit round trip seed %llu (set TERNRT_TEST_SEED to change)\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  for (size_t k = 0; k <= 257; ++k) {
    for (size_t n : {size_t{1}, size_t{3}}) {
      for (int pattern = 0; pattern < 5; ++pattern) {
        const std::vector<int8_t> trits = make_trits(pattern, n, k, rng);
        CAPTURE(k);
        CAPTURE(n);
        CAPTURE(pattern);
        for (tt::Format format : kFormats) {
          size_t bytes = 0;
          REQUIRE(tt::packed_bytes(format, n, k, &bytes));
          // One guard byte catches writes past the end.
          std::vector<uint8_t> packed(bytes + 1, 0xA5);
          tt::pack(format, trits.data(), n, k, packed.data());
          CHECK(packed[bytes] == 0xA5);
          packed.pop_back();
          const std::vector<uint8_t> expected = format == tt::Format::canonical_2bit
                                                    ? reference_pack_2bit(trits, n, k)
                                                    : reference_pack_base3(trits, n, k);
          CHECK(packed == expected);
          CHECK(tt::validate(format, packed.data(), n, k));
          std::vector<int8_t> back(n * k + 1, 99);
          CHECK(tt::unpack(format, packed.data(), n, k, back.data()));
          CHECK(back[n * k] == 99);
          back.pop_back();
          CHECK(back == trits);
        }
        // base-3 decoded to canonical gives exactly the canonical packing.
        std::vector<uint8_t> b3(n * tt::row_bytes(tt::Format::base3_5per_byte, k));
        tt::pack(tt::Format::base3_5per_byte, trits.data(), n, k, b3.data());
        std::vector<uint8_t> canonical(n * tt::row_bytes(tt::Format::canonical_2bit, k) + 1, 0xA5);
        CHECK(tt::base3_to_canonical(b3.data(), n, k, canonical.data()));
        CHECK(canonical.back() == 0xA5);
        canonical.pop_back();
        CHECK(canonical == reference_pack_2bit(trits, n, k));
      }
    }
  }
}

TEST_CASE("2-bit: all 256 byte values, with and without padding") {
  for (size_t k = 1; k <= 4; ++k) {
    std::vector<uint8_t> all(256);
    for (int b = 0; b < 256; ++b) all[b] = static_cast<uint8_t>(b);
    for (int b = 0; b < 256; ++b) {
      CAPTURE(k);
      CAPTURE(b);
      int first_invalid = -1;
      for (int i = 0; i < 4 && first_invalid < 0; ++i) {
        if (((b >> (2 * i)) & 3) == 3) first_invalid = i;
      }
      const uint8_t byte = static_cast<uint8_t>(b);
      int8_t trits[4] = {7, 7, 7, 7};
      size_t bad_row = 99, bad_col = 99, bad_byte = 99;
      const bool ok = tt::unpack(tt::Format::canonical_2bit, &byte, 1, k, trits, &bad_row, &bad_col);
      CHECK(ok == (first_invalid < 0));
      CHECK(tt::validate(tt::Format::canonical_2bit, &byte, 1, k, &bad_row, &bad_byte) == ok);
      if (ok) {
        for (size_t i = 0; i < k; ++i) CHECK(trits[i] == ((b >> (2 * i)) & 3) - 1);
        // Re-packing normalizes padding to code 1; the data codes come back unchanged.
        uint8_t again = 0;
        tt::pack(tt::Format::canonical_2bit, trits, 1, k, &again);
        const int data_mask = (1 << (2 * k)) - 1;
        CHECK((again & data_mask) == (b & data_mask));
      } else {
        CHECK(bad_row == 0);
        CHECK(bad_col == static_cast<size_t>(first_invalid));
        CHECK(bad_byte == 0);
      }
    }
    // All 256 values as 256 rows: the first invalid one is row 3 (0b00000011).
    size_t bad_row = 0, bad_byte = 99;
    CHECK_FALSE(tt::validate(tt::Format::canonical_2bit, all.data(), 256, k, &bad_row, &bad_byte));
    CHECK(bad_row == 3);
    CHECK(bad_byte == 0);
  }
}

TEST_CASE("base-3: all 256 byte values") {
  for (int b = 0; b < 256; ++b) {
    CAPTURE(b);
    const uint8_t byte = static_cast<uint8_t>(b);
    int8_t trits[5] = {7, 7, 7, 7, 7};
    size_t bad_row = 99, bad_col = 99, bad_byte = 99;
    const bool ok = tt::unpack(tt::Format::base3_5per_byte, &byte, 1, 5, trits, &bad_row, &bad_col);
    CHECK(ok == (b <= 242));
    CHECK(tt::validate(tt::Format::base3_5per_byte, &byte, 1, 5, &bad_row, &bad_byte) == ok);
    uint8_t canonical[2] = {0, 0};
    CHECK(tt::base3_to_canonical(&byte, 1, 5, canonical) == ok);
    if (ok) {
      int rest = b;
      for (int i = 0; i < 5; ++i, rest /= 3) CHECK(trits[i] == rest % 3 - 1);
      uint8_t again = 0;
      tt::pack(tt::Format::base3_5per_byte, trits, 1, 5, &again);
      CHECK(again == byte);
    } else {
      CHECK(bad_row == 0);
      CHECK(bad_col == 0);
      CHECK(bad_byte == 0);
    }
  }
}

TEST_CASE("row padding layout, by hand") {
  const int8_t minus[1] = {-1};
  const int8_t plus[1] = {1};
  uint8_t out[2] = {0, 0};
  // 2-bit, k = 1: code of the trit in bits 0-1, three padding codes 1 (0b01) above it.
  tt::pack(tt::Format::canonical_2bit, minus, 1, 1, out);
  CHECK(out[0] == 0x54);  // 01 01 01 00
  tt::pack(tt::Format::canonical_2bit, plus, 1, 1, out);
  CHECK(out[0] == 0x56);  // 01 01 01 10
  // base-3, k = 1: digit of the trit + 4 padding digits 1 -> d + 3 + 9 + 27 + 81.
  tt::pack(tt::Format::base3_5per_byte, minus, 1, 1, out);
  CHECK(out[0] == 120);
  tt::pack(tt::Format::base3_5per_byte, plus, 1, 1, out);
  CHECK(out[0] == 122);
  // Two rows of k = 6: each row is padded on its own (2 bytes per row in both formats).
  const int8_t two_rows[12] = {1, 1, 1, 1, 1, -1, /* row 1 */ -1, -1, -1, -1, -1, 1};
  uint8_t packed[4] = {};
  tt::pack(tt::Format::canonical_2bit, two_rows, 2, 6, packed);
  CHECK(packed[0] == 0xAA);
  CHECK(packed[1] == 0x52);  // codes 2, 0, pad 1, pad 1 -> 01 01 00 10
  CHECK(packed[2] == 0x00);
  CHECK(packed[3] == 0x58);  // codes 0, 2, 1, 1 -> 01 01 10 00
  tt::pack(tt::Format::base3_5per_byte, two_rows, 2, 6, packed);
  CHECK(packed[0] == 242);
  CHECK(packed[1] == 0 + 120);  // trit -1 (digit 0) + padding 3 + 9 + 27 + 81
  CHECK(packed[2] == 0);
  CHECK(packed[3] == 2 + 120);
  // Decoding base-3 to canonical writes canonical padding.
  uint8_t canonical[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(tt::base3_to_canonical(packed, 2, 6, canonical));
  CHECK(canonical[1] == 0x52);
  CHECK(canonical[3] == 0x58);
}

TEST_CASE("invalid code detection reports the exact position") {
  const uint64_t seed = test_seed() + 1;
  std::printf("trit invalid-code seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  // k = 37: 10 bytes per 2-bit row (3 padding codes), 8 bytes per base-3 row (3 padding trits);
  // rows do not start on 8-byte boundaries, so the word-wise check sees every alignment.
  const size_t n = 7, k = 37;
  const std::vector<int8_t> trits = make_trits(4, n, k, rng);

  SUBCASE("2-bit: 0b11 in the data and in the padding") {
    const size_t row_size = tt::row_bytes(tt::Format::canonical_2bit, k);
    std::vector<uint8_t> good(n * row_size);
    tt::pack(tt::Format::canonical_2bit, trits.data(), n, k, good.data());
    for (size_t r = 0; r < n; ++r) {
      for (size_t col = 0; col < 4 * row_size; ++col) {  // includes the padding positions
        CAPTURE(r);
        CAPTURE(col);
        std::vector<uint8_t> bad = good;
        bad[r * row_size + col / 4] |= static_cast<uint8_t>(3u << (2 * (col % 4)));
        // A second invalid code later on must not be the one reported.
        bad.back() |= 0xC0;
        size_t bad_row = 99, bad_col = 99, bad_byte = 99;
        CHECK_FALSE(tt::validate(tt::Format::canonical_2bit, bad.data(), n, k, &bad_row, &bad_byte));
        CHECK(bad_row == r);
        CHECK(bad_byte == col / 4);
        std::vector<int8_t> out(n * k);
        CHECK_FALSE(tt::unpack(tt::Format::canonical_2bit, bad.data(), n, k, out.data(), &bad_row,
                               &bad_col));
        CHECK(bad_row == r);
        CHECK(bad_col == col);
        CHECK((bad_col >= k) == (col >= k));
      }
    }
  }
  SUBCASE("base-3: bytes 243..255 anywhere") {
    const size_t row_size = tt::row_bytes(tt::Format::base3_5per_byte, k);
    std::vector<uint8_t> good(n * row_size);
    tt::pack(tt::Format::base3_5per_byte, trits.data(), n, k, good.data());
    for (size_t r = 0; r < n; ++r) {
      for (size_t b = 0; b < row_size; ++b) {
        for (int value = 243; value <= 255; ++value) {
          CAPTURE(r);
          CAPTURE(b);
          CAPTURE(value);
          std::vector<uint8_t> bad = good;
          bad[r * row_size + b] = static_cast<uint8_t>(value);
          bad.back() = 255;
          size_t bad_row = 99, bad_col = 99, bad_byte = 99;
          CHECK_FALSE(tt::validate(tt::Format::base3_5per_byte, bad.data(), n, k, &bad_row, &bad_byte));
          CHECK(bad_row == r);
          CHECK(bad_byte == b);
          std::vector<int8_t> out(n * k);
          CHECK_FALSE(tt::unpack(tt::Format::base3_5per_byte, bad.data(), n, k, out.data(), &bad_row,
                                 &bad_col));
          CHECK(bad_row == r);
          CHECK(bad_col == 5 * b);
          std::vector<uint8_t> canonical(n * tt::row_bytes(tt::Format::canonical_2bit, k));
          bad_row = bad_byte = 99;
          CHECK_FALSE(tt::base3_to_canonical(bad.data(), n, k, canonical.data(), &bad_row, &bad_byte));
          CHECK(bad_row == r);
          CHECK(bad_byte == b);
        }
      }
    }
  }
  SUBCASE("large buffer: the first bad byte of several MB") {
    const size_t big_n = 1000, big_k = 4099;  // ~1 MB of 2-bit codes
    std::vector<uint8_t> codes(big_n * tt::row_bytes(tt::Format::canonical_2bit, big_k), 0x55);
    size_t bad_row = 0, bad_byte = 0;
    CHECK(tt::validate(tt::Format::canonical_2bit, codes.data(), big_n, big_k, &bad_row, &bad_byte));
    std::uniform_int_distribution<size_t> pick(0, codes.size() - 1);
    const size_t where = pick(rng);
    codes[where] = 0x5D;  // code 3 in bits 2-3
    CHECK_FALSE(tt::validate(tt::Format::canonical_2bit, codes.data(), big_n, big_k, &bad_row, &bad_byte));
    const size_t row_size = tt::row_bytes(tt::Format::canonical_2bit, big_k);
    CHECK(bad_row == where / row_size);
    CHECK(bad_byte == where % row_size);
  }
}

TEST_CASE("pack rejects values outside {-1, 0, +1} with their position") {
  std::vector<int8_t> trits(2 * 9, 0);
  trits[9 + 7] = 2;
  std::vector<uint8_t> out(8);
  for (tt::Format format : kFormats) {
    try {
      tt::pack(format, trits.data(), 2, 9, out.data());
      FAIL("pack accepted the trit value 2");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("(row 1, col 7) is 2") != std::string::npos);
    }
  }
}

TEST_CASE("packed_bytes overflow") {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  for (tt::Format format : kFormats) {
    const size_t per = tt::traits(format).trits_per_byte;
    size_t bytes = 12345;
    // k = SIZE_MAX itself has a representable row size (no overflow inside ceil).
    CHECK(tt::row_bytes(format, kMax) == kMax / per + (kMax % per != 0));
    CHECK(tt::packed_bytes(format, 1, kMax, &bytes));
    CHECK(bytes == tt::row_bytes(format, kMax));
    // 2 bytes per row: SIZE_MAX / 2 rows fit, one more does not.
    const size_t k2 = 2 * per;
    CHECK(tt::packed_bytes(format, kMax / 2, k2, &bytes));
    CHECK(bytes == kMax / 2 * 2);
    bytes = 12345;
    CHECK_FALSE(tt::packed_bytes(format, kMax / 2 + 1, k2, &bytes));
    CHECK(bytes == 12345);
    CHECK_FALSE(tt::packed_bytes(format, kMax, kMax, &bytes));
    CHECK(bytes == 12345);
    // Zero rows or zero-length rows are empty, not an overflow.
    CHECK(tt::packed_bytes(format, kMax, 0, &bytes));
    CHECK(bytes == 0);
    CHECK(tt::packed_bytes(format, 0, kMax, &bytes));
    CHECK(bytes == 0);
    // The routines refuse such shapes instead of touching memory.
    CHECK_THROWS_AS(tt::validate(format, nullptr, kMax, kMax), std::invalid_argument);
    CHECK_THROWS_AS(tt::unpack(format, nullptr, kMax, kMax, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(tt::pack(format, nullptr, kMax, kMax, nullptr), std::invalid_argument);
    // Packed size fits (2 bytes per row) but n*k unpacked trits do not.
    CHECK(tt::packed_bytes(format, kMax / 4, k2, &bytes));
    CHECK_THROWS_AS(tt::unpack(format, nullptr, kMax / 4, k2, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(tt::pack(format, nullptr, kMax / 4, k2, nullptr), std::invalid_argument);
  }
}
