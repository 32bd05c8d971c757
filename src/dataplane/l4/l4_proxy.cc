#include "dataplane/l4/l4_proxy.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <optional>

#include "dataplane/event/worker.h"
#include "dataplane/http/router.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/upstream/connector.h"

namespace gatehouse::dataplane {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class L4Connection final : public net::ConnectionBase, public std::enable_shared_from_this<L4Connection> {
 public:
  enum class Mode { Tcp, TlsPassthrough };

  L4Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket, Mode mode)
      : worker_(worker),
        acceptor_(std::move(acceptor)),
        mode_(mode),
        down_(std::move(socket)),
        up_(worker.io()),
        timer_(worker.io()) {}

  ~L4Connection() override {
    if (down_buf_) worker_.giveBuffer(std::move(down_buf_));
    if (up_buf_) worker_.giveBuffer(std::move(up_buf_));
  }

  void start() {
    acceptor_->track(*this);
    asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->run(); }, asio::detached);
  }

  void drain() override {
    if (!drain_at_) drain_at_ = Clock::now() + worker_.options().timeouts.l4_drain;
    armTimer();
  }
  void idleExpired() override { closeBoth(); }

 private:
  enum class Phase { Hello, Connect, Splice, Done };

  const Options& options() const { return worker_.options(); }
  size_t capacity() const { return options().limits.read_buffer_bytes; }

  // ---- deadlines: one timer; it re-arms itself when it fires before the current deadline ----
  Clock::time_point due() const {
    Clock::time_point at = phase_ == Phase::Splice ? last_activity_ + options().timeouts.tcp_idle : phase_deadline_;
    if (drain_at_ && *drain_at_ < at) at = *drain_at_;
    return at;
  }
  void enter(Phase phase, std::chrono::milliseconds limit) {
    phase_ = phase;
    phase_deadline_ = last_activity_ = Clock::now();
    phase_deadline_ += limit;
    armTimer();
  }
  void armTimer() {
    if (phase_ == Phase::Done) return;
    timer_.expires_at(due());
    const uint32_t seq = ++timer_seq_;
    timer_.async_wait([self = shared_from_this(), seq](error_code ec) { self->onTimer(ec, seq); });
  }
  void onTimer(error_code ec, uint32_t seq) {
    if (ec || seq != timer_seq_ || phase_ == Phase::Done) return;
    if (Clock::now() < due()) return armTimer();
    if (phase_ == Phase::Connect && !(drain_at_ && Clock::now() >= *drain_at_)) {
      error_code ignored;
      up_.cancel(ignored);  // this endpoint took too long: the connect loop tries the next one
      return;
    }
    closeBoth();
  }

  void closeBoth() {
    error_code ignored;
    down_.close(ignored);
    up_.close(ignored);
  }
  void finish() {
    phase_ = Phase::Done;
    closeBoth();
    timer_.cancel();
  }

  // ---- the connection ------------------------------------------------------------------------
  asio::awaitable<void> run() {
    auto self = shared_from_this();
    down_buf_ = worker_.takeBuffer();
    size_t buffered = 0;  // TLS passthrough: the hello bytes read so far, replayed upstream
    std::string server_name;
    if (mode_ == Mode::TlsPassthrough) {
      enter(Phase::Hello, options().timeouts.client_hello);
      std::optional<std::string> name = co_await readHello(buffered);
      if (!name) co_return finish();
      server_name = std::move(*name);
    }
    if (!co_await connectBackend(server_name)) co_return finish();
    if (buffered > 0) {
      auto [ec, n] = co_await asio::async_write(up_, asio::buffer(down_buf_.get(), buffered), kTuple);
      if (ec) co_return finish();
    }
    enter(Phase::Splice, options().timeouts.tcp_idle);
    up_buf_ = worker_.takeBuffer();
    asio::co_spawn(worker_.io(), [self] { return self->pump(self->up_, self->down_, self->up_buf_.get()); },
                   asio::detached);
    co_await pump(down_, up_, down_buf_.get());
  }

  // Reads until the ClientHello is complete; the server name ("" without SNI), or nullopt when
  // the bytes are not a ClientHello we accept, or the client went away or was too slow.
  asio::awaitable<std::optional<std::string>> readHello(size_t& buffered) {
    while (true) {
      auto [ec, n] = co_await down_.async_read_some(asio::buffer(down_buf_.get() + buffered, capacity() - buffered), kTuple);
      if (ec) co_return std::nullopt;
      buffered += n;
      tls::ClientHello hello = tls::readClientHello(std::string_view(down_buf_.get(), buffered), capacity());
      if (hello.state == tls::ClientHello::State::Complete) co_return std::move(hello.server_name);
      if (hello.state == tls::ClientHello::State::Invalid) {
        spdlog::debug("socket {}: refused a TLS connection: {}", acceptor_->identity(), hello.error);
        co_return std::nullopt;
      }
      if (buffered == capacity()) co_return std::nullopt;  // unreachable: the reader enforces the limit
    }
  }

  // The serving route of the socket (by SNI for passthrough), a weighted backend of it, then its
  // endpoints from the round-robin position on until one connects.
  asio::awaitable<bool> connectBackend(const std::string& server_name) {
    const GenerationPtr generation = worker_.generation();  // pinned until connected
    const SocketConfig* config = generation ? generation->find(acceptor_->identity()) : nullptr;
    if (config == nullptr) co_return false;
    const snapshot::Socket& socket = *config->socket;
    const snapshot::Listener* listener =
        mode_ == Mode::TlsPassthrough ? http::selectListener(socket, server_name)
                                      : (socket.listeners.empty() ? nullptr : &socket.listeners.front());
    const snapshot::RouteTable* table = listener ? http::selectTable(listener->hosts, server_name) : nullptr;
    if (table == nullptr || table->rules.empty()) co_return false;
    const snapshot::WeightedBackend* backend = http::pickBackend(table->rules.front(), worker_.random());
    if (backend == nullptr || !backend->cluster) co_return false;
    const snapshot::Cluster* cluster = generation->snapshot->clusters.get(*backend->cluster);
    if (cluster == nullptr || cluster->endpoints.empty()) co_return false;
    const auto& endpoints = cluster->endpoints;
    const size_t first = worker_.nextEndpoint(*backend->cluster, endpoints.size());
    for (size_t i = 0; i < endpoints.size(); ++i) {
      if (drain_at_ && Clock::now() >= *drain_at_) co_return false;
      enter(Phase::Connect, options().timeouts.upstream_connect);
      const snapshot::Endpoint& endpoint = endpoints[(first + i) % endpoints.size()];
      error_code ec = co_await upstream::connect(up_, endpoint);
      if (!ec) co_return true;
      spdlog::debug("socket {}: connect to {}:{} failed: {}", acceptor_->identity(), endpoint.ip, endpoint.port,
                    ec.message());
      if (!down_.is_open()) co_return false;
    }
    co_return false;
  }

  // Copies `from` to `to` until `from` ends; its FIN becomes a shutdown of `to`'s write side.
  // The second pump to end finishes the connection; an error ends both.
  asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, char* buffer) {
    auto self = shared_from_this();
    while (true) {
      auto [rec, n] = co_await from.async_read_some(asio::buffer(buffer, capacity()), kTuple);
      if (rec == asio::error::eof) {
        error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        break;
      }
      if (rec) {
        closeBoth();
        break;
      }
      last_activity_ = Clock::now();
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(buffer, n), kTuple);
      if (wec) {
        closeBoth();
        break;
      }
    }
    if (++pumps_done_ == 2) finish();
  }

  Worker& worker_;
  std::shared_ptr<net::Acceptor> acceptor_;
  const Mode mode_;
  tcp::socket down_;
  tcp::socket up_;
  asio::steady_timer timer_;
  std::unique_ptr<char[]> down_buf_, up_buf_;  // client -> backend, backend -> client
  Phase phase_ = Phase::Hello;
  Clock::time_point phase_deadline_ = Clock::time_point::max(), last_activity_{};
  std::optional<Clock::time_point> drain_at_;
  uint32_t timer_seq_ = 0;
  int pumps_done_ = 0;
};

}  // namespace

void startTcpProxy(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  std::make_shared<L4Connection>(worker, std::move(acceptor), std::move(socket), L4Connection::Mode::Tcp)->start();
}

void startTlsPassthrough(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  std::make_shared<L4Connection>(worker, std::move(acceptor), std::move(socket), L4Connection::Mode::TlsPassthrough)
      ->start();
}

}  // namespace gatehouse::dataplane
