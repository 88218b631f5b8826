#include "npy.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ternrt::tools {
namespace {

std::runtime_error npy_error(const std::string& path, const std::string& what) {
  return std::runtime_error(path + ": " + what);
}

std::string dict_value(const std::string& header, const std::string& key) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t v = header.find(':', k);
  if (v == std::string::npos) return "";
  ++v;
  while (v < header.size() && header[v] == ' ') ++v;
  if (v >= header.size()) return "";
  if (header[v] == '\'') {
    const size_t e = header.find('\'', v + 1);
    return e == std::string::npos ? "" : header.substr(v + 1, e - v - 1);
  }
  if (header[v] == '(') {
    const size_t e = header.find(')', v);
    return e == std::string::npos ? "" : header.substr(v, e - v + 1);
  }
  const size_t e = header.find_first_of(",}", v);
  return header.substr(v, e - v);
}

}  // namespace

size_t NpyArray::elements() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw npy_error(path, "cannot open");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw npy_error(path, "not a NumPy .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) throw npy_error(path, "truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) throw npy_error(path, "truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    throw npy_error(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw npy_error(path, "header too large");
  std::string header(header_len, '\0');
  if (!f.read(&header[0], header_len)) throw npy_error(path, "truncated header");
  const std::string descr = dict_value(header, "descr");
  const std::string fortran = dict_value(header, "fortran_order");
  const std::string shape_s = dict_value(header, "shape");
  if (descr.size() < 3) throw npy_error(path, "missing dtype");
  if (fortran.find("True") != std::string::npos) throw npy_error(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  if (descr[0] == '>') throw npy_error(path, "big-endian arrays are not supported");
  NpyArray a;
  size_t pos = 1;
  while (pos < shape_s.size()) {
    while (pos < shape_s.size() && (shape_s[pos] == ' ' || shape_s[pos] == ',')) ++pos;
    if (pos >= shape_s.size() || shape_s[pos] == ')') break;
    size_t used = 0;
    const long long d = std::stoll(shape_s.substr(pos), &used);
    if (d < 0) throw npy_error(path, "negative dimension");
    a.shape.push_back(d);
    pos += used;
  }
  const char kind = descr[1];
  const int width = std::stoi(descr.substr(2));
  const size_t n = a.elements();
  if (static_cast<uint64_t>(n) > (uint64_t{1} << 34) || n > SIZE_MAX / 8) throw npy_error(path, "array too large");
  std::vector<char> raw(n * static_cast<size_t>(width));
  if (!f.read(raw.data(), static_cast<std::streamsize>(raw.size()))) {
    throw npy_error(path, "truncated data: expected " + std::to_string(raw.size()) + " bytes for shape " + shape_s);
  }
  if (kind == 'f' && (width == 4 || width == 8)) {
    a.data.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (width == 4) std::memcpy(&a.data[i], raw.data() + 4 * i, 4);
      else {
        double d;
        std::memcpy(&d, raw.data() + 8 * i, 8);
        a.data[i] = static_cast<float>(d);
      }
    }
  } else if ((kind == 'i' || kind == 'u') && (width == 1 || width == 2 || width == 4 || width == 8)) {
    a.is_float = false;
    a.ints.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const char* p = raw.data() + static_cast<size_t>(width) * i;
      int64_t v = 0;
      if (kind == 'i') {
        if (width == 1) v = *reinterpret_cast<const int8_t*>(p);
        else if (width == 2) { int16_t t; std::memcpy(&t, p, 2); v = t; }
        else if (width == 4) { int32_t t; std::memcpy(&t, p, 4); v = t; }
        else std::memcpy(&v, p, 8);
      } else {
        if (width == 1) v = *reinterpret_cast<const uint8_t*>(p);
        else if (width == 2) { uint16_t t; std::memcpy(&t, p, 2); v = t; }
        else if (width == 4) { uint32_t t; std::memcpy(&t, p, 4); v = t; }
        else { uint64_t t; std::memcpy(&t, p, 8); v = static_cast<int64_t>(t); }
      }
      a.ints[i] = v;
    }
    a.data.assign(a.ints.begin(), a.ints.end());
  } else {
    throw npy_error(path, "unsupported dtype '" + descr + "' (expected float32/float64 or an integer type)");
  }
  return a;
}

void write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  size_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
    n *= static_cast<size_t>(shape[i]);
  }
  header += "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot create");
  f.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  f.write(lb, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
  if (!f) throw std::runtime_error(path + ": write failed");
}

}  // namespace ternrt::tools
