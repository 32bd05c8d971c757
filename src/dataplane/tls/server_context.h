#pragma once
// TLS termination contexts. One OpenSSL SSL_CTX per distinct certificate (cached by content, so
// a snapshot that keeps a certificate does not rebuild or re-parse it), and per HTTPS socket a
// SocketTls that picks the context by SNI: exact name first (certificate SANs and listener
// hostnames), then the longest matching wildcard, else the socket's first certificate.
// Contexts: TLS 1.2+, ALPN "h2" (preferred) and "http/1.1", SSL_MODE_RELEASE_BUFFERS (idle
// connections free OpenSSL's record buffers), read-ahead (tls::Stream reads the socket).
// Client certificates are validated per socket (ClientVerifier), not per context.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "dataplane/tls/client_verifier.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {

class ServerContext {
 public:
  // Parses the PEM chain and key; fails with a message naming what is wrong.
  static Result<std::shared_ptr<const ServerContext>> create(const snapshot::TlsCertificate& certificate);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  // Lower-cased DNS names of the leaf's subjectAltName ("*.example.com" kept as written).
  const std::vector<std::string>& dnsNames() const { return dns_names_; }

 private:
  ServerContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::vector<std::string> dns_names_;
};

using ServerContextPtr = std::shared_ptr<const ServerContext>;

// Control thread only. Keeps weak references: a context lives as long as a generation uses it.
class ContextCache {
 public:
  Result<ServerContextPtr> get(const snapshot::TlsCertificate& certificate);
  size_t size() const { return by_content_.size(); }
  size_t builds() const { return builds_; }

 private:
  std::unordered_map<std::string, std::weak_ptr<const ServerContext>> by_content_;  // sha256 -> ctx
  size_t builds_ = 0;
};

class SocketTls {
 public:
  // Every certificate of every listener of the socket; the ones that fail to load are skipped
  // (and reported in `errors`). Fails when none loads. Client certificate validation: the first
  // listener's that has one. Listeners of one Gateway on a port share it (it is per port); only
  // Gateways sharing an explicit address could differ, and then the first by name decides.
  static Result<std::shared_ptr<const SocketTls>> build(const snapshot::Socket& socket, ContextCache& cache,
                                                        std::vector<std::string>* errors = nullptr);

  // The context for a ClientHello server name (case-insensitive; empty: the default).
  const ServerContext& select(std::string_view server_name) const;
  // What a terminated connection carries. Http: ALPN offers h2 and http/1.1. Stream (TLS
  // listener, Terminate): no ALPN protocol is agreed, the bytes go to the backend as they are,
  // and a FIN without close_notify is the end of the client's data, not an error.
  enum class Application : uint8_t { Http, Stream };
  // A new server-side SSL on the default context, wired to switch by SNI. Caller owns it.
  SSL* newSsl(Application application = Application::Http) const;

 private:
  std::unordered_map<std::string, ServerContextPtr> exact_;
  std::vector<std::pair<std::string, ServerContextPtr>> wildcard_;  // ".example.com", longest first
  ServerContextPtr default_;
  std::vector<ServerContextPtr> all_;
  ClientVerifierPtr verifier_;  // null: no client certificate asked for
};

// The server name the client sent (SNI); empty when it sent none.
std::string_view serverName(const SSL* ssl);
// The ALPN protocol the handshake chose ("h2", "http/1.1"); empty when none.
std::string_view alpnProtocol(const SSL* ssl);

}  // namespace gatehouse::dataplane::tls
