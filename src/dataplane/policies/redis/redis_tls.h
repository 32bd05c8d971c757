#pragma once
// TLS to the global rate limits' Redis (--rate-limit-redis-tls). The server's certificate is
// always verified: its chain against a CA bundle file (or the system's trust store), its name
// against the server name (a DNS name, also sent as SNI, or an IP address). A client certificate,
// when given, is presented to a server that asks for one (mutual TLS). Built once at startup on
// the pieces BackendTLSPolicy uses (tls::UpstreamContext, tls::ClientCertificate) and shared by
// the workers; each connection gets its own SSL.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "dataplane/tls/upstream_context.h"

namespace gatehouse::dataplane::redis {

struct RedisTlsFiles {
  std::string server_name;  // required
  std::string ca_file;      // empty: the system's trust store
  std::string cert_file;    // with key_file, or neither
  std::string key_file;
};

class RedisTls {
 public:
  // Errors name the flag (--rate-limit-redis-*), the file and the reason.
  static Result<std::shared_ptr<const RedisTls>> load(const RedisTlsFiles& files);

  // A client SSL that verifies the server's name; the caller owns it. Null on an OpenSSL error.
  SSL* newSsl() const;
  const std::string& serverName() const { return server_name_; }

 private:
  RedisTls() = default;

  tls::UpstreamContextPtr context_;
  std::string server_name_;
  bool ip_ = false;  // server_name_ is an IP address: checked as one, and no SNI (RFC 6066)
};

}  // namespace gatehouse::dataplane::redis
