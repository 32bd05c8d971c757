#pragma once
// HTTPPathModifier, shared by RequestRedirect and URLRewrite.
#include <optional>
#include <string>
#include <string_view>

#include "snapshot/snapshot.h"

namespace gatehouse::filters {

// ReplacePrefixMatch per the spec's table: the prefix and the replacement each lose one trailing
// '/', the replacement takes the place of the matched path elements, an empty result is "/".
//   /foo/bar  /foo   /xyz  -> /xyz/bar      /foo   /foo  /xyz -> /xyz
//   /foo/bar  /foo/  /xyz/ -> /xyz/bar      /foo/  /foo  /xyz -> /xyz/
//   /foo/bar  /foo   ""    -> /bar          /foo   /foo  /    -> /
// `path` must match `prefix` element-wise (pathPrefixMatches); it is returned unchanged otherwise.
std::string replacePrefixMatch(std::string_view path, std::string_view prefix, std::string_view replacement);

// The new path part for `path` (the path part of the request, no query), or nullopt to keep it:
// ReplaceFullPath gives its value ("/" when empty); ReplacePrefixMatch replaces the prefix of
// `matched` when it is a PathPrefix (or an Exact, whose value is the whole path) that matches
// `path`; it keeps the path for a RegularExpression match, which the translator rejects anyway.
std::optional<std::string> modifiedPath(const snapshot::PathModifier& modifier, const snapshot::PathMatch& matched,
                                        std::string_view path);

}  // namespace gatehouse::filters
