#include "dataplane/policies/redis/redis_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "dataplane/policies/redis/redis_auth.h"
#include "dataplane/policies/redis/redis_tls.h"
#include "dataplane/upstream/connection.h"

namespace gatehouse::dataplane::redis {

namespace asio = boost::asio;
using asio::ip::tcp;

RedisClient::RedisClient(asio::io_context& io, RedisOptions options)
    : io_(io), options_(std::move(options)), backoff_(options_.min_backoff) {}

asio::awaitable<RedisReply> RedisClient::call(std::string command) {
  if (state_ == State::Idle && Clock::now() < retry_at_) {
    ++counts_.error;
    co_return RedisReply{};
  }
  if (in_flight_.size() >= options_.max_in_flight) {
    ++counts_.error;
    co_return RedisReply{};
  }
  auto pending = std::make_shared<Pending>(io_);
  pending->queued = Clock::now();
  pending->wake.expires_at(pending->queued + options_.timeout);
  in_flight_.push_back(pending);
  out_ += command;
  if (state_ == State::Idle) {
    state_ = State::Connecting;
    const uint64_t connection = ++connection_;
    asio::co_spawn(io_, [self = shared_from_this(), connection] { return self->connect(connection); }, asio::detached);
  } else {
    startWriting();
  }
  co_await pending->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!pending->done) {
    // Its reply, when it comes, is matched to it and dropped.
    pending->done = true;
    pending->reply.result = RedisReply::Result::Timeout;
    if (state_ == State::Connected && Clock::now() - in_flight_.front()->queued >= options_.dead_after)
      fail(connection_, "no reply for " + std::to_string(options_.dead_after.count()) + " ms");
  }
  switch (pending->reply.result) {
    case RedisReply::Result::Ok: ++counts_.ok; break;
    case RedisReply::Result::Error: ++counts_.error; break;
    case RedisReply::Result::Timeout: ++counts_.timeout; break;
  }
  co_return std::move(pending->reply);
}

asio::awaitable<void> RedisClient::connect(uint64_t connection) {
  auto self = shared_from_this();
  asio::steady_timer timer(io_);
  timer.expires_after(options_.connect_timeout);
  timer.async_wait([self, connection](boost::system::error_code ec) {
    if (!ec && self->connection_ == connection && self->state_ == State::Connecting)
      self->fail(connection, "connect timed out");
  });
  std::string auth;
  if (!options_.password_file.empty()) {
    auto password = readPasswordFile(options_.password_file);  // a rotated Secret's new one
    if (!password) {
      fail(connection, "password file " + password.error().message);
      co_return;
    }
    auth = authCommand(options_.username, password.value());
  }
  Link link = std::make_shared<upstream::Connection>(io_);
  link_ = link;
  tcp::resolver resolver(io_);
  auto [resolve_error, addresses] = co_await resolver.async_resolve(
      options_.host, std::to_string(options_.port), asio::as_tuple(asio::use_awaitable));
  if (connection_ != connection) co_return;
  if (resolve_error) {
    fail(connection, "resolve: " + resolve_error.message());
    co_return;
  }
  auto [connect_error, endpoint] =
      co_await asio::async_connect(link->socket(), addresses, asio::as_tuple(asio::use_awaitable));
  if (connection_ != connection) co_return;
  if (connect_error) {
    fail(connection, "connect: " + connect_error.message());
    co_return;
  }
  boost::system::error_code ignored;
  link->socket().set_option(tcp::no_delay(true), ignored);
  if (options_.tls) {
    SSL* ssl = options_.tls->newSsl();
    if (ssl == nullptr) {
      fail(connection, "TLS: no SSL object");
      co_return;
    }
    link->startTls(ssl);
    auto [handshake_error] = co_await link->async_handshake(asio::as_tuple(asio::use_awaitable));
    if (connection_ != connection) co_return;
    if (handshake_error) {
      const long verify = SSL_get_verify_result(link->ssl());
      std::string why = "TLS handshake with " + options_.tls->serverName() + ": " + handshake_error.message();
      if (verify != X509_V_OK) why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
      fail(connection, why);
      co_return;
    }
  }
  timer.cancel();
  state_ = State::Connected;
  if (auth.empty()) {
    accepted();
  } else {
    // Pipelined ahead of the calls queued meanwhile; readLoop checks its reply first.
    authenticating_ = true;
    out_.insert(0, auth);
  }
  asio::co_spawn(io_, [self, connection, link] { return self->readLoop(connection, link); }, asio::detached);
  startWriting();
}

