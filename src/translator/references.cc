#include "translator/references.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "model/types/reference_grant.h"

namespace gatehouse::translator {

bool referenceAllowed(const store::View& view, const RefFrom& from, const RefTo& to) {
  if (from.ns == to.ns) return true;
  // Objects are ordered by (kind, namespace, name): the grants of the target's namespace are one
  // range, found in O(log n) without walking or copying the others.
  const model::ObjectKey first{"ReferenceGrant", to.ns, ""};
  for (auto it = view.objects.lower_bound(first);
       it != view.objects.end() && it->first.kind == first.kind && it->first.ns == to.ns; ++it) {
    const auto* grant = it->second->as<model::ReferenceGrant>();
    if (!grant) continue;
    bool from_ok = false;
    for (const auto& f : grant->from) from_ok |= f.group == from.group && f.kind == from.kind && f.ns == from.ns;
    if (!from_ok) continue;
    for (const auto& t : grant->to)
      if (t.group == to.group && t.kind == to.kind && (t.name.empty() || t.name == to.name)) return true;
  }
  return false;
}

std::map<std::string, std::string> namespaceLabels(const store::View& view, const std::string& ns) {
  auto r = view.find(model::ObjectKey{"Namespace", "", ns});
  const auto* typed = r ? r->as<model::Namespace>() : nullptr;
  auto labels = typed ? typed->labels : std::map<std::string, std::string>{};
  labels["kubernetes.io/metadata.name"] = ns;
  return labels;
}

CertificateResult loadTlsSecret(const model::Secret& secret) {
  CertificateResult result;
  auto field = [&](const char* name) -> const std::string* {
    auto it = secret.data.find(name);
    if (it != secret.data.end()) return &it->second;
    result.error = std::string("data.") + name + " is missing";
    return nullptr;
  };
  const std::string* cert = field("tls.crt");
  const std::string* key = cert ? field("tls.key") : nullptr;
  if (!cert || !key) return result;
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new_mem_buf(cert->data(), static_cast<int>(cert->size())),
                                                     BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr),
                                                   X509_free);
  if (!x509) {
    result.error = "tls.crt does not hold a PEM certificate";
    return result;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_mem_buf(key->data(), static_cast<int>(key->size())),
                                                    BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey) {
    result.error = "tls.key does not hold a PEM private key";
    return result;
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    result.error = "tls.key does not match the certificate in tls.crt";
    return result;
  }
  result.certificate = snapshot::TlsCertificate{*cert, *key};
  return result;
}

const model::ServicePort* findServicePort(const model::Service& service, int64_t port) {
  for (const auto& p : service.ports)
    if (p.port == port) return &p;
  return nullptr;
}

void appendSliceEndpoints(const model::EndpointSlice& slice, const model::ServicePort& port,
                          std::vector<snapshot::Endpoint>& out) {
  int64_t target = -1;
  // Slice ports are matched by the Service port's name ("" for an unnamed single port).
  for (const auto& p : slice.ports)
    if (p.name == port.name) target = p.port.value_or(-1);
  if (target <= 0 || target > 65535) return;
  for (const auto& ep : slice.endpoints) {
    if (!ep.ready) continue;
    for (const auto& addr : ep.addresses) out.push_back({addr, static_cast<uint16_t>(target)});
  }
}

}  // namespace gatehouse::translator
