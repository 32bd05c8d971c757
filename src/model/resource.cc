#include "model/resource.h"

namespace gatehouse::model {

const Json& Resource::spec() const {
  static const Json kEmpty = Json::object();
  auto it = object.find("spec");
  return it == object.end() ? kEmpty : *it;
}

std::map<std::string, std::string> Resource::labels() const {
  std::map<std::string, std::string> out;
  auto meta = object.find("metadata");
  if (meta == object.end()) return out;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return out;
  for (auto& [k, v] : labels->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

bool isClusterScoped(const std::string& kind) {
  return kind == "GatewayClass" || kind == "Namespace";
}

}  // namespace gatehouse::model
