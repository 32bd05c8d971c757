// The attachment core, the same for every route kind: which routes are ours, parentRefs (a
// Gateway or a ListenerSet: the listeners that object declares) with sectionName and port,
// listener allowedRoutes (namespaces and kinds), hostname intersection,
// backend references (ReferenceGrant, Service, port), the Accepted and ResolvedRefs conditions
// and the route's status.parents. What a route serves comes from its kind's compiler.
#include <algorithm>

#include "model/types/core.h"
#include "translator/hostnames.h"
#include "translator/references.h"
#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;
using model::ObjectKey;

namespace {

// Resolves the backendRefs of one route while it compiles, recording what the route depends on.
class RouteBackends : public BackendResolver {
 public:
  RouteBackends(const store::View& view, Backends& backends, const BackendTlsPolicies& policies, RouteRecord& record)
      : view_(view), backends_(backends), policies_(policies), record_(record) {}

  std::optional<uint32_t> resolve(const model::BackendObjectRef& ref, std::optional<Condition>& problem) override {
    const model::Resource& route = *record_.resource;
    auto note = [&](const char* why, std::string message) {
      if (!problem) problem = Condition{condition::kResolvedRefs, false, why, std::move(message)};
    };
    if (!ref.group.empty() || ref.kind != "Service") {
      note(reason::kInvalidKind, "backendRef kind " + ref.group + "/" + ref.kind + " is not supported");
      return std::nullopt;
    }
    if (ref.ns != route.key.ns) record_.grant_namespaces.insert(ref.ns);
    if (!referenceAllowed(view_, {model::kGatewayGroup, route.key.kind, route.key.ns}, {"", "Service", ref.ns, ref.name})) {
      note(reason::kRefNotPermitted, "no ReferenceGrant in " + ref.ns + " allows " + route.key.kind + " " +
                                         record_.identity.ns_name + " to use Service " + ref.name);
      return std::nullopt;
    }
    ObjectKey service_key{"Service", ref.ns, ref.name};
    record_.services.insert(service_key);
    auto service = view_.find(service_key);
    const auto* typed = service ? service->as<model::Service>() : nullptr;
    if (!typed) {
      note(reason::kBackendNotFound, "Service " + ref.ns + "/" + ref.name + " does not exist");
      return std::nullopt;
    }
    const int64_t port = ref.port.value_or(-1);
    const model::ServicePort* service_port = findServicePort(*typed, port);
    if (!service_port) {
      note(reason::kBackendNotFound, "Service " + ref.ns + "/" + ref.name + " has no port " + std::to_string(port));
      return std::nullopt;
    }
    const uint32_t index =
        backends_.acquire(*service, *service_port, policies_.forPort(service_key, service_port->name));
    record_.clusters.push_back(index);
    return index;
  }

 private:
  const store::View& view_;
  Backends& backends_;
  const BackendTlsPolicies& policies_;
  RouteRecord& record_;
};

// Removes `route` from the entries `keys` of a dependency index (dropping emptied entries).
template <class Index, class Keys>
void unindex(Index& index, const Keys& keys, const ObjectKey& route) {
  for (const auto& k : keys) {
    auto deps = index.find(k);
    if (deps == index.end()) continue;
    deps->second.erase(route);
    if (deps->second.empty()) index.erase(deps);
  }
}

}  // namespace

// Only routes with a parent of ours (one of our Gateways or a ListenerSet naming one) get
// compiled and a status from us.
bool Translator::State::ours(const model::Resource& route) const {
  for (const auto& p : route.as<model::Route>()->parent_refs) {
    if (p.group != model::kGatewayGroup) continue;
    const std::string name = p.ns + "/" + p.name;
    if ((p.kind == "Gateway" && gateways.count(name)) || (p.kind == "ListenerSet" && listener_sets.count(name)))
      return true;
  }
  return false;
}

