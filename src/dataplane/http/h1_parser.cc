#include "dataplane/http/h1_parser.h"

#include <cstring>
#include <limits>

#include "dataplane/http/char_classes.h"

namespace gatehouse::http {

namespace {

std::string_view trimWhitespace(std::string_view s) {
  while (!s.empty() && chars::isWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && chars::isWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each comma-separated element, trimmed; empty elements are skipped as
// RFC 9110 §5.6.1 requires of recipients.
template <typename Fn>
void forEachListElement(std::string_view value, Fn&& fn) {
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view element = trimWhitespace(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

bool listContainsToken(std::string_view value, std::string_view token) {
  bool found = false;
  forEachListElement(value, [&](std::string_view element) { found = found || equalsIgnoreCase(element, token); });
  return found;
}

std::optional<std::string_view> HeaderList::find(std::string_view name) const {
  for (const Header& h : fields_)
    if (equalsIgnoreCase(h.name, name)) return h.value;
  return std::nullopt;
}

size_t HeaderList::count(std::string_view name) const {
  size_t n = 0;
  for (const Header& h : fields_)
    if (equalsIgnoreCase(h.name, name)) ++n;
  return n;
}

void detail::HeadScan::reset() {
  line_start = 0;
  scan_from = 0;
  have_start_line = false;
  method_token_bytes = 0;
  start_line = {};
  fields.clear();
}

namespace {

using detail::FieldSpan;
using detail::HeadScan;
using detail::Span;

constexpr uint16_t kBadRequest = 400;
constexpr uint16_t kNotImplemented = 501;
constexpr uint16_t kUriTooLong = 414;
constexpr uint16_t kFieldsTooLarge = 431;
constexpr uint16_t kVersionNotSupported = 505;
constexpr uint16_t kBadGateway = 502;

ParseResult failure(uint16_t status, std::string_view reason) {
  return ParseResult{ParseStatus::Error, 0, status, reason};
}
ParseResult success(size_t consumed) { return ParseResult{ParseStatus::Complete, consumed, 0, {}}; }
const ParseResult kIncomplete{};

std::string_view view(std::string_view buffer, Span span) { return buffer.substr(span.offset, span.length); }
Span spanOf(std::string_view buffer, std::string_view part) {
  return Span{static_cast<uint32_t>(part.data() - buffer.data()), static_cast<uint32_t>(part.size())};
}

// Index of the first byte of `s` outside class `cls`, or s.size().
size_t spanOfClass(std::string_view s, uint8_t cls) {
  size_t i = 0;
  while (i < s.size() && chars::is(s[i], cls)) ++i;
  return i;
}

// True when every byte of `s` may appear in a field value. Eight bytes at a time while none is
// a CTL or DEL (the common case); a word holding one (e.g. HTAB) is checked byte by byte.
bool allFieldValueBytes(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighBits;  // some byte < 0x20
    const uint64_t del = word ^ (kOnes * 0x7f);
    const uint64_t has_del = (del - kOnes) & ~del & kHighBits;  // some byte == 0x7f
    if ((below_space | has_del) != 0 && spanOfClass(s.substr(i, 8), chars::kFieldValue) != 8) return false;
  }
  return spanOfClass(s.substr(i), chars::kFieldValue) == s.size() - i;
}

// The method is checked even before its line is complete, so that a client speaking something
// other than HTTP/1 (e.g. TLS to a plaintext port) is refused on its first bytes. Returns false
// when `line_prefix` cannot start a request-line. `token_bytes` carries the count of leading
// token bytes across calls, so a slow client does not make each call rescan the method.
bool methodPrefixValid(std::string_view line_prefix, size_t& token_bytes) {
  size_t n = token_bytes;
  while (n < line_prefix.size() && chars::is(line_prefix[n], chars::kToken)) ++n;
  token_bytes = n;
  if (n == line_prefix.size()) return true;
  return n > 0 && line_prefix[n] == ' ';
}

// --- Field lines (RFC 9112 §5, RFC 9110 §5.5) ---------------------------------------------

ParseResult parseFieldLine(std::string_view buffer, std::string_view line, HeadScan& scan) {
  if (chars::isWhitespace(line.front())) return failure(kBadRequest, "obsolete line folding");
  const size_t name_len = spanOfClass(line, chars::kToken);
  if (name_len == line.size()) return failure(kBadRequest, "field line without colon");
  if (line[name_len] != ':') {
    if (chars::isWhitespace(line[name_len])) return failure(kBadRequest, "whitespace before colon");
    return failure(kBadRequest, "invalid field name");
  }
  if (name_len == 0) return failure(kBadRequest, "empty field name");
  std::string_view value = line.substr(name_len + 1);
  if (!allFieldValueBytes(value)) return failure(kBadRequest, "invalid field value");
  value = trimWhitespace(value);
  scan.fields.push_back(FieldSpan{spanOf(buffer, line.substr(0, name_len)), spanOf(buffer, value)});
  return kIncomplete;
}

// Walks the head line by line from where the previous call stopped. For every line the limits
// are checked before its content, and the partial last line is checked against the same limits,
// so feeding the bytes one at a time gives the same verdict as feeding them all at once.
template <typename StartLineFn>
ParseResult scanHead(std::string_view buffer, HeadScan& scan, const HeadLimits& limits, bool is_request,
                     StartLineFn&& parse_start_line) {
  const char* base = buffer.data();
  const size_t size = buffer.size();
  while (true) {
    const size_t line_start = scan.line_start;
    const size_t search_from = scan.scan_from;
    const void* lf = search_from < size ? std::memchr(base + search_from, '\n', size - search_from) : nullptr;
    const size_t line_end = lf ? static_cast<size_t>(static_cast<const char*>(lf) - base) : size;
    const std::string_view raw = buffer.substr(line_start, line_end - line_start);  // CR included

    if (!scan.have_start_line) {
      const bool empty_line = raw.size() == 1 && raw[0] == '\r';
      // Only the bytes within the line limit: a longer line fails on its length, fed whole or not.
      const std::string_view checked = raw.substr(0, limits.max_start_line_bytes + 1);
      if (is_request && !empty_line && !methodPrefixValid(checked, scan.method_token_bytes))
        return failure(kBadRequest, "invalid method");
      if (raw.size() > limits.max_start_line_bytes + 1)
        return failure(kUriTooLong, is_request ? "request-line too long" : "status-line too long");
    }
    if ((lf ? line_end + 1 : size) > limits.max_head_bytes) return failure(kFieldsTooLarge, "head too large");
    if (!lf) {
      scan.scan_from = size;
      return kIncomplete;
    }
    if (raw.empty() || raw.back() != '\r') return failure(kBadRequest, "bare LF line ending");
    const std::string_view line = raw.substr(0, raw.size() - 1);
    scan.line_start = scan.scan_from = line_end + 1;

    if (!scan.have_start_line) {
      if (line.empty()) {  // RFC 9112 §2.2: ignore empty lines before the start-line
        scan.method_token_bytes = 0;
        continue;
      }
      if (ParseResult r = parse_start_line(line); r.error()) return r;
      scan.have_start_line = true;
      scan.start_line = spanOf(buffer, line);
      continue;
    }
    if (line.empty()) return success(line_end + 1);
    if (scan.fields.size() >= limits.max_header_count) return failure(kFieldsTooLarge, "too many header fields");
    if (ParseResult r = parseFieldLine(buffer, line, scan); r.error()) return r;
  }
}

void fillHeaders(std::string_view buffer, const HeadScan& scan, HeaderList& headers) {
  headers.clear();
  for (const FieldSpan& f : scan.fields) headers.push_back(Header{view(buffer, f.name), view(buffer, f.value)});
}

// --- Request-line (RFC 9112 §3) ----------------------------------------------------------

struct RequestLine {
  std::string_view method, target, version;
};

// Splits "method SP request-target SP HTTP-version" on exactly single spaces.
bool splitRequestLine(std::string_view line, RequestLine& out) {
  const size_t first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos) return false;
  out.method = line.substr(0, first);
  out.target = line.substr(first + 1, second - first - 1);
  out.version = line.substr(second + 1);
  return !out.method.empty() && !out.target.empty();
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). Returns 0 and sets minor when it is
// 1.0 or 1.1, 505 for a well-formed other version, 400 for anything else.
uint16_t parseVersion(std::string_view v, uint8_t& minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !chars::isDigit(v[5]) || v[6] != '.' || !chars::isDigit(v[7]))
    return kBadRequest;
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return kVersionNotSupported;
  minor = static_cast<uint8_t>(v[7] - '0');
  return 0;
}

// Every "%" must be followed by two HEXDIG (RFC 3986 §2.1).
bool validPercentEncoding(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size()) return false;
    if (!chars::is(s[i + 1], chars::kHexDigit) || !chars::is(s[i + 2], chars::kHexDigit)) return false;
    i += 2;
  }
  return true;
}

// path-abempty/absolute-path [ "?" query ], strict RFC 3986 bytes (no "#", no "\", no CTL/SP).
bool splitPathAndQuery(std::string_view s, std::string_view& path, std::string_view& query) {
  const size_t path_len = spanOfClass(s, chars::kPath);
  path = s.substr(0, path_len);
  query = {};
  if (path_len < s.size()) {
    if (s[path_len] != '?') return false;
    query = s.substr(path_len + 1);
    if (spanOfClass(query, chars::kQuery) != query.size()) return false;
  }
  return validPercentEncoding(path) && validPercentEncoding(query);
}

bool validPort(std::string_view port, bool required) {
  if (port.empty()) return !required;
  if (port.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port) {
    if (!chars::isDigit(c)) return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value <= 65535;
}

// uri-host [ ":" port ] (RFC 3986 §3.2.2); userinfo is refused (RFC 9110 §4.2.4).
bool validAuthority(std::string_view authority, bool port_required) {
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : authority.substr(1, close - 1))
      if (!chars::is(c, chars::kHexDigit) && c != ':' && c != '.') return false;
    rest = authority.substr(close + 1);
  } else {
    const size_t host_len = spanOfClass(authority, chars::kRegName);
    if (!validPercentEncoding(authority.substr(0, host_len))) return false;
    if (port_required && host_len == 0) return false;
    rest = authority.substr(host_len);
  }
  if (rest.empty()) return !port_required;
  if (rest.front() != ':') return false;
  return validPort(rest.substr(1), port_required);
}

// request-target forms (RFC 9112 §3.2): origin for every method, asterisk only for OPTIONS,
// authority only (and always) for CONNECT, absolute-form with an http or https scheme.
ParseResult parseTarget(std::string_view method, std::string_view target, RequestHead& head) {
  head.authority = {};
  const bool is_connect = method == "CONNECT";
  if (is_connect) {
    if (!validAuthority(target, /*port_required=*/true)) return failure(kBadRequest, "invalid authority-form target");
    head.target_form = TargetForm::Authority;
    head.authority = target;
    head.path = {};
    head.query = {};
    return kIncomplete;
  }
  if (target == "*") {
    if (method != "OPTIONS") return failure(kBadRequest, "asterisk-form target outside OPTIONS");
    head.target_form = TargetForm::Asterisk;
    head.path = target;
    head.query = {};
    return kIncomplete;
  }
  if (target.front() == '/') {
    head.target_form = TargetForm::Origin;
    if (!splitPathAndQuery(target, head.path, head.query)) return failure(kBadRequest, "invalid request-target");
    return kIncomplete;
  }
  // absolute-form: only the schemes a gateway forwards.
  size_t scheme_len = 0;
  if (target.size() > 7 && equalsIgnoreCase(target.substr(0, 7), "http://")) scheme_len = 7;
  else if (target.size() > 8 && equalsIgnoreCase(target.substr(0, 8), "https://")) scheme_len = 8;
  if (scheme_len == 0) return failure(kBadRequest, "invalid request-target");
  const std::string_view rest = target.substr(scheme_len);
  const size_t authority_len = std::min(rest.find('/'), rest.find('?'));
  const std::string_view authority = rest.substr(0, authority_len);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      !validAuthority(authority, /*port_required=*/false))
    return failure(kBadRequest, "invalid authority in absolute-form target");
  head.target_form = TargetForm::Absolute;
  head.authority = authority;
  const std::string_view path_and_query = authority_len < rest.size() ? rest.substr(authority_len) : std::string_view{};
  if (!splitPathAndQuery(path_and_query, head.path, head.query))
    return failure(kBadRequest, "invalid request-target");
  if (head.path.empty()) head.path = "/";  // RFC 9112 §3.2.1: an empty path is sent as "/"
  return kIncomplete;
}

