#include "model/resource.h"

namespace gatehouse::model {

Json Resource::spec() const {
  Json doc = object();
  auto it = doc.find("spec");
  return it == doc.end() ? Json::object() : std::move(*it);
}

bool isClusterScoped(const std::string& kind) {
  return kind == "GatewayClass" || kind == "Namespace";
}

}  // namespace gatehouse::model