// The Gateway whose listeners a parentRef chooses among: the Gateway itself, or a ListenerSet's.
std::map<std::string, GatewayState>::iterator Translator::State::parentGateway(const model::ParentRef& ref) {
  if (ref.group != model::kGatewayGroup) return gateways.end();
  const std::string name = ref.ns + "/" + ref.name;
  if (ref.kind == "Gateway") return gateways.find(name);
  if (ref.kind != "ListenerSet") return gateways.end();
  auto set = listener_sets.find(name);
  return set == listener_sets.end() ? gateways.end() : gateways.find(set->second.gateway);
}

// Compiles and attaches one route, or drops it when it is gone or not ours.
void Translator::State::translateRoute(const ObjectKey& key) {
  auto route = view->find(key);
  const RouteKind* kind = findRouteKind(key.kind);
  if (!route || !kind || !route->as<model::Route>() || !ours(*route)) {
    routes.erase(key);
    dropStatus(key);
    return;
  }
  auto record = std::make_unique<RouteRecord>();
  record->resource = route;
  record->kind = kind;
  record->identity = {route->creation_timestamp, key.ns + "/" + key.name, key};
  RouteBackends resolver(*view, backends, backend_tls_policies, *record);
  record->compiled = kind->compile(*route, resolver);
  record->compiled->forEachRule([&](snapshot::Rule& rule) { rule.policies = policy_attachments.forRule(key, rule.name); });
  for (const auto& svc : record->services) routes_by_service[svc].insert(key);
  for (const auto& ns : record->grant_namespaces) routes_by_grant_namespace[ns].insert(key);
  attachParents(*record);
  routes[key] = std::move(record);
}

// After the Gateways were rebuilt: attaches every compiled route not in `done` again, drops
// those no longer ours and translates those that have become ours.
void Translator::State::reattachAll(const std::set<ObjectKey>& done) {
  std::vector<ObjectKey> gone;
  for (auto& [key, record] : routes) {
    if (done.count(key)) continue;
    if (ours(*record->resource)) attachParents(*record);
    else gone.push_back(key);
  }
  for (const auto& key : gone) {
    detach(key);
    routes.erase(key);
    dropStatus(key);
  }
  for (const auto* kind : routeKinds())
    for (const auto& route : view->ofKind(kind->kind()))
      if (!done.count(route->key) && !routes.count(route->key)) translateRoute(route->key);
}

// Attaches a compiled route to the parents it names; its status follows once the listeners'
// tables are rebuilt (publishRouteStatus).
Json parentRefJson(const model::ParentRef& ref) {
  Json out = {{"group", ref.group}, {"kind", ref.kind}, {"namespace", ref.ns}, {"name", ref.name}};
  if (ref.section_name) out["sectionName"] = *ref.section_name;
  if (ref.port) out["port"] = *ref.port;
  return out;
}

void Translator::State::attachParents(RouteRecord& record) {
  const model::Resource& route = *record.resource;
  const auto& refs = route.as<model::Route>()->parent_refs;
  record.parents.clear();
  for (size_t i = 0; i < refs.size(); ++i) {
    auto gw_it = parentGateway(refs[i]);
    if (gw_it == gateways.end()) continue;
    Conditions conditions;
    setCondition(conditions, attach(record, gw_it->first, gw_it->second, refs[i], record.parents.size()));
    setCondition(conditions, record.compiled->resolved_refs);
    record.parents.push_back({i, std::move(conditions)});
  }
  routes_to_publish.insert(route.key);
}

void Translator::State::publishRouteStatus(const RouteRecord& record) {
  const model::Resource& route = *record.resource;
  const auto& refs = route.as<model::Route>()->parent_refs;
  Json parents = Json::array();
  for (size_t i = 0; i < record.parents.size(); ++i) {
    parents.push_back({{"parentRef", parentRefJson(refs[record.parents[i].ref])},
                       {"controllerName", options.controller_name},
                       {"conditions", toJson(publishedConditions(record, i), route.generation)}});
  }
  setStatus(route.key, {{"parents", parents}});
}

