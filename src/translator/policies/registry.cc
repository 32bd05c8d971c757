#include "translator/policies/policy_kind.h"

namespace gatehouse::translator {

const PolicyKind& rateLimitPolicyKind();
const PolicyKind& faultInjectionPolicyKind();

const std::vector<const PolicyKind*>& policyKinds() {
  static const std::vector<const PolicyKind*> kinds = {&rateLimitPolicyKind(), &faultInjectionPolicyKind()};
  return kinds;
}

bool isPolicyKind(std::string_view kind) {
  for (const PolicyKind* k : policyKinds())
    if (k->kind() == kind) return true;
  return false;
}

}  // namespace gatehouse::translator
