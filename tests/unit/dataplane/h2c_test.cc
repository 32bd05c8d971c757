// h2c through the real data plane on loopback: HTTP/1.1 clients to an h2c backend (a real
// nghttp2 server in the test), HTTP/2 prior-knowledge clients to HTTP/1.1 and h2c backends, and
// mirrors to an h2c backend.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dataplane/dataplane.h"
#include "h2_fixtures.h"
#include "loopback.h"
#include "request_log_recorder.h"

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using dataplane::DataPlane;
using dataplane::Options;

constexpr uint32_t kH2c = 0;
constexpr uint32_t kH1 = 1;
constexpr uint32_t kH2cDown = 2;

snapshot::Cluster h2cCluster(std::string name, std::vector<snapshot::Endpoint> endpoints) {
  snapshot::Cluster c = clusterOf(std::move(name), std::move(endpoints));
  c.protocol = snapshot::UpstreamProtocol::H2c;
  return c;
}

class H2cTest : public ::testing::Test {
 protected:
  H2cTest() : port_(freePort()), plane_(options()) {}

  static Options options() {
    Options o;
    o.workers = 1;
    o.timeouts.upstream_connect = 1s;
    return o;
  }

  void apply() {
    TableBuilder t;
    const snapshot::Filters mirror{snapshot::RequestMirror{kH2c, 100, 100}};
    const snapshot::Filters response{snapshot::ResponseHeaderModifier{{{{"X-Response", "set"}}, {}, {}}}};
    t.rule(kH2c, {M().prefix("/h2")}, response);
    t.rule(kH1, {M().prefix("/h1")});
    t.rule(kH2cDown, {M().prefix("/down")});
    t.rule(kH1, {M().prefix("/mirror")}, mirror);
    t.rule(kH2c, {M().prefix("/tomirror")}, snapshot::Filters{snapshot::RequestMirror{kH1, 100, 100}});
    auto s = snapshotWith({socketWith(t.build(), port_)},
                          {h2cCluster("ns/h2c:8081", {h2_.endpoint()}), clusterOf("ns/h1:80", {h1_.endpoint()}),
                           h2cCluster("ns/down:8081", {{"127.0.0.1", freePort()}})});
    auto errors = plane_.apply(std::move(s));
    ASSERT_TRUE(errors.empty()) << errors.front().message;
  }

  H2Backend h2_{"h2"};
  EchoBackend h1_{"a"};
  uint16_t port_;
  DataPlane plane_;
};

