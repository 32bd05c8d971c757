// Status of Gatehouse's policies: one status.ancestors entry per targetRef whose target is ours
// (a Gateway of our class, a ListenerSet on one, a route attached to one) or does not exist; the ancestorRef is the
// target itself, with its sectionName. Accepted, or not: TargetNotFound (no such object,
// listener or rule), Conflicted (an older policy of the kind has the same target). A policy
// none of whose targets is ours gets no status from us.
#include <set>

#include "translator/state.h"

namespace gatehouse::translator {

using model::Json;
using model::ObjectKey;

void Translator::State::gatehousePolicyStatuses() {
  // Why the target cannot be found ("" when it can), or nullopt when it is not ours.
  auto targetProblem = [&](const PolicyTarget& t) -> std::optional<std::string> {
    const std::string what = t.kind + " " + t.ns + "/" + t.name;
    auto notOurs = [&] {
      return view->find(ObjectKey{t.kind, t.ns, t.name}) ? std::nullopt : std::optional(what + " not found");
    };
    auto listenerProblem = [&](const std::vector<model::Listener>& listeners) -> std::string {
      if (t.section.empty()) return "";
      for (const auto& l : listeners)
        if (l.name == t.section) return "";
      return what + " has no listener " + t.section;
    };
    if (t.kind == "Gateway") {
      auto gw = gateways.find(t.ns + "/" + t.name);
      return gw == gateways.end() ? notOurs() : listenerProblem(gw->second.spec->listeners);
    }
    if (t.kind == "ListenerSet") {
      // Ours when its parent is one of our Gateways, allowed or not (the set's own status says).
      auto set = listener_sets.find(t.ns + "/" + t.name);
      return set == listener_sets.end() ? notOurs() : listenerProblem(set->second.spec->listeners);
    }
    auto record = routes.find(ObjectKey{t.kind, t.ns, t.name});
    if (record == routes.end()) return notOurs();
    if (t.section.empty()) return "";
    bool found = false;
    record->second->compiled->forEachRule([&](snapshot::Rule& rule) { found |= rule.name == t.section; });
    return found ? "" : what + " has no rule " + t.section;
  };

  std::set<ObjectKey> current;
  for (const auto& policy : policy_attachments.policies()) {
    const model::Resource& r = *policy.resource;
    Json ancestors = Json::array();
    for (const auto& a : policy.attachments) {
      const std::optional<std::string> problem = targetProblem(a.target);
      if (!problem) continue;
      Condition accepted{condition::kAccepted, true, reason::kAccepted, "Policy is accepted"};
      if (!problem->empty()) {
        accepted = {condition::kAccepted, false, reason::kTargetNotFound, *problem};
      } else if (!a.conflicted_with.empty()) {
        accepted = {condition::kAccepted, false, reason::kConflicted,
                    std::string(policy.kind->kind()) + " " + a.conflicted_with +
                        " is older and targets the same " + a.target.text()};
      }
      Json ref = {{"group", model::kGatewayGroup}, {"kind", a.target.kind}, {"namespace", a.target.ns},
                  {"name", a.target.name}};
      if (!a.target.section.empty()) ref["sectionName"] = a.target.section;
      ancestors.push_back({{"ancestorRef", ref},
                           {"controllerName", options.controller_name},
                           {"conditions", toJson({accepted}, r.generation)}});
    }
    if (ancestors.empty()) continue;
    current.insert(r.key);
    setStatus(r.key, {{"ancestors", ancestors}});
  }
  std::vector<ObjectKey> gone;
  for (const auto& [key, hash] : statuses)
    if (isPolicyKind(key.kind) && !current.count(key)) gone.push_back(key);
  for (const auto& key : gone) dropStatus(key);
}

}  // namespace gatehouse::translator
