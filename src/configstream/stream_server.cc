#include "configstream/stream_server.h"

#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/log.h"
#include "configstream/frame_io.h"
#include "configstream/host_port.h"
#include "snapshot/codec.h"

namespace gatehouse::configstream {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// A peer that connects but does not complete TLS and its Hello within this is dropped.
constexpr auto kHelloTimeout = std::chrono::seconds(10);

struct Session {
  Session(tcp::socket socket, ssl::context& tls) : stream(std::move(socket), tls), wake(stream.get_executor()) {}
  void send(std::string frame) {
    outbox.push_back(std::move(frame));
    wake.cancel();
  }
  // A Config frame replaces one not yet sent: a data plane slower than the changes (each is its
  // Gateway's whole part) gets the latest, never a backlog of stale ones. bench/kube.py under
  // churn: with every revision queued, new routes never reached the data plane within 30 s.
  void sendConfig(std::string frame) {
    pending_config = std::move(frame);
    wake.cancel();
  }
  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    stream.lowest_layer().close(ec);
    wake.cancel();
  }

  ssl::stream<tcp::socket> stream;
  asio::steady_timer wake;  // the writer waits on it for frames to send, or for the next ping
  std::deque<std::string> outbox;  // Refused, Ping
  std::string pending_config;      // the latest Config frame not yet sent, or empty
  std::string peer, gateway;
  bool admitted = false, closed = false;
  bool applied = false;  // the data plane made a config of ours live
};
using SessionPtr = std::shared_ptr<Session>;

struct GatewayState {
  std::string bytes;        // the encoded part of the latest snapshot, as sent
  std::string unversioned;  // the same with version 0, to tell whether the part changed
  uint64_t revision = 0;  // the publication that last changed `bytes`
  std::set<SessionPtr> sessions;
};

// An Admit callback may come from another thread after the server stopped: it posts only while
// the server's io_context is there.
struct Mailbox {
  std::mutex mu;
  asio::io_context* io = nullptr;
  template <typename F>
  void post(F f) {
    std::lock_guard lock(mu);
    if (io) asio::post(*io, std::move(f));
  }
};

}  // namespace

struct StreamServer::Impl {
  ServerOptions options;
  Authenticator authenticate;
  LiveListener on_live;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::thread thread;
  // Publications not yet taken by the server's thread: only the newest counts, so a controller
  // translating faster than the parts can be encoded coalesces instead of queueing.
  std::mutex publish_mu;
  snapshot::SnapshotPtr published;
  uint64_t published_revision = 0;
  bool publish_posted = false;
  // Below: the server's thread only.
  snapshot::SnapshotPtr latest;
  uint64_t latest_revision = 0;
  std::map<std::string, GatewayState> gateways;  // those with a connected data plane
  std::set<std::string> live;

