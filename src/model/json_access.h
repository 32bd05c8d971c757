#pragma once
// Reading validated manifests. Every accessor returns a reference into the document (or to a
// static empty value), never to a temporary, so chains like obj(obj(spec, "a"), "b") are safe;
// nlohmann's value(key, default) returns by value and must not be bound to a reference.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gatehouse::model {

inline const nlohmann::json& obj(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return (it != j.end() && it->is_object()) ? *it : kEmpty;
}

inline const nlohmann::json& arr(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return (it != j.end() && it->is_array()) ? *it : kEmpty;
}

inline std::string str(const nlohmann::json& j, const char* key, std::string fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : fallback;
}

inline int64_t integer(const nlohmann::json& j, const char* key, int64_t fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return (it != j.end() && it->is_number_integer()) ? it->get<int64_t>() : fallback;
}

inline bool has(const nlohmann::json& j, const char* key) { return j.is_object() && j.contains(key); }

}  // namespace gatehouse::model
