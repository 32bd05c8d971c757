#include "dataplane/tls/stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

namespace gatehouse::dataplane::tls {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

bool wouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own uses write(), and a write to a
// connection the client reset would raise SIGPIPE. Its data is the fd.
int sendOn(BIO* bio, int fd, const char* data, size_t size, size_t* written) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<size_t>(n);
    return 1;
  }
  if (wouldBlock(errno)) BIO_set_retry_write(bio);
  return 0;
}

int recvOn(BIO* bio, int fd, char* data, size_t size, size_t* read) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(fd, data, size, 0);
  if (n > 0) {
    *read = static_cast<size_t>(n);
    return 1;
  }
  if (n == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
  } else if (wouldBlock(errno)) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

int fdOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int bioWrite(BIO* bio, const char* data, size_t size, size_t* written) {
  return sendOn(bio, fdOf(bio), data, size, written);
}

int bioRead(BIO* bio, char* data, size_t size, size_t* read) { return recvOn(bio, fdOf(bio), data, size, read); }

long bioCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default: return 0;
  }
}

int bioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* socketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gatehouse socket");
    BIO_meth_set_write_ex(m, bioWrite);
    BIO_meth_set_read_ex(m, bioRead);
    BIO_meth_set_ctrl(m, bioCtrl);
    BIO_meth_set_create(m, bioCreate);
    return m;
  }();
  return method;
}

// The same socket BIO, reading bytes already taken off the socket first (a ClientHello read to
// route by its SNI). Its data is a Replay; the bytes are freed once read.
struct Replay {
  int fd;
  std::string bytes;
  size_t offset = 0;
};

Replay* replayOf(BIO* bio) { return static_cast<Replay*>(BIO_get_data(bio)); }

int replayWrite(BIO* bio, const char* data, size_t size, size_t* written) {
  return sendOn(bio, replayOf(bio)->fd, data, size, written);
}

int replayRead(BIO* bio, char* data, size_t size, size_t* read) {
  Replay& replay = *replayOf(bio);
  if (replay.offset == replay.bytes.size()) return recvOn(bio, replay.fd, data, size, read);
  BIO_clear_retry_flags(bio);
  const size_t n = std::min(size, replay.bytes.size() - replay.offset);
  std::memcpy(data, replay.bytes.data() + replay.offset, n);
  replay.offset += n;
  if (replay.offset == replay.bytes.size()) {
    std::string().swap(replay.bytes);
    replay.offset = 0;
  }
  *read = n;
  return 1;
}

int replayDestroy(BIO* bio) {
  delete replayOf(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* replayMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gatehouse socket with replay");
    BIO_meth_set_write_ex(m, replayWrite);
    BIO_meth_set_read_ex(m, replayRead);
    BIO_meth_set_ctrl(m, bioCtrl);
    BIO_meth_set_create(m, bioCreate);
    BIO_meth_set_destroy(m, replayDestroy);
    return m;
  }();
  return method;
}

detail::Step failure(SSL* ssl, int rv) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl, rv)) {
    case SSL_ERROR_WANT_READ: return {detail::Want::Read, 0, {}};
    case SSL_ERROR_WANT_WRITE: return {detail::Want::Write, 0, {}};
    case SSL_ERROR_ZERO_RETURN: return {detail::Want::Done, 0, asio::error::eof};
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (saved_errno != 0 && !wouldBlock(saved_errno)) {
        return {detail::Want::Done, 0, error_code(saved_errno, boost::system::system_category())};
      }
      return {detail::Want::Done, 0, asio::error::eof};
    default: {
      const unsigned long code = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {detail::Want::Done, 0, asio::ssl::error::stream_truncated};
      }
      return {detail::Want::Done, 0, error_code(static_cast<int>(code), asio::error::get_ssl_category())};
    }
  }
}

}  // namespace

namespace detail {

Step handshakeStep(SSL* ssl) {
  ERR_clear_error();
  errno = 0;
  const int rv = SSL_do_handshake(ssl);
  return rv == 1 ? Step{} : failure(ssl, rv);
}

Step readStep(SSL* ssl, void* data, size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int rv = SSL_read_ex(ssl, data, size, &n);
  return rv == 1 ? Step{Want::Done, n, {}} : failure(ssl, rv);
}

char* writeScratch() {
  thread_local std::unique_ptr<char[]> scratch(new char[kMaxRecord]);
  return scratch.get();
}

Step writeStep(SSL* ssl, const void* data, size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int rv = SSL_write_ex(ssl, data, size, &n);
  return rv == 1 ? Step{Want::Done, n, {}} : failure(ssl, rv);
}

}  // namespace detail

namespace {

void bind(SSL* ssl, asio::ip::tcp::socket& socket, std::string replay) {
  error_code ignored;
  socket.non_blocking(true, ignored);
  const int fd = socket.native_handle();
  BIO* bio = BIO_new(replay.empty() ? socketMethod() : replayMethod());
  if (replay.empty()) {
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  } else {
    BIO_set_data(bio, new Replay{fd, std::move(replay)});
  }
  SSL_set_bio(ssl, bio, bio);  // one reference, read and write side
  // Partial writes: a write completes per record sent, as a socket write would. Moving buffer:
  // a retried write may pass the same bytes from another address (asio's consuming buffers).
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

}  // namespace

void bindBlocking(SSL* ssl, int fd) {
  BIO* bio = BIO_new(socketMethod());
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);
}

void bindClient(SSL* ssl, asio::ip::tcp::socket& socket) {
  bind(ssl, socket, {});
  SSL_set_connect_state(ssl);
}

void shutdownSsl(SSL* ssl) {
  if (ssl == nullptr || !SSL_is_init_finished(ssl)) return;
  ERR_clear_error();
  SSL_shutdown(ssl);
  ERR_clear_error();
}

Stream::Stream(asio::ip::tcp::socket socket, SSL* ssl, std::string replay) : socket_(std::move(socket)), ssl_(ssl) {
  bind(ssl_, socket_, std::move(replay));
  SSL_set_accept_state(ssl_);
}

Stream::~Stream() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // the BIO does not own the fd: the socket closes it
}

void Stream::shutdown() { shutdownSsl(ssl_); }

}  // namespace gatehouse::dataplane::tls