void RedisClient::accepted() {
  if (backoff_ > options_.min_backoff) spdlog::info("redis {}:{}: connected again", options_.host, options_.port);
  backoff_ = options_.min_backoff;
}

void RedisClient::startWriting() {
  if (state_ != State::Connected || writing_ || out_.empty()) return;
  writing_ = true;
  asio::co_spawn(io_,
                 [self = shared_from_this(), connection = connection_, link = link_] {
                   return self->writeLoop(connection, link);
                 },
                 asio::detached);
}

asio::awaitable<void> RedisClient::writeLoop(uint64_t connection, Link link) {
  std::string writing;
  while (connection_ == connection && !out_.empty()) {
    writing.clear();
    writing.swap(out_);  // calls made during the write queue behind it
    auto [ec, n] = co_await asio::async_write(*link, asio::buffer(writing), asio::as_tuple(asio::use_awaitable));
    if (connection_ != connection) co_return;
    if (ec) {
      fail(connection, "write: " + ec.message());
      co_return;
    }
  }
  if (connection_ == connection) writing_ = false;
}

asio::awaitable<void> RedisClient::readLoop(uint64_t connection, Link link) {
  std::vector<char> buffer(16 * 1024);
  for (;;) {
    auto [ec, n] = co_await link->async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (connection_ != connection) co_return;
    if (ec) {
      fail(connection, ec == asio::error::eof ? "closed by the server" : "read: " + ec.message());
      co_return;
    }
    parser_.feed(std::string_view(buffer.data(), n));
    RespValue value;
    RespParser::Status status;
    while ((status = parser_.next(value)) == RespParser::Status::Value) {
      if (authenticating_) {
        authenticating_ = false;
        if (value.isError()) {
          fail(connection, "AUTH refused: \"" + value.text + "\"");  // Redis's text, never the password
          co_return;
        }
        accepted();
        continue;
      }
      if (in_flight_.empty()) {
        fail(connection, "a reply to no command");
        co_return;
      }
      std::shared_ptr<Pending> pending = std::move(in_flight_.front());
      in_flight_.pop_front();
      complete(*pending, RedisReply{RedisReply::Result::Ok, std::move(value)});
    }
    if (status == RespParser::Status::Invalid) {
      fail(connection, "invalid reply: " + parser_.error());
      co_return;
    }
  }
}

void RedisClient::complete(Pending& pending, RedisReply reply) {
  if (pending.done) return;  // timed out already
  pending.done = true;
  pending.reply = std::move(reply);
  pending.wake.cancel();
}

void RedisClient::fail(uint64_t connection, const std::string& why) {
  if (connection != connection_ || state_ == State::Idle) return;
  ++connection_;  // the coroutines of this connection stop when they resume
  if (link_) {
    // Not closed here: an operation in flight may still run an OpenSSL step on the SSL and fd; the
    // last coroutine holding the link frees both. Shutting the socket down makes such a step fail.
    boost::system::error_code ignored;
    link_->socket().cancel(ignored);
    link_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    link_.reset();
  }
  authenticating_ = false;
  spdlog::warn("redis {}:{}: {}; rate limit calls fail for {} ms, then it connects again", options_.host,
               options_.port, why, backoff_.count());
  state_ = State::Idle;
  retry_at_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  out_.clear();
  writing_ = false;
  parser_ = RespParser();
  std::deque<std::shared_ptr<Pending>> failed;
  failed.swap(in_flight_);
  for (const auto& pending : failed) complete(*pending, RedisReply{});
}

}  // namespace gatehouse::dataplane::redis