  asio::awaitable<void> acceptLoop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        spdlog::warn("config stream: accept: {}", ec.message());
        continue;
      }
      auto session = std::make_shared<Session>(std::move(socket), tls);
      asio::co_spawn(io, serve(session), asio::detached);
    }
  }

  asio::awaitable<void> serve(SessionPtr session) {
    boost::system::error_code ec;
    auto remote = session->stream.lowest_layer().remote_endpoint(ec);
    session->peer = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    asio::steady_timer deadline(io);
    deadline.expires_after(kHelloTimeout);
    deadline.async_wait([session](boost::system::error_code wait_ec) {
      if (!wait_ec && !session->admitted) session->close();
    });
    co_await session->stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      spdlog::warn("config stream: TLS handshake with {}: {}", session->peer, ec.message());
      co_return session->close();
    }
    auto hello = co_await helloOf(*session);
    if (!hello) {
      spdlog::warn("config stream: {}: {}", session->peer, hello.error().message);
      co_return session->close();
    }
    const std::string refusal = co_await judge(*hello);
    if (!refusal.empty()) {
      spdlog::warn("config stream: refused {} for Gateway {}: {}", session->peer, hello->gateway, refusal);
      const std::string frame = encodeFrame(FrameType::Refused, refusal);
      co_await writeFrame(session->stream, frame);
      co_return session->close();
    }
    if (session->closed) co_return;
    session->admitted = true;
    deadline.cancel();
    session->gateway = hello->gateway;
    spdlog::info("config stream: data plane {} connected for Gateway {}", session->peer, session->gateway);
    auto& state = gateways[session->gateway];
    state.sessions.insert(session);
    if (state.bytes.empty())
      refresh(session->gateway, state);
    else
      session->sendConfig(encodeFrame(FrameType::Config, encodeConfig(state.revision, state.bytes)));
    asio::co_spawn(io, writeLoop(session), asio::detached);
    co_await readAcks(*session);
    session->close();
    spdlog::info("config stream: data plane {} of Gateway {} disconnected", session->peer, session->gateway);
    auto it = gateways.find(session->gateway);
    it->second.sessions.erase(session);
    if (it->second.sessions.empty()) gateways.erase(it);
    updateLive();
  }

  asio::awaitable<Result<Hello>> helloOf(Session& session) {
    auto frame = co_await readFrame(session.stream);
    if (!frame) co_return Error{"reading Hello: " + frame.error().message};
    if (frame->type != FrameType::Hello) co_return Error{"the first frame is not a Hello"};
    co_return decodeHello(frame->payload);
  }

  // Waits for the Authenticator's answer, which may come from another thread.
  asio::awaitable<std::string> judge(const Hello& hello) {
    auto answered = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
    auto refusal = std::make_shared<std::string>();
    auto mail = mailbox;
    authenticate(hello, [mail, answered, refusal](std::string why) {
      mail->post([answered, refusal, why = std::move(why)]() mutable {
        *refusal = std::move(why);
        answered->cancel();
      });
    });
    boost::system::error_code ec;
    co_await answered->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return *refusal;
  }

  asio::awaitable<void> readAcks(Session& session) {
    while (!session.closed) {
      auto frame = co_await readFrame(session.stream);
      if (!frame) co_return;
      if (frame->type != FrameType::Ack) {
        spdlog::warn("config stream: {} sent frame type {} after its Hello", session.peer, static_cast<int>(frame->type));
        co_return;
      }
      auto ack = decodeAck(frame->payload);
      if (!ack) co_return;
      if (!ack->error.empty()) {
        spdlog::error("config stream: data plane {} of Gateway {} could not apply revision {}: {}", session.peer,
                      session.gateway, ack->revision, ack->error);
        continue;
      }
      session.applied = true;
      updateLive();
    }
  }

  asio::awaitable<void> writeLoop(SessionPtr session) {
    while (!session->closed) {
      if (session->outbox.empty() && session->pending_config.empty()) {
        session->wake.expires_after(options.ping_interval);
        boost::system::error_code ec;
        co_await session->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (session->closed) co_return;
        if (session->outbox.empty() && session->pending_config.empty())
          session->outbox.push_back(encodeFrame(FrameType::Ping, {}));
      }
      std::string frame;
      if (!session->outbox.empty()) {
        frame = std::move(session->outbox.front());
        session->outbox.pop_front();
      } else {
        frame = std::exchange(session->pending_config, std::string());
      }
      const std::string failed = co_await writeFrame(session->stream, frame);
      if (!failed.empty()) co_return session->close();
    }
  }

  // Sends the Gateway's part of the latest snapshot to its data planes if it changed.
  // The snapshot's version is encoded too and changes with every translation: compared without it.
  void refresh(const std::string& gateway, GatewayState& state) {
    if (!latest) return;
    snapshot::Snapshot part = snapshot::forGateway(*latest, gateway);
    part.version = 0;
    std::string unversioned = snapshot::encode(part);
    if (unversioned == state.unversioned) return;
    state.unversioned = std::move(unversioned);
    part.version = latest->version;
    state.bytes = snapshot::encode(part);
    state.revision = latest_revision;
    const std::string frame = encodeFrame(FrameType::Config, encodeConfig(state.revision, state.bytes));
    for (const auto& session : state.sessions) session->sendConfig(frame);
  }

  void updateLive() {
    std::set<std::string> now;
    for (const auto& [gateway, state] : gateways)
      for (const auto& session : state.sessions)
        if (session->applied) now.insert(gateway);
    if (now == live) return;
    live = std::move(now);
    if (on_live) on_live(live);
  }
};

StreamServer::StreamServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StreamServer::~StreamServer() { stop(); }

Result<std::unique_ptr<StreamServer>> StreamServer::start(ServerOptions options, Authenticator authenticate,
                                                          LiveListener on_live) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->authenticate = std::move(authenticate);
  impl->on_live = std::move(on_live);
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(impl->tls.native_handle(), TLS1_2_VERSION);
  impl->tls.use_certificate_chain_file(impl->options.cert_file, ec);
  if (ec) return Error{"config stream: certificate " + impl->options.cert_file + ": " + ec.message()};
  impl->tls.use_private_key_file(impl->options.key_file, ssl::context::pem, ec);
  if (ec) return Error{"config stream: key " + impl->options.key_file + ": " + ec.message()};
  auto endpoint = parseHostPort(impl->options.address);
  if (!endpoint) return Error{"config stream: " + endpoint.error().message};
  auto address = asio::ip::make_address(endpoint->host, ec);
  if (ec) return Error{"config stream: listen address " + impl->options.address + ": not an IP address"};
  tcp::endpoint listen(address, endpoint->port);
  auto& acceptor = impl->acceptor;
  acceptor.open(listen.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(listen, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"config stream: listen on " + impl->options.address + ": " + ec.message()};
  impl->mailbox->io = &impl->io;
  asio::co_spawn(impl->io, impl->acceptLoop(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<StreamServer>(new StreamServer(std::move(impl)));
}

void StreamServer::publish(snapshot::SnapshotPtr snapshot, uint64_t revision) {
  Impl* impl = impl_.get();
  std::lock_guard lock(impl->publish_mu);
  impl->published = std::move(snapshot);
  impl->published_revision = revision;
  if (std::exchange(impl->publish_posted, true)) return;  // the one posted takes this too
  asio::post(impl->io, [impl] {
    {
      std::lock_guard taken(impl->publish_mu);
      impl->latest = std::move(impl->published);
      impl->latest_revision = impl->published_revision;
      impl->publish_posted = false;
    }
    for (auto& [gateway, state] : impl->gateways) impl->refresh(gateway, state);
    impl->updateLive();
  });
}

void StreamServer::disconnectAll() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    for (auto& [gateway, state] : impl->gateways)
      for (const auto& session : state.sessions) session->close();
  });
}

uint16_t StreamServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void StreamServer::stop() {
  if (!impl_->thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mailbox->mu);
    impl_->mailbox->io = nullptr;
  }
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace gatehouse::configstream
