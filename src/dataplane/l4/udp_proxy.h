#pragma once
// One worker's end of a UDP listener (UDPRoute). Every worker binds its own SO_REUSEPORT socket
// for the listener's address:port; the kernel hashes each client's 4-tuple to one of them, so a
// client's datagrams always reach the same worker and its session.
//
// A session per client address: the first datagram picks a weighted backend of the serving
// route and an endpoint of it (round robin) and opens a connected socket to it; later datagrams
// of that client go to the same endpoint, and whatever the endpoint sends back goes to that
// client. A session without a datagram either way for Timeouts::udp_idle ends. At most
// Limits::udp_sessions sessions per worker: datagrams of a new client beyond that are dropped
// (counted in the log) until sessions expire. Like TCP connections, sessions keep their
// endpoint across configuration changes.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "dataplane/net/listen_socket.h"

namespace gatehouse::dataplane {

class Worker;

class UdpProxy : public std::enable_shared_from_this<UdpProxy> {
 public:
  // Takes ownership of `fd` (a bound UDP socket, see bindUdpSocket).
  UdpProxy(Worker& worker, net::ListenFd fd, std::string identity);
  ~UdpProxy();

  void start();
  // Stops receiving and ends every session.
  void close();
  size_t sessionCount() const { return sessions_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Session {
    explicit Session(boost::asio::io_context& io) : upstream(io) {}
    boost::asio::ip::udp::socket upstream;
    boost::asio::ip::udp::endpoint client;
    Clock::time_point last_activity;
  };

  boost::asio::awaitable<void> receiveLoop();
  boost::asio::awaitable<void> replyLoop(std::shared_ptr<Session> session);
  boost::asio::awaitable<void> sweepLoop();
  // A new session for `client`, or null when no backend takes it or the table is full.
  std::shared_ptr<Session> open(const boost::asio::ip::udp::endpoint& client);
  void end(const std::shared_ptr<Session>& session);

  Worker& worker_;
  boost::asio::ip::udp::socket socket_;
  const std::string identity_;
  boost::asio::steady_timer sweep_;
  std::map<boost::asio::ip::udp::endpoint, std::shared_ptr<Session>> sessions_;
  bool closed_ = false;
  uint64_t dropped_ = 0;  // datagrams of new clients refused while the table was full
};

}  // namespace gatehouse::dataplane
