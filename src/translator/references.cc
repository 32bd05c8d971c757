#include "translator/references.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "model/json_access.h"

namespace gatehouse::translator {

using model::Json;
using model::str;

bool referenceAllowed(const store::View& view, const RefFrom& from, const RefTo& to) {
  if (from.ns == to.ns) return true;
  for (const auto& grant : view.ofKind("ReferenceGrant")) {
    if (grant->key.ns != to.ns) continue;
    const Json spec = grant->spec();
    bool from_ok = false;
    for (const auto& f : model::arr(spec, "from"))
      from_ok |= str(f, "group") == from.group && str(f, "kind") == from.kind && str(f, "namespace") == from.ns;
    if (!from_ok) continue;
    for (const auto& t : model::arr(spec, "to")) {
      if (str(t, "group") != to.group || str(t, "kind") != to.kind) continue;
      std::string name = str(t, "name");
      if (name.empty() || name == to.name) return true;
    }
  }
  return false;
}

std::string base64Decode(const std::string& in, bool* ok) {
  std::string clean;
  for (char c : in)
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  *ok = clean.size() % 4 == 0;
  if (!*ok) return {};
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) {
    *ok = false;
    return {};
  }
  size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') pad++;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') pad++;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

namespace {

std::string secretField(const model::Resource& secret, const char* name, std::string* error) {
  const Json obj = secret.object();
  if (auto sd = obj.find("stringData"); sd != obj.end() && sd->is_object() && sd->contains(name))
    return str(*sd, name);
  auto data = obj.find("data");
  if (data == obj.end() || !data->is_object() || !data->contains(name)) {
    *error = std::string("data.") + name + " is missing";
    return {};
  }
  bool ok = false;
  std::string decoded = base64Decode(str(*data, name), &ok);
  if (!ok) *error = std::string("data.") + name + " is not valid base64";
  return decoded;
}

}  // namespace

CertificateResult loadTlsSecret(const model::Resource& secret) {
  CertificateResult result;
  std::string error;
  std::string cert = secretField(secret, "tls.crt", &error);
  std::string key = error.empty() ? secretField(secret, "tls.key", &error) : std::string();
  if (!error.empty()) {
    result.error = error;
    return result;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())),
                                                     BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr),
                                                   X509_free);
  if (!x509) {
    result.error = "tls.crt does not hold a PEM certificate";
    return result;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())),
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
  result.certificate = snapshot::TlsCertificate{std::move(cert), std::move(key)};
  return result;
}

std::optional<ServicePort> findServicePort(const model::Resource& service, int64_t port) {
  const Json spec = service.spec();
  for (const auto& p : model::arr(spec, "ports")) {
    if (model::integer(p, "port", -1) != port) continue;
    return ServicePort{static_cast<int32_t>(port), str(p, "name"), str(p, "appProtocol")};
  }
  return std::nullopt;
}

void appendSliceEndpoints(const model::Resource& slice, const ServicePort& port,
                          std::vector<snapshot::Endpoint>& out) {
  const Json obj = slice.object();
  int64_t target = -1;
  for (const auto& p : model::arr(obj, "ports")) {
    // Slice ports are matched by the Service port's name ("" for an unnamed single port).
    if (str(p, "name") == port.name) target = model::integer(p, "port", -1);
  }
  if (target <= 0 || target > 65535) return;
  for (const auto& ep : model::arr(obj, "endpoints")) {
    const Json& conditions = model::obj(ep, "conditions");
    if (auto ready = conditions.find("ready"); ready != conditions.end() && ready->is_boolean() && !ready->get<bool>())
      continue;
    for (const auto& addr : model::arr(ep, "addresses"))
      if (addr.is_string()) out.push_back({addr.get<std::string>(), static_cast<uint16_t>(target)});
  }
}

}  // namespace gatehouse::translator
