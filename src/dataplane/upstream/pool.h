#pragma once
// Per-worker pools of idle keep-alive upstream connections, one per endpoint (ip:port) and TLS
// context (none for plaintext; see tls::UpstreamContext::id): a request only ever gets a
// connection made with the TLS settings it asks for.
// LIFO (the most recently used connection is the warmest and the least likely to have been
// closed by the backend), bounded per endpoint, idle timeout. Idle connections have no pending
// operation: liveness is checked with a non-blocking MSG_PEEK when one is taken (see Probe), and
// a periodic sweep closes the expired and the ones the backend closed.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dataplane/options.h"
#include "dataplane/upstream/connection.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::tls {
class UpstreamContext;
}

namespace gatehouse::dataplane::upstream {

class Pool {
 public:
  Pool(boost::asio::io_context& io, const Limits& limits, const Timeouts& timeouts);
  ~Pool();

  // Whether a connection taken is probed (a MSG_PEEK receive, one system call). UnlessFresh is
  // for a caller that can send its request again on a new connection (idempotent, whole body at
  // hand): a connection idle for less than kFresh is handed out unprobed. If the backend closed
  // it meanwhile, the exchange fails before any response byte and the caller replays; backends
  // close idle connections after seconds, so on a busy keep-alive path that saves a system call
  // per request and almost never costs a replay.
  enum class Probe { Always, UnlessFresh };
  static constexpr std::chrono::milliseconds kFresh{1000};

  // An idle connection to `endpoint` with `tls` (null: plaintext) that still looks alive, most
  // recently used first.
  std::optional<Connection> take(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                 Probe probe = Probe::Always);
  // Keeps a connection whose last response ended cleanly with keep-alive.
  void put(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls, Connection connection);

  size_t idleCount() const;
  uint64_t connectsAvoided() const { return reused_; }

 private:
  // The parsed address, not the text: no string hashing per take/put.
  struct Key {
    std::array<uint8_t, 16> address;
    uint16_t port;
    snapshot::Endpoint::Family family;
    uint64_t tls;  // tls::UpstreamContext::id, 0 for plaintext
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t high;
      uint64_t low;
      std::memcpy(&high, k.address.data(), 8);
      std::memcpy(&low, k.address.data() + 8, 8);
      return std::hash<uint64_t>{}(high ^ (low * 0x9E3779B97F4A7C15ull) ^ (uint64_t{k.port} << 48) ^
                                   (k.tls * 0xC2B2AE3D27D4EB4Full));
    }
  };
  static Key keyOf(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls);
  struct Idle {
    Connection connection;
    std::chrono::steady_clock::time_point since;
  };

  void scheduleSweep();
  void sweep();

  boost::asio::io_context& io_;
  const size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  std::unordered_map<Key, std::deque<Idle>, KeyHash> idle_;
  boost::asio::steady_timer sweep_timer_;
  bool sweep_scheduled_ = false;
  uint64_t reused_ = 0;
};

// True when a socket that should be idle has neither been closed by the peer nor received
// unexpected bytes (a non-blocking MSG_PEEK would block).
bool looksAlive(int fd);
// The same for a connection: for TLS, OpenSSL must not hold unread bytes either.
bool looksAlive(Connection& connection);

}  // namespace gatehouse::dataplane::upstream
