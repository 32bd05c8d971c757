// RequestRedirect: builds the Location of the redirect response.
//
//   scheme   filter's, else the request's ("http" when unknown)
//   host     filter's hostname, else the request's host without port (lower-cased)
//   port     filter's port; else, when the filter sets a scheme, that scheme's well-known port
//            (http 80, https 443); else the port of the Gateway listener the request came in on.
//            The port is left out when it is the well-known one of the Location's scheme
//            (the spec's "SHOULD NOT add the port number" cases) or unknown (0).
//   path     ReplaceFullPath / ReplacePrefixMatch (relative to the matched prefix), else the
//            request's path
//   query    always the request's, as received (a path modifier changes only the path)
// When the request carried no host and the filter sets none, the Location is the relative
// reference path?query (RFC 9110 10.2.2 allows it) rather than "http:///path".
#include <string>

#include "dataplane/filters/filters.h"
#include "dataplane/filters/path_modifier.h"
#include "dataplane/http/path.h"
#include "dataplane/http/router.h"

namespace gatehouse::filters {

namespace {

uint16_t wellKnownPort(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

}  // namespace

std::optional<http::Response> answer(const snapshot::RequestRedirect& r, const snapshot::PathMatch& matched,
                                     const http::Request& request) {
  const std::string_view requestScheme = request.scheme.empty() ? std::string_view("http") : request.scheme;
  const std::string_view scheme = r.scheme ? std::string_view(*r.scheme) : requestScheme;
  const std::string host = r.hostname ? *r.hostname : http::hostWithoutPort(request.authority);

  uint16_t port = 0;
  if (r.port) {
    port = *r.port;
  } else if (r.scheme) {
    port = wellKnownPort(scheme);
    if (port == 0) port = request.listener_port;
  } else {
    port = request.listener_port;
  }
  const bool showPort = port != 0 && port != wellKnownPort(scheme);

  const std::string_view target = request.path;
  const std::string_view path = http::pathPart(target);
  const std::string_view querySuffix = target.substr(path.size());  // "" or "?..."
  std::optional<std::string> newPath = r.path ? modifiedPath(*r.path, matched, path) : std::nullopt;

  std::string location;
  location.reserve(scheme.size() + 3 + host.size() + 6 + target.size() + 16);
  if (!host.empty()) {
    location.append(scheme);
    location.append("://");
    location.append(host);
    if (showPort) {
      location.push_back(':');
      location.append(std::to_string(port));
    }
  }
  if (newPath) {
    location.append(*newPath);
  } else {
    location.append(path.empty() ? std::string_view("/") : path);
  }
  location.append(querySuffix);

  http::Response response;
  response.status = r.status_code;
  response.headers.add("Location", std::move(location));
  return response;
}

}  // namespace gatehouse::filters
