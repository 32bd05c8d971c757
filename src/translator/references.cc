#include "translator/references.h"

#include <openssl/bio.h>
#include <openssl/err.h>
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

namespace {

// Whether `pem` holds one or more PEM certificates and nothing unparsable between them.
bool holdsCertificates(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<STACK_OF(X509_INFO), void (*)(STACK_OF(X509_INFO)*)>
      infos(PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr),
            [](STACK_OF(X509_INFO)* s) { sk_X509_INFO_pop_free(s, X509_INFO_free); });
  ERR_clear_error();
  if (!infos) return false;
  int certificates = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) certificates += sk_X509_INFO_value(infos.get(), i)->x509 != nullptr;
  return certificates > 0;
}

}  // namespace

CaBundleResult loadCaBundle(const store::View& view, const RefFrom& from, const model::ObjectRef& ref) {
  using Problem = CaBundleResult::Problem;
  CaBundleResult result;
  const std::string named = ref.kind + " " + ref.ns + "/" + ref.name;
  if (!ref.group.empty() || (ref.kind != "ConfigMap" && ref.kind != "Secret")) {
    result.problem = Problem::UnsupportedKind;
    result.message = (ref.group.empty() ? "" : ref.group + "/") + ref.kind +
                     " is not a supported kind of CA certificate reference (core ConfigMap or Secret)";
    return result;
  }
  if (!referenceAllowed(view, from, {"", ref.kind, ref.ns, ref.name})) {
    result.problem = Problem::NotPermitted;
    result.message = "no ReferenceGrant in " + ref.ns + " allows this " + from.kind + " to use " + named;
    return result;
  }
  auto object = view.find(model::ObjectKey{ref.kind, ref.ns, ref.name});
  const std::map<std::string, std::string>* data = nullptr;
  if (const auto* cm = object ? object->as<model::ConfigMap>() : nullptr) data = &cm->data;
  if (const auto* secret = object ? object->as<model::Secret>() : nullptr) data = &secret->data;
  result.problem = Problem::Invalid;
  if (!data) {
    result.message = named + " does not exist";
    return result;
  }
  auto it = data->find("ca.crt");
  if (it == data->end()) {
    result.message = named + " has no key ca.crt";
    return result;
  }
  if (!holdsCertificates(it->second)) {
    result.message = named + ": ca.crt does not hold a PEM certificate";
    return result;
  }
  result.problem = Problem::None;
  result.pem = it->second;
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
