#include "dataplane/http/router.h"

#include <re2/re2.h>

#include <string>

#include "dataplane/http/path.h"

namespace gatehouse::http {

namespace {

using snapshot::PathMatch;
using snapshot::RouteMatch;
using snapshot::StringMatch;

// RFC 1035 limits a name to 253 characters (255 octets on the wire); a longer Host cannot equal a
// listener or route hostname, so it is matched as the empty host (hostname-less listener and
// route tables only) instead of allocating for it.
constexpr size_t kMaxHost = 256;

// The host part of `authority`: without port, without a trailing dot, brackets kept for IPv6.
std::string_view hostPart(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  }
  return host;
}

inline char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Writes the lower-cased host of `authority` into `buf` (kMaxHost bytes); returns the view into
// `buf`, or an empty view when the host does not fit.
std::string_view normaliseHost(std::string_view authority, char* buf) {
  std::string_view host = hostPart(authority);
  if (host.size() > kMaxHost) return {};
  for (size_t i = 0; i < host.size(); ++i) {
    buf[i] = lowerAscii(host[i]);
  }
  return {buf, host.size()};
}

// "*.example.com" style match: `host` ends with `suffix` (".example.com") and has at least one
// more character in front of it.
inline bool wildcardMatches(std::string_view suffix, std::string_view host) {
  return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool regexFullMatch(const std::shared_ptr<const re2::RE2>& regex, std::string_view text) {
  return regex != nullptr && RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *regex);
}

bool pathMatches(const PathMatch& m, std::string_view path) {
  switch (m.type) {
    case PathMatch::Type::Exact:
      return path == m.value;
    case PathMatch::Type::PathPrefix:
      return pathPrefixMatches(m.value, path);
    case PathMatch::Type::RegularExpression:
      return regexFullMatch(m.regex, path);
  }
  return false;
}

bool stringMatches(const StringMatch& m, std::string_view value) {
  return m.type == StringMatch::Type::Exact ? value == m.value : regexFullMatch(m.regex, value);
}

// True when the values of the repeated field joined with "," equal `expected`, without joining.
bool joinedEquals(const Headers& headers, std::string_view name, std::string_view expected) {
  size_t pos = 0;
  bool first = true;
  for (const Headers::Field& f : headers.fields()) {
    if (!equalsIgnoreCase(f.first, name)) continue;
    if (!first) {
      if (pos >= expected.size() || expected[pos] != ',') return false;
      ++pos;
    }
    first = false;
    if (expected.substr(pos, f.second.size()) != f.second) return false;
    pos += f.second.size();
  }
  return !first && pos == expected.size();
}

bool headerMatches(const StringMatch& m, const Request& request) {
  if (m.name == "host") return stringMatches(m, request.authority);
  const std::string* single = nullptr;
  size_t count = 0;
  for (const Headers::Field& f : request.headers.fields()) {
    if (equalsIgnoreCase(f.first, m.name)) {
      if (count++ == 0) single = &f.second;
    }
  }
  if (count == 0) return false;
  if (count == 1) return stringMatches(m, *single);
  // A repeated header: rare, so the regex case may allocate the joined value.
  if (m.type == StringMatch::Type::Exact) return joinedEquals(request.headers, m.name, m.value);
  return regexFullMatch(m.regex, request.headers.joined(m.name));
}

bool queryParamMatches(const StringMatch& m, std::string_view query) {
  std::optional<std::string_view> raw = findQueryParam(query, m.name);
  if (!raw) return false;
  if (m.type == StringMatch::Type::Exact) return percentDecodedEquals(*raw, m.value);
  if (raw->find('%') == std::string_view::npos) return regexFullMatch(m.regex, *raw);
  return regexFullMatch(m.regex, percentDecode(*raw));
}

bool earlierHeaderNamed(const std::vector<StringMatch>& list, size_t i) {
  for (size_t j = 0; j < i; ++j) {
    if (equalsIgnoreCase(list[j].name, list[i].name)) return true;
  }
  return false;
}

bool earlierParamNamed(const std::vector<StringMatch>& list, size_t i) {
  for (size_t j = 0; j < i; ++j) {
    if (list[j].name == list[i].name) return true;
  }
  return false;
}

bool matchesParts(const RouteMatch& m, const Request& request, std::string_view path, std::string_view query) {
  if (!pathMatches(m.path, path)) return false;
  if (m.method && request.method != *m.method) return false;
  for (size_t i = 0; i < m.headers.size(); ++i) {
    if (i > 0 && earlierHeaderNamed(m.headers, i)) continue;
    if (!headerMatches(m.headers[i], request)) return false;
  }
  for (size_t i = 0; i < m.query_params.size(); ++i) {
    if (i > 0 && earlierParamNamed(m.query_params, i)) continue;
    if (!queryParamMatches(m.query_params[i], query)) return false;
  }
  return true;
}

}  // namespace

