#include "admin/admin_server.h"
#include "admin/dashboard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>

#include "model/manifest.h"

namespace gatehouse::admin {
namespace {

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
};

// One request over a real connection, read to the end (the server closes after each reply).
Reply get(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, n);
  ::close(fd);
  Reply reply;
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return reply;
  reply.head = raw.substr(0, end);
  reply.body = raw.substr(end + 4);
  reply.status = std::stoi(raw.substr(9, 3));
  return reply;
}

Reply get(uint16_t port, const std::string& method, const std::string& path) {
  return get(port, method + " " + path + " HTTP/1.1\r\nHost: admin\r\n\r\n");
}

// A board with one Gateway and its status, as the controller would publish it.
void publishGateway(controller::StatusBoard& board) {
  auto resource = std::make_shared<model::Resource>();
  resource->key = {"Gateway", "ns", "gw"};
  resource->manifest = model::Packed(model::Json{{"apiVersion", "gateway.networking.k8s.io/v1"},
                                                 {"kind", "Gateway"},
                                                 {"metadata", {{"name", "gw"}, {"namespace", "ns"}}},
                                                 {"spec", {{"gatewayClassName", "gc"}}}});
  controller::ObjectTable table;
  table.setObject(resource->key, resource);
  table.setStatus(resource->key, model::Packed(model::Json{{"conditions", model::Json::array()}}));
  controller::Publication publication;
  publication.snapshot = std::make_shared<const snapshot::Snapshot>();
  publication.objects = table.share();
  publication.errors = std::make_shared<const std::vector<store::ConfigError>>(
      std::vector<store::ConfigError>{{"a.yaml", "HTTPRoute/ns/r", "spec", "broken"}});
  board.publish(publication);
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = server.start("127.0.0.1:0");
    ASSERT_TRUE(started.ok()) << started.error().message;
    port = server.port();
    ASSERT_NE(port, 0);
  }
  controller::StatusBoard board;
  std::atomic<int> reads{0};
  AdminServer server{&board, [this] { ++reads; }};
  uint16_t port = 0;
};

TEST_F(AdminServerTest, NotReadyUntilTheFirstPublication) {
  EXPECT_EQ(get(port, "GET", "/ready").status, 503);
  EXPECT_EQ(get(port, "GET", "/status").body, "no configuration yet\n");
  publishGateway(board);
  auto ready = get(port, "GET", "/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
}

TEST_F(AdminServerTest, StatusListsObjectsWithTheirStatus) {
  publishGateway(board);
  auto reply = get(port, "GET", "/status?watch=false");
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.head.find("Content-Type: application/json"), std::string::npos);
  auto list = model::Json::parse(reply.body);
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "gw");
  EXPECT_EQ(list["items"][0]["status"], (model::Json{{"conditions", model::Json::array()}}));
}

TEST_F(AdminServerTest, ErrorsNameFileObjectFieldAndReason) {
  publishGateway(board);
  auto reply = get(port, "GET", "/errors");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(model::Json::parse(reply.body),
            model::Json::parse(R"([{"file":"a.yaml","object":"HTTPRoute/ns/r","field":"spec","reason":"broken"}])"));
}

TEST_F(AdminServerTest, ConfigAndInfrastructureAreJson) {
  publishGateway(board);
  EXPECT_EQ(get(port, "GET", "/config").status, 200);
  auto infrastructure = model::Json::parse(get(port, "GET", "/infrastructure").body);
  ASSERT_EQ(infrastructure["items"].size(), 3u);
  EXPECT_EQ(infrastructure["items"][0]["metadata"]["name"], "gw-gatehouse");
}

TEST_F(AdminServerTest, EveryReadSyncsFirst) {
  get(port, "GET", "/ready");
  get(port, "GET", "/status");
  EXPECT_EQ(reads.load(), 2);
}

TEST_F(AdminServerTest, HealthzAnswersBeforeAnyConfigurationWithoutSyncing) {
  auto health = get(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(get(port, "GET", "/ready").status, 503);
  EXPECT_EQ(reads.load(), 1);  // /ready synced; /healthz did not
}

TEST_F(AdminServerTest, UnknownPathIs404AndOtherMethods405) {
  auto unknown = get(port, "GET", "/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, "not found; try /, /status, /ready, /healthz, /config, /infrastructure, /errors, /metrics\n");
  EXPECT_EQ(get(port, "POST", "/status").status, 405);
}

TEST_F(AdminServerTest, RootIsTheDashboardPageWithoutSyncing) {
  auto page = get(port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, std::string(kDashboardPage));
  EXPECT_TRUE(page.body.starts_with("<!doctype html>"));
  EXPECT_EQ(reads.load(), 0);
}

TEST(AdminServer, WithoutABoardServesReadinessHealthAndMetricsOnly) {
  std::atomic<bool> live{false};
  AdminServer server(nullptr);
  server.setReadiness([&live] { return live.load(); });
  EXPECT_EQ(server.handle("GET", "/ready").status, 503u);
  live = true;
  const auto ready = server.handle("GET", "/ready");
  EXPECT_EQ(ready.status, 200u);
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(server.handle("GET", "/healthz").status, 200u);
  EXPECT_EQ(server.handle("GET", "/metrics").status, 200u);
  const auto status = server.handle("GET", "/status");
  EXPECT_EQ(status.status, 404u);
  EXPECT_EQ(status.body, "not found; try /ready, /healthz, /metrics\n");
  EXPECT_EQ(server.handle("GET", "/").status, 404u);  // a data plane has no objects to show
}

TEST(AdminServer, BadAddressIsAnError) {
  controller::StatusBoard board;
  AdminServer server(&board);
  auto started = server.start("localhost");
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message, "--admin-address localhost: expected HOST:PORT");
}

}  // namespace
}  // namespace gatehouse::admin
