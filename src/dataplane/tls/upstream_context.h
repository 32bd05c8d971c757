#pragma once
// Client-side TLS to upstreams (BackendTLSPolicy). One SSL_CTX per distinct snapshot::UpstreamTls,
// built on the control thread with the generation and shared by the workers (an SSL_CTX may be
// shared across threads; each connection gets its own SSL). Verification, per the policy:
// - the chain must end at one of the policy's CA certificates, or at the system's trust store
//   (wellKnownCACertificates: System);
// - no subjectAltNames: the certificate must name the policy's hostname (which is also the SNI);
// - subjectAltNames given: the hostname is only the SNI, and one of the certificate's SANs must
//   match one of the policy's (Hostname: DNS name, wildcards as RFC 6125; URI: exact).
// A context may also present a client certificate (the Gateway's spec.tls.backend): one context
// per (policy settings, client certificate), since Gateways that share a backend may present
// different certificates.
// Each context has an id no other context ever has: the upstream pool keys connections by
// endpoint and id, so a plaintext connection, or one verified against an older CA bundle, is
// never handed to a request that wants this context's TLS.
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "dataplane/tls/client_certificate.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {

class UpstreamContext : public std::enable_shared_from_this<UpstreamContext> {
 public:
  // Fails when `tls` is not usable or its CA bundle holds no certificate. `client`: presented
  // when the server asks for a certificate (null: none).
  static Result<std::shared_ptr<const UpstreamContext>> create(const snapshot::UpstreamTls& tls,
                                                               const ClientCertificate* client = nullptr);
  ~UpstreamContext();
  UpstreamContext(const UpstreamContext&) = delete;
  UpstreamContext& operator=(const UpstreamContext&) = delete;

  // What the connection carries: the one ALPN protocol offered (None: no ALPN, e.g. to Redis).
  enum class Alpn : uint8_t { Http11, H2, None };
  // A client-side SSL with the SNI, the verification and ALPN set. Caller owns it. With an
  // `endpoint` ("ip:port"), it resumes the last session this context got from that endpoint for
  // that ALPN (the server's certificate was verified when the session was made, by this
  // context's rules), and keeps the sessions the server sends on it.
  SSL* newSsl(Alpn alpn = Alpn::Http11, std::string_view endpoint = {}) const;
  uint64_t id() const { return id_; }
  struct SessionCache;  // upstream_context.cc
  SSL_CTX* native() const { return ctx_; }

 private:
  UpstreamContext() = default;
  static int verifyCallback(int preverified, X509_STORE_CTX* store);
  static int newSessionCallback(SSL* ssl, SSL_SESSION* session);
  bool matchesSubjectAltNames(X509* leaf) const;

  SSL_CTX* ctx_ = nullptr;
  uint64_t id_ = 0;
  std::string sni_;
  std::vector<std::string> dns_names_;
  std::vector<std::string> uris_;
  SessionCache* sessions_ = nullptr;  // owned by ctx_ (a pooled connection may outlive this object)
};

using UpstreamContextPtr = std::shared_ptr<const UpstreamContext>;

// Control thread only. Weak references: a context lives as long as a generation (or a pooled
// connection's SSL, through OpenSSL's own reference on the SSL_CTX) uses it.
class UpstreamContextCache {
 public:
  Result<UpstreamContextPtr> get(const snapshot::UpstreamTls& tls, const ClientCertificate* client = nullptr);
  // Forgets the settings no context is alive for any more (old CA bundles or client certificates
  // after a rotation).
  void prune();
  size_t builds() const { return builds_; }

 private:
  std::unordered_map<std::string, std::weak_ptr<const UpstreamContext>> by_settings_;
  size_t builds_ = 0;
};

}  // namespace gatehouse::dataplane::tls
