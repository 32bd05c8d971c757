#pragma once
// ASCII case-insensitive equality of field names and tokens (RFC 9110 §5.1), inline: it runs
// several times per header of every message, mostly on equal-length names, so it compares eight
// bytes at a time. Only A-Z fold; bytes >= 0x80 compare exactly.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gatehouse::http {

namespace detail {
// `x` with each byte in A-Z turned to a-z (SWAR: a byte's high bit marks "above '@' and below '['").
inline uint64_t foldAscii8(uint64_t x) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t low7 = x & ~kHigh;
  const uint64_t above_at = low7 + 0x3f3f3f3f3f3f3f3full;     // >= 'A' sets the high bit
  const uint64_t above_z = low7 + 0x2525252525252525ull;      // >  'Z' sets the high bit
  const uint64_t upper = above_at & ~above_z & ~x & kHigh;
  return x | (upper >> 2);  // 0x80 >> 2 == 0x20, the case bit
}
}  // namespace detail

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, p + i, 8);
    std::memcpy(&y, q + i, 8);
    if (x != y && detail::foldAscii8(x) != detail::foldAscii8(y)) return false;
  }
  if (i == n) return true;
  // The last 1-7 bytes, zero-padded alike on both sides.
  uint64_t x = 0, y = 0;
  std::memcpy(&x, p + i, n - i);
  std::memcpy(&y, q + i, n - i);
  return x == y || detail::foldAscii8(x) == detail::foldAscii8(y);
}

}  // namespace gatehouse::http