Conditions Translator::State::publishedConditions(const RouteRecord& record, size_t parent) const {
  Conditions conditions = record.parents[parent].conditions;
  if (auto shadowed = shadowedCondition(record, parent)) setCondition(conditions, std::move(*shadowed));
  if (auto unready = noReadyEndpointsCondition(record)) setCondition(conditions, std::move(*unready));
  return conditions;
}

// The backendRefs (Service ports) of the route whose Service has no ready endpoint. The same on
// every parent: it is about the route's backends, and a route's status has no other place.
std::optional<Condition> Translator::State::noReadyEndpointsCondition(const RouteRecord& record) const {
  std::set<std::string> unready;
  for (uint32_t index : record.clusters) {
    const snapshot::Cluster* cluster = backends.table().get(index);
    if (cluster != nullptr && cluster->endpoints.empty()) unready.insert(cluster->name);
  }
  if (unready.empty()) return std::nullopt;
  // Under the API server's 32768-byte message cap, like Shadowed.
  constexpr size_t kListed = 16;
  std::string message = "backendRefs without a ready endpoint: ";
  size_t listed = 0;
  for (const std::string& name : unready) {
    if (listed++ == kListed) {
      message += " and " + std::to_string(unready.size() - kListed) + " more";
      break;
    }
    if (listed > 1) message += ", ";
    message += name;
  }
  return Condition{condition::kNoReadyEndpoints, true, reason::kNoReadyEndpoints, message};
}

// The rules shadowed wherever the parent placed the route (every listener and host of it).
std::optional<Condition> Translator::State::shadowedCondition(const RouteRecord& record, size_t parent) const {
  std::optional<RuleShadows> everywhere;
  for (const auto& p : record.placements) {
    if (p.parent != parent) continue;
    auto gw = gateways.find(p.gateway);
    if (gw == gateways.end() || p.listener >= gw->second.listeners.size()) return std::nullopt;
    const RuleShadows* here = gw->second.listeners[p.listener].tables.hosts.shadowed(p.host, &record.identity);
    if (!here) return std::nullopt;
    if (!everywhere) everywhere = *here;
    else std::erase_if(*everywhere, [&](const auto& rule) { return !here->count(rule.first); });
    if (everywhere->empty()) return std::nullopt;
  }
  if (!everywhere) return std::nullopt;
  // The API server caps a condition message at 32768 bytes: a route of hundreds of shadowed
  // rules names the first ones only.
  constexpr size_t kListed = 16;
  std::string message;
  size_t listed = 0;
  for (const auto& entry : *everywhere) {
    const RuleShadow& shadow = entry.second;
    if (listed++ == kListed) {
      message += "; and " + std::to_string(everywhere->size() - kListed) + " more rules";
      break;
    }
    if (!message.empty()) message += "; ";
    message += "rule " + shadow.rule + " is shadowed by " + shadow.winner_route + " rule " + shadow.winner_rule;
  }
  return Condition{condition::kShadowed, true, reason::kShadowed, message};
}

// What one listener makes of a parentRef, in the order the spec's reasons rank: not selected
// (NoMatchingParent), then not allowed (NotAllowedByListeners), then hostnames
// (NoMatchingListenerHostname).
ListenerVerdict Translator::State::judge(const RouteRecord& record, const ListenerState& ls,
                                         const model::ParentRef& ref) const {
  const model::Resource& route = *record.resource;
  const model::Listener& spec = *ls.spec;
  using Outcome = ListenerVerdict::Outcome;
  if (ls.owner != ListenerOwner{ref.kind, ref.ns, ref.name}) return {Outcome::NotDeclared, {}};
  if (ref.section_name && spec.name != *ref.section_name) return {Outcome::OtherSectionName, {}};
  if (ref.port && *ref.port != 0 && spec.port != *ref.port) return {Outcome::OtherPort, {}};
  // Routes attach to (and are counted on) every accepted listener, also one whose refs are
  // unresolved; only usable listeners serve them.
  if (!ls.accepted) return {Outcome::ListenerNotAccepted, {}};
  if (std::find(ls.supported_kinds.begin(), ls.supported_kinds.end(), record.kind) == ls.supported_kinds.end())
    return {Outcome::KindNotAllowed, {}};
  const auto& allowed = spec.allowed_routes;
  const std::string& from = allowed.namespaces_from;
  bool ns_ok = from == "All" || (from == "Same" && route.key.ns == ls.owner.ns) ||
               (from == "Selector" && allowed.selector.matches(namespaceLabels(*view, route.key.ns)));
  if (!ns_ok) return {Outcome::NamespaceNotAllowed, {}};
  auto hosts = intersectHostnames(spec.hostname, route.as<model::Route>()->hostnames);
  if (!hosts) return {Outcome::NoHostnameIntersection, {}};
  return {Outcome::Attached, std::move(*hosts)};
}

