#include "model/types/l4_route.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

std::shared_ptr<const TypedObject> decodeL4Route(const nlohmann::json& object) {
  auto out = std::make_shared<L4Route>();
  const std::string ns = decoding::namespaceOf(object);
  const nlohmann::json& spec = obj(object, "spec");
  for (const auto& p : arr(spec, "parentRefs")) out->parent_refs.push_back(decoding::parentRef(p, ns));
  out->hostnames = decoding::strings(arr(spec, "hostnames"));
  for (const auto& r : arr(spec, "rules")) {
    L4RouteRule rule;
    rule.name = str(r, "name");
    for (const auto& ref : arr(r, "backendRefs"))
      rule.backend_refs.push_back({decoding::backendObjectRef(ref, ns), static_cast<int32_t>(integer(ref, "weight", 1))});
    out->rules.push_back(std::move(rule));
  }
  return out;
}

}  // namespace gatehouse::model
