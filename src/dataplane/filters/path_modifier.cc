#include "dataplane/filters/path_modifier.h"

#include "dataplane/http/path.h"

namespace gatehouse::filters {

std::string replacePrefixMatch(std::string_view path, std::string_view prefix, std::string_view replacement) {
  if (!http::pathPrefixMatches(prefix, path)) return std::string(path);
  if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (!replacement.empty() && replacement.back() == '/') replacement.remove_suffix(1);
  std::string_view rest = path.substr(prefix.size());  // "" or "/..."
  std::string out;
  out.reserve(1 + replacement.size() + rest.size());
  if (!replacement.empty() && replacement.front() != '/') out.push_back('/');
  out.append(replacement);
  out.append(rest);
  if (out.empty()) out.push_back('/');
  return out;
}

std::optional<std::string> modifiedPath(const snapshot::PathModifier& modifier, const snapshot::PathMatch& matched,
                                        std::string_view path) {
  if (modifier.type == snapshot::PathModifier::Type::ReplaceFullPath) {
    if (modifier.value.empty()) return std::string("/");
    return modifier.value;
  }
  if (matched.type == snapshot::PathMatch::Type::RegularExpression) return std::nullopt;
  if (!http::pathPrefixMatches(matched.value, path)) return std::nullopt;
  return replacePrefixMatch(path, matched.value, modifier.value);
}

}  // namespace gatehouse::filters
