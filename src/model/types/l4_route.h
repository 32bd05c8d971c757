#pragma once
// TCPRoute, UDPRoute and TLSRoute (gateway.networking.k8s.io/v1): one rule of weighted
// backendRefs each; TLSRoute adds hostnames (matched against the ClientHello's SNI).
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

struct L4BackendRef {
  BackendObjectRef ref;
  int32_t weight = 1;
};

struct L4RouteRule {
  std::string name;
  std::vector<L4BackendRef> backend_refs;
};

// The typed form of all three kinds; the store's key says which one it is.
struct L4Route : Route {
  std::vector<L4RouteRule> rules;  // the schema allows exactly one
};

std::shared_ptr<const TypedObject> decodeL4Route(const nlohmann::json& object);

}  // namespace gatehouse::model
