#pragma once
// The client certificate the gateway presents to TLS backends (a Gateway's
// spec.tls.backend.clientCertificateRef). Leaf, chain and key are parsed once per generation and
// installed into every upstream context that presents them (UpstreamContext::create).
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {

class ClientCertificate {
 public:
  // Fails when the PEM holds no certificate, no private key, or a key that is not the leaf's.
  static Result<std::shared_ptr<const ClientCertificate>> load(const snapshot::TlsCertificate& pem);
  ~ClientCertificate();
  ClientCertificate(const ClientCertificate&) = delete;
  ClientCertificate& operator=(const ClientCertificate&) = delete;

  // The context presents this certificate when a server asks for one. False on an OpenSSL error.
  bool installInto(SSL_CTX* ctx) const;
  // certificateDigest() of the PEM it was loaded from: equal content, equal digest.
  const std::string& digest() const { return digest_; }

 private:
  ClientCertificate() = default;

  X509* leaf_ = nullptr;
  STACK_OF(X509)* chain_ = nullptr;  // the intermediates after the leaf, in PEM order
  EVP_PKEY* key_ = nullptr;
  std::string digest_;
};

using ClientCertificatePtr = std::shared_ptr<const ClientCertificate>;

}  // namespace gatehouse::dataplane::tls
