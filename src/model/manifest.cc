#include "model/manifest.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>

namespace gatehouse::model {
namespace {

std::optional<Json> plainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  const char* digits = begin + ((s[0] == '-' || s[0] == '+') ? 1 : 0);
  if (digits == end) return std::nullopt;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) return std::nullopt;  // keep as string
  int64_t i = 0;
  auto [p, ec] = std::from_chars(s[0] == '+' ? begin + 1 : begin, end, i);
  if (ec == std::errc() && p == end) return Json(i);
  bool numeric = true, seen_digit = false;
  for (const char* c = digits; c != end; ++c) {
    if (*c >= '0' && *c <= '9') seen_digit = true;
    else if (*c != '.' && *c != 'e' && *c != 'E' && *c != '-' && *c != '+') numeric = false;
  }
  if (numeric && seen_digit) {
    double d = 0;
    auto [q, ec2] = std::from_chars(s[0] == '+' ? begin + 1 : begin, end, d);
    if (ec2 == std::errc() && q == end && std::isfinite(d)) return Json(d);
  }
  return std::nullopt;
}

// Bounds for untrusted YAML: aliases can make a document recursive ("a: &a [*a]") or
// exponential ("billion laughs"); deep nesting would overflow the stack.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 1'000'000;

struct Budget {
  size_t nodes = 0;
  std::string error;
};

Json toJson(const YAML::Node& node, int depth, Budget& budget) {
  if (!budget.error.empty()) return nullptr;
  if (depth > kMaxDepth) {
    budget.error = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
    return nullptr;
  }
  if (++budget.nodes > kMaxNodes) {
    budget.error = "more than " + std::to_string(kMaxNodes) + " values (alias expansion?)";
    return nullptr;
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "?") {  // plain scalar: resolve by the core schema
        if (auto v = plainScalar(s)) return *v;
      }
      return Json(s);
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(toJson(item, depth + 1, budget));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          budget.error = "mapping keys must be strings";
          return nullptr;
        }
        out[kv.first.Scalar()] = toJson(kv.second, depth + 1, budget);
      }
      return out;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return Json(nullptr);
}

void appendObject(Json doc, std::vector<Json>& out) {
  if (doc.is_null()) return;  // empty document between separators
  if (doc.is_object() && doc.contains("kind") && doc["kind"] == "List" && doc.contains("items") && doc["items"].is_array()) {
    for (auto& item : doc["items"]) appendObject(std::move(item), out);
    return;
  }
  out.push_back(std::move(doc));
}

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or npos. The API server refuses such manifests, and
// every JSON encoder downstream (status, admin API) would have to.
size_t invalidUtf8At(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::vector<Json>> decodeManifests(std::string_view text) {
  if (size_t bad = invalidUtf8At(text); bad != std::string_view::npos)
    return Error{"byte " + std::to_string(bad) + ": not valid UTF-8"};
  std::vector<Json> out;
  try {
    // JSON is a subset of YAML 1.2 for our purposes, and yaml-cpp reads it; one path for both.
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      Budget budget;
      Json json = toJson(doc, 0, budget);
      if (!budget.error.empty()) return Error{"document " + std::to_string(out.size() + 1) + ": " + budget.error};
      appendObject(std::move(json), out);
    }
  } catch (const YAML::Exception& e) {
    return Error{"line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1) +
                 ": " + e.msg};
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].is_object())
      return Error{"document " + std::to_string(i + 1) + ": not a mapping (a Kubernetes object is expected)"};
  }
  return out;
}

Result<ObjectKey> objectKeyOf(const Json& object) {
  auto str = [&](const Json& j, const char* key) -> std::string {
    auto it = j.find(key);
    return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
  };
  ObjectKey key;
  key.kind = str(object, "kind");
  if (key.kind.empty()) return Error{"kind: required"};
  if (str(object, "apiVersion").empty()) return Error{"apiVersion: required"};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return Error{"metadata: required"};
  key.name = str(*meta, "name");
  if (key.name.empty()) return Error{"metadata.name: required"};
  if (!isClusterScoped(key.kind)) {
    key.ns = str(*meta, "namespace");
    if (key.ns.empty()) key.ns = "default";
  }
  return key;
}

}  // namespace gatehouse::model
