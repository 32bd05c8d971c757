#include <algorithm>

#include "model/types/gateway.h"
#include "translator/state.h"

namespace gatehouse::translator {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string allowedNamespaces(const model::AllowedRoutes& allowed, const std::string& listener_ns) {
  if (allowed.namespaces_from == "Same") return "Same (" + listener_ns + ")";
  if (allowed.namespaces_from != "Selector") return allowed.namespaces_from;
  std::vector<std::string> terms;
  for (const auto& [key, value] : allowed.selector.match_labels) terms.push_back(key + "=" + value);
  for (const auto& r : allowed.selector.match_expressions)
    terms.push_back(r.key + " " + r.op + (r.values.empty() ? "" : " (" + join(r.values, ", ") + ")"));
  return "Selector (" + join(terms, ", ") + ")";
}

std::string hostList(const std::vector<std::string>& hosts) {
  std::vector<std::string> shown;
  for (const auto& h : hosts) shown.push_back(h.empty() ? "any hostname" : h);
  return join(shown, ", ");
}

}  // namespace

std::optional<RouteExplanation> Translator::State::explainRoute(const model::ObjectKey& key) const {
  auto resource = view ? view->find(key) : nullptr;
  const RouteKind* kind = findRouteKind(key.kind);
  if (!resource || !kind || !resource->as<model::Route>()) return std::nullopt;
  const auto& route = *resource->as<model::Route>();
  RouteExplanation out;
  out.route = key;
  out.generation = resource->generation;
  out.hostnames = route.hostnames;
  auto record_it = routes.find(key);
  const RouteRecord* record = record_it == routes.end() ? nullptr : record_it->second.get();
  size_t our_parent = 0;  // index into record->parents, which holds only our parentRefs
  for (const auto& ref : route.parent_refs) {
    ParentExplanation parent;
    parent.parent_ref = parentRefJson(ref);
    std::string gateway_key = ref.ns + "/" + ref.name;
    auto gw = ref.group == model::kGatewayGroup && ref.kind == "Gateway" ? gateways.find(gateway_key) : gateways.end();
    if (ref.group == model::kGatewayGroup && ref.kind == "ListenerSet")
      if (auto set = listener_sets.find(gateway_key); set != listener_sets.end()) gw = gateways.find(set->second.gateway);
    parent.ours = record && gw != gateways.end();
    if (parent.ours) {
      for (const auto& ls : gw->second.listeners) {
        const ListenerVerdict verdict = judge(*record, ls, ref);
        using Outcome = ListenerVerdict::Outcome;
        if (verdict.outcome == Outcome::NotDeclared) continue;
        ListenerExplanation l;
        l.owner = ls.owner.kind + " " + ls.owner.ns + "/" + ls.owner.name;
        l.name = ls.spec->name;
        l.protocol = ls.spec->protocol;
        l.hostname = ls.spec->hostname;
        l.port = ls.spec->port;
        l.namespaces = allowedNamespaces(ls.spec->allowed_routes, ls.owner.ns);
        for (const auto* k : ls.supported_kinds) l.kinds.emplace_back(k->kind());
        l.hosts = verdict.hosts;
        switch (verdict.outcome) {
          case Outcome::NotDeclared:
            break;
          case Outcome::OtherSectionName:
            l.outcome = reason::kNoMatchingParent;
            l.detail = "the parentRef's sectionName is " + *ref.section_name;
            break;
          case Outcome::OtherPort:
            l.outcome = reason::kNoMatchingParent;
            l.detail = "the parentRef's port is " + std::to_string(*ref.port);
            break;
          case Outcome::ListenerNotAccepted: {
            const Condition* accepted = findCondition(ls.conditions, condition::kAccepted);
            l.outcome = reason::kNotAllowedByListeners;
            l.detail = "the listener is not Accepted" + (accepted ? " (" + accepted->reason + ")" : std::string());
            break;
          }
          case Outcome::KindNotAllowed:
            l.outcome = reason::kNotAllowedByListeners;
            l.detail = "kind " + key.kind + " is not among the listener's kinds";
            break;
          case Outcome::NamespaceNotAllowed:
            l.outcome = reason::kNotAllowedByListeners;
            l.detail = "namespace " + key.ns + " is not allowed by " + l.namespaces;
            break;
          case Outcome::NoHostnameIntersection:
            l.outcome = reason::kNoMatchingListenerHostname;
            l.detail = "the route's hostnames (" + join(route.hostnames, ", ") + ") do not intersect " + l.hostname;
            break;
          case Outcome::Attached:
            l.outcome = "Attached";
            l.detail = "serves " + hostList(verdict.hosts);
            break;
        }
        parent.listeners.push_back(std::move(l));
      }
      const size_t index = our_parent++;
      if (index < record->parents.size()) {
        parent.conditions = publishedConditions(*record, index);
      }
    }
    out.parents.push_back(std::move(parent));
  }
  return out;
}

std::optional<RouteExplanation> Translator::explainRoute(const model::ObjectKey& route) const {
  return state_->explainRoute(route);
}

}  // namespace gatehouse::translator
