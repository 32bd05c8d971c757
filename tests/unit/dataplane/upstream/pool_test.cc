// upstream::Pool on real loopback connections: LIFO reuse, per-endpoint bounds, idle expiry, the
// liveness check that keeps connections the backend closed out of requests, and the TLS context
// in the key (a plaintext and a TLS connection to one endpoint never mix).
#include "dataplane/upstream/pool.h"

#include "dataplane/tls/upstream_context.h"

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
  Connection connect() {
    Connection client(io_);
    client.socket().connect(acceptor_.local_endpoint());
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

// Of a connection held or just taken from the pool.
uint16_t localPort(Connection& connection) { return connection.socket().local_endpoint().port(); }
uint16_t localPort(Connection&& connection) { return localPort(connection); }

TEST(Pool, TakeFromAnEmptyPoolGivesNothing) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr).has_value());
}

TEST(Pool, GivesBackTheMostRecentlyPutConnectionFirst) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  Connection first = peer.connect();
  Connection second = peer.connect();
  const uint16_t first_port = localPort(first);
  const uint16_t second_port = localPort(second);
  pool.put(peer.endpoint(), nullptr, std::move(first));
  pool.put(peer.endpoint(), nullptr, std::move(second));
  EXPECT_EQ(pool.idleCount(), 2u);
  EXPECT_EQ(localPort(*pool.take(peer.endpoint(), nullptr)), second_port);
  EXPECT_EQ(localPort(*pool.take(peer.endpoint(), nullptr)), first_port);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr).has_value());
  EXPECT_EQ(pool.connectsAvoided(), 2u);
}

TEST(Pool, KeepsConnectionsPerEndpoint) {
  asio::io_context io;
  Peer a(io);
  Peer b(io);
  Pool pool = makePool(io);
  pool.put(a.endpoint(), nullptr, a.connect());
  EXPECT_FALSE(pool.take(b.endpoint(), nullptr).has_value());
  EXPECT_TRUE(pool.take(a.endpoint(), nullptr).has_value());
}

TEST(Pool, DropsTheColdestConnectionBeyondTheBound) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, /*max_idle=*/2);
  Connection coldest = peer.connect();
  const uint16_t coldest_port = localPort(coldest);
  pool.put(peer.endpoint(), nullptr, std::move(coldest));
  pool.put(peer.endpoint(), nullptr, peer.connect());
  pool.put(peer.endpoint(), nullptr, peer.connect());
  EXPECT_EQ(pool.idleCount(), 2u);
  EXPECT_NE(localPort(*pool.take(peer.endpoint(), nullptr)), coldest_port);
  EXPECT_NE(localPort(*pool.take(peer.endpoint(), nullptr)), coldest_port);
}

TEST(Pool, KeepsNothingWhenTheBoundIsZero) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, /*max_idle=*/0);
  pool.put(peer.endpoint(), nullptr, peer.connect());
  EXPECT_EQ(pool.idleCount(), 0u);
}

TEST(Pool, SkipsAConnectionTheBackendClosed) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  Connection live = peer.connect();
  const uint16_t live_port = localPort(live);
  pool.put(peer.endpoint(), nullptr, std::move(live));
  pool.put(peer.endpoint(), nullptr, peer.connect());
  peer.accepted()[1].close();  // the most recent one: taken first unless found closed
  std::this_thread::sleep_for(20ms);
  std::optional<Connection> taken = pool.take(peer.endpoint(), nullptr);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(localPort(*taken), live_port);
}

TEST(Pool, SkipsAConnectionWithUnexpectedBytes) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  pool.put(peer.endpoint(), nullptr, peer.connect());
  asio::write(peer.accepted()[0], asio::buffer(std::string_view("HTTP/1.1 408 Request Timeout\r\n\r\n")));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr).has_value());
}

TEST(Pool, FreshConnectionIsNotProbedForARequestThatCanBeReplayed) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  Connection closed = peer.connect();
  const uint16_t closed_port = localPort(closed);
  pool.put(peer.endpoint(), nullptr, std::move(closed));
  peer.accepted()[0].close();
  std::this_thread::sleep_for(20ms);
  // Handed out as it is: the caller's replay on a new connection covers the close.
  std::optional<Connection> taken = pool.take(peer.endpoint(), nullptr, Pool::Probe::UnlessFresh);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(localPort(*taken), closed_port);
}

TEST(Pool, ConnectionIdleBeyondTheFreshWindowIsProbedEvenForAReplayableRequest) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  pool.put(peer.endpoint(), nullptr, peer.connect());
  peer.accepted()[0].close();
  std::this_thread::sleep_for(Pool::kFresh + 50ms);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr, Pool::Probe::UnlessFresh).has_value());
}

TEST(Pool, ExpiredConnectionIsNotTaken) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, 64, /*idle_timeout=*/10ms);
  pool.put(peer.endpoint(), nullptr, peer.connect());
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr).has_value());
}

TEST(Pool, SweepClosesExpiredConnectionsWithoutATake) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io, 64, /*idle_timeout=*/10ms);
  pool.put(peer.endpoint(), nullptr, peer.connect());
  // The sweep runs every max(idle/4, 100 ms).
  io.run_for(250ms);
  EXPECT_EQ(pool.idleCount(), 0u);
}

tls::UpstreamContextPtr systemTrustContext(std::string sni) {
  snapshot::UpstreamTls settings;
  settings.sni = std::move(sni);
  auto context = tls::UpstreamContext::create(settings);
  EXPECT_TRUE(context.ok());
  return context.value();
}

TEST(Pool, PlaintextAndTlsConnectionsToOneEndpointNeverMix) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  const tls::UpstreamContextPtr tls = systemTrustContext("backend.example");
  Connection plain = peer.connect();
  const uint16_t plain_port = localPort(plain);
  pool.put(peer.endpoint(), nullptr, std::move(plain));
  EXPECT_FALSE(pool.take(peer.endpoint(), tls.get()).has_value());

  Connection secured = peer.connect();
  const uint16_t secured_port = localPort(secured);
  pool.put(peer.endpoint(), tls.get(), std::move(secured));
  std::optional<Connection> taken_plain = pool.take(peer.endpoint(), nullptr);
  ASSERT_TRUE(taken_plain.has_value());
  EXPECT_EQ(localPort(*taken_plain), plain_port);
  EXPECT_FALSE(pool.take(peer.endpoint(), nullptr).has_value());
  std::optional<Connection> taken_tls = pool.take(peer.endpoint(), tls.get());
  ASSERT_TRUE(taken_tls.has_value());
  EXPECT_EQ(localPort(*taken_tls), secured_port);
}

TEST(Pool, ConnectionsOfOtherTlsSettingsAreNotTaken) {
  asio::io_context io;
  Peer peer(io);
  Pool pool = makePool(io);
  const tls::UpstreamContextPtr before = systemTrustContext("backend.example");
  const tls::UpstreamContextPtr after = systemTrustContext("backend.example");  // e.g. a rotated CA bundle
  pool.put(peer.endpoint(), before.get(), peer.connect());
  EXPECT_FALSE(pool.take(peer.endpoint(), after.get()).has_value());
  EXPECT_TRUE(pool.take(peer.endpoint(), before.get()).has_value());
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
