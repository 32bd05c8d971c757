#pragma once
// Test helper: YAML documents -> nlohmann::json. Quoted (and block) scalars are strings; plain
// scalars are null/bool/int/float when they parse as such under the YAML 1.2 core schema, else
// strings.
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace gatehouse::testing {

inline nlohmann::json plainScalar(const std::string& s) {
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kOct("0o([0-7]+)");
  static const std::regex kHex("0x([0-9a-fA-F]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const std::regex kInf(R"([-+]?\.(inf|Inf|INF))");
  static const std::regex kNan(R"(\.nan|\.NaN|\.NAN)");
  std::smatch m;
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  try {
    if (std::regex_match(s, kInt)) return std::stoll(s);
    if (std::regex_match(s, m, kOct)) return std::stoll(m[1].str(), nullptr, 8);
    if (std::regex_match(s, m, kHex)) return std::stoll(m[1].str(), nullptr, 16);
  } catch (const std::out_of_range&) {
    // falls through to float
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  if (std::regex_match(s, kInf)) {
    return s[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (std::regex_match(s, kNan)) return std::numeric_limits<double>::quiet_NaN();
  return s;
}

inline nlohmann::json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "?") return plainScalar(node.Scalar());
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(toJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = toJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

// All non-empty documents of a YAML stream.
inline std::vector<nlohmann::json> yamlDocuments(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const auto& doc : YAML::LoadAll(text)) {
    nlohmann::json j = toJson(doc);
    if (!j.is_null()) out.push_back(std::move(j));
  }
  return out;
}

inline std::vector<nlohmann::json> yamlFileDocuments(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    nlohmann::json j = toJson(doc);
    if (!j.is_null()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace gatehouse::testing
