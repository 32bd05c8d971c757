#include "translator/hostnames.h"

namespace gatehouse::translator {

bool wildcardMatches(std::string_view pattern, std::string_view host) {
  if (pattern.size() < 2 || pattern.substr(0, 2) != "*.") return pattern == host;
  std::string_view suffix = pattern.substr(1);  // ".example.com"
  return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix &&
         host[0] != '.';
}

std::optional<std::vector<std::string>> intersectHostnames(const std::string& listener,
                                                           const std::vector<std::string>& route) {
  if (route.empty()) return std::vector<std::string>{listener};
  if (listener.empty()) return route;
  std::vector<std::string> out;
  const bool listener_wild = listener.rfind("*.", 0) == 0;
  for (const auto& h : route) {
    const bool route_wild = h.rfind("*.", 0) == 0;
    if (h == listener) {
      out.push_back(h);
    } else if (listener_wild && wildcardMatches(listener, route_wild ? h.substr(2) : h)) {
      // The route's name (or wildcard) lies inside the listener's wildcard: the narrower wins.
      out.push_back(h);
    } else if (route_wild && wildcardMatches(h, listener_wild ? listener.substr(2) : listener)) {
      out.push_back(listener);
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace gatehouse::translator
