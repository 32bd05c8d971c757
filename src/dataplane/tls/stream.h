#pragma once
// A server-side TLS stream where OpenSSL reads and writes the socket itself (a BIO over the fd,
// send with MSG_NOSIGNAL) and Asio only reports readiness. asio::ssl::stream keeps two 17 KiB
// vectors and a BIO pair (two more 17 KiB buffers) per connection for as long as it lives; here
// the only buffers are OpenSSL's record buffers, which SSL_MODE_RELEASE_BUFFERS frees whenever
// they are empty, so an idle connection holds the SSL object and nothing else. It also lets an
// idle TLS connection park like a plain one: hasPending() tells whether OpenSSL holds bytes a
// readiness wait would not see. See docs/design/event-loop.md, "Idle TLS connections".
//
// Models Asio's AsyncReadStream/AsyncWriteStream: at most one read and one write in flight at a
// time (they may overlap). Operations that finish without waiting complete through a post, never
// inside the initiating call.
#include <openssl/ssl.h>

#include <boost/asio/append.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>

namespace gatehouse::dataplane::tls {

namespace detail {

enum class Want : uint8_t { Done, Read, Write };

struct Step {
  Want want = Want::Done;
  size_t bytes = 0;
  boost::system::error_code ec;
};

// One non-blocking OpenSSL call each.
Step handshakeStep(SSL* ssl);
Step readStep(SSL* ssl, void* data, size_t size);
Step writeStep(SSL* ssl, const void* data, size_t size);

// The largest TLS record's plaintext, and a scratch buffer of that size per thread.
constexpr size_t kMaxRecord = 16 * 1024;
char* writeScratch();

// Writes the start of `buffers`: several small buffers (a response head and the first body
// bytes) are copied into one record, so they leave in one record and one send(), as
// asio::ssl::stream does; a second record and send per response costs the peer an extra wake-up.
template <typename Buffers>
Step writeSome(SSL* ssl, const Buffers& buffers) {
  auto it = boost::asio::buffer_sequence_begin(buffers);
  const auto end = boost::asio::buffer_sequence_end(buffers);
  while (it != end && boost::asio::buffer_size(*it) == 0) ++it;
  if (it == end) return {};
  const boost::asio::const_buffer first = *it;
  auto next = std::next(it);
  while (next != end && boost::asio::buffer_size(*next) == 0) ++next;
  if (next == end || first.size() >= kMaxRecord) return writeStep(ssl, first.data(), first.size());
  char* scratch = writeScratch();
  size_t n = 0;
  for (; it != end && n < kMaxRecord; ++it) {
    const boost::asio::const_buffer b = *it;
    const size_t take = std::min(b.size(), kMaxRecord - n);
    std::memcpy(scratch + n, b.data(), take);
    n += take;
  }
  return writeStep(ssl, scratch, n);
}

template <typename Buffers>
auto firstBuffer(const Buffers& buffers) {
  auto it = boost::asio::buffer_sequence_begin(buffers);
  const auto end = boost::asio::buffer_sequence_end(buffers);
  for (; it != end; ++it) {
    if (boost::asio::buffer_size(*it) != 0) return *it;
  }
  using Buffer = std::decay_t<decltype(*it)>;
  return Buffer();
}

// Runs `step` until OpenSSL no longer wants the socket; waits for readiness in between.
template <typename StepFn, bool kWithBytes>
class Op {
 public:
  Op(boost::asio::ip::tcp::socket& socket, StepFn step) : socket_(socket), step_(std::move(step)) {}

  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    if (!done_ && !ec) {
      result_ = step_();
      if (result_.want != Want::Done) {
        waited_ = true;
        socket_.async_wait(result_.want == Want::Read ? boost::asio::ip::tcp::socket::wait_read
                                                      : boost::asio::ip::tcp::socket::wait_write,
                           std::move(self));
        return;
      }
      if (!waited_) {
        done_ = true;
        boost::asio::post(socket_.get_executor(), boost::asio::append(std::move(self), boost::system::error_code{}));
        return;
      }
    } else if (ec) {
      result_ = Step{Want::Done, 0, ec};  // the wait was cancelled or failed
    }
    if constexpr (kWithBytes) {
      self.complete(result_.ec, result_.bytes);
    } else {
      self.complete(result_.ec);
    }
  }

 private:
  boost::asio::ip::tcp::socket& socket_;
  StepFn step_;
  Step result_;
  bool waited_ = false;
  bool done_ = false;
};

}  // namespace detail

// Makes `socket` non-blocking and `ssl` (client side: upstream/connection.h) read and write it
// as Stream does; the caller keeps both and frees the SSL before closing the socket.
void bindClient(SSL* ssl, boost::asio::ip::tcp::socket& socket);
// `ssl` reads and writes the blocking socket `fd` (sending with MSG_NOSIGNAL, unlike SSL_set_fd);
// the caller keeps both and frees the SSL before closing the socket.
void bindBlocking(SSL* ssl, int fd);
// Sends close_notify when the socket takes it at once; never waits. Null or unfinished: nothing.
void shutdownSsl(SSL* ssl);

class Stream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using next_layer_type = boost::asio::ip::tcp::socket;

  // Takes ownership of `ssl` (a server-side SSL, see SocketTls::newSsl) and makes the socket
  // non-blocking (OpenSSL does the reads and writes). `replay`: bytes already read from the
  // socket (a ClientHello read to route by SNI), which OpenSSL reads before the socket's.
  Stream(boost::asio::ip::tcp::socket socket, SSL* ssl, std::string replay = {});
  Stream(Stream&& other) noexcept : socket_(std::move(other.socket_)), ssl_(other.ssl_) { other.ssl_ = nullptr; }
  Stream& operator=(Stream&&) = delete;
  Stream(const Stream&) = delete;
  ~Stream();

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& next_layer() { return socket_; }
  SSL* native_handle() const { return ssl_; }

  // OpenSSL holds received bytes (a record or part of one) that a readiness wait would not see.
  bool hasPending() const { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }
  // `ssl` reads and writes the blocking socket `fd` (sending with MSG_NOSIGNAL, unlike SSL_set_fd);
// the caller keeps both and frees the SSL before closing the socket.
void bindBlocking(SSL* ssl, int fd);
// Sends close_notify when the socket takes it at once; never waits.
  void shutdown();

  // Signature void(error_code).
  template <typename Token>
  auto async_handshake(Token&& token) {
    auto step = [ssl = ssl_] { return detail::handshakeStep(ssl); };
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        detail::Op<decltype(step), false>(socket_, step), token, socket_);
  }

  // Reads into the first non-empty buffer. Signature void(error_code, size_t).
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    const boost::asio::mutable_buffer to = detail::firstBuffer(buffers);
    auto step = [ssl = ssl_, to] { return detail::readStep(ssl, to.data(), to.size()); };
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        detail::Op<decltype(step), true>(socket_, step), token, socket_);
  }

  // Writes at most one record's worth from the start of `buffers` (see detail::writeSome).
  // Signature void(error_code, size_t).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    auto step = [ssl = ssl_, buffers] { return detail::writeSome(ssl, buffers); };
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        detail::Op<decltype(step), true>(socket_, step), token, socket_);
  }

 private:
  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_;
};

}  // namespace gatehouse::dataplane::tls
