#pragma once
// A JSON document kept in MessagePack form: about a fifth of the memory of a JSON tree, for
// documents that are kept long and read rarely (stored manifests, published statuses).
#include <string>

#include <nlohmann/json.hpp>

namespace gatehouse::model {

class Packed {
 public:
  Packed() = default;
  explicit Packed(const nlohmann::json& doc) {
    nlohmann::json::to_msgpack(doc, bytes_);
    bytes_.shrink_to_fit();  // grown by appends: up to twice the size, kept for the object's life
  }
  nlohmann::json unpack() const { return bytes_.empty() ? nlohmann::json() : nlohmann::json::from_msgpack(bytes_); }
  // Equal documents pack to equal bytes: object keys are sorted.
  bool operator==(const Packed&) const = default;
  size_t hash() const { return std::hash<std::string>{}(bytes_); }

 private:
  std::string bytes_;
};

}  // namespace gatehouse::model
