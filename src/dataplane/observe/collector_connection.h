#pragma once
// One blocking connection to the OTLP collector, plain or TLS, for the exporter's own thread
// (never a worker's). TLS verifies the collector's certificate against a CA bundle file, or the
// system's trust store, and its name against the URL's host (a DNS name or an IP address).
#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gatehouse::dataplane::observe {

struct CollectorUrl;

using SslContextPtr = std::shared_ptr<SSL_CTX>;

// A client context for https:// collectors; `ca_file` empty: the system's trust store.
Result<SslContextPtr> collectorTlsContext(const std::string& ca_file);

class CollectorConnection {
 public:
  // Connected (and, with `tls`, handshaken and verified) within `timeout` per step, or nullopt.
  static std::optional<CollectorConnection> open(const CollectorUrl& url, SSL_CTX* tls, std::chrono::milliseconds timeout);
  CollectorConnection(CollectorConnection&& other) noexcept;
  CollectorConnection& operator=(CollectorConnection&&) = delete;
  ~CollectorConnection();

  bool writeAll(std::string_view data);
  // Bytes read into `buffer`; 0 at the end of the stream or on an error.
  size_t read(char* buffer, size_t size);

 private:
  CollectorConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

}  // namespace gatehouse::dataplane::observe
