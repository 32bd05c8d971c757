#pragma once
// One worker's accepting end of one snapshot Socket (addr:port). Every worker has its own
// SO_REUSEPORT listening socket for the same addr:port, so the kernel spreads connections over
// workers and no accept is shared. Lives on its worker thread only.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/intrusive/list.hpp>

#include <memory>
#include <string>

#include "dataplane/event/idle_list.h"
#include "dataplane/net/listen_socket.h"
#include "dataplane/observe/request_metrics.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {
class Worker;
struct Generation;
}

namespace gatehouse::dataplane::net {

// What an acceptor knows of the connections it accepted: enough to drain them.
class ConnectionBase
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>,
      public IdleEntry {
 public:
  virtual ~ConnectionBase() {
    if (counted_ != nullptr) --counted_->active;
  }
  // The socket is going away: close now when idle, else after the current response.
  virtual void drain() = 0;
  // A new generation is live (the socket kept). L4 connections check that it still serves them.
  virtual void configChanged(const Generation& /*generation*/) {}
  // The socket's acceptor is replaced (its listener kind changed, e.g. a TLS Passthrough
  // listener joined an HTTPS port): true when the connection moved to `successor` and serves
  // on, false when it must drain.
  virtual bool moveTo(const std::shared_ptr<class Acceptor>& /*successor*/) { return false; }
  // The counters of the connection's socket on this worker; null until an acceptor tracks it.
  observe::ConnectionCounts* counts() const { return counted_; }

 private:
  friend class Acceptor;
  observe::ConnectionCounts* counted_ = nullptr;  // the worker's counters outlive its connections
};

// Starts serving one accepted connection (worker thread). One per listener kind, see
// connectionHandlerFor(); the connection owns itself from then on.
using ConnectionHandler = void (*)(Worker& worker, std::shared_ptr<class Acceptor> acceptor,
                                   boost::asio::ip::tcp::socket socket);

// The handler for a listener kind; nullptr for a kind this data plane does not serve yet.
ConnectionHandler connectionHandlerFor(snapshot::ListenerKind kind);

class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  // Takes ownership of `fd` (bound and listening; see bindListenSocket). Connections go to the
  // handler of `role.kind`; without one the acceptor stays closed.
  Acceptor(Worker& worker, ListenFd fd, std::string identity, SocketRole role, uint16_t port);
  ~Acceptor();

  void start();
  // Stops accepting, closes the listening socket and drains the open connections, except those
  // that move to `successor` (the acceptor replacing this one for the same socket identity).
  void close(const std::shared_ptr<Acceptor>& successor = nullptr);

  bool closed() const { return closed_; }
  const std::string& identity() const { return identity_; }
  bool tls() const { return role_.transport == snapshot::Transport::Tls; }
  uint16_t port() const { return port_; }

  void track(ConnectionBase& connection) {
    if (connection.is_linked()) connection.unlink();  // moved from a replaced acceptor
    connections_.push_back(connection);
    if (connection.counted_ == nullptr) {
      connection.counted_ = &counts_;
      ++counts_.active;
    }
  }
  size_t connectionCount() const { return connections_.size(); }
  void configChanged(const Generation& generation);

 private:
  boost::asio::awaitable<void> acceptLoop();

  Worker& worker_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const std::string identity_;
  const SocketRole role_;
  const ConnectionHandler handler_;
  const uint16_t port_;
  observe::ConnectionCounts& counts_;
  bool closed_ = false;
  boost::intrusive::list<ConnectionBase, boost::intrusive::constant_time_size<false>> connections_;
};

}  // namespace gatehouse::dataplane::net
