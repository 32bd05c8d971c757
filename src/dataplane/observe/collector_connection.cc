#include "dataplane/observe/collector_connection.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dataplane/observe/span_exporter.h"
#include "dataplane/tls/openssl_error.h"
#include "dataplane/tls/stream.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::observe {
namespace {

// A socket connected to host:port within `timeout`, or -1. Reads and writes on it time out too.
int connectTo(const CollectorUrl& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // On Linux SO_SNDTIMEO bounds connect() too.
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

// A client SSL on `fd` that checks the certificate names `host`; handshaken, or null.
SSL* handshake(SSL_CTX* ctx, int fd, const std::string& host) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  bool named = false;
  if (snapshot::Endpoint(host, 0).family != snapshot::Endpoint::Family::Invalid) {  // an IP literal
    named = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;  // no SNI for an address (RFC 6066)
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = SSL_set1_host(ssl, host.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  }
  if (named) tls::bindBlocking(ssl, fd);
  if (!named || SSL_connect(ssl) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

}  // namespace

Result<SslContextPtr> collectorTlsContext(const std::string& ca_file) {
  SslContextPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Error{tls::opensslError("SSL_CTX_new")};
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) return Error{tls::opensslError("system trust store")};
  } else if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    return Error{tls::opensslError("--otlp-ca-file " + ca_file)};
  }
  return ctx;
}

std::optional<CollectorConnection> CollectorConnection::open(const CollectorUrl& url, SSL_CTX* tls,
                                                             std::chrono::milliseconds timeout) {
  const int fd = connectTo(url, timeout);
  if (fd < 0) return std::nullopt;
  SSL* ssl = nullptr;
  if (tls != nullptr && (ssl = handshake(tls, fd, url.host)) == nullptr) {
    ::close(fd);
    return std::nullopt;
  }
  return CollectorConnection(fd, ssl);
}

CollectorConnection::CollectorConnection(CollectorConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), ssl_(std::exchange(other.ssl_, nullptr)) {}

CollectorConnection::~CollectorConnection() {
  if (ssl_ != nullptr) {
    tls::shutdownSsl(ssl_);  // close_notify, best effort: the reply has been read
    SSL_free(ssl_);
  }
  if (fd_ >= 0) ::close(fd_);
}

bool CollectorConnection::writeAll(std::string_view data) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      size_t written = 0;
      if (SSL_write_ex(ssl_, data.data(), data.size(), &written) != 1) {
        ERR_clear_error();
        return false;
      }
      data.remove_prefix(written);
      continue;
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

size_t CollectorConnection::read(char* buffer, size_t size) {
  if (ssl_ != nullptr) {
    size_t got = 0;
    if (SSL_read_ex(ssl_, buffer, size, &got) != 1) {
      ERR_clear_error();
      return 0;
    }
    return got;
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
}

}  // namespace gatehouse::dataplane::observe
