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

// Why a parametersRef cannot be used, or "" when it names a GatehouseParameters that exists: the
// one kind Gatehouse takes parameters from (what the provisioner renders a data plane with).
std::string parametersProblem(const model::ParametersRef& ref, const store::View& view, const std::string& field) {
  const std::string named =
      (ref.group.empty() ? "" : ref.group + "/") + ref.kind + " " + (ref.ns.empty() ? "" : ref.ns + "/") + ref.name;
  if (ref.group != "gatehouse.dev" || ref.kind != "GatehouseParameters")
    return field + ": " + named + " is not a kind gatehouse takes parameters from (gatehouse.dev/GatehouseParameters)";
  if (ref.ns.empty()) return field + ": " + named + ": GatehouseParameters is namespaced; give its namespace";
  if (!view.find(ObjectKey{"GatehouseParameters", ref.ns, ref.name})) return field + ": " + named + " not found";
  return "";
}

// The spec.metrics of the GatehouseParameters `ref` names, or null (a ref that is not one, or
// names none, is reported by parametersProblem).
Json metricsParameters(const std::optional<model::ParametersRef>& ref, const store::View& view) {
  if (!ref || ref->group != "gatehouse.dev" || ref->kind != "GatehouseParameters") return nullptr;
  const model::ResourcePtr params = view.find(ObjectKey{"GatehouseParameters", ref->ns, ref->name});
  if (!params) return nullptr;
  Json spec = params->spec();
  const auto it = spec.find("metrics");
  return it != spec.end() && it->is_object() ? std::move(*it) : Json(nullptr);
}

snapshot::ListenerMetrics listenerMetrics(const Json& params) {
  snapshot::ListenerMetrics metrics;
  auto lay = [&](const char* field, bool& into) {
    if (const auto f = params.find(field); f != params.end() && f->is_boolean()) into = f->get<bool>();
  };
  if (params.is_object()) {
    lay("requests", metrics.requests);
    lay("perRouteLabels", metrics.per_route_labels);
  }
  return metrics;
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
    const std::string problem = spec->parameters_ref ? parametersProblem(*spec->parameters_ref, *view, "spec.parametersRef") : "";
    if (!problem.empty()) {
      setCondition(conditions, {condition::kAccepted, false, reason::kInvalidParameters, problem});
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
    if (spec->infrastructure_parameters_ref) {
      const std::string problem =
          parametersProblem(*spec->infrastructure_parameters_ref, *view, "spec.infrastructure.parametersRef");
      if (!problem.empty()) {
        state.accepted = false;
        setCondition(state.conditions, {condition::kAccepted, false, reason::kInvalidParameters, problem});
      }
    }
    // The Gateway's own spec.metrics replaces its class's whole, as the provisioner merges a
    // provisioned data plane's parameters.
    Json metrics = metricsParameters(spec->infrastructure_parameters_ref, *view);
    if (metrics.is_null())
      if (const model::ResourcePtr gc = view->find(ObjectKey{"GatewayClass", "", spec->class_name}))
        if (const auto* class_spec = gc->as<model::GatewayClass>()) metrics = metricsParameters(class_spec->parameters_ref, *view);
    state.metrics = listenerMetrics(metrics);
    requests.push_back({name, explicit_address});
    gatewayBackendClientCertificate(state);
    listeners(name, state);
  }
  for (auto& [name, address] : addresses.assign(requests)) gateways[name].address = address;
  sharedAddressConflicts();
}

}  // namespace gatehouse::translator
