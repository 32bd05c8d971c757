// HTTPRoute RequestMirror through the real data plane on loopback: in-test echo backends that
// record what they received, a raw HTTP/1.1 client.
#include "dataplane/filters/mirror.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <thread>

#include "../loopback.h"
#include "dataplane/dataplane.h"
#include "dataplane/event/worker.h"

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using dataplane::DataPlane;
using dataplane::Options;

constexpr uint32_t kMain = 0;
constexpr uint32_t kMirror = 1;
constexpr uint32_t kMirror2 = 2;
constexpr uint32_t kDown = 3;
constexpr uint32_t kSilent = 4;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = 3s) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// The mirror backend's echo of a request, as the main backend's would read ("m ..." -> "a ...").
std::string asMain(std::string echo) { return "a" + echo.substr(1); }

// A listening socket that never accepts: connections complete in the kernel backlog and requests
// sent on them are never answered.
class SilentBackend {
 public:
  SilentBackend() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  snapshot::Endpoint endpoint() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

snapshot::Filters mirrorTo(std::vector<uint32_t> clusters, uint32_t numerator = 100, uint32_t denominator = 100) {
  snapshot::Filters f;
  for (uint32_t c : clusters) f.push_back(snapshot::RequestMirror{c, numerator, denominator});
  return f;
}

class MirrorTest : public ::testing::Test {
 protected:
  MirrorTest() : port_(freePort()), plane_(options()) {}

  static Options options() {
    Options o;
    o.workers = 1;
    o.timeouts.upstream_connect = 1s;
    return o;
  }

  void apply() {
    TableBuilder t;
    // The mirror listed before the modifier: the copy still carries the modified request.
    snapshot::Filters modify = mirrorTo({kMirror});
    modify.push_back(snapshot::RequestHeaderModifier{
        {{{"X-Header-Set", "set-overwrites-values"}}, {{"X-Header-Add", "header-val-1"}}, {"X-Header-Remove"}}});
    t.rule(kMain, {M().prefix("/mirror")}, mirrorTo({kMirror}));
    t.rule(kMain, {M().prefix("/modify")}, modify);
    t.rule(kMain, {M().prefix("/multi")}, mirrorTo({kMirror, kMirror2}));
    t.rule(kMain, {M().prefix("/down")}, mirrorTo({kDown}));
    t.rule(kMain, {M().prefix("/silent")}, mirrorTo({kSilent}));
    t.rule(kMain, {M().prefix("/percent")}, mirrorTo({kMirror}, 20, 100));
    t.rule(kMain, {M().prefix("/fraction")}, mirrorTo({kMirror}, 25, 50));
    t.rule(kMain, {M().prefix("/none")}, mirrorTo({kMirror}, 0, 100));
    auto s = snapshotWith({socketWith(t.build(), port_)},
                          {clusterOf("ns/main:80", {main_.endpoint()}), clusterOf("ns/mirror:80", {mirror_.endpoint()}),
                           clusterOf("ns/mirror2:80", {mirror2_.endpoint()}),
                           clusterOf("ns/down:80", {{"127.0.0.1", freePort()}}),
                           clusterOf("ns/silent:80", {silent_.endpoint()})});
    auto errors = plane_.apply(std::move(s));
    ASSERT_TRUE(errors.empty()) << errors.front().message;
  }
  void expectShare(const std::string& path, double p);

