#include "model/types/object.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& req : match_expressions) {
    auto it = labels.find(req.key);
    bool in_values = false;
    for (const auto& v : req.values) in_values |= it != labels.end() && v == it->second;
    if (req.op == "In" && !in_values) return false;
    if (req.op == "NotIn" && in_values) return false;
    if (req.op == "Exists" && it == labels.end()) return false;
    if (req.op == "DoesNotExist" && it != labels.end()) return false;
  }
  return true;
}

namespace decoding {

using Json = nlohmann::json;

std::string namespaceOf(const Json& object) { return str(obj(object, "metadata"), "namespace"); }

std::map<std::string, std::string> labelsOf(const Json& object) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : obj(obj(object, "metadata"), "labels").items())
    if (value.is_string()) out[key] = value.get<std::string>();
  return out;
}

LabelSelector labelSelector(const Json& selector) {
  LabelSelector out;
  for (const auto& [key, value] : obj(selector, "matchLabels").items())
    if (value.is_string()) out.match_labels[key] = value.get<std::string>();
  for (const auto& expr : arr(selector, "matchExpressions"))
    out.match_expressions.push_back({str(expr, "key"), str(expr, "operator"), strings(arr(expr, "values"))});
  return out;
}

ParentRef parentRef(const Json& ref, const std::string& ns) {
  ParentRef out{str(ref, "group", kGatewayGroup), str(ref, "kind", "Gateway"), str(ref, "namespace", ns),
                str(ref, "name"), std::nullopt, std::nullopt};
  if (auto it = ref.find("sectionName"); it != ref.end() && it->is_string()) out.section_name = it->get<std::string>();
  if (auto it = ref.find("port"); it != ref.end() && it->is_number_integer()) out.port = it->get<int32_t>();
  return out;
}

BackendObjectRef backendObjectRef(const Json& ref, const std::string& ns) {
  BackendObjectRef out{str(ref, "group"), str(ref, "kind", "Service"), str(ref, "namespace", ns), str(ref, "name"),
                       std::nullopt};
  if (auto it = ref.find("port"); it != ref.end() && it->is_number_integer()) out.port = it->get<int32_t>();
  return out;
}

SecretObjectRef secretObjectRef(const Json& ref, const std::string& ns) {
  return {str(ref, "group"), str(ref, "kind", "Secret"), str(ref, "namespace", ns), str(ref, "name")};
}

ObjectRef objectRef(const Json& ref, const std::string& ns) {
  return {str(ref, "group"), str(ref, "kind"), str(ref, "namespace", ns), str(ref, "name")};
}

std::vector<std::string> strings(const Json& list) {
  std::vector<std::string> out;
  for (const auto& s : list)
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

std::optional<std::string> optionalString(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace decoding
}  // namespace gatehouse::model
