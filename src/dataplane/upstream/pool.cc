#include "dataplane/upstream/pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "dataplane/tls/upstream_context.h"

namespace gatehouse::dataplane::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;

bool looksAlive(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool looksAlive(Connection& connection) {
  return !connection.hasPending() && looksAlive(connection.socket().native_handle());
}

Pool::Key Pool::keyOf(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls) {
  return Key{endpoint.address, endpoint.port, endpoint.family, tls == nullptr ? 0 : tls->id()};
}

Pool::Pool(asio::io_context& io, const Limits& limits, const Timeouts& timeouts)
    : io_(io), max_idle_(limits.max_idle_per_endpoint), idle_timeout_(timeouts.upstream_idle), sweep_timer_(io) {}

Pool::~Pool() = default;

std::optional<Connection> Pool::take(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                     Probe probe) {
  auto it = idle_.find(keyOf(endpoint, tls));
  if (it == idle_.end()) return std::nullopt;
  auto& stack = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!stack.empty()) {
    Idle idle = std::move(stack.back());
    stack.pop_back();
    const auto idle_for = now - idle.since;
    const bool trusted = probe == Probe::UnlessFresh && idle_for < kFresh;
    if (idle_for < idle_timeout_ && (trusted || looksAlive(idle.connection))) {
      ++reused_;
      return std::move(idle.connection);
    }
    boost::system::error_code ignored;
    idle.connection.close(ignored);
  }
  return std::nullopt;
}

void Pool::put(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls, Connection connection) {
  if (max_idle_ == 0) return;
  auto [it, added] = idle_.try_emplace(keyOf(endpoint, tls));
  auto& stack = it->second;
  if (stack.size() >= max_idle_) stack.pop_front();  // the coldest goes
  stack.push_back(Idle{std::move(connection), std::chrono::steady_clock::now()});
  scheduleSweep();
}

size_t Pool::idleCount() const {
  size_t n = 0;
  for (const auto& [key, stack] : idle_) n += stack.size();
  return n;
}

void Pool::scheduleSweep() {
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  auto period = std::clamp(idle_timeout_ / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the pool is going away
    sweep_scheduled_ = false;
    sweep();
  });
}

void Pool::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& stack = it->second;
    std::erase_if(stack, [&](Idle& idle) {
      if (now - idle.since < idle_timeout_ && looksAlive(idle.connection)) return false;
      boost::system::error_code ignored;
      idle.connection.close(ignored);
      return true;
    });
    it = stack.empty() ? idle_.erase(it) : std::next(it);
  }
  if (!idle_.empty()) scheduleSweep();
}

}  // namespace gatehouse::dataplane::upstream
