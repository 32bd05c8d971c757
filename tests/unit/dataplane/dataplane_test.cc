// DataPlane end to end on loopback: a hand-built snapshot, in-test echo backends, a raw client.
#include "dataplane/dataplane.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "loopback.h"
#include "request_log_recorder.h"

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using dataplane::DataPlane;
using dataplane::Options;

constexpr uint32_t kNoEndpoints = 0;
constexpr uint32_t kA = 1;
constexpr uint32_t kB = 2;

Options testOptions() {
  Options o;
  o.workers = 2;
  o.timeouts.request_header = 300ms;
  o.timeouts.keepalive_idle = 5s;
  o.timeouts.upstream_connect = 1s;
  return o;
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 400; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class DataPlaneTest : public ::testing::Test {
 protected:
  DataPlaneTest() : port_(freePort()), plane_(testOptions()) {}

  std::vector<snapshot::Cluster> clusters() const {
    return {clusterOf("ns/empty:80", {}), clusterOf("ns/a:80", {a_.endpoint()}), clusterOf("ns/b:80", {b_.endpoint()})};
  }
  // "/a" -> a, "/b" -> b, "/empty" -> no endpoints, "/invalid" -> an invalid backendRef.
  snapshot::RouteTable routes() const {
    TableBuilder t;
    t.rule(kA, {M().prefix("/a"), M().exact("/hold"), M().exact("/slow"), M().exact("/reset"), M().exact("/ws"),
                M().exact("/chunked")});
    t.rule(kB, {M().prefix("/b")});
    t.rule(kNoEndpoints, {M().prefix("/empty")});
    snapshot::Rule invalid;
    invalid.route = "ns/invalid";
    invalid.backends.push_back({std::nullopt, 1, {}});
    invalid.total_weight = 1;
    snapshot::RouteTable table = t.build();
    table.rules.push_back(std::move(invalid));
    table.entries.push_back({M().prefix("/invalid"), static_cast<uint32_t>(table.rules.size() - 1)});
    return table;
  }
  snapshot::SnapshotPtr initial() const { return snapshotWith({socketWith(routes(), port_)}, clusters()); }

  void applyOk(snapshot::SnapshotPtr s) {
    auto errors = plane_.apply(std::move(s));
    ASSERT_TRUE(errors.empty()) << errors.front().message;
  }

  EchoBackend a_{"a"};
  EchoBackend b_{"b"};
  uint16_t port_;
  DataPlane plane_;
};

TEST_F(DataPlaneTest, RoutesEachRequestToTheBackendOfItsRule) {
  applyOk(initial());
  Client client(port_);
  Reply a = client.get("/a/x?q=1");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(firstLine(a.body), "a GET /a/x?q=1");
  Reply b = client.get("/b");
  EXPECT_EQ(firstLine(b.body), "b GET /b");
}

TEST_F(DataPlaneTest, LogPhaseReportsEveryRequestWithItsStatusAndError) {
  RequestLogRecorder log;
  log.attach(plane_);
  applyOk(initial());
  Client client(port_);
  EXPECT_EQ(client.get("/a/x?q=1").status, 200);
  EXPECT_EQ(client.get("/nowhere").status, 404);
  EXPECT_EQ(client.get("/empty").status, 503);
  using dataplane::ErrorKind;
  EXPECT_EQ(log.waitFor(3), (std::vector<LoggedRequest>{{"GET", "/a/x?q=1", 200, std::nullopt},
                                                         {"GET", "/nowhere", 404, ErrorKind::NoRoute},
                                                         {"GET", "/empty", 503, ErrorKind::NoEndpoint}}));
}

TEST_F(DataPlaneTest, RequestsRefusedBeforeRoutingReachTheLogPhase) {
  RequestLogRecorder log;
  log.attach(plane_);
  applyOk(initial());
  using dataplane::ErrorKind;
  {
    Client client(port_);
    client.send("GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    EXPECT_EQ(client.read().status, 400);
  }
  {
    Client client(port_);
    client.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    EXPECT_EQ(client.read().status, 501);
  }
  {
    Client client(port_);
    client.send("GET /a HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(128 * 1024, 'x') + "\r\n\r\n");
    EXPECT_EQ(client.read().status, 431);
  }
  // Each is logged once its connection's lingering close ends, so not necessarily in this order.
  std::vector<LoggedRequest> logged = log.waitFor(3);
  std::sort(logged.begin(), logged.end(), [](const auto& a, const auto& b) { return a.status < b.status; });
  EXPECT_EQ(logged, (std::vector<LoggedRequest>{{"", "", 400, ErrorKind::BadRequest},
                                                {"", "", 431, ErrorKind::BadRequest},
                                                {"CONNECT", "", 501, ErrorKind::BadRequest}}));
}

TEST_F(DataPlaneTest, SendsHostAndForwardedHeadersUpstream) {
  applyOk(initial());
  Client client(port_);
  client.send("GET /a HTTP/1.1\r\nHost: gateway.example\r\nX-Forwarded-For: 10.1.2.3\r\nAccept: */*\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.body,
            "a GET /a\nHost: gateway.example\nX-Forwarded-For: 10.1.2.3, 127.0.0.1\nAccept: */*\n"
            "X-Forwarded-Proto: http\n\n");
}

TEST_F(DataPlaneTest, RemovesHopByHopHeaders) {
  applyOk(initial());
  Client client(port_);
  client.send(
      "GET /a HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
      "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nX-End: 2\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.body, "a GET /a\nHost: h\nX-End: 2\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-Proto: http\n\n");
}

TEST_F(DataPlaneTest, NoMatchingRouteGets404) {
  applyOk(initial());
  Client client(port_);
  Reply r = client.get("/nowhere");
  EXPECT_EQ(r.raw(), "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot Found\n");
  EXPECT_EQ(client.get("/a").status, 200);  // still open
}

TEST_F(DataPlaneTest, InvalidBackendRefGets500) {
  applyOk(initial());
  Client client(port_);
  Reply r = client.get("/invalid");
  EXPECT_EQ(r.raw(),
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\n"
            "Internal Server Error\n");
}

TEST_F(DataPlaneTest, ClusterWithoutEndpointsGets503) {
  applyOk(initial());
  Client client(port_);
  Reply r = client.get("/empty");
  EXPECT_EQ(r.raw(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
            "Service Unavailable\n");
}

TEST_F(DataPlaneTest, RefusedUpstreamConnectionGets503) {
  auto s = snapshotWith({socketWith(routes(), port_)},
                        {clusterOf("ns/empty:80", {}), clusterOf("ns/a:80", {{"127.0.0.1", freePort()}}),
                         clusterOf("ns/b:80", {b_.endpoint()})});
  applyOk(s);
  Client client(port_);
  EXPECT_EQ(client.get("/a").status, 503);
}

TEST_F(DataPlaneTest, UpstreamClosingBeforeResponseGets502) {
  applyOk(initial());
  Client client(port_);
  EXPECT_EQ(client.get("/reset").status, 502);
}

TEST_F(DataPlaneTest, BackendRequestTimeoutGets504) {
  snapshot::RouteTable table = routes();
  for (auto& rule : table.rules) rule.backend_request_timeout_ms = 100;
  applyOk(snapshotWith({socketWith(table, port_)}, clusters()));
  Client client(port_);
  EXPECT_EQ(client.get("/slow").status, 504);
}

TEST_F(DataPlaneTest, RedirectIsAnsweredByTheGateway) {
  TableBuilder t;
  snapshot::RequestRedirect redirect;
  redirect.hostname = "elsewhere.example";
  redirect.status_code = 301;
  t.ruleWithoutBackends({M().prefix("/")}, {redirect});
  applyOk(snapshotWith({socketWith(t.build(), port_)}, clusters()));
  Client client(port_);
  Reply r = client.get("/x");
  EXPECT_EQ(r.status, 301);
  // The listener's port is kept (the request came to a non-default port).
  EXPECT_NE(r.head.find("Location: http://elsewhere.example:" + std::to_string(port_) + "/x\r\n"), std::string::npos)
      << r.head;
}

TEST_F(DataPlaneTest, KeepAliveRequestsReuseOneUpstreamConnection) {
  applyOk(initial());
  Client client(port_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(firstLine(client.get("/a").body), "a GET /a");
  EXPECT_EQ(a_.requests(), 3);
  EXPECT_EQ(a_.connections(), 1);
}

// An idle keep-alive connection waits with its read buffer for a second, then without it.
TEST_F(DataPlaneTest, KeepAliveConnectionServesAfterAnIdleSecond) {
  applyOk(initial());
  Client client(port_);
  EXPECT_EQ(firstLine(client.get("/a/1").body), "a GET /a/1");
  std::this_thread::sleep_for(1300ms);
  EXPECT_EQ(firstLine(client.get("/a/2").body), "a GET /a/2");
  EXPECT_EQ(firstLine(client.get("/a/3").body), "a GET /a/3");
}

TEST_F(DataPlaneTest, IdleKeepAliveConnectionClosesAtItsTimeoutNotBefore) {
  Options options = testOptions();
  options.timeouts.keepalive_idle = 1500ms;
  DataPlane plane(options);
  ASSERT_TRUE(plane.apply(snapshotWith({socketWith(routes(), port_)}, clusters())).empty());
  Client client(port_);
  EXPECT_EQ(client.get("/a").status, 200);
  const auto idle_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByPeer());
  const auto idle_for = std::chrono::steady_clock::now() - idle_since;
  EXPECT_GE(idle_for, 1400ms);
  EXPECT_LT(idle_for, 4s);  // not the client's 5 s
}

TEST_F(DataPlaneTest, ChunkedRequestBodyIsRelayed) {
  applyOk(initial());
  Client client(port_);
  client.send("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n");
  std::this_thread::sleep_for(20ms);
  client.send("5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.body,
            "a POST /a\nHost: h\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-Proto: http\nTransfer-Encoding: chunked\n"
            "\nWikipedia");
}

TEST_F(DataPlaneTest, ContentLengthBodyIsRelayed) {
  applyOk(initial());
  Client client(port_);
  client.send("PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello");
  std::this_thread::sleep_for(20ms);
  client.send(" world");
  Reply r = client.read();
  EXPECT_EQ(r.body,
            "a PUT /a\nHost: h\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-Proto: http\nContent-Length: 11\n\nhello world");
}

TEST_F(DataPlaneTest, ChunkedResponseIsRelayedVerbatim) {
  applyOk(initial());
  Client client(port_);
  Reply r = client.get("/chunked");
  EXPECT_EQ(r.raw(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(client.get("/a").status, 200);
}

TEST_F(DataPlaneTest, ExpectContinueGets100BeforeTheBody) {
  applyOk(initial());
  Client client(port_);
  client.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.readExactly(25), "HTTP/1.1 100 Continue\r\n\r\n");
  client.send("abc");
  Reply r = client.read();
  EXPECT_EQ(r.body, "a POST /a\nHost: h\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-Proto: http\nContent-Length: 3\n\nabc");
}

TEST_F(DataPlaneTest, PipelinedRequestsAreAnsweredInOrder) {
  applyOk(initial());
  Client client(port_);
  client.send(
      "GET /b/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /a/2 HTTP/1.1\r\nHost: h\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /b/4 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(firstLine(client.read().body), "b GET /b/1");
  EXPECT_EQ(firstLine(client.read().body), "a GET /a/2");
  EXPECT_EQ(client.read().status, 404);
  EXPECT_EQ(firstLine(client.read().body), "b GET /b/4");
}

TEST_F(DataPlaneTest, MalformedRequestGets400AndClose) {
  applyOk(initial());
  Client client(port_);
  client.send("GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.raw(),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
            "Bad Request\n");
  EXPECT_TRUE(client.closedByPeer());
  EXPECT_EQ(a_.requests(), 0);
}

TEST_F(DataPlaneTest, IncompleteHeadTimesOutWith408) {
  applyOk(initial());
  Client client(port_);
  client.send("GET /a HTTP/1.1\r\nHost: h\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.raw(),
            "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n"
            "\r\nRequest Timeout\n");
  EXPECT_TRUE(client.closedByPeer());
}

TEST_F(DataPlaneTest, ConnectionCloseIsHonoured) {
  applyOk(initial());
  Client client(port_);
  client.send("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(client.closedByPeer());
}

TEST_F(DataPlaneTest, SnapshotSwapLetsTheInFlightRequestFinishAndRoutesNewOnesByTheNewTables) {
  applyOk(initial());
  Client inflight(port_);
  inflight.send("GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return a_.holding(); }));

  TableBuilder t;
  t.rule(kB, {M().prefix("/")});
  applyOk(snapshotWith({socketWith(t.build(), port_)}, clusters(), 2));
  Client fresh(port_);
  EXPECT_EQ(firstLine(fresh.get("/a/new").body), "b GET /a/new");

  a_.release();
  Reply old = inflight.read();
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(firstLine(old.body), "a GET /hold");
  EXPECT_EQ(firstLine(inflight.get("/a").body), "b GET /a");  // its next request: new tables
}

TEST_F(DataPlaneTest, UnchangedSocketKeepsItsConnectionsAcrossApply) {
  applyOk(initial());
  Client client(port_);
  EXPECT_EQ(firstLine(client.get("/a").body), "a GET /a");
  TableBuilder t;
  t.rule(kB, {M().prefix("/")});
  for (uint64_t version = 2; version < 5; ++version) {
    applyOk(snapshotWith({socketWith(t.build(), port_)}, clusters(), version));
  }
  EXPECT_EQ(firstLine(client.get("/a").body), "b GET /a");  // same client connection, new routes
}

TEST_F(DataPlaneTest, RemovedSocketClosesIdleConnectionsAndStopsListening) {
  applyOk(initial());
  Client client(port_);
  EXPECT_EQ(client.get("/a").status, 200);
  applyOk(snapshotWith({}, clusters(), 2));
  EXPECT_TRUE(client.closedByPeer());
  EXPECT_TRUE(eventually([&] {
    boost::system::error_code ec;
    tcp::socket probe(clientIo());
    probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    return ec == asio::error::connection_refused;
  }));
}

TEST_F(DataPlaneTest, RemovedSocketFinishesTheRequestInFlightThenCloses) {
  applyOk(initial());
  Client inflight(port_);
  inflight.send("GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return a_.holding(); }));
  applyOk(snapshotWith({}, clusters(), 2));
  a_.release();
  Reply r = inflight.read();
  EXPECT_EQ(firstLine(r.body), "a GET /hold");
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(inflight.closedByPeer());
}

TEST_F(DataPlaneTest, UnbindableAddressIsReportedAsBindError) {
  snapshot::Socket bad = socketWith(routes(), port_);
  bad.address = "192.0.2.1";
  auto errors = plane_.apply(snapshotWith({socketWith(routes(), port_), bad}, clusters()));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].socket, "192.0.2.1:" + std::to_string(port_));
  EXPECT_EQ(errors[0].address, "192.0.2.1");
  EXPECT_EQ(errors[0].port, port_);
  EXPECT_EQ(errors[0].message, "bind: Cannot assign requested address");
  Client client(port_);  // the good socket serves
  EXPECT_EQ(client.get("/a").status, 200);
}

TEST_F(DataPlaneTest, PortInUseIsReportedAsBindError) {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = taken.local_endpoint().port();
  auto errors = plane_.apply(snapshotWith({socketWith(routes(), port)}, clusters()));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "bind: Address already in use");
}

TEST_F(DataPlaneTest, WebSocketUpgradeSplicesBytesBothWays) {
  applyOk(initial());
  Client client(port_);
  client.send(
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.head, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  client.send("ping");
  EXPECT_EQ(client.readExactly(9), "echo:ping");
  client.send("\x81\x02hi");
  EXPECT_EQ(client.readExactly(9), "echo:\x81\x02hi");
}

}  // namespace
}  // namespace gatehouse::testing