TEST_F(H2cTest, Http1RequestIsTranslatedToHttp2ForAnH2cBackend) {
  apply();
  Client client(port_);
  client.send(
      "GET /h2/x?q=1 HTTP/1.1\r\nHost: gateway.example\r\nX-Custom: One\r\nConnection: keep-alive, X-Hop\r\n"
      "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: gzip\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "h2 GET http gateway.example /h2/x?q=1\nx-custom: One\nx-forwarded-for: 127.0.0.1\n"
            "x-forwarded-proto: http\n\n");
  EXPECT_NE(r.head.find("Content-Length: " + std::to_string(r.body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(r.head.find("x-backend: h2\r\n"), std::string::npos);
  EXPECT_NE(r.head.find("X-Response: set\r\n"), std::string::npos);
  EXPECT_EQ(client.get("/h2/again").status, 200);  // keep-alive
}

TEST_F(H2cTest, RequestBodyGoesAsData) {
  apply();
  Client client(port_);
  client.send("POST /h2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with("content-length: 5\n\nhello")) << r.body;
  // Chunked: streamed as it comes, so without a length; the trailers follow the body.
  client.send(
      "POST /h2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
      "0\r\nX-Sum: 5\r\n\r\n");
  r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with("x-forwarded-proto: http\nx-sum: 5\n\nabcde")) << r.body;
}

TEST_F(H2cTest, LargeBodiesStreamBothWays) {
  apply();
  Client client(port_);
  // Over the 1 MiB request and 8 MiB response bounds of the buffered exchange of old.
  std::string body(9 * 1024 * 1024, 'x');
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + i / 4096 % 26);
  client.send("POST /h2 HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  client.send(body);
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with("\n\n" + body)) << r.body.size();
  EXPECT_EQ(client.get("/h2/again").status, 200);  // keep-alive
}

TEST_F(H2cTest, RequestsShareOneBackendConnectionAsStreams) {
  apply();
  for (int i = 0; i < 3; ++i) {
    Client client(port_);
    EXPECT_EQ(client.get("/h2/" + std::to_string(i)).status, 200);
  }
  EXPECT_EQ(h2_.requests(), 3);
  EXPECT_EQ(h2_.connections(), 1);
}

TEST_F(H2cTest, BackendStatusIsRelayed) {
  apply();
  Client client(port_);
  Reply r = client.get("/h2/status/404");
  EXPECT_EQ(r.status, 404);
  r = client.get("/h2/status/204");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.head.find("Content-Length"), std::string::npos);
}

TEST_F(H2cTest, UnreachableH2cBackendGets503) {
  apply();
  Client client(port_);
  EXPECT_EQ(client.get("/down").status, 503);
  EXPECT_EQ(client.get("/h2").status, 200);
}

TEST_F(H2cTest, PriorKnowledgeClientIsServedOverHttp2) {
  apply();
  H2Client client(port_);
  H2Reply r = client.request("GET", "/h1/x", {{"x-custom", "one"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "a GET /h1/x\nHost: gateway.example\nx-custom: one\nx-forwarded-for: 127.0.0.1\n"
            "x-forwarded-proto: http\n\n");
  EXPECT_EQ(r.field("content-length"), std::to_string(r.body.size()));
  // The same connection carries more streams.
  H2Reply again = client.request("POST", "/h2/y", {}, "body");
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body.starts_with("h2 POST http gateway.example /h2/y\n")) << again.body;
  EXPECT_TRUE(again.body.ends_with("\n\nbody")) << again.body;
  EXPECT_EQ(again.field("x-response"), "set");
}

TEST_F(H2cTest, PriorKnowledgeClientGetsLocalAnswers) {
  apply();
  H2Client client(port_);
  EXPECT_EQ(client.request("GET", "/nowhere").status, 404);
  EXPECT_EQ(client.request("GET", "/down").status, 503);
}

TEST_F(H2cTest, PriorKnowledgeRequestsGoThroughTheLogPhaseToo) {
  RequestLogRecorder log;
  log.attach(plane_);
  apply();
  H2Client client(port_);
  EXPECT_EQ(client.request("GET", "/h1/x").status, 200);
  EXPECT_EQ(client.request("GET", "/nowhere").status, 404);
  EXPECT_EQ(client.request("GET", "/down").status, 503);
  using dataplane::ErrorKind;
  EXPECT_EQ(log.waitFor(3), (std::vector<LoggedRequest>{{"GET", "/h1/x", 200, std::nullopt},
                                                         {"GET", "/nowhere", 404, ErrorKind::NoRoute},
                                                         {"GET", "/down", 503, ErrorKind::ConnectFailed}}));
}

TEST_F(H2cTest, MirrorToAnH2cBackend) {
  apply();
  Client client(port_);
  Reply r = client.get("/mirror/m");
  EXPECT_EQ(r.status, 200);
  for (int i = 0; i < 400 && h2_.requests() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(h2_.received().size(), 1u);
  EXPECT_TRUE(h2_.received()[0].starts_with("h2 GET http gateway.example /mirror/m\n")) << h2_.received()[0];
}

TEST_F(H2cTest, ChunkedBodyToAnH2cBackendIsMirroredDecoded) {
  apply();
  Client client(port_);
  client.send("POST /tomirror HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  Reply r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.ends_with("\n\nabcde")) << r.body;
  for (int i = 0; i < 400 && h1_.requests() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(h1_.received().size(), 1u);
  EXPECT_TRUE(h1_.received()[0].starts_with("a POST /tomirror\n")) << h1_.received()[0];
  EXPECT_TRUE(h1_.received()[0].ends_with("\n\nabcde")) << h1_.received()[0];
}

}  // namespace
}  // namespace gatehouse::testing
