#include "dataplane/observe/json_escape.h"

#include <cstdint>

namespace gatehouse::dataplane::observe {

namespace {

void appendEscape(std::string& out, uint32_t code) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
}

// The length of the valid UTF-8 sequence at s[i] (2..4) and its code point, or 0 when invalid
// (RFC 3629 section 4: shortest form, no surrogates, at most U+10FFFF).
size_t validSequence(std::string_view s, size_t i, uint32_t& code) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t lead = byte(0);
  size_t length = 0;
  uint32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, code = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, code = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, code = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

// Printable ASCII other than '"' and '\\': copied as is.
bool plain(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

}  // namespace

void appendJsonString(std::string& out, std::string_view bytes) {
  out += '"';
  size_t i = 0;
  while (i < bytes.size()) {
    // Runs of plain bytes (most of a path or host) in one append, not a byte at a time.
    size_t run = i;
    while (run < bytes.size() && plain(static_cast<uint8_t>(bytes[run]))) ++run;
    if (run > i) {
      out.append(bytes.data() + i, run - i);
      i = run;
      continue;
    }
    const auto c = static_cast<uint8_t>(bytes[i]);
    if (c < 0x80) {  // not plain: a quote, a backslash, a control character or DEL
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else {
        appendEscape(out, c);
      }
      ++i;
      continue;
    }
    uint32_t code = 0;
    const size_t length = validSequence(bytes, i, code);
    if (length == 0) {
      appendEscape(out, c);
      ++i;
    } else {
      if (code == 0x85 || code == 0x2028 || code == 0x2029) {
        appendEscape(out, code);
      } else {
        out.append(bytes.substr(i, length));
      }
      i += length;
    }
  }
  out += '"';
}

}  // namespace gatehouse::dataplane::observe
