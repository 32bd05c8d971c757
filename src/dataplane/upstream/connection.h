#pragma once
// An upstream connection: a TCP socket, with TLS over it when the cluster has a BackendTLSPolicy.
// Models Asio's AsyncReadStream/AsyncWriteStream like tcp::socket, so the relay, the buffered and
// the streamed exchanges and the pool use one type for both. A plaintext connection costs one
// null test per read and write over a bare socket; a TLS one reads and writes through OpenSSL
// the way tls::Stream does (OpenSSL on the socket itself, Asio only for readiness).
#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <utility>

#include "dataplane/tls/stream.h"

namespace gatehouse::dataplane::upstream {

class Connection {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  explicit Connection(boost::asio::io_context& io) : socket_(io) {}
  Connection(Connection&& other) noexcept
      : socket_(std::move(other.socket_)), ssl_(std::exchange(other.ssl_, nullptr)) {}
  Connection& operator=(Connection&& other) noexcept {
    if (this != &other) {
      freeSsl();
      socket_ = std::move(other.socket_);
      ssl_ = std::exchange(other.ssl_, nullptr);
    }
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { freeSsl(); }

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }
  SSL* ssl() const { return ssl_; }
  bool is_open() const { return socket_.is_open(); }
  // OpenSSL holds received bytes a readiness wait (or a MSG_PEEK) would not see.
  bool hasPending() const { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }

  // Sends close_notify (TLS, when the socket takes it at once) and closes.
  void close(boost::system::error_code& ec) {
    tls::shutdownSsl(ssl_);
    freeSsl();
    socket_.close(ec);
  }
  void cancel(boost::system::error_code& ec) { socket_.cancel(ec); }
  // shutdown_send ends the TLS session first (close_notify), then the TCP stream.
  void shutdown(boost::asio::ip::tcp::socket::shutdown_type what, boost::system::error_code& ec) {
    if (what != boost::asio::ip::tcp::socket::shutdown_receive) tls::shutdownSsl(ssl_);
    socket_.shutdown(what, ec);
  }

  // TLS from now on: takes ownership of `ssl` (client side, see tls::UpstreamContext::newSsl)
  // on the connected socket; async_handshake() next.
  void startTls(SSL* ssl) {
    freeSsl();
    ssl_ = ssl;
    tls::bindClient(ssl_, socket_);
  }

  // Signature void(error_code).
  template <typename Token>
  auto async_handshake(Token&& token) {
    auto step = [ssl = ssl_] { return tls::detail::handshakeStep(ssl); };
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        tls::detail::Op<decltype(step), false>(socket_, step), token, socket_);
  }

  // Signature void(error_code, size_t).
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    if (ssl_ == nullptr) return socket_.async_read_some(buffers, std::forward<Token>(token));
    const boost::asio::mutable_buffer to = tls::detail::firstBuffer(buffers);
    auto step = [ssl = ssl_, to] { return tls::detail::readStep(ssl, to.data(), to.size()); };
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        tls::detail::Op<decltype(step), true>(socket_, step), token, socket_);
  }

  // TLS: at most one record's worth (see tls::detail::writeSome). Signature void(error_code, size_t).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    if (ssl_ == nullptr) return socket_.async_write_some(buffers, std::forward<Token>(token));
    auto step = [ssl = ssl_, buffers] { return tls::detail::writeSome(ssl, buffers); };
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        tls::detail::Op<decltype(step), true>(socket_, step), token, socket_);
  }

 private:
  void freeSsl() {
    if (ssl_ != nullptr) SSL_free(std::exchange(ssl_, nullptr));  // the BIO does not own the fd
  }

  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
};

}  // namespace gatehouse::dataplane::upstream