ParseResult parseRequestLine(std::string_view line, RequestHead& head) {
  RequestLine parts;
  if (!splitRequestLine(line, parts)) return failure(kBadRequest, "malformed request-line");
  if (spanOfClass(parts.method, chars::kToken) != parts.method.size()) return failure(kBadRequest, "invalid method");
  if (const uint16_t status = parseVersion(parts.version, head.version_minor); status != 0)
    return failure(status, status == kVersionNotSupported ? "HTTP version not supported" : "malformed HTTP version");
  head.method = parts.method;
  head.target = parts.target;
  return parseTarget(parts.method, parts.target, head);
}

// --- Framing (RFC 9112 §6, RFC 9110 §8.6) ------------------------------------------------

enum class KnownField : uint8_t { Other, ContentLength, TransferEncoding, Host, Connection, Upgrade, Expect };

KnownField classify(std::string_view name) {
  switch (name.size()) {
    case 4: return equalsIgnoreCase(name, "host") ? KnownField::Host : KnownField::Other;
    case 6: return equalsIgnoreCase(name, "expect") ? KnownField::Expect : KnownField::Other;
    case 7: return equalsIgnoreCase(name, "upgrade") ? KnownField::Upgrade : KnownField::Other;
    case 10: return equalsIgnoreCase(name, "connection") ? KnownField::Connection : KnownField::Other;
    case 14: return equalsIgnoreCase(name, "content-length") ? KnownField::ContentLength : KnownField::Other;
    case 17: return equalsIgnoreCase(name, "transfer-encoding") ? KnownField::TransferEncoding : KnownField::Other;
    default: return KnownField::Other;
  }
}

