#include "translator/translator.h"

#include "translator/state.h"

namespace gatehouse::translator {

using model::ObjectKey;

void Translator::State::setStatus(const ObjectKey& key, const model::Json& status) {
  model::Packed packed(status);
  const size_t hash = packed.hash();
  auto [it, inserted] = statuses.emplace(key, hash);
  if (!inserted && it->second == hash) return;
  it->second = hash;
  changed[key] = std::move(packed);
}

void Translator::State::dropStatus(const ObjectKey& key) {
  if (statuses.erase(key)) changed[key] = std::nullopt;
}

Translator::Result Translator::State::update(const store::View& v, const std::set<ObjectKey>& changed_keys) {
  view = &v;
  changed.clear();
  // Compiled routes depend on routes, Services, EndpointSlices and ReferenceGrants; Gateways,
  // ListenerSets, GatewayClasses, their Secrets, Namespaces and GatehouseParameters (whether a
  // Gateway is accepted) only decide where routes attach. A ReferenceGrant recompiles the routes
  // with a backendRef into its namespace and re-attaches the rest (Gateways' certificateRefs).
  enum Mode { kDelta, kReattach, kFull } mode = first ? kFull : kDelta;
  std::set<std::string> grant_namespaces;
  for (const auto& key : changed_keys) {
    if (findRouteKind(key.kind) || key.kind == "Service" || key.kind == "EndpointSlice") continue;
    if (key.kind == "ReferenceGrant") grant_namespaces.insert(key.ns);
    const bool attach_only = key.kind == "Gateway" || key.kind == "ListenerSet" || key.kind == "GatewayClass" ||
                             key.kind == "Secret" || key.kind == "Namespace" || key.kind == "GatehouseParameters" ||
                             key.kind == "ReferenceGrant";
    mode = std::max(mode, attach_only ? kReattach : kFull);
  }
  const bool full = mode == kFull;
  std::set<ObjectKey> redo, services, endpoints_changed;
  backends.beginRun(v);
  // Policies and their ConfigMaps change only in full runs (they are no attach-only kind), which
  // recompile every route; a Service change recompiles the routes that use it.
  if (full) {
    backend_tls_policies.build(v);
    policy_attachments.build(v);
  }
  if (!first)
    for (const auto& key : changed_keys)
      if (key.kind == "EndpointSlice") backends.updateSlice(key, endpoints_changed);
  first = false;

  if (full) {
    for (auto& [key, record] : routes) release(*record);  // the listeners they were placed on are rebuilt
    routes.clear();
    routes_by_service.clear();
    routes_by_grant_namespace.clear();
    rebuildWorld();
    gateways_dirty = true;
    for (const auto* kind : routeKinds())
      for (const auto& route : view->ofKind(kind->kind())) redo.insert(route->key);
    // Routes that had a status and are gone get it removed below.
    for (auto& [key, status] : statuses)
      if (findRouteKind(key.kind)) redo.insert(key);
    for (const auto& key : redo) translateRoute(key);
  } else {
    // A Service change can change what routes resolve (its ports); a slice change only
    // changes the endpoints of the clusters already made from the Service.
    for (const auto& key : changed_keys) {
      if (findRouteKind(key.kind)) redo.insert(key);
      else if (key.kind == "Service") services.insert(key);
    }
    for (const auto& svc : services)
      if (auto it = routes_by_service.find(svc); it != routes_by_service.end())
        redo.insert(it->second.begin(), it->second.end());
    for (const auto& ns : grant_namespaces)
      if (auto it = routes_by_grant_namespace.find(ns); it != routes_by_grant_namespace.end())
        redo.insert(it->second.begin(), it->second.end());
    if (mode == kReattach) {
      rebuildWorld();
      gateways_dirty = true;
      // The listeners the routes were placed on are gone: nothing to remove them from.
      for (auto& [key, record] : routes) {
        record->placements.clear();
        record->counted_on.clear();
      }
    }
    for (const auto& key : redo) detach(key);
    for (const auto& key : redo) translateRoute(key);
    if (mode == kReattach) reattachAll(redo);
    for (const auto& svc : endpoints_changed) {
      backends.refreshEndpoints(svc);
      // Their routes' NoReadyEndpoints may change.
      if (auto it = routes_by_service.find(svc); it != routes_by_service.end())
        routes_to_publish.insert(it->second.begin(), it->second.end());
    }
  }
  for (auto& [name, gw] : gateways) {
    for (auto& ls : gw.listeners) {
      ls.tables.rebuild();
      for (const RouteIdentity* owner : ls.tables.hosts.takeShadowChanges()) routes_to_publish.insert(owner->key);
    }
  }
  for (const auto& key : routes_to_publish)
    if (auto it = routes.find(key); it != routes.end()) publishRouteStatus(*it->second);
  routes_to_publish.clear();
  gatewayStatuses();
  backendTlsPolicyStatuses();
  gatehousePolicyStatuses();

  Translator::Result result;
  result.snapshot = buildSnapshot();
  result.changed = std::move(changed);
  result.full = full;
  return result;
}

Translator::Translator(Options options) : state_(std::make_unique<State>(std::move(options))) {}
Translator::~Translator() = default;

Translator::Result Translator::update(const store::View& view, const std::set<ObjectKey>& changed) {
  return state_->update(view, changed);
}

const std::map<std::string, std::string>& Translator::poolAssignments() const {
  return state_->addresses.assignments();
}

void Translator::setPoolAssignments(std::map<std::string, std::string> assignments) {
  state_->addresses.setAssignments(std::move(assignments));
}

Output translate(const Options& options, const Input& input) {
  Translator translator(options);
  translator.setPoolAssignments(input.pool_assignments);
  auto result = translator.update(*input.view, {});
  Output out;
  for (const auto& [key, status] : result.changed) out.statuses.emplace(key, status->unpack());  // all: a first run
  out.snapshot = std::move(result.snapshot);
  out.pool_assignments = translator.poolAssignments();
  return out;
}

}  // namespace gatehouse::translator
