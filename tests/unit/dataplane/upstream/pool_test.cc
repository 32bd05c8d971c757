// upstream::Pool on real loopback connections: LIFO reuse, per-endpoint bounds, idle expiry and
// the liveness check that keeps connections the backend closed out of requests.
#include "dataplane/upstream/pool.h"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace gatehouse::dataplane::upstream {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A listening socket whose accepted ends the test keeps (or closes) by hand.
class Peer {
 public:
  explicit Peer(asio::io_context& io) : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  snapshot::Endpoint endpoint() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }
  // A connected client socket; the server end is kept in accepted().
  tcp::socket connect() {
    tcp::socket client(io_);
    client.connect(acceptor_.local_endpoint());
    accepted_.push_back(acceptor_.accept());
    return client;
  }
  std::vector<tcp::socket>& accepted() { return accepted_; }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket> accepted_;
};

Pool makePool(asio::io_context& io, size_t max_idle = 64, std::chrono::milliseconds idle_timeout = 60s) {
  Limits limits;
  limits.max_idle_per_endpoint = max_idle;
  Timeouts timeouts;
  timeouts.upstream_idle = idle_timeout;
  return Pool(io, limits, timeouts);
}

uint16_t localPort(const tcp::socket& socket) { return socket.local_endpoint().port(); }

TEST(Pool, TakeFromAnEmptyPoolGivesNothing) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  EXPECT_FALSE(pool.take(peer.endpoint()).has_value());
}

TEST(Pool, GivesBackTheMostRecentlyPutConnectionFirst) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  tcp::socket first = peer.connect();
  tcp::socket second = peer.connect();
  const uint16_t first_port = localPort(first);
  const uint16_t second_port = localPort(second);
  pool.put(peer.endpoint(), std::move(first));
  pool.put(peer.endpoint(), std::move(second));
  EXPECT_EQ(pool.idleCount(), 2u);
  EXPECT_EQ(localPort(*pool.take(peer.endpoint())), second_port);
  EXPECT_EQ(localPort(*pool.take(peer.endpoint())), first_port);
  EXPECT_FALSE(pool.take(peer.endpoint()).has_value());
  EXPECT_EQ(pool.connectsAvoided(), 2u);
}

TEST(Pool, KeepsConnectionsPerEndpoint) {
  asio::io_context io;
  Peer a(io);
  Peer b(io);
  Pool pool = makePool(io);
  pool.put(a.endpoint(), a.connect());
  EXPECT_FALSE(pool.take(b.endpoint()).has_value());
  EXPECT_TRUE(pool.take(a.endpoint()).has_value());
}

TEST(Pool, DropsTheColdestConnectionBeyondTheBound) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, /*max_idle=*/2);
  tcp::socket coldest = peer.connect();
  const uint16_t coldest_port = localPort(coldest);
  pool.put(peer.endpoint(), std::move(coldest));
  pool.put(peer.endpoint(), peer.connect());
  pool.put(peer.endpoint(), peer.connect());
  EXPECT_EQ(pool.idleCount(), 2u);
  EXPECT_NE(localPort(*pool.take(peer.endpoint())), coldest_port);
  EXPECT_NE(localPort(*pool.take(peer.endpoint())), coldest_port);
}

TEST(Pool, KeepsNothingWhenTheBoundIsZero) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, /*max_idle=*/0);
  pool.put(peer.endpoint(), peer.connect());
  EXPECT_EQ(pool.idleCount(), 0u);
}

TEST(Pool, SkipsAConnectionTheBackendClosed) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  tcp::socket live = peer.connect();
  const uint16_t live_port = localPort(live);
  pool.put(peer.endpoint(), std::move(live));
  pool.put(peer.endpoint(), peer.connect());
  peer.accepted()[1].close();  // the most recent one: taken first unless found closed
  std::this_thread::sleep_for(20ms);
  std::optional<tcp::socket> taken = pool.take(peer.endpoint());
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(localPort(*taken), live_port);
}

TEST(Pool, SkipsAConnectionWithUnexpectedBytes) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  pool.put(peer.endpoint(), peer.connect());
  asio::write(peer.accepted()[0], asio::buffer(std::string_view("HTTP/1.1 408 Request Timeout\r\n\r\n")));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(pool.take(peer.endpoint()).has_value());
}

TEST(Pool, FreshConnectionIsNotProbedForARequestThatCanBeReplayed) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  tcp::socket closed = peer.connect();
  const uint16_t closed_port = localPort(closed);
  pool.put(peer.endpoint(), std::move(closed));
  peer.accepted()[0].close();
  std::this_thread::sleep_for(20ms);
  // Handed out as it is: the caller's replay on a new connection covers the close.
  std::optional<tcp::socket> taken = pool.take(peer.endpoint(), Pool::Probe::UnlessFresh);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(localPort(*taken), closed_port);
}

TEST(Pool, ConnectionIdleBeyondTheFreshWindowIsProbedEvenForAReplayableRequest) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  pool.put(peer.endpoint(), peer.connect());
  peer.accepted()[0].close();
  std::this_thread::sleep_for(Pool::kFresh + 50ms);
  EXPECT_FALSE(pool.take(peer.endpoint(), Pool::Probe::UnlessFresh).has_value());
}

TEST(Pool, ExpiredConnectionIsNotTaken) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, 64, /*idle_timeout=*/10ms);
  pool.put(peer.endpoint(), peer.connect());
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(pool.take(peer.endpoint()).has_value());
}

TEST(Pool, SweepClosesExpiredConnectionsWithoutATake) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, 64, /*idle_timeout=*/10ms);
  pool.put(peer.endpoint(), peer.connect());
  // The sweep runs every max(idle/4, 100 ms).
  io.run_for(250ms);
  EXPECT_EQ(pool.idleCount(), 0u);
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
