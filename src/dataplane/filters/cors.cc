// CORS (HTTPRoute filter, the Fetch standard's CORS protocol).
//
// Preflight (OPTIONS with Origin and Access-Control-Request-Method): answered here, 204, never
// forwarded. An allowed Origin gets Allow-Origin (the Origin itself: always valid, also with
// credentials, where "*" is not), Allow-Methods and Allow-Headers (a "*" list echoes what the
// request asks for, which is what "*" means and what credentialed requests need), Expose-Headers,
// Max-Age and, when set, Allow-Credentials; any other Origin gets a 204 without CORS headers, so
// the browser refuses the actual request.
// Actual request with an allowed Origin: the response gets Allow-Origin, Expose-Headers,
// Allow-Credentials. Every answer to a request with an Origin carries "Vary: Origin", since it
// depends on it (caches must not serve one origin's answer to another).
// Origins compare case-insensitively; "https://*.example.com" matches one or more labels left of
// ".example.com" (scheme and port must match); "*" alone matches any Origin.
#include <string>

#include "dataplane/filters/filters.h"

namespace gatehouse::filters {

namespace {

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool endsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && http::equalsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

bool originMatches(std::string_view pattern, std::string_view origin) {
  if (pattern == "*") return true;
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return http::equalsIgnoreCase(pattern, origin);
  const std::string_view prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  if (origin.size() <= prefix.size() + suffix.size()) return false;
  if (!startsWithIgnoreCase(origin, prefix) || !endsWithIgnoreCase(origin, suffix)) return false;
  // The labels the "*" stands for: a host part only, no port, path or user info.
  const std::string_view labels = origin.substr(prefix.size(), origin.size() - prefix.size() - suffix.size());
  return labels.find_first_of(":/@") == std::string_view::npos && labels.front() != '.';
}

// The request's Origin when the filter allows it.
const std::string* allowedOrigin(const snapshot::Cors& cors, const http::Request& request) {
  const std::string* origin = request.headers.find("origin");
  if (!origin || origin->empty()) return nullptr;
  for (const std::string& pattern : cors.allow_origins)
    if (originMatches(pattern, *origin)) return origin;
  return nullptr;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// A "*" list answers with what the preflight asks for.
std::string allowed(const std::vector<std::string>& list, const http::Request& request, std::string_view asked) {
  if (list.size() == 1 && list[0] == "*") return request.headers.joined(asked);
  return joined(list);
}

void addCommon(const snapshot::Cors& cors, const std::string& origin, http::Headers& headers) {
  headers.set("Access-Control-Allow-Origin", origin);
  if (cors.allow_credentials) headers.set("Access-Control-Allow-Credentials", "true");
  if (!cors.expose_headers.empty()) headers.set("Access-Control-Expose-Headers", joined(cors.expose_headers));
}

}  // namespace

std::optional<http::Response> answer(const snapshot::Cors& cors, const snapshot::PathMatch&,
                                     const http::Request& request) {
  if (request.method != "OPTIONS" || !request.headers.contains("origin") ||
      !request.headers.contains("access-control-request-method"))
    return std::nullopt;
  http::Response response;
  response.status = 204;
  response.headers.add("Vary", "Origin");
  const std::string* origin = allowedOrigin(cors, request);
  if (!origin) return response;
  addCommon(cors, *origin, response.headers);
  const std::string methods = allowed(cors.allow_methods, request, "access-control-request-method");
  if (!methods.empty()) response.headers.add("Access-Control-Allow-Methods", methods);
  const std::string headers = allowed(cors.allow_headers, request, "access-control-request-headers");
  if (!headers.empty()) response.headers.add("Access-Control-Allow-Headers", headers);
  response.headers.add("Access-Control-Max-Age", std::to_string(cors.max_age));
  return response;
}

void applyResponse(const snapshot::Cors& cors, const http::Request& request, http::Response& response) {
  if (!request.headers.contains("origin")) return;
  response.headers.add("Vary", "Origin");
  if (const std::string* origin = allowedOrigin(cors, request)) addCommon(cors, *origin, response.headers);
}

}  // namespace gatehouse::filters
