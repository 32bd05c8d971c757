#include "translator/backend_tls_policies.h"

#include <algorithm>

#include "model/types/backend_tls_policy.h"
#include "translator/references.h"

namespace gatehouse::translator {

using model::ObjectKey;

namespace {

// "If all CACertificateRefs are invalid, Accepted False with Reason NoValidCACertificate"; any
// invalid one sets ResolvedRefs False (InvalidKind: not a core ConfigMap; InvalidCACertificateRef:
// missing, without ca.crt, or not PEM). A policy without a usable CA keeps its clusters' TLS
// settings, marked unusable: requests to them fail rather than go out in plaintext.
BackendTlsPolicies::Policy resolve(const store::View& view, const model::ResourcePtr& resource,
                                   const model::BackendTLSPolicy& spec) {
  BackendTlsPolicies::Policy out;
  out.resource = resource;
  snapshot::UpstreamTls tls;
  tls.sni = spec.hostname;
  for (const auto& san : spec.subject_alt_names) (san.type == "URI" ? tls.uris : tls.dns_names).push_back(san.value);
  std::optional<Condition> unresolved;
  bool usable = spec.well_known_ca_certificates == "System";
  const RefFrom from{model::kGatewayGroup, "BackendTLSPolicy", resource->key.ns};
  for (const auto& ref : spec.ca_certificate_refs) {
    if (!ref.group.empty() || ref.kind != "ConfigMap") {
      if (!unresolved)
        unresolved = Condition{condition::kResolvedRefs, false, reason::kInvalidKind,
                               "caCertificateRefs: " + ref.kind + " " + ref.name + " is not a core ConfigMap"};
      continue;
    }
    auto bundle = loadCaBundle(view, from, ref);
    if (bundle.problem != CaBundleResult::Problem::None) {
      if (!unresolved)
        unresolved = Condition{condition::kResolvedRefs, false, reason::kInvalidCACertificateRef,
                               "caCertificateRefs: " + bundle.message};
      continue;
    }
    if (!tls.ca_pem.empty() && tls.ca_pem.back() != '\n') tls.ca_pem += '\n';
    tls.ca_pem += bundle.pem;
    usable = true;
  }
  tls.usable = usable;
  out.tls = std::move(tls);
  if (!usable)
    setCondition(out.conditions, {condition::kAccepted, false, reason::kNoValidCACertificate,
                                  "no caCertificateRefs entry is a usable CA certificate"});
  else
    setCondition(out.conditions, {condition::kAccepted, true, reason::kAccepted, "Policy is accepted"});
  setCondition(out.conditions,
               unresolved ? *unresolved
                          : Condition{condition::kResolvedRefs, true, reason::kResolvedRefs, "All references resolved"});
  return out;
}

}  // namespace

void BackendTlsPolicies::build(const store::View& view) {
  policies_.clear();
  winners_.clear();
  for (const auto& resource : view.ofKind("BackendTLSPolicy")) {
    const auto* spec = resource->as<model::BackendTLSPolicy>();
    if (!spec) continue;
    Policy policy = resolve(view, resource, *spec);
    for (const auto& t : spec->target_refs)
      if (t.group.empty() && t.kind == "Service") policy.services.push_back(ObjectKey{"Service", resource->key.ns, t.name});
    policies_.push_back(std::move(policy));
  }
  // Precedence: the older creationTimestamp, then namespace/name alphabetically.
  std::vector<size_t> order(policies_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& ra = *policies_[a].resource;
    const auto& rb = *policies_[b].resource;
    if (ra.creation_timestamp != rb.creation_timestamp) return ra.creation_timestamp < rb.creation_timestamp;
    return std::tie(ra.key.ns, ra.key.name) < std::tie(rb.key.ns, rb.key.name);
  });
  for (size_t index : order) {
    Policy& policy = policies_[index];
    const auto* spec = policy.resource->as<model::BackendTLSPolicy>();
    bool lost = false;
    for (const auto& t : spec->target_refs) {
      if (!t.group.empty() || t.kind != "Service") continue;
      auto [it, won] =
          winners_.emplace(std::pair{ObjectKey{"Service", policy.resource->key.ns, t.name}, t.section_name.value_or("")},
                           index);
      lost |= !won;
    }
    if (lost)
      setCondition(policy.conditions, {condition::kAccepted, false, reason::kConflicted,
                                       "an older BackendTLSPolicy targets the same Service and sectionName"});
  }
}

// A policy naming the port (sectionName) wins over one naming the whole Service.
const snapshot::UpstreamTls* BackendTlsPolicies::forPort(const ObjectKey& service, const std::string& port_name) const {
  auto it = port_name.empty() ? winners_.end() : winners_.find({service, port_name});
  if (it == winners_.end()) it = winners_.find({service, ""});
  if (it == winners_.end()) return nullptr;
  return &*policies_[it->second].tls;
}

}  // namespace gatehouse::translator
