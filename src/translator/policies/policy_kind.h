#pragma once
// Gatehouse's policy kinds (gatehouse.dev). Attachment, precedence, conflicts and status are the
// same for every kind and live in policy_attachments.{h,cc}; a kind is a compiler in its own file
// (policies/<kind>.cc), registered in policies/registry.cc. It turns one policy, for one of its
// targets, into its member of snapshot::Policies, which the data plane applies in its policy
// phase (dataplane/policies/).
#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "model/resource.h"
#include "snapshot/snapshot.h"

namespace gatehouse::translator {

// What a targetRef resolves to: a Gateway or a ListenerSet (section: a listener name) or a route
// (section: a rule name); section "" is the whole object.
struct PolicyTarget {
  std::string kind;  // Gateway | ListenerSet | HTTPRoute | GRPCRoute
  std::string ns, name, section;
  // "HTTPRoute/shop/cart/checkout": names the target in logs, metrics and bucket identities.
  std::string text() const { return kind + "/" + ns + "/" + name + (section.empty() ? "" : "/" + section); }
  auto operator<=>(const PolicyTarget&) const = default;
};

// Tables of the snapshot that compiled policies index into.
struct PolicyTables {
  std::vector<snapshot::LocalRateLimit> local_rate_limits;
  std::vector<snapshot::GlobalRateLimit> global_rate_limits;
};

class PolicyKind {
 public:
  virtual ~PolicyKind() = default;
  virtual std::string_view kind() const = 0;  // of group gatehouse.dev
  // Sets this kind's member of `into` from `policy` (which has this kind's typed form).
  virtual void compile(const model::Resource& policy, const PolicyTarget& target, snapshot::Policies& into,
                       PolicyTables& tables) const = 0;
};

// Every kind, in registration order.
const std::vector<const PolicyKind*>& policyKinds();
bool isPolicyKind(std::string_view kind);

}  // namespace gatehouse::translator
