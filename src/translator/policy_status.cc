// BackendTLSPolicy status: one status.ancestors entry per Gateway of ours that a route attached
// to uses a Service the policy targets, each with the policy's conditions. A policy no such
// route uses gets no status from us.
#include <set>

#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;
using model::ObjectKey;

void Translator::State::backendTlsPolicyStatuses() {
  std::set<ObjectKey> current;
  for (const auto& policy : backend_tls_policies.policies()) {
    std::set<std::string> gateway_names;
    for (const auto& svc : policy.services) {
      auto users = routes_by_service.find(svc);
      if (users == routes_by_service.end()) continue;
      for (const auto& route_key : users->second) {
        auto record = routes.find(route_key);
        if (record == routes.end()) continue;
        for (const auto& placement : record->second->placements) gateway_names.insert(placement.gateway);
      }
    }
    if (gateway_names.empty()) continue;
    const auto& r = *policy.resource;
    Json ancestors = Json::array();
    for (const auto& name : gateway_names) {
      const auto slash = name.find('/');
      ancestors.push_back({{"ancestorRef",
                            {{"group", model::kGatewayGroup},
                             {"kind", "Gateway"},
                             {"namespace", name.substr(0, slash)},
                             {"name", name.substr(slash + 1)}}},
                           {"controllerName", options.controller_name},
                           {"conditions", toJson(policy.conditions, r.generation)}});
    }
    current.insert(r.key);
    setStatus(r.key, {{"ancestors", ancestors}});
  }
  std::vector<ObjectKey> gone;
  for (const auto& [key, hash] : statuses)
    if (key.kind == "BackendTLSPolicy" && !current.count(key)) gone.push_back(key);
  for (const auto& key : gone) dropStatus(key);
}

}  // namespace gatehouse::translator