// Attaches a route to the listeners a parentRef selects (among those its object declares);
// returns the Accepted condition.
Condition Translator::State::attach(RouteRecord& record, const std::string& gw_name, GatewayState& gw,
                                    const model::ParentRef& ref, size_t parent) {
  const CompiledRoute& compiled = *record.compiled;
  if (compiled.not_accepted) return *compiled.not_accepted;
  using Outcome = ListenerVerdict::Outcome;
  bool any_listener = false, kind_or_ns_ok = false, attached = false;
  for (size_t li = 0; li < gw.listeners.size(); ++li) {
    auto& ls = gw.listeners[li];
    const ListenerVerdict verdict = judge(record, ls, ref);
    if (verdict.outcome == Outcome::NotDeclared || verdict.outcome == Outcome::OtherSectionName ||
        verdict.outcome == Outcome::OtherPort)
      continue;
    any_listener = true;
    if (verdict.outcome == Outcome::ListenerNotAccepted || verdict.outcome == Outcome::KindNotAllowed ||
        verdict.outcome == Outcome::NamespaceNotAllowed)
      continue;
    kind_or_ns_ok = true;
    if (verdict.outcome != Outcome::Attached) continue;
    attached = true;
    ls.attached++;
    gateways_dirty = true;
    record.counted_on.emplace_back(gw_name, li);
    for (const auto& host : verdict.hosts) {
      compiled.place(ls.tables, host, &record.identity);
      record.placements.push_back({gw_name, li, host, parent});
    }
  }
  if (attached)
    return {condition::kAccepted, true, reason::kAccepted,
            "Accepted by " + ref.ns + "/" + ref.name};
  if (!any_listener)
    return {condition::kAccepted, false, reason::kNoMatchingParent, "no listener matches the parentRef"};
  if (!kind_or_ns_ok)
    return {condition::kAccepted, false, reason::kNotAllowedByListeners, "no listener of the parent allows this route"};
  return {condition::kAccepted, false, reason::kNoMatchingListenerHostname,
          "no listener hostname intersects the route's"};
}

// Undoes what a route's last translation added to the listeners, clusters and indexes.
void Translator::State::detach(const ObjectKey& key) {
  auto it = routes.find(key);
  if (it == routes.end()) return;
  RouteRecord& record = *it->second;
  for (const auto& p : record.placements) {
    auto gw = gateways.find(p.gateway);
    if (gw == gateways.end() || p.listener >= gw->second.listeners.size()) continue;
    gw->second.listeners[p.listener].tables.remove(p.host, &record.identity);
  }
  for (const auto& [gw_name, li] : record.counted_on) {
    auto gw = gateways.find(gw_name);
    if (gw != gateways.end() && li < gw->second.listeners.size()) {
      gw->second.listeners[li].attached--;
      gateways_dirty = true;
    }
  }
  record.placements.clear();
  record.counted_on.clear();
  unindex(routes_by_service, record.services, key);
  unindex(routes_by_grant_namespace, record.grant_namespaces, key);
  release(record);
}

void Translator::State::release(RouteRecord& record) {
  for (uint32_t index : record.clusters) backends.release(index);
  record.clusters.clear();
}

}  // namespace gatehouse::translator
