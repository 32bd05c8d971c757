#pragma once
// Cross-object references: ReferenceGrant checks, TLS Secrets, Services and their endpoints.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/types/core.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::translator {

struct RefFrom {
  std::string group, kind, ns;
};
struct RefTo {
  std::string group, kind, ns, name;
};

// Same-namespace references are always allowed; others need a ReferenceGrant in the target's
// namespace naming the source (group, kind, namespace) and the target (group, kind, name?).
bool referenceAllowed(const store::View& view, const RefFrom& from, const RefTo& to);

// The labels a namespace selector sees: the Namespace's, with kubernetes.io/metadata.name also
// when the Namespace object is absent.
std::map<std::string, std::string> namespaceLabels(const store::View& view, const std::string& ns);

// A kubernetes.io/tls Secret checked: PEM certificate(s) and a matching key.
struct CertificateResult {
  std::optional<snapshot::TlsCertificate> certificate;
  std::string error;  // why the Secret is not a usable certificate
};
CertificateResult loadTlsSecret(const model::Secret& secret);

// A caCertificateRefs entry: the PEM bundle under key ca.crt of a core ConfigMap or Secret.
struct CaBundleResult {
  enum class Problem { None, UnsupportedKind, NotPermitted, Invalid };
  Problem problem = Problem::None;
  std::string pem;      // the bundle, when usable
  std::string message;  // which reference is unusable and why
};
CaBundleResult loadCaBundle(const store::View& view, const RefFrom& from, const model::ObjectRef& ref);

// The Service port with that number; nullptr when the Service has none.
const model::ServicePort* findServicePort(const model::Service& service, int64_t port);
// Appends the ready endpoints one EndpointSlice gives for a Service port.
void appendSliceEndpoints(const model::EndpointSlice& slice, const model::ServicePort& port,
                          std::vector<snapshot::Endpoint>& out);

}  // namespace gatehouse::translator
