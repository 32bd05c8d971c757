#include "model/base64.h"

namespace gatehouse::model {

namespace {

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Error illegalAt(size_t pos) { return Error{"illegal base64 data at input byte " + std::to_string(pos)}; }

}  // namespace

Result<std::string> base64Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  size_t chars = 0, pad = 0, quantum_start = 0;
  uint32_t bits = 0;
  for (size_t pos = 0; pos < in.size(); ++pos) {
    const char c = in[pos];
    if (c == '\r' || c == '\n') continue;
    if (chars % 4 == 0) quantum_start = pos;
    const int value = sextet(c);
    if (c == '=' && chars % 4 >= 2) {
      ++pad;
    } else if (value < 0 || pad > 0) {
      return illegalAt(pos);
    } else {
      bits = bits << 6 | static_cast<uint32_t>(value);
    }
    if (++chars % 4 == 0) {
      bits <<= 6 * pad;
      out.push_back(static_cast<char>(bits >> 16));
      if (pad < 2) out.push_back(static_cast<char>(bits >> 8 & 0xff));
      if (pad < 1) out.push_back(static_cast<char>(bits & 0xff));
      bits = 0;
    }
  }
  if (chars % 4 != 0) return illegalAt(quantum_start);
  return out;
}

}  // namespace gatehouse::model