// Content-Length = 1*DIGIT; a list or repeated field of one identical value is accepted as that
// value (RFC 9110 §8.6), anything else is an error. Returns false on any invalid value.
bool accumulateContentLength(std::string_view value, std::optional<uint64_t>& length) {
  bool any = false;
  bool ok = true;
  forEachListElement(value, [&](std::string_view element) {
    any = true;
    uint64_t n = 0;
    for (char c : element) {
      if (!chars::isDigit(c)) {
        ok = false;
        return;
      }
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        ok = false;
        return;
      }
      n = n * 10 + digit;
    }
    if (length && *length != n) ok = false;
    length = n;
  });
  return ok && any;
}

// Transfer-Encoding lists across all field lines, in order (RFC 9110 §5.3).
struct TransferCodings {
  bool present = false;
  size_t chunked_count = 0;
  bool chunked_last = false;
  bool other_coding = false;

  void accumulate(std::string_view value) {
    present = true;
    forEachListElement(value, [&](std::string_view coding) {
      chunked_last = equalsIgnoreCase(coding, "chunked");
      if (chunked_last) ++chunked_count;
      else other_coding = true;
    });
  }
};

struct FramingFields {
  std::optional<uint64_t> content_length;
  bool content_length_present = false;
  bool content_length_valid = true;
  TransferCodings codings;
  size_t host_count = 0;
  std::string_view host;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool upgrade_present = false;
  std::string_view expect;
};

