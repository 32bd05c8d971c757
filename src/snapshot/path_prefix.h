#pragma once
// The Gateway API PathPrefix match, shared by the router (dataplane/http/path.h) and the
// translator's shadowing proof, so both read a prefix the same way.
#include <string_view>

namespace gatehouse::snapshot {

// Matches whole path elements, a trailing '/' of the prefix is ignored. "/foo" and "/foo/" both
// match "/foo", "/foo/", "/foo/bar" but not "/foobar"; "/" matches all.
inline bool pathPrefixMatches(std::string_view prefix, std::string_view path) {
  if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace gatehouse::snapshot
