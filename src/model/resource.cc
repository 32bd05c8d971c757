#include "model/resource.h"

namespace gatehouse::model {

Json Resource::spec() const {
  Json doc = object();
  auto it = doc.find("spec");
  return it == doc.end() ? Json::object() : std::move(*it);
}

std::map<std::string, std::string> Resource::labels() const {
  std::map<std::string, std::string> out;
  const Json doc = object();
  auto meta = doc.find("metadata");
  if (meta == doc.end()) return out;
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