FramingFields collectFramingFields(const HeaderList& headers) {
  FramingFields f;
  for (const Header& h : headers) {
    switch (classify(h.name)) {
      case KnownField::ContentLength:
        f.content_length_present = true;
        if (!accumulateContentLength(h.value, f.content_length)) f.content_length_valid = false;
        break;
      case KnownField::TransferEncoding: f.codings.accumulate(h.value); break;
      case KnownField::Host:
        ++f.host_count;
        f.host = h.value;
        break;
      case KnownField::Connection:
        forEachListElement(h.value, [&](std::string_view option) {
          if (equalsIgnoreCase(option, "close")) f.connection_close = true;
          else if (equalsIgnoreCase(option, "keep-alive")) f.connection_keep_alive = true;
          else if (equalsIgnoreCase(option, "upgrade")) f.connection_upgrade = true;
        });
        break;
      case KnownField::Upgrade: f.upgrade_present = true; break;
      case KnownField::Expect: f.expect = h.value; break;
      case KnownField::Other: break;
    }
  }
  return f;
}

bool keepAlive(uint8_t version_minor, const FramingFields& f) {
  if (f.connection_close) return false;
  return version_minor == 1 || f.connection_keep_alive;
}

ParseResult deriveRequestFraming(RequestHead& head) {
  const FramingFields f = collectFramingFields(head.headers);
  if (f.host_count > 1) return failure(kBadRequest, "multiple Host fields");
  if (f.host_count == 0 && head.version_minor == 1) return failure(kBadRequest, "missing Host field");
  if (f.host_count == 1 && !validAuthority(f.host, /*port_required=*/false))
    return failure(kBadRequest, "invalid Host field");
  if (f.codings.present) {
    if (head.version_minor == 0) return failure(kBadRequest, "Transfer-Encoding in HTTP/1.0 request");
    if (f.content_length_present) return failure(kBadRequest, "both Content-Length and Transfer-Encoding");
    if (!f.codings.chunked_last) return failure(kBadRequest, "chunked is not the final transfer coding");
    if (f.codings.chunked_count > 1) return failure(kBadRequest, "chunked applied more than once");
    if (f.codings.other_coding) return failure(kNotImplemented, "unsupported transfer coding");
  }
  if (!f.content_length_valid) return failure(kBadRequest, "invalid Content-Length");

  head.host = f.host;
  head.content_length = f.content_length;
  head.chunked = f.codings.present;
  head.framing = head.chunked ? BodyFraming::Chunked
                 : f.content_length ? BodyFraming::ContentLength
                                    : BodyFraming::None;
  head.keep_alive = keepAlive(head.version_minor, f);
  head.upgrade = head.version_minor == 1 && f.upgrade_present && f.connection_upgrade;
  head.expect_continue = head.version_minor == 1 && equalsIgnoreCase(f.expect, "100-continue");
  return kIncomplete;
}

