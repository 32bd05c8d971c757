#pragma once
// Which Gatehouse policy applies where, for every policy kind alike (Gateway API policy
// attachment, GEP-713 / GEP-2648):
//   - a policy attaches to each of its targetRefs (in its own namespace);
//   - on one target, one policy of a kind applies: the oldest (creationTimestamp), then the
//     first by namespace/name; the others are Conflicted on that target;
//   - the most specific target wins, kind by kind: a rule's over its route's, a listener's over
//     its ListenerSet's over its Gateway's; at request time a rule's over its listener's
//     (snapshot::Policies).
// Rebuilt in every full run (a policy change is one: every route is recompiled and every
// listener rebuilt); delta runs read the same attachments.
#include <map>
#include <string>
#include <vector>

#include "model/resource.h"
#include "model/types/policy.h"
#include "store/store.h"
#include "translator/policies/policy_kind.h"

namespace gatehouse::translator {

class PolicyAttachments {
 public:
  struct Attachment {
    PolicyTarget target;
    const model::PolicyTargetRef* ref = nullptr;  // in the policy's typed form
    std::string conflicted_with;                  // the winner's namespace/name when this one lost
  };
  struct Policy {
    model::ResourcePtr resource;
    const PolicyKind* kind = nullptr;
    std::vector<Attachment> attachments;  // one per targetRef, in spec order
  };

  void build(const store::View& view);

  // The policies in effect on a rule of a route (`rule_name` "" : an unnamed rule).
  snapshot::Policies forRule(const model::ObjectKey& route, const std::string& rule_name) const;
  // The policies in effect on the listener `listener` of its owner (a Gateway, or a ListenerSet)
  // on `gateway` ("namespace/name"): the Gateway's, over them the ListenerSet's, over them the
  // listener's own.
  snapshot::Policies forListener(const std::string& gateway, const std::string& owner_kind, const std::string& owner_ns,
                                 const std::string& owner_name, const std::string& listener) const;

  const std::vector<Policy>& policies() const { return policies_; }
  const std::vector<snapshot::LocalRateLimit>& localRateLimits() const { return tables_.local_rate_limits; }
  const std::vector<snapshot::GlobalRateLimit>& globalRateLimits() const { return tables_.global_rate_limits; }

 private:
  snapshot::Policies at(const PolicyTarget& target) const;

  std::vector<Policy> policies_;
  PolicyTables tables_;
  std::map<PolicyTarget, snapshot::Policies> by_target_;  // the winners' compiled members
};

}  // namespace gatehouse::translator
