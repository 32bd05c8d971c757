#pragma once
// Cross-object references: ReferenceGrant checks, TLS Secrets, Services and their endpoints.
#include <optional>
#include <string>
#include <vector>

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

// A kubernetes.io/tls Secret decoded and checked: PEM certificate(s) and a matching key.
struct CertificateResult {
  std::optional<snapshot::TlsCertificate> certificate;
  std::string error;  // why the Secret is not a usable certificate
};
CertificateResult loadTlsSecret(const model::Resource& secret);

std::string base64Decode(const std::string& in, bool* ok);

// The endpoints of a Service port from the Service's EndpointSlices (ready endpoints only).
// nullopt when the Service has no such port.
struct ServicePort {
  int32_t port = 0;
  std::string name;
  std::string app_protocol;
};
std::optional<ServicePort> findServicePort(const model::Resource& service, int64_t port);
// Appends the ready endpoints one EndpointSlice gives for a Service port.
void appendSliceEndpoints(const model::Resource& slice, const ServicePort& port,
                          std::vector<snapshot::Endpoint>& out);

}  // namespace gatehouse::translator