// --- Status-line (RFC 9112 §4) -----------------------------------------------------------

ParseResult parseStatusLine(std::string_view line, ResponseHead& head) {
  // HTTP-version SP 3DIGIT SP reason-phrase; the SP before an empty reason may be missing.
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
    return failure(kBadGateway, "malformed status-line");
  if (const uint16_t status = parseVersion(line.substr(0, 8), head.version_minor); status != 0)
    return failure(kBadGateway, status == kVersionNotSupported ? "HTTP version not supported" : "malformed HTTP version");
  uint16_t code = 0;
  for (char c : line.substr(9, 3)) {
    if (!chars::isDigit(c)) return failure(kBadGateway, "malformed status code");
    code = static_cast<uint16_t>(code * 10 + (c - '0'));
  }
  if (code < 100 || code > 599) return failure(kBadGateway, "status code out of range");
  const std::string_view reason = line.size() > 12 ? line.substr(13) : std::string_view{};
  if (spanOfClass(reason, chars::kFieldValue) != reason.size()) return failure(kBadGateway, "invalid reason-phrase");
  head.status_code = code;
  head.reason = reason;
  return kIncomplete;
}

ParseResult deriveResponseFraming(ResponseHead& head, bool request_was_head, bool request_was_connect) {
  const FramingFields f = collectFramingFields(head.headers);
  const uint16_t code = head.status_code;
  const bool informational = code < 200;
  if (f.codings.present) {
    if (f.content_length_present) return failure(kBadGateway, "both Content-Length and Transfer-Encoding");
    if (head.version_minor == 0) return failure(kBadGateway, "Transfer-Encoding in HTTP/1.0 response");
    if (informational || code == 204) return failure(kBadGateway, "Transfer-Encoding in 1xx or 204 response");
    if (f.codings.chunked_count > 1) return failure(kBadGateway, "chunked applied more than once");
  }
  if (!f.content_length_valid) return failure(kBadGateway, "invalid Content-Length");

  head.content_length = f.content_length;
  head.chunked = f.codings.present && f.codings.chunked_last;
  head.interim = informational && code != 101;
  head.becomes_tunnel = code == 101 || (request_was_connect && code >= 200 && code < 300);
  if (informational || code == 204 || code == 304 || request_was_head || head.becomes_tunnel) {
    head.framing = BodyFraming::None;
  } else if (f.codings.present) {
    // RFC 9112 §6.3 rule 4: a response whose final coding is not chunked runs until close.
    head.framing = head.chunked ? BodyFraming::Chunked : BodyFraming::UntilClose;
  } else if (f.content_length) {
    head.framing = BodyFraming::ContentLength;
  } else {
    head.framing = BodyFraming::UntilClose;
  }
  head.keep_alive = keepAlive(head.version_minor, f) && head.framing != BodyFraming::UntilClose;
  return kIncomplete;
}

}  // namespace

