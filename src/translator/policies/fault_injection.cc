// FaultInjectionPolicy: abort and delay settings, carried as they are to the rule or listener.
#include <algorithm>
#include <limits>

#include "model/types/policy.h"
#include "translator/policies/policy_kind.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

class FaultInjectionPolicyKind : public PolicyKind {
 public:
  std::string_view kind() const override { return "FaultInjectionPolicy"; }

  void compile(const model::Resource& policy, const PolicyTarget&, snap::Policies& into, PolicyTables&) const override {
    const auto& spec = *policy.as<model::FaultInjectionPolicy>();
    snap::FaultInjection fault;
    if (const auto& a = spec.abort) {
      snap::FaultInjection::Abort& abort = fault.abort.emplace();
      abort.percentage = a->percentage;
      if (a->http_status) abort.http_status = static_cast<uint16_t>(*a->http_status);
      if (a->grpc_status) abort.grpc_status = static_cast<uint8_t>(*a->grpc_status);
    }
    if (const auto& d = spec.delay) {
      fault.delay = snap::FaultInjection::Delay{
          d->percentage,
          static_cast<uint32_t>(std::min<uint64_t>(d->fixed_delay_ms, std::numeric_limits<uint32_t>::max()))};
    }
    into.fault = std::move(fault);
    into.fault_overrides = spec.overrides;
  }
};

}  // namespace

const PolicyKind& faultInjectionPolicyKind() {
  static const FaultInjectionPolicyKind kind;
  return kind;
}

}  // namespace gatehouse::translator
