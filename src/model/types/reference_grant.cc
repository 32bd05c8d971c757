#include "model/types/reference_grant.h"

#include "model/json_access.h"

namespace gatehouse::model {

std::shared_ptr<const TypedObject> decodeReferenceGrant(const nlohmann::json& object) {
  auto out = std::make_shared<ReferenceGrant>();
  const nlohmann::json& spec = obj(object, "spec");
  for (const auto& f : arr(spec, "from")) out->from.push_back({str(f, "group"), str(f, "kind"), str(f, "namespace")});
  for (const auto& t : arr(spec, "to")) out->to.push_back({str(t, "group"), str(t, "kind"), str(t, "name")});
  return out;
}

}  // namespace gatehouse::model
