#pragma once
// Byte classes of the HTTP/1.1 grammar (RFC 9110 §5.6.2, RFC 9112, RFC 3986), one 256-entry
// table so that every check on the hot path is a single load and mask.
#include <array>
#include <cstdint>

namespace gatehouse::http::chars {

enum : uint8_t {
  kToken = 1 << 0,       // tchar (RFC 9110 §5.6.2)
  kFieldValue = 1 << 1,  // field-vchar / SP / HTAB (RFC 9110 §5.5); obs-text allowed, CTLs and DEL not
  kPath = 1 << 2,        // pchar / "/" (RFC 3986 §3.3); "%" is checked for two HEXDIG separately
  kQuery = 1 << 3,       // pchar / "/" / "?" (RFC 3986 §3.4)
  kRegName = 1 << 4,     // unreserved / sub-delims / "%" (RFC 3986 §3.2.2)
  kHexDigit = 1 << 5,
  kQdText = 1 << 6,      // qdtext (RFC 9110 §5.6.4)
};

namespace detail {
constexpr bool isAlpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool isDigit(int c) { return c >= '0' && c <= '9'; }
constexpr bool isIn(int c, const char* set) {
  for (; *set; ++set)
    if (*set == c) return true;
  return false;
}

constexpr std::array<uint8_t, 256> buildTable() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    uint8_t bits = 0;
    const bool alnum = isAlpha(c) || isDigit(c);
    const bool unreserved = alnum || isIn(c, "-._~");
    const bool sub_delim = isIn(c, "!$&'()*+,;=");
    if (alnum || isIn(c, "!#$%&'*+-.^_`|~")) bits |= kToken;
    if (c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80) bits |= kFieldValue;
    if (unreserved || sub_delim || isIn(c, ":@%/")) bits |= kPath | kQuery;
    if (c == '?') bits |= kQuery;
    if (unreserved || sub_delim || c == '%') bits |= kRegName;
    if (isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) bits |= kHexDigit;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
        c >= 0x80)
      bits |= kQdText;
    table[static_cast<size_t>(c)] = bits;
  }
  return table;
}
}  // namespace detail

inline constexpr std::array<uint8_t, 256> kTable = detail::buildTable();

inline bool is(char c, uint8_t cls) { return (kTable[static_cast<unsigned char>(c)] & cls) != 0; }
inline bool isWhitespace(char c) { return c == ' ' || c == '\t'; }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }
inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace gatehouse::http::chars
