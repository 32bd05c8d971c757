// The config stream end to end on loopback: a StreamServer and StreamClients with a certificate
// made in the test, an Authenticator standing in for TokenReview.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "configstream/stream_client.h"
#include "configstream/stream_server.h"
#include "../test_certificates.h"

namespace gatehouse::configstream {
namespace {

using namespace std::chrono_literals;

// A self-signed P-256 certificate for IP 127.0.0.1.
snapshot::TlsCertificate makeLoopbackCertificate() { return testing::makeSelfSigned("controller", "IP:127.0.0.1"); }

snapshot::SnapshotPtr snapshotWith(uint64_t version, std::vector<std::pair<std::string, uint16_t>> gateway_ports) {
  auto snap = std::make_shared<snapshot::Snapshot>();
  snap->version = version;
  for (auto& [gateway, port] : gateway_ports) {
    snapshot::Socket socket;
    socket.address = "127.0.0.1";
    socket.port = port;
    snapshot::Listener listener;
    listener.gateway = gateway;
    listener.name = "http";
    socket.listeners.push_back(std::move(listener));
    snap->sockets.push_back(std::move(socket));
  }
  return snap;
}

// What a data plane received, for the test thread to wait on.
class Received {
 public:
  StreamClient::Apply apply() {
    return [this](snapshot::SnapshotPtr snap, uint64_t revision) {
      std::lock_guard lock(mu_);
      snapshots_.push_back(std::move(snap));
      revisions_.push_back(revision);
      cv_.notify_all();
      return std::string();
    };
  }
  // The revisions applied, once there are `n` (or what there is after 5 s).
  std::vector<uint64_t> waitFor(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return revisions_.size() >= n; });
    return revisions_;
  }
  snapshot::SnapshotPtr last() {
    std::lock_guard lock(mu_);
    return snapshots_.empty() ? nullptr : snapshots_.back();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<snapshot::SnapshotPtr> snapshots_;
  std::vector<uint64_t> revisions_;
};

class ConfigStream : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("configstream-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    pem_ = makeLoopbackCertificate();
    write("server.crt", pem_.cert_pem);
    write("server.key", pem_.key_pem);
    write("token", "token-of-infra-web\n");
    write("other-token", "token-of-someone-else");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  std::unique_ptr<StreamServer> startServer(uint16_t port = 0) {
    ServerOptions options{"127.0.0.1:" + std::to_string(port), (dir_ / "server.crt").string(), (dir_ / "server.key").string(), 100ms};
    // The stand-in for TokenReview: one token is the data plane of infra/web; answers from
    // another thread, as the Kubernetes provider's does.
    auto authenticate = [](const Hello& hello, StreamServer::Admit admit) {
      std::thread([hello, admit] {
        admit(hello.token == "token-of-infra-web" && hello.gateway == "infra/web" ? "" : "not the data plane of " + hello.gateway);
      }).detach();
    };
    auto server = StreamServer::start(std::move(options), authenticate, [this](const std::set<std::string>& live) {
      std::lock_guard lock(live_mu_);
      live_ = live;
      live_cv_.notify_all();
    });
    EXPECT_TRUE(server.ok()) << server.error().message;
    return std::move(*server);
  }

  std::unique_ptr<StreamClient> startClient(uint16_t port, Received& received, const std::string& token = "token") {
    ClientOptions options{"127.0.0.1:" + std::to_string(port), "infra/web", (dir_ / token).string(), pem_.cert_pem, 1s};
    auto client = StreamClient::start(std::move(options), received.apply());
    EXPECT_TRUE(client.ok()) << client.error().message;
    return std::move(*client);
  }

  std::set<std::string> waitLive(const std::set<std::string>& expected) {
    std::unique_lock lock(live_mu_);
    live_cv_.wait_for(lock, 5s, [&] { return live_ == expected; });
    return live_;
  }

  std::filesystem::path dir_;
  snapshot::TlsCertificate pem_;
  std::mutex live_mu_;
  std::condition_variable live_cv_;
  std::set<std::string> live_;
};

TEST_F(ConfigStream, DataPlaneGetsOnlyItsGatewayAndGoesLive) {
  auto server = startServer();
  server->publish(snapshotWith(7, {{"infra/web", 8080}, {"infra/other", 8081}}), 7);
  Received received;
  auto client = startClient(server->port(), received);
  EXPECT_EQ(received.waitFor(1), std::vector<uint64_t>{7});
  auto snap = received.last();
  ASSERT_EQ(snap->sockets.size(), 1u);
  EXPECT_EQ(snap->sockets[0].port, 8080);
  EXPECT_EQ(snap->sockets[0].listeners[0].gateway, "infra/web");
  EXPECT_EQ(waitLive({"infra/web"}), std::set<std::string>{"infra/web"});
  EXPECT_TRUE(client->applied());
}

TEST_F(ConfigStream, ChangeToTheGatewaysPartIsSentAndOthersAreNot) {
  auto server = startServer();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  auto client = startClient(server->port(), received);
  ASSERT_EQ(received.waitFor(1).size(), 1u);
  server->publish(snapshotWith(2, {{"infra/web", 8080}, {"infra/other", 9000}}), 2);  // not web's part
  server->publish(snapshotWith(3, {{"infra/web", 8090}}), 3);
  EXPECT_EQ(received.waitFor(2), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(received.last()->sockets[0].port, 8090);
}

TEST_F(ConfigStream, RefusedDataPlaneGetsNothingAndIsNotLive) {
  auto server = startServer();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  auto client = startClient(server->port(), received, "other-token");
  EXPECT_TRUE(received.waitFor(1, 500ms).empty());
  EXPECT_TRUE(waitLive({}).empty());
  EXPECT_FALSE(client->applied());
}

TEST_F(ConfigStream, DataPlaneReconnectsToARestartedControllerAndTheLiveSetFollows) {
  auto server = startServer();
  const uint16_t port = server->port();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  auto client = startClient(port, received);
  ASSERT_EQ(received.waitFor(1).size(), 1u);
  EXPECT_EQ(waitLive({"infra/web"}), std::set<std::string>{"infra/web"});
  server.reset();
  auto restarted = startServer(port);
  restarted->publish(snapshotWith(1, {{"infra/web", 8085}}), 1);
  EXPECT_EQ(received.waitFor(2), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(received.last()->sockets[0].port, 8085);
  EXPECT_EQ(waitLive({"infra/web"}), std::set<std::string>{"infra/web"});
}

TEST_F(ConfigStream, DisconnectedDataPlaneIsNoLongerLive) {
  auto server = startServer();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  auto client = startClient(server->port(), received);
  EXPECT_EQ(waitLive({"infra/web"}), std::set<std::string>{"infra/web"});
  client.reset();
  EXPECT_TRUE(waitLive({}).empty());
}

TEST_F(ConfigStream, DisconnectAllSendsDataPlanesToReconnect) {
  auto server = startServer();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  auto client = startClient(server->port(), received);
  ASSERT_EQ(received.waitFor(1).size(), 1u);
  server->disconnectAll();
  EXPECT_EQ(received.waitFor(2), (std::vector<uint64_t>{1, 1})) << "reconnected and got the config again";
  EXPECT_EQ(waitLive({"infra/web"}), std::set<std::string>{"infra/web"});
}

TEST_F(ConfigStream, UntrustedControllerCertificateIsNeverSentTheToken) {
  auto server = startServer();
  server->publish(snapshotWith(1, {{"infra/web", 8080}}), 1);
  Received received;
  ClientOptions options{"127.0.0.1:" + std::to_string(server->port()), "infra/web", (dir_ / "token").string(),
                        makeLoopbackCertificate().cert_pem, 1s};
  auto client = StreamClient::start(std::move(options), received.apply());
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(received.waitFor(1, 500ms).empty());
  EXPECT_TRUE(waitLive({}).empty());
}

}  // namespace
}  // namespace gatehouse::configstream
