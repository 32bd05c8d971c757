#include "model/yaml_writer.h"

#include <cctype>
#include <string_view>

namespace gatehouse::model {

namespace {

// A string YAML 1.2 (core schema) and 1.1 both read back as that string when unquoted: letters,
// digits and a few punctuation marks, not starting with one that means something, not a word
// or number a YAML reader turns into another type.
bool plainSafe(const std::string& s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_./-").find(c) == std::string_view::npos)
      return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '/' && s[0] != '_') return false;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "y", "n", ".inf", ".nan"})
    if (lower == word) return false;
  return true;
}

std::string scalar(const Json& value, YamlStrings strings) {
  if (strings == YamlStrings::kPlainStrings && value.is_string() && plainSafe(value.get<std::string>()))
    return value.get<std::string>();
  return value.dump();
}

void append(const Json& value, int indent, std::string& out, YamlStrings strings) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  auto scalarOrEmpty = [](const Json& v) { return !v.is_structured() || v.empty(); };
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + scalar(Json(key), strings) + ":";
      if (scalarOrEmpty(item)) {
        out += " " + scalar(item, strings) + "\n";
      } else {
        out += "\n";
        append(item, indent + 2, out, strings);
      }
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (scalarOrEmpty(item)) {
        out += pad + "- " + scalar(item, strings) + "\n";
      } else {
        // The item's first line goes after "- ", the rest under it.
        std::string nested;
        append(item, indent + 2, nested, strings);
        out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
      }
    }
  } else {
    out += pad + scalar(value, strings) + "\n";
  }
}

}  // namespace

std::string toYaml(const Json& value, YamlStrings strings) {
  std::string out;
  append(value, 0, out, strings);
  return out;
}

}  // namespace gatehouse::model
