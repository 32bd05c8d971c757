#include "dataplane/policies/redis/redis_tls.h"

#include <openssl/x509v3.h>

#include "dataplane/policies/redis/redis_auth.h"
#include "dataplane/tls/client_certificate.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::redis {

Result<std::shared_ptr<const RedisTls>> RedisTls::load(const RedisTlsFiles& files) {
  if (files.server_name.empty()) return Error{"--rate-limit-redis-server-name: empty"};
  if (files.cert_file.empty() != files.key_file.empty())
    return Error{"--rate-limit-redis-cert-file and --rate-limit-redis-key-file go together"};
  std::shared_ptr<RedisTls> out(new RedisTls());
  out->server_name_ = files.server_name;
  out->ip_ = snapshot::Endpoint(files.server_name, 0).family != snapshot::Endpoint::Family::Invalid;
  snapshot::UpstreamTls settings;
  // An IP address is verified per connection (newSsl), not as the context's hostname.
  if (!out->ip_) settings.sni = files.server_name;
  if (!files.ca_file.empty()) {
    auto pem = readSmallFile(files.ca_file);
    if (!pem) return Error{"--rate-limit-redis-ca-file " + pem.error().message};
    settings.ca_pem = std::move(pem.value());
    if (settings.ca_pem.empty()) return Error{"--rate-limit-redis-ca-file " + files.ca_file + ": empty"};
  }
  tls::ClientCertificatePtr client;
  if (!files.cert_file.empty()) {
    snapshot::TlsCertificate pem;
    auto cert = readSmallFile(files.cert_file);
    if (!cert) return Error{"--rate-limit-redis-cert-file " + cert.error().message};
    auto key = readSmallFile(files.key_file);
    if (!key) return Error{"--rate-limit-redis-key-file " + key.error().message};
    pem.cert_pem = std::move(cert.value());
    pem.key_pem = std::move(key.value());
    auto loaded = tls::ClientCertificate::load(pem);
    if (!loaded)
      return Error{"--rate-limit-redis-cert-file " + files.cert_file + ", --rate-limit-redis-key-file " +
                   files.key_file + ": " + loaded.error().message};
    client = std::move(loaded.value());
  }
  auto context = tls::UpstreamContext::create(settings, client.get());
  if (!context) {
    const std::string flag = files.ca_file.empty() ? "--rate-limit-redis-tls" : "--rate-limit-redis-ca-file " + files.ca_file;
    return Error{flag + ": " + context.error().message};
  }
  out->context_ = std::move(context.value());
  return std::shared_ptr<const RedisTls>(std::move(out));
}

SSL* RedisTls::newSsl() const {
  SSL* ssl = context_->newSsl(tls::UpstreamContext::Alpn::None);
  if (ssl == nullptr || !ip_) return ssl;
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str()) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

}  // namespace gatehouse::dataplane::redis