  EchoBackend main_{"a"};
  EchoBackend mirror_{"m"};
  EchoBackend mirror2_{"n"};
  SilentBackend silent_;
  uint16_t port_;
  DataPlane plane_;
};

TEST_F(MirrorTest, MirrorBackendReceivesTheSameRequestAsTheMainBackend) {
  apply();
  Client client(port_);
  client.send("GET /mirror/x?id=7 HTTP/1.1\r\nHost: gateway.example\r\nX-Custom: one\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(firstLine(r.body), "a GET /mirror/x?id=7");
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(asMain(mirror_.received()[0]), r.body);
}

TEST_F(MirrorTest, CopyIsTakenAfterTheRequestHeaderModifier) {
  apply();
  Client client(port_);
  client.send(
      "GET /modify HTTP/1.1\r\nHost: gateway.example\r\nX-Header-Remove: remove-val\r\nX-Header-Set: old\r\n\r\n");
  Reply r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("X-Header-Remove"), std::string::npos);
  EXPECT_NE(r.body.find("X-Header-Set: set-overwrites-values\n"), std::string::npos);
  EXPECT_NE(r.body.find("X-Header-Add: header-val-1\n"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(asMain(mirror_.received()[0]), r.body);
}

TEST_F(MirrorTest, SmallContentLengthBodyIsMirrored) {
  apply();
  Client client(port_);
  client.send("POST /mirror HTTP/1.1\r\nHost: gateway.example\r\nContent-Length: 5\r\n\r\nhello");
  Reply r = client.read();
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(asMain(mirror_.received()[0]), r.body);
  EXPECT_NE(r.body.find("Content-Length: 5\n\nhello"), std::string::npos);
}

TEST_F(MirrorTest, BodyArrivingAfterTheHeadIsMirroredOnceComplete) {
  apply();
  Client client(port_);
  client.send("POST /mirror HTTP/1.1\r\nHost: gateway.example\r\nContent-Length: 10\r\n\r\nhello");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(mirror_.received().size(), 0u);
  client.send("world");
  Reply r = client.read();
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(mirror_.received()[0].substr(mirror_.received()[0].size() - 10), "helloworld");
}

TEST_F(MirrorTest, ChunkedBodyIsMirroredDecodedWithContentLength) {
  apply();
  Client client(port_);
  client.send(
      "POST /mirror HTTP/1.1\r\nHost: gateway.example\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  Reply r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with("Transfer-Encoding: chunked\n\nhello world"));
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_TRUE(mirror_.received()[0].ends_with("Content-Length: 11\n\nhello world")) << mirror_.received()[0];
}

TEST_F(MirrorTest, BodyOverTheLimitIsNotMirrored) {
  apply();
  Client client(port_);
  const std::string body(70 * 1024, 'x');
  client.send("POST /mirror HTTP/1.1\r\nHost: gateway.example\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body);
  Reply r = client.read();
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with(body));
  // A later small request is mirrored: the big one would have arrived first.
  EXPECT_EQ(client.get("/mirror/after").status, 200);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(firstLine(mirror_.received()[0]), "m GET /mirror/after");
}

TEST_F(MirrorTest, EveryMirrorOfTheRuleGetsACopy) {
  apply();
  Client client(port_);
  Reply r = client.get("/multi");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1 && mirror2_.received().size() == 1; }));
  EXPECT_EQ(asMain(mirror_.received()[0]), r.body);
  EXPECT_EQ(asMain(mirror2_.received()[0]), r.body);
}

TEST_F(MirrorTest, MainRequestSucceedsWhenTheMirrorBackendRefusesConnections) {
  apply();
  Client client(port_);
  for (int i = 0; i < 5; ++i) {
    Reply r = client.get("/down");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(firstLine(r.body), "a GET /down");
  }
}

TEST_F(MirrorTest, MainRequestIsNotDelayedByAMirrorThatNeverAnswers) {
  apply();
  Client client(port_);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.get("/silent").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(MirrorTest, ZeroPercentNeverMirrors) {
  apply();
  Client client(port_);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(client.get("/none").status, 200);
  EXPECT_EQ(client.get("/mirror").status, 200);
  ASSERT_TRUE(eventually([&] { return mirror_.received().size() == 1; }));
  EXPECT_EQ(firstLine(mirror_.received()[0]), "m GET /mirror");
}

// n requests, each mirrored with probability p: the count is within 4.5 standard deviations of
// n*p (a false failure about once in 150,000 runs). Counted once no copy is in flight, so slow
// copies (a loaded machine) are not missed.
void MirrorTest::expectShare(const std::string& path, double p) {
  constexpr int kRequests = 400;
  Client client(port_);
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(client.get(path).status, 200);
  filters::MirrorStats stats;
  ASSERT_TRUE(eventually([&] {
    stats = plane_.metrics().mirrors;
    return stats.in_flight == 0;
  }, 10s));
  EXPECT_EQ(stats.failed, 0u);
  const double got = static_cast<double>(mirror_.received().size());
  EXPECT_EQ(got, static_cast<double>(stats.completed));
  const double mean = kRequests * p;
  const double sd = std::sqrt(kRequests * p * (1 - p));
  EXPECT_GE(got, mean - 4.5 * sd);
  EXPECT_LE(got, mean + 4.5 * sd);
}

TEST_F(MirrorTest, PercentMirrorsThatShareOfRequests) {
  apply();
  expectShare("/percent", 0.20);
}

TEST_F(MirrorTest, FractionMirrorsThatShareOfRequests) {
  apply();
  expectShare("/fraction", 0.50);
}

// ---- the per-worker sender on its own -----------------------------------------------------------

TEST(MirrorsTest, DropsCopiesOverTheInFlightCapAndCountsThem) {
  SilentBackend silent;
  Options o;
  dataplane::Worker worker(0, o);
  worker.start();
  auto stats = [&] {
    std::promise<filters::MirrorStats> p;
    worker.post([&] { p.set_value(worker.mirrors().stats()); });
    return p.get_future().get();
  };
  const uint32_t cap = filters::MirrorLimits{}.max_in_flight;
  worker.post([&] {
    std::vector<filters::MirrorTarget> targets(cap + 10, filters::MirrorTarget{silent.endpoint()});
    dataplane::upstream::BufferedRequest request;
    request.method = "GET";
    request.authority = "h";
    request.path = "/";
    worker.mirrors().send(std::move(targets), std::move(request));
  });
  filters::MirrorStats s = stats();
  EXPECT_EQ(s.sent, cap);
  EXPECT_EQ(s.dropped_over_limit, 10u);
  EXPECT_EQ(s.in_flight, cap);
  worker.stop();
}

TEST(MirrorsTest, FailedCopiesAreCountedAndReleaseTheirSlot) {
  Options o;
  o.timeouts.upstream_connect = std::chrono::milliseconds(500);
  dataplane::Worker worker(0, o);
  worker.start();
  std::promise<void> done;
  worker.post([&] {
    worker.mirrors().onDone([&] { done.set_value(); });
    dataplane::upstream::BufferedRequest request;
    request.method = "GET";
    request.authority = "h";
    request.path = "/";
    worker.mirrors().send({filters::MirrorTarget{{"127.0.0.1", freePort()}}}, std::move(request));
  });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  std::promise<filters::MirrorStats> p;
  worker.post([&] { p.set_value(worker.mirrors().stats()); });
  filters::MirrorStats s = p.get_future().get();
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  worker.stop();
}

}  // namespace
}  // namespace gatehouse::testing
