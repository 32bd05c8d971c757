// GatewayClasses and Gateways: which are ours, their addresses, and their listeners (with those of
// their ListenerSets).
#include <arpa/inet.h>

#include <algorithm>

#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;
using model::ObjectKey;

namespace {

bool isIpLiteral(const std::string& s) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

}  // namespace

void Translator::State::rebuildWorld() {
  classes.clear();
  gateways.clear();
  listener_sets.clear();
  std::set<ObjectKey> owned;
  for (const auto& gc : view->ofKind("GatewayClass")) {
    const auto* spec = gc->as<model::GatewayClass>();
    if (!spec || spec->controller_name != options.controller_name) continue;
    classes.insert(gc->key.name);
    owned.insert(gc->key);
    Conditions conditions;
    if (spec->has_parameters_ref) {
      // We take no parameters: a reference to anything is invalid, per the spec's reason.
      setCondition(conditions, {condition::kAccepted, false, reason::kInvalidParameters,
                                "gatehouse takes no GatewayClass parameters"});
    } else {
      setCondition(conditions, {condition::kAccepted, true, reason::kAccepted, "Handled by " + options.controller_name});
    }
    setCondition(conditions, {condition::kSupportedVersion, true, reason::kSupportedVersion, "Gateway API v1.6"});
    Json features = Json::array();
    auto names = options.supported_features;
    std::sort(names.begin(), names.end());
    for (auto& f : names) features.push_back({{"name", f}});
    setStatus(gc->key, {{"conditions", toJson(conditions, gc->generation)}, {"supportedFeatures", features}});
  }
  buildGateways();
  for (auto& [name, gw] : gateways) owned.insert(gw.resource->key);
  for (auto& [name, set] : listener_sets) owned.insert(set.resource->key);
  std::vector<ObjectKey> gone;
  for (auto& [key, status] : statuses)
    if ((key.kind == "GatewayClass" || key.kind == "Gateway" || key.kind == "ListenerSet") && !owned.count(key))
      gone.push_back(key);
  for (auto& key : gone) dropStatus(key);
}

void Translator::State::buildGateways() {
  std::vector<AddressAllocator::Request> requests;
  for (const auto& gw : view->ofKind("Gateway")) {
    const auto* spec = gw->as<model::Gateway>();
    if (!spec || !classes.count(spec->class_name)) continue;
    const std::string name = gw->key.ns + "/" + gw->key.name;
    GatewayState& state = gateways[name];
    state.resource = gw;
    state.spec = spec;
    std::optional<Condition> address_problem;
    std::string explicit_address;
    for (const auto& a : spec->addresses) {
      if (a.type != "IPAddress") {
        address_problem = Condition{condition::kAccepted, false, reason::kUnsupportedAddress,
                                    "address type " + a.type + " is not supported; use IPAddress"};
        break;
      }
      if (a.value.empty()) continue;  // a value-less entry asks for an assigned address
      if (!isIpLiteral(a.value)) {
        address_problem =
            Condition{condition::kAccepted, false, reason::kUnsupportedAddress, a.value + " is not an IP address"};
        break;
      }
      if (explicit_address.empty()) explicit_address = a.value;
    }
    if (address_problem) {
      state.accepted = false;
      setCondition(state.conditions, *address_problem);
    }
    if (spec->has_infrastructure_parameters_ref) {
      // Gatehouse defines no parameters resource, so any reference is one it cannot resolve.
      state.accepted = false;
      setCondition(state.conditions, {condition::kAccepted, false, reason::kInvalidParameters,
                                      "spec.infrastructure.parametersRef: gatehouse takes no parameters"});
    }
    requests.push_back({name, explicit_address});
    listeners(name, state);
  }
  for (auto& [name, address] : addresses.assign(requests)) gateways[name].address = address;
  sharedAddressConflicts();
}

}  // namespace gatehouse::translator
