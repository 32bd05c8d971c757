#include "dataplane/net/acceptor.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "dataplane/event/worker.h"

namespace gatehouse::dataplane::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Acceptor::Acceptor(Worker& worker, ListenFd fd, std::string identity, SocketRole role, uint16_t port)
    : worker_(worker),
      acceptor_(worker.io()),
      identity_(std::move(identity)),
      role_(role),
      handler_(connectionHandlerFor(role.kind)),
      port_(port),
      counts_(worker.metrics().connections(identity_)) {
  boost::system::error_code ec;
  acceptor_.assign(fd.ipv6 ? tcp::v6() : tcp::v4(), fd.fd, ec);
  if (ec || handler_ == nullptr) {
    if (ec) {
      ::close(fd.fd);
      spdlog::error("socket {}: cannot register listening socket: {}", identity_, ec.message());
    } else {
      spdlog::error("socket {}: no connection handler for its listener kind", identity_);
    }
    closed_ = true;
  }
}

Acceptor::~Acceptor() = default;

void Acceptor::start() {
  if (closed_) return;
  asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->acceptLoop(); }, asio::detached);
}

void Acceptor::close(const std::shared_ptr<Acceptor>& successor) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // drain() may destroy the connection (and unlink it): advance first.
  for (auto it = connections_.begin(); it != connections_.end();) {
    ConnectionBase& connection = *it++;
    if (successor == nullptr || !connection.moveTo(successor)) connection.drain();
  }
}

void Acceptor::configChanged(const Generation& generation) {
  // configChanged() may drain a connection but never destroys it here.
  for (ConnectionBase& connection : connections_) connection.configChanged(generation);
}

asio::awaitable<void> Acceptor::acceptLoop() {
  auto self = shared_from_this();
  asio::steady_timer backoff(worker_.io());
  while (!closed_) {
    auto [ec, socket] = co_await acceptor_.async_accept(worker_.io(), asio::as_tuple(asio::use_awaitable));
    if (closed_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // EMFILE/ENFILE/ENOBUFS: the connection stays queued; retry shortly instead of spinning.
      spdlog::warn("socket {}: accept: {}", identity_, ec.message());
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++counts_.total;
    handler_(worker_, self, std::move(socket));
  }
}

}  // namespace gatehouse::dataplane::net
