// RateLimitPolicy: its local limit becomes one entry of the snapshot's local_rate_limits table
// per target (each target counts on its own bucket), its global limit one of global_rate_limits;
// rules and listeners index them.
#include <algorithm>
#include <cctype>

#include "model/types/policy.h"
#include "translator/policies/policy_kind.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

// The fields a local and a global limit share.
template <class Limit>
Limit compileLimit(const model::Resource& policy, const PolicyTarget& target, const model::RateLimitPolicy::Limit& spec) {
  Limit limit;
  limit.policy = policy.key.ns + "/" + policy.key.name;
  limit.target = target.text();
  limit.requests = spec.requests;
  limit.window_ms = spec.window_ms;
  limit.key = spec.key_type == "ClientAddress" ? snap::LocalRateLimit::Key::ClientAddress
              : spec.key_type == "Header"      ? snap::LocalRateLimit::Key::Header
                                               : snap::LocalRateLimit::Key::Target;
  limit.header = spec.header;
  std::transform(limit.header.begin(), limit.header.end(), limit.header.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return limit;
}

class RateLimitPolicyKind : public PolicyKind {
 public:
  std::string_view kind() const override { return "RateLimitPolicy"; }

  void compile(const model::Resource& policy, const PolicyTarget& target, snap::Policies& into,
               PolicyTables& tables) const override {
    const auto& spec = *policy.as<model::RateLimitPolicy>();
    into.rate_limit_overrides = spec.overrides;
    if (spec.local) {
      auto limit = compileLimit<snap::LocalRateLimit>(policy, target, *spec.local);
      limit.max_keys = spec.local->max_keys;
      into.local_rate_limit = static_cast<uint32_t>(tables.local_rate_limits.size());
      tables.local_rate_limits.push_back(std::move(limit));
    }
    if (spec.global) {
      auto limit = compileLimit<snap::GlobalRateLimit>(policy, target, *spec.global);
      limit.fail_closed = spec.global->fail_closed;
      into.global_rate_limit = static_cast<uint32_t>(tables.global_rate_limits.size());
      tables.global_rate_limits.push_back(std::move(limit));
    }
  }
};

}  // namespace

const PolicyKind& rateLimitPolicyKind() {
  static const RateLimitPolicyKind kind;
  return kind;
}

}  // namespace gatehouse::translator
