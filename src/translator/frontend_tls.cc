// Client certificate validation on HTTPS listeners: the Gateway's spec.tls.frontend, per port
// (perPort) or else its default, applies to every HTTPS listener on that port, those its
// ListenerSets add included (they share the port's connections). CA bundles come from core
// ConfigMaps and Secrets (key ca.crt); another namespace's need a ReferenceGrant to the Gateway.
#include "translator/references.h"
#include "translator/state.h"

namespace gatehouse::translator {

namespace {

const std::optional<model::FrontendValidation>& validationForPort(const model::FrontendTls& frontend, int32_t port) {
  for (const auto& [p, validation] : frontend.per_port)
    if (p == port) return validation;
  return frontend.default_validation;
}

const char* reasonFor(CaBundleResult::Problem problem) {
  switch (problem) {
    case CaBundleResult::Problem::UnsupportedKind: return reason::kInvalidCACertificateKind;
    case CaBundleResult::Problem::NotPermitted: return reason::kRefNotPermitted;
    default: return reason::kInvalidCACertificateRef;
  }
}

}  // namespace

// "If ALL CACertificateRefs are invalid, ... the Accepted condition on the listener is set to
// status: False, with the Reason NoValidCACertificate"; any invalid one sets ResolvedRefs False
// with its reason. The valid ones still validate clients.
void Translator::State::listenerClientValidation(const GatewayState& gw, ListenerState& ls) {
  const auto& validation = validationForPort(gw.spec->frontend_tls, ls.spec->port);
  if (!validation) return;
  const RefFrom from{model::kGatewayGroup, "Gateway", gw.resource->key.ns};
  snapshot::ClientValidation out;
  out.allow_insecure_fallback = validation->allow_insecure_fallback;
  for (const auto& ref : validation->ca_certificate_refs) {
    auto bundle = loadCaBundle(*view, from, ref);
    if (bundle.problem != CaBundleResult::Problem::None) {
      if (const Condition* c = findCondition(ls.conditions, condition::kResolvedRefs); !c || c->status)
        setCondition(ls.conditions, {condition::kResolvedRefs, false, reasonFor(bundle.problem),
                                     "tls.frontend caCertificateRefs: " + bundle.message});
      continue;
    }
    if (!out.ca_pem.empty() && out.ca_pem.back() != '\n') out.ca_pem += '\n';
    out.ca_pem += bundle.pem;
  }
  if (out.ca_pem.empty()) {
    setCondition(ls.conditions, {condition::kAccepted, false, reason::kNoValidCACertificate,
                                 "no caCertificateRefs of tls.frontend for port " + std::to_string(ls.spec->port) +
                                     " is usable"});
    ls.accepted = false;
    return;
  }
  ls.client_validation = std::move(out);
}

}  // namespace gatehouse::translator
