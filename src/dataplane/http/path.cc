#include "dataplane/http/path.h"

namespace gatehouse::http {

namespace {

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline char upperHex(char c) { return (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c; }

inline bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Decodes one character of `raw` at `i` (a valid %XX escape or a literal byte), advancing `i`.
inline char decodeAt(std::string_view raw, size_t& i) {
  if (raw[i] == '%' && i + 2 < raw.size()) {
    int hi = hexValue(raw[i + 1]);
    int lo = hexValue(raw[i + 2]);
    if (hi >= 0 && lo >= 0) {
      i += 3;
      return static_cast<char>(hi * 16 + lo);
    }
  }
  return raw[i++];
}

// True when the path part needs no work: no '%', no "//", no "." or ".." segment, no byte that
// makes it invalid. Most requests take this branch and normalisation costs one scan.
bool alreadyNormal(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%' || c <= 0x20 || c == 0x7f || c == '#' || c == '\\') return false;
    if (c == '/' && i + 1 < path.size()) {
      std::string_view rest = path.substr(i + 1);
      if (rest[0] == '/') return false;
      if (rest[0] == '.' && (rest.size() == 1 || rest[1] == '/')) return false;
      if (rest.size() >= 2 && rest[0] == '.' && rest[1] == '.' && (rest.size() == 2 || rest[2] == '/')) return false;
    }
  }
  return true;
}

}  // namespace

bool percentDecodedEquals(std::string_view raw, std::string_view expected) {
  size_t i = 0;
  size_t j = 0;
  while (i < raw.size()) {
    if (j == expected.size()) return false;
    if (decodeAt(raw, i) != expected[j++]) return false;
  }
  return j == expected.size();
}

std::string percentDecode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) out.push_back(decodeAt(raw, i));
  return out;
}

std::optional<std::string_view> findQueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (percentDecodedEquals(key, name)) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

bool normalizePath(std::string& target, dataplane::EscapedSlashes escaped_slashes) {
  std::string_view whole(target);
  std::string_view path = pathPart(whole);
  if (path.empty() || path[0] != '/') return false;
  if (alreadyNormal(path)) return true;

  // 1. Percent-encoding normalisation; reject what cannot be in an origin-form path.
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c <= 0x20 || c == 0x7f || c == '#' || c == '\\') return false;
    if (c != '%') {
      decoded.push_back(static_cast<char>(c));
      continue;
    }
    if (i + 2 >= path.size()) return false;
    int hi = hexValue(path[i + 1]);
    int lo = hexValue(path[i + 2]);
    if (hi < 0 || lo < 0) return false;
    unsigned char v = static_cast<unsigned char>(hi * 16 + lo);
    if ((v == '/' || v == '\\') && escaped_slashes != dataplane::EscapedSlashes::Keep) {
      if (escaped_slashes == dataplane::EscapedSlashes::Reject) return false;
      decoded.push_back('/');
    } else if (isUnreserved(v)) {
      decoded.push_back(static_cast<char>(v));
    } else {
      decoded.push_back('%');
      decoded.push_back(upperHex(path[i + 1]));
      decoded.push_back(upperHex(path[i + 2]));
    }
    i += 2;
  }

  // 2. Merge slashes and remove dot segments. `out` holds "/seg/seg" without a trailing slash;
  // `trailing` says whether the normalised path ends with '/'.
  std::string out;
  out.reserve(decoded.size() + (whole.size() - path.size()));
  bool trailing = false;
  size_t i = 0;
  const size_t n = decoded.size();
  while (i < n) {
    while (i < n && decoded[i] == '/') ++i;
    size_t j = decoded.find('/', i);
    if (j == std::string::npos) j = n;
    std::string_view seg(decoded.data() + i, j - i);
    if (seg.empty() || seg == ".") {
      trailing = true;
    } else if (seg == "..") {
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      trailing = true;
    } else {
      out.push_back('/');
      out.append(seg);
      trailing = false;
    }
    i = j;
  }
  if (out.empty() || trailing) out.push_back('/');
  out.append(whole.substr(path.size()));  // "?query" untouched
  target = std::move(out);
  return true;
}

}  // namespace gatehouse::http