std::string hostWithoutPort(std::string_view authority) {
  std::string host(hostPart(authority));
  for (char& c : host) c = lowerAscii(c);
  return host;
}

const snapshot::Listener* selectListener(const snapshot::Socket& socket, std::string_view host) {
  const snapshot::Listener* wildcard = nullptr;
  size_t wildcardLength = 0;
  const snapshot::Listener* fallback = nullptr;
  for (const snapshot::Listener& l : socket.listeners) {
    std::string_view name = l.hostname;
    if (name.empty()) {
      if (fallback == nullptr) fallback = &l;
    } else if (name.size() >= 2 && name[0] == '*' && name[1] == '.') {
      std::string_view suffix = name.substr(1);
      if (suffix.size() > wildcardLength && wildcardMatches(suffix, host)) {
        wildcard = &l;
        wildcardLength = suffix.size();
      }
    } else if (name == host) {
      return &l;
    }
  }
  return wildcard != nullptr ? wildcard : fallback;
}

const snapshot::RouteTable* selectTable(const snapshot::HostTable& hosts, std::string_view host) {
  if (const snapshot::RouteTable* table = hosts.exact(host)) return table;
  for (const auto& [suffix, table] : hosts.wildcard_suffix)
    if (wildcardMatches(suffix, host)) return table.get();
  return hosts.any.get();
}

bool matches(const snapshot::RouteMatch& match, const Request& request) {
  return matchesParts(match, request, pathPart(request.path), queryPart(request.path));
}

RouteResult route(const snapshot::Socket& socket, const Request& request) {
  RouteResult result;
  char buf[kMaxHost];
  std::string_view host = normaliseHost(request.authority, buf);
  result.listener = selectListener(socket, host);
  if (result.listener == nullptr) return result;
  const snapshot::RouteTable* table = selectTable(result.listener->hosts, host);
  if (table == nullptr) return result;
  std::string_view path = pathPart(request.path);
  std::string_view query = queryPart(request.path);
  for (const snapshot::RouteEntry& entry : table->entries) {
    if (entry.rule < table->rules.size() && matchesParts(entry.match, request, path, query)) {
      result.entry = &entry;
      result.rule = &table->rules[entry.rule];
      return result;
    }
  }
  return result;
}

bool misdirected(const snapshot::Socket& socket, std::string_view server_name, const snapshot::Listener* listener) {
  if (server_name.empty() || listener == nullptr) return false;
  char buf[kMaxHost];
  return selectListener(socket, normaliseHost(server_name, buf)) != listener;
}

const snapshot::WeightedBackend* pickBackend(const snapshot::Rule& rule, uint64_t random) {
  uint64_t total = 0;
  for (const snapshot::WeightedBackend& b : rule.backends) total += b.weight;
  if (total == 0) return nullptr;
  // Multiply-shift maps the uniform 64-bit draw onto [0, total) without a division.
  uint64_t point = static_cast<uint64_t>((static_cast<unsigned __int128>(random) * total) >> 64);
  for (const snapshot::WeightedBackend& b : rule.backends) {
    if (point < b.weight) return &b;
    point -= b.weight;
  }
  return nullptr;  // unreachable: point < total
}

}  // namespace gatehouse::http
