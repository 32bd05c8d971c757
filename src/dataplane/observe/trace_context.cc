#include "dataplane/observe/trace_context.h"

namespace gatehouse::dataplane::observe {

namespace {

// HEXDIGLC: uppercase is invalid (§3.2.2.1 "version ... HEXDIGLC").
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// `out.size()` bytes from 2 * size hex characters at `text`.
template <size_t N>
bool parseHex(std::string_view text, std::array<uint8_t, N>& out) {
  for (size_t i = 0; i < N; ++i) {
    const int high = hexValue(text[2 * i]);
    const int low = hexValue(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

template <size_t N>
bool allZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

bool lcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool keyChar(char c) { return lcAlpha(c) || digit(c) || c == '_' || c == '-' || c == '*' || c == '/'; }
bool isOws(char c) { return c == ' ' || c == '\t'; }

// key = simple-key / multi-tenant-key
// simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// multi-tenant-key = tenant-id "@" system-id
// tenant-id = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// system-id = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
bool validKey(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos) {
    if (key.empty() || key.size() > 256 || !lcAlpha(key[0])) return false;
    for (char c : key)
      if (!keyChar(c)) return false;
    return true;
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || !(lcAlpha(tenant[0]) || digit(tenant[0]))) return false;
  if (system.empty() || system.size() > 14 || !lcAlpha(system[0])) return false;
  for (char c : tenant)
    if (!keyChar(c)) return false;
  for (char c : system)
    if (!keyChar(c)) return false;
  return true;
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool validValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E || c == ',' || c == '=') return false;
  }
  return true;
}

}  // namespace

std::optional<TraceParent> parseTraceparent(std::string_view value) {
  if (value.size() < kTraceparentSize) return std::nullopt;
  const int v_high = hexValue(value[0]);
  const int v_low = hexValue(value[1]);
  if (v_high < 0 || v_low < 0) return std::nullopt;
  const int version = v_high << 4 | v_low;
  if (version == 0xff) return std::nullopt;
  if (version == 0 && value.size() != kTraceparentSize) return std::nullopt;
  if (value.size() > kTraceparentSize && value[kTraceparentSize] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  TraceParent parsed;
  std::array<uint8_t, 1> flags{};
  if (!parseHex(value.substr(3, 32), parsed.trace_id) || !parseHex(value.substr(36, 16), parsed.parent_id) ||
      !parseHex(value.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (allZero(parsed.trace_id) || allZero(parsed.parent_id)) return std::nullopt;
  parsed.flags = flags[0];
  return parsed;
}

bool validTracestate(std::string_view value) {
  static constexpr size_t kMaxMembers = 32;
  std::array<std::string_view, kMaxMembers> keys;
  size_t members = 0;
  while (true) {
    const size_t comma = value.find(',');
    std::string_view member = value.substr(0, comma);
    while (!member.empty() && isOws(member.front())) member.remove_prefix(1);
    while (!member.empty() && isOws(member.back())) member.remove_suffix(1);
    if (!member.empty()) {
      const size_t eq = member.find('=');
      if (eq == std::string_view::npos) return false;
      const std::string_view key = member.substr(0, eq);
      if (!validKey(key) || !validValue(member.substr(eq + 1))) return false;
      if (members == kMaxMembers) return false;
      for (size_t i = 0; i < members; ++i)
        if (keys[i] == key) return false;  // §3.3.1: a key appears once
      keys[members++] = key;
    }
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

void appendHex(char* out, const uint8_t* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
}

void formatTraceparent(char* out, const TraceId& trace, const SpanId& span, uint8_t flags) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  appendHex(out + 3, trace.data(), trace.size());
  out[35] = '-';
  appendHex(out + 36, span.data(), span.size());
  out[52] = '-';
  appendHex(out + 53, &flags, 1);
}

}  // namespace gatehouse::dataplane::observe