// --- Public parsers ----------------------------------------------------------------------

void RequestHeadParser::reset() {
  scan_.reset();
  result_ = {};
}

ParseResult RequestHeadParser::parse(std::string_view buffer) {
  if (!result_.incomplete()) return result_;
  bool start_line_views_current = false;
  result_ = scanHead(buffer, scan_, limits_, /*is_request=*/true, [&](std::string_view line) {
    start_line_views_current = true;
    return parseRequestLine(line, head_);
  });
  if (!result_.complete()) return result_;
  // A start line validated in an earlier call views an older buffer; re-derive it from this one.
  if (!start_line_views_current) {
    if (ParseResult r = parseRequestLine(view(buffer, scan_.start_line), head_); r.error()) return result_ = r;
  }
  fillHeaders(buffer, scan_, head_.headers);
  if (ParseResult r = deriveRequestFraming(head_); r.error()) result_ = r;
  return result_;
}

ResponseHeadParser::ResponseHeadParser(std::string_view request_method, HeadLimits limits) : limits_(limits) {
  reset(request_method);
}

void ResponseHeadParser::reset(std::string_view request_method) {
  request_was_head_ = request_method == "HEAD";
  request_was_connect_ = request_method == "CONNECT";
  scan_.reset();
  result_ = {};
}

ParseResult ResponseHeadParser::parse(std::string_view buffer) {
  if (!result_.incomplete()) return result_;
  bool start_line_views_current = false;
  result_ = scanHead(buffer, scan_, limits_, /*is_request=*/false, [&](std::string_view line) {
    start_line_views_current = true;
    return parseStatusLine(line, head_);
  });
  if (result_.complete()) {
    if (!start_line_views_current) {
      if (ParseResult r = parseStatusLine(view(buffer, scan_.start_line), head_); r.error()) result_ = r;
    }
    fillHeaders(buffer, scan_, head_.headers);
    if (ParseResult r = deriveResponseFraming(head_, request_was_head_, request_was_connect_); r.error()) result_ = r;
  }
  if (result_.error()) result_.error_status = kBadGateway;  // an upstream's fault is a 502 downstream
  return result_;
}

ParseResult parseRequestHead(std::string_view buffer, RequestHead& out, const HeadLimits& limits) {
  RequestHeadParser parser(limits);
  const ParseResult result = parser.parse(buffer);
  if (result.complete()) out = parser.head();
  return result;
}

ParseResult parseResponseHead(std::string_view buffer, std::string_view request_method, ResponseHead& out,
                              const HeadLimits& limits) {
  ResponseHeadParser parser(request_method, limits);
  const ParseResult result = parser.parse(buffer);
  if (result.complete()) out = parser.head();
  return result;
}

}  // namespace gatehouse::http
