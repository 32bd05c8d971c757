#pragma once
// Client certificate validation for a TLS socket (Gateway spec.tls.frontend). SSL_CTXs are
// shared by certificate content across sockets and SNI switches a connection's SSL_CTX, so the
// validation lives on each SSL, set before the ClientHello: the verify mode (which survives
// SSL_set_SSL_CTX), the trust anchors (looked up by verifyCallback(), installed on every server
// SSL_CTX) and a session id context derived from the CA bundle and mode, so that a session
// made without (or with other) client validation is never resumed on this socket.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {

class ClientVerifier {
 public:
  // Fails when `ca_pem` holds no certificate.
  static Result<std::shared_ptr<const ClientVerifier>> create(const snapshot::ClientValidation& validation);
  ~ClientVerifier();
  ClientVerifier(const ClientVerifier&) = delete;
  ClientVerifier& operator=(const ClientVerifier&) = delete;

  // Makes the handshake of `ssl` ask for a client certificate and check it. The verifier must
  // outlive `ssl`.
  void apply(SSL* ssl) const;

  // For SSL_CTX_set_cert_verify_callback: verifies the client's chain against the trust anchors
  // of the SSL's verifier; with insecure fallback, a failure is recorded but not fatal.
  static int verifyCallback(X509_STORE_CTX* store, void* arg);

 private:
  ClientVerifier() = default;
  STACK_OF(X509)* anchors_ = nullptr;
  STACK_OF(X509_NAME)* names_ = nullptr;  // sent in the CertificateRequest
  bool allow_insecure_fallback_ = false;
  unsigned char session_context_[32] = {};
};

using ClientVerifierPtr = std::shared_ptr<const ClientVerifier>;

}  // namespace gatehouse::dataplane::tls
