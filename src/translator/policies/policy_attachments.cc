#include "translator/policies/policy_attachments.h"

#include <algorithm>
#include <tuple>

#include "model/types/policy.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

void PolicyAttachments::build(const store::View& view) {
  policies_.clear();
  tables_ = {};
  by_target_.clear();
  for (const PolicyKind* kind : policyKinds()) {
    std::vector<model::ResourcePtr> ordered;
    for (const auto& resource : view.ofKind(std::string(kind->kind())))
      if (resource->as<model::Policy>()) ordered.push_back(resource);
    std::sort(ordered.begin(), ordered.end(), [](const model::ResourcePtr& a, const model::ResourcePtr& b) {
      return std::tie(a->creation_timestamp, a->key.ns, a->key.name) <
             std::tie(b->creation_timestamp, b->key.ns, b->key.name);
    });
    std::map<PolicyTarget, std::string> claimed;  // target -> the winner's namespace/name
    for (const auto& resource : ordered) {
      Policy policy{resource, kind, {}};
      for (const auto& ref : resource->as<model::Policy>()->target_refs) {
        Attachment a{{ref.kind, resource->key.ns, ref.name, ref.section_name.value_or("")}, &ref, ""};
        auto [it, won] = claimed.emplace(a.target, resource->key.ns + "/" + resource->key.name);
        if (won) {
          kind->compile(*resource, a.target, by_target_[a.target], tables_);
        } else {
          a.conflicted_with = it->second;
        }
        policy.attachments.push_back(std::move(a));
      }
      policies_.push_back(std::move(policy));
    }
  }
}

snap::Policies PolicyAttachments::at(const PolicyTarget& target) const {
  auto it = by_target_.find(target);
  return it == by_target_.end() ? snap::Policies{} : it->second;
}

snap::Policies PolicyAttachments::forRule(const model::ObjectKey& route, const std::string& rule_name) const {
  if (by_target_.empty()) return {};
  snap::Policies out = at({route.kind, route.ns, route.name, ""});
  if (!rule_name.empty()) out.overlay(at({route.kind, route.ns, route.name, rule_name}));
  return out;
}

snap::Policies PolicyAttachments::forListener(const std::string& gateway, const std::string& owner_kind,
                                              const std::string& owner_ns, const std::string& owner_name,
                                              const std::string& listener) const {
  if (by_target_.empty()) return {};
  const auto slash = gateway.find('/');
  snap::Policies out = at({"Gateway", gateway.substr(0, slash), gateway.substr(slash + 1), ""});
  if (owner_kind == "ListenerSet") out.overlay(at({owner_kind, owner_ns, owner_name, ""}));
  out.overlay(at({owner_kind, owner_ns, owner_name, listener}));
  return out;
}

}  // namespace gatehouse::translator
