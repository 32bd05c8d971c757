#pragma once
// Real loopback sockets for data plane tests: an in-test HTTP/1.1 backend that echoes what it
// received, a blocking raw client, and snapshot builders. No mocks.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"
#include "snapshot/snapshot.h"
#include "route_fixtures.h"

namespace gatehouse::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

// A port that was free a moment ago on 127.0.0.1.
inline uint16_t freePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// An HTTP/1.1 backend on 127.0.0.1 running on its own thread. Every response has the body
//   "<name> <METHOD> <target>\n<field>: <value>\n...\n\n<request body, decoded>"
// Special targets: /hold (answers once release() is called), /slow (answers after 300 ms),
// /reset (closes without answering), /ws (WebSocket: 101, then echoes bytes),
// /chunked (answers with a chunked body).
class EchoBackend {
 public:
  explicit EchoBackend(std::string name) : name_(std::move(name)), acceptor_(io_) {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoBackend() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  void release() { released_ = true; }
  bool holding() const { return holding_.load(); }
  snapshot::Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  // What every request looked like (the echo body it was answered with), in arrival order.
  std::vector<std::string> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    std::string buffer;
    char chunk[4096];
    auto more = [&]() -> asio::awaitable<bool> {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return false;
      buffer.append(chunk, n);
      co_return true;
    };
    for (;;) {
      http::RequestHeadParser parser;
      http::ParseResult result;
      while ((result = parser.parse(buffer)).incomplete()) {
        if (!co_await more()) co_return;
      }
      if (result.error()) co_return;
      ++requests_;
      const http::RequestHead& head = parser.head();
      std::string target(head.target);
      std::string echo = name_ + " " + std::string(head.method) + " " + target + "\n";
      for (const http::Header& h : head.headers) echo += std::string(h.name) + ": " + std::string(h.value) + "\n";
      echo += "\n";
      const bool keep_alive = head.keep_alive;
      const http::BodyFraming framing = head.framing;
      const uint64_t length = head.content_length.value_or(0);
      const bool websocket = head.upgrade;
      buffer.erase(0, result.consumed);
      if (framing == http::BodyFraming::ContentLength) {
        while (buffer.size() < length) {
          if (!co_await more()) co_return;
        }
        echo += buffer.substr(0, length);
        buffer.erase(0, length);
      } else if (framing == http::BodyFraming::Chunked) {
        http::ChunkedDecoder decoder;
        for (;;) {
          size_t at = 0;
          while (at < buffer.size()) {
            http::ChunkedResult r = decoder.decode(std::string_view(buffer).substr(at));
            if (r.error()) co_return;
            echo += r.data;
            at += r.consumed;
            if (r.done()) break;
          }
          buffer.erase(0, at);
          if (decoder.done()) break;
          if (!co_await more()) co_return;
        }
      }
      {
        std::lock_guard lock(mu_);
        received_.push_back(echo);
      }
      if (target == "/reset") co_return;
      if (target == "/hold") {
        holding_ = true;
        asio::steady_timer t(io_);
        while (!released_) {
          t.expires_after(std::chrono::milliseconds(5));
          co_await t.async_wait(asio::use_awaitable);
        }
        holding_ = false;
      }
      if (target == "/slow") {
        asio::steady_timer t(io_, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::use_awaitable);
      }
      if (target == "/ws" && websocket) {
        std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
        for (;;) {
          if (!buffer.empty()) {
            std::string out = "echo:" + buffer;
            buffer.clear();
            co_await asio::async_write(socket, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
          }
          if (!co_await more()) co_return;
        }
      }
      std::string response;
      if (target == "/chunked") {
        response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        response += "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
      } else {
        response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(echo.size()) + "\r\n";
        if (!keep_alive) response += "Connection: close\r\n";
        response += "\r\n" + echo;
      }
      auto [wec, n] = co_await asio::async_write(socket, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
      if (wec || !keep_alive) co_return;
    }
  }

  std::string name_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<bool> released_{false};
  std::atomic<bool> holding_{false};
  std::mutex mu_;
  std::vector<std::string> received_;
  std::thread thread_;
};

struct Reply {
  int status = 0;
  std::string head;  // status line and fields, through the empty line
  std::string body;
  std::string raw() const { return head + body; }
};

// A blocking client over a plain or TLS stream; every read gives up after 5 s.
template <typename Stream>
class BasicClient {
 public:
  Stream& stream() { return stream_; }

  void send(std::string_view bytes) { asio::write(stream_, asio::buffer(bytes)); }

  // One response (HEAD responses: pass "HEAD"). status 0: the connection closed first.
  Reply read(std::string_view method = "GET") {
    Reply reply;
    http::ResponseHeadParser parser(method);
    http::ParseResult result;
    while ((result = parser.parse(pending_)).incomplete()) {
      if (!more()) return reply;
    }
    if (result.error()) return reply;
    reply.status = parser.head().status_code;
    reply.head = pending_.substr(0, result.consumed);
    const http::BodyFraming framing = parser.head().framing;
    const uint64_t length = parser.head().content_length.value_or(0);
    pending_.erase(0, result.consumed);
    if (framing == http::BodyFraming::ContentLength) {
      while (pending_.size() < length) {
        if (!more()) break;
      }
      reply.body = pending_.substr(0, length);
      pending_.erase(0, reply.body.size());
    } else if (framing == http::BodyFraming::Chunked) {
      http::ChunkedDecoder decoder;
      for (;;) {
        http::ChunkedResult r = decoder.relay(pending_);
        reply.body += pending_.substr(0, r.consumed);
        pending_.erase(0, r.consumed);
        if (r.done() || r.error() || !more()) break;
      }
    } else if (framing == http::BodyFraming::UntilClose) {
      while (more()) {
      }
      reply.body = std::move(pending_);
      pending_.clear();
    }
    return reply;
  }

  // Every byte until the peer closes (or 5 s pass).
  std::string readUntilClose() {
    while (more()) {
    }
    std::string all = std::move(pending_);
    pending_.clear();
    return all;
  }
  // Exactly n bytes (fewer when the peer closes first).
  std::string readExactly(size_t n) {
    while (pending_.size() < n && more()) {
    }
    std::string out = pending_.substr(0, n);
    pending_.erase(0, out.size());
    return out;
  }
  // True when the peer has closed the connection (reads EOF within 5 s).
  bool closedByPeer() { return !more() && pending_.empty(); }

 protected:
  explicit BasicClient(Stream stream) : stream_(std::move(stream)) {}
  static void setTimeouts(tcp::socket& socket) {
    timeval tv{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

 private:
  bool more() {
    char chunk[4096];
    boost::system::error_code ec;
    size_t n = stream_.read_some(asio::buffer(chunk), ec);
    if (ec) return false;
    pending_.append(chunk, n);
    return true;
  }

  Stream stream_;
  std::string pending_;
};

inline asio::io_context& clientIo() {
  static asio::io_context io;
  return io;
}

class Client : public BasicClient<tcp::socket> {
 public:
  explicit Client(uint16_t port) : BasicClient(tcp::socket(clientIo())) {
    stream().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    setTimeouts(stream());
  }
  Reply get(std::string_view target, std::string_view host = "gateway.example") {
    send("GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n");
    return read();
  }
};

// First line of an echoed body: "<backend> <METHOD> <target>".
inline std::string firstLine(const std::string& body) { return body.substr(0, body.find('\n')); }

// A cluster for every backend; cluster 0 has no endpoints (for 503s) unless given.
inline snapshot::Cluster clusterOf(std::string name, std::vector<snapshot::Endpoint> endpoints) {
  snapshot::Cluster c;
  c.name = std::move(name);
  c.endpoints = std::move(endpoints);
  return c;
}

inline snapshot::SnapshotPtr snapshotWith(std::vector<snapshot::Socket> sockets, std::vector<snapshot::Cluster> clusters,
                                          uint64_t version = 1) {
  auto s = std::make_shared<snapshot::Snapshot>();
  s->version = version;
  s->sockets = std::move(sockets);
  for (auto& c : clusters) s->clusters.push_back(std::make_shared<const snapshot::Cluster>(std::move(c)));
  return s;
}

}  // namespace gatehouse::testing
