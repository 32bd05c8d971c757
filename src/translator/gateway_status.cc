// Gateway statuses: Accepted from the listeners, Programmed from the address, and per listener
// its supported kinds, attached routes and conditions.
#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;

void Translator::State::gatewayStatuses() {
  if (!gateways_dirty) return;
  gateways_dirty = false;
  for (auto& [key, gw] : gateways) {
    const auto& r = *gw.resource;
    bool any_invalid = false, all_invalid = !gw.listeners.empty();
    for (auto& ls : gw.listeners) {
      bool valid = ls.accepted && !findCondition(ls.conditions, condition::kConflicted)->status;
      any_invalid |= !valid || !findCondition(ls.conditions, condition::kResolvedRefs)->status;
      all_invalid &= !valid;
    }
    if (gw.accepted) {
      if (all_invalid) {
        gw.accepted = false;
        setCondition(gw.conditions, {condition::kAccepted, false, reason::kListenersNotValid, "no listener is valid"});
      } else if (any_invalid) {
        setCondition(gw.conditions,
                     {condition::kAccepted, true, reason::kListenersNotValid, "some listeners are not valid"});
      } else {
        setCondition(gw.conditions, {condition::kAccepted, true, reason::kAccepted, ""});
      }
    }
    Json addresses_json = Json::array();
    if (!gw.accepted) {
      setCondition(gw.conditions, {condition::kProgrammed, false, reason::kInvalid, "the Gateway is not accepted"});
    } else if (gw.address.empty()) {
      setCondition(gw.conditions,
                   {condition::kProgrammed, false, reason::kAddressNotAssigned, "the address pool is exhausted"});
    } else {
      setCondition(gw.conditions, {condition::kProgrammed, true, reason::kProgrammed, ""});
      addresses_json.push_back({{"type", "IPAddress"}, {"value", gw.address}});
    }
    Json listener_statuses = Json::array();
    for (auto& ls : gw.listeners) {
      Json kinds = Json::array();
      for (const auto* k : ls.supported_kinds) kinds.push_back({{"group", model::kGatewayGroup}, {"kind", k->kind()}});
      listener_statuses.push_back({{"name", ls.spec->name},
                                   {"supportedKinds", kinds},
                                   {"attachedRoutes", ls.attached},
                                   {"conditions", toJson(ls.conditions, r.generation)}});
    }
    setStatus(r.key, {{"addresses", addresses_json},
                      {"conditions", toJson(gw.conditions, r.generation)},
                      {"listeners", listener_statuses}});
  }
}

}  // namespace gatehouse::translator
