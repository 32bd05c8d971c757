#pragma once
// ReferenceGrant (gateway.networking.k8s.io/v1beta1).
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

struct ReferenceGrant : TypedObject {
  struct From {
    std::string group, kind, ns;
  };
  struct To {
    std::string group, kind;
    std::string name;  // "" grants every object of the kind
  };
  std::vector<From> from;
  std::vector<To> to;
};

std::shared_ptr<const TypedObject> decodeReferenceGrant(const nlohmann::json& object);

}  // namespace gatehouse::model
