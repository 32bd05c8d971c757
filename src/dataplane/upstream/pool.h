#pragma once
// Per-worker pools of idle keep-alive upstream connections, one per endpoint (ip:port).
// LIFO (the most recently used connection is the warmest and the least likely to have been
// closed by the backend), bounded per endpoint, idle timeout. Idle connections have no pending
// operation: liveness is checked with a non-blocking MSG_PEEK when one is taken, and a periodic
// sweep closes the expired and the ones the backend closed.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dataplane/options.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::upstream {

class Pool {
 public:
  Pool(boost::asio::io_context& io, const Limits& limits, const Timeouts& timeouts);
  ~Pool();

  // An idle connection to `endpoint` that still looks alive, most recently used first.
  std::optional<boost::asio::ip::tcp::socket> take(const snapshot::Endpoint& endpoint);
  // Keeps a connection whose last response ended cleanly with keep-alive.
  void put(const snapshot::Endpoint& endpoint, boost::asio::ip::tcp::socket socket);

  size_t idleCount() const;
  uint64_t connectsAvoided() const { return reused_; }

 private:
  struct Key {
    std::string ip;
    uint16_t port;
  };
  struct KeyView {
    std::string_view ip;
    uint16_t port;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const { return std::hash<std::string_view>{}(k.ip) * 31 + k.port; }
    size_t operator()(const Key& k) const { return (*this)(KeyView{k.ip, k.port}); }
  };
  struct KeyEq {
    using is_transparent = void;
    static KeyView view(const Key& k) { return {k.ip, k.port}; }
    static KeyView view(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return view(a).ip == view(b).ip && view(a).port == view(b).port;
    }
  };
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };

  void scheduleSweep();
  void sweep();

  boost::asio::io_context& io_;
  const size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  std::unordered_map<Key, std::deque<Idle>, KeyHash, KeyEq> idle_;
  boost::asio::steady_timer sweep_timer_;
  bool sweep_scheduled_ = false;
  uint64_t reused_ = 0;
};

// True when a socket that should be idle has neither been closed by the peer nor received
// unexpected bytes (a non-blocking MSG_PEEK would block).
bool looksAlive(int fd);

}  // namespace gatehouse::dataplane::upstream
