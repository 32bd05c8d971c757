#pragma once
// Hostname rules shared by every route kind: wildcard matching and listener/route intersection.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::translator {

// "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
bool wildcardMatches(std::string_view pattern, std::string_view host);

// The hostnames under which a route serves on a listener: the intersection of the listener's
// hostname (empty = any) and the route's hostnames (empty = any). nullopt: no intersection.
// An empty vector element "" means "any host".
std::optional<std::vector<std::string>> intersectHostnames(const std::string& listener,
                                                           const std::vector<std::string>& route);

}  // namespace gatehouse::translator
