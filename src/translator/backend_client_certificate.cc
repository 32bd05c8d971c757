// The client certificate a Gateway presents to TLS backends (spec.tls.backend.clientCertificateRef,
// GEP-3155): a core kubernetes.io/tls Secret; another namespace's needs a ReferenceGrant to the
// Gateway. A bad reference sets the Gateway's ResolvedRefs False and leaves the Gateway serving:
// its requests reach TLS backends without a client certificate (a backend that requires one
// refuses them), as they would with no clientCertificateRef at all.
#include "translator/references.h"
#include "translator/state.h"

namespace gatehouse::translator {

namespace {

constexpr const char* kField = "spec.tls.backend.clientCertificateRef";

}  // namespace

// The Gateway's ResolvedRefs condition is set only when the Gateway has a clientCertificateRef:
// its reasons (InvalidClientCertificateRef, RefNotPermitted) are about that reference alone.
void Translator::State::gatewayBackendClientCertificate(GatewayState& gw) {
  const auto& ref = gw.spec->backend_client_certificate;
  if (!ref) return;
  const std::string named = "Secret " + ref->ns + "/" + ref->name;
  auto fail = [&](const char* why, const std::string& message) {
    setCondition(gw.conditions, {condition::kResolvedRefs, false, why, std::string(kField) + ": " + message});
  };
  if (!ref->group.empty() || ref->kind != "Secret")
    return fail(reason::kInvalidClientCertificateRef,
                (ref->group.empty() ? "" : ref->group + "/") + ref->kind + " " + ref->ns + "/" + ref->name +
                    " is not a supported kind (core Secret of type kubernetes.io/tls)");
  if (!referenceAllowed(*view, {model::kGatewayGroup, "Gateway", gw.resource->key.ns}, {"", "Secret", ref->ns, ref->name}))
    return fail(reason::kRefNotPermitted, "no ReferenceGrant in " + ref->ns + " allows this Gateway to use " + named);
  auto object = view->find(model::ObjectKey{"Secret", ref->ns, ref->name});
  const auto* secret = object ? object->as<model::Secret>() : nullptr;
  if (!secret) return fail(reason::kInvalidClientCertificateRef, named + " does not exist");
  if (secret->type != "kubernetes.io/tls")
    return fail(reason::kInvalidClientCertificateRef,
                named + " is of type " + (secret->type.empty() ? "Opaque" : secret->type) + ", not kubernetes.io/tls");
  auto loaded = loadTlsSecret(*secret);
  if (!loaded.certificate) return fail(reason::kInvalidClientCertificateRef, named + ": " + loaded.error);
  gw.backend_client_certificate = std::move(loaded.certificate);
  setCondition(gw.conditions, {condition::kResolvedRefs, true, reason::kResolvedRefs, ""});
}

}  // namespace gatehouse::translator
