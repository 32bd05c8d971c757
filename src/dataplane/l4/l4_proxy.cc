#include "dataplane/l4/l4_proxy.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <cctype>
#include <array>
#include <optional>
#include <span>
#include <type_traits>

#include "dataplane/event/worker.h"
#include "dataplane/http/h1_connection.h"
#include "dataplane/http/router.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/observe/tls_handshakes.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/tls/stream.h"
#include "dataplane/upstream/connector.h"

namespace gatehouse::dataplane {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using snapshot::ListenerKind;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

enum class Mode {
  Tcp,             // TCPRoute: the socket's one listener
  TlsPassthrough,  // TLSRoute by the ClientHello's SNI, the hello replayed to the backend
  TlsTerminate,    // TLSRoute by the handshake's SNI, plaintext to the backend
  SniDispatch,     // reads the ClientHello; its SNI's listener decides (see startSniDispatch)
};

// What an established connection serves through, by name: checked against each new generation
// (names, because a new snapshot may number its clusters differently).
struct Served {
  std::string listener;  // "gateway/listener"
  std::string route;     // Rule::route, "namespace/name"
  std::string cluster;   // Cluster::name
};

std::string lowerName(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// Down: tcp::socket (TCP, passthrough, dispatch) or tls::Stream (terminated).
template <class Down>
class L4Connection final : public net::ConnectionBase, public std::enable_shared_from_this<L4Connection<Down>> {
  static constexpr bool kTls = std::is_same_v<Down, tls::Stream>;

 public:
  L4Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, Down down, Mode mode,
               std::shared_ptr<const tls::SocketTls> tls = nullptr)
      : worker_(worker),
        acceptor_(std::move(acceptor)),
        mode_(mode),
        down_(std::move(down)),
        up_(worker.io()),
        timer_(worker.io()),
        tls_(std::move(tls)) {}

  ~L4Connection() override {
    if (down_buf_) worker_.giveBuffer(std::move(down_buf_));
    if (up_buf_) worker_.giveBuffer(std::move(up_buf_));
  }

  void start() {
    acceptor_->track(*this);
    asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->run(); }, asio::detached);
  }

  void drain() override { setDrain(socket_drain_at_); }

  // A route or backend this connection serves through is gone: closed after Timeouts::l4_drain
  // unless a later generation serves it again before then. Nothing else cuts it.
  void configChanged(const Generation& generation) override {
    if (phase_ != Phase::Splice) return;  // not connected yet: it routes on the generation it pinned
    if (stillServed(generation)) {
      route_drain_at_.reset();
    } else {
      setDrain(route_drain_at_);
    }
  }

  // The new acceptor serves the same socket identity: routing by it is unchanged.
  bool moveTo(const std::shared_ptr<net::Acceptor>& successor) override {
    if (phase_ != Phase::Splice) return false;
    acceptor_ = successor;
    acceptor_->track(*this);
    return true;
  }

  void idleExpired() override { closeBoth(); }

 private:
  enum class Phase { Hello, Connect, Splice, Done };

  const Options& options() const { return worker_.options(); }
  size_t capacity() const { return options().limits.read_buffer_bytes; }
  tcp::socket& downSocket() {
    if constexpr (kTls) {
      return down_.next_layer();
    } else {
      return down_;
    }
  }

  // ---- deadlines: one timer; it re-arms itself when it fires before the current deadline ----
  void setDrain(std::optional<Clock::time_point>& at) {
    if (!at) at = Clock::now() + options().timeouts.l4_drain;
    armTimer();
  }
  std::optional<Clock::time_point> drainAt() const {
    if (socket_drain_at_ && route_drain_at_) return std::min(*socket_drain_at_, *route_drain_at_);
    return socket_drain_at_ ? socket_drain_at_ : route_drain_at_;
  }
  bool drainDue() const {
    const auto at = drainAt();
    return at && Clock::now() >= *at;
  }
  Clock::time_point due() const {
    Clock::time_point at = phase_ == Phase::Splice ? last_activity_ + options().timeouts.tcp_idle : phase_deadline_;
    if (const auto drain = drainAt(); drain && *drain < at) at = *drain;
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
    timer_.async_wait([self = this->shared_from_this(), seq](error_code ec) { self->onTimer(ec, seq); });
  }
  void onTimer(error_code ec, uint32_t seq) {
    if (ec || seq != timer_seq_ || phase_ == Phase::Done) return;
    if (Clock::now() < due()) return armTimer();
    if (phase_ == Phase::Connect && !drainDue()) {
      error_code ignored;
      up_.cancel(ignored);  // this endpoint took too long: the connect loop tries the next one
      return;
    }
    closeBoth();
  }

  void closeBoth() {
    error_code ignored;
    downSocket().close(ignored);
    up_.close(ignored);
  }
  void finish() {
    phase_ = Phase::Done;
    // close_notify: the client sees an orderly end, not a truncation. Only on an open socket: the
    // SSL's BIO holds the fd number, which a closed socket may already have handed on.
    if constexpr (kTls) {
      if (downSocket().is_open()) down_.shutdown();
    }
    closeBoth();
    timer_.cancel();
  }

  // ---- the connection ------------------------------------------------------------------------
  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    size_t buffered = 0;  // TLS passthrough: the hello bytes read so far, replayed upstream
    if constexpr (kTls) {
      enter(Phase::Hello, options().timeouts.tls_handshake);
      auto [ec] = co_await down_.async_handshake(kTuple);
      observe::countTlsHandshake(counts(), ec, Clock::now() >= phase_deadline_);
      if (ec) co_return finish();
      server_name_ = lowerName(tls::serverName(down_.native_handle()));
    } else if (mode_ != Mode::Tcp) {
      enter(Phase::Hello, options().timeouts.client_hello);
      down_buf_ = worker_.takeBuffer();
      std::optional<std::string> name = co_await readHello(buffered);
      if (!name) co_return finish();
      server_name_ = std::move(*name);
      if (mode_ == Mode::SniDispatch && handOff(buffered)) co_return;
    }
    if (!co_await connectBackend()) co_return finish();
    if (buffered > 0) {
      auto [ec, n] = co_await asio::async_write(up_, asio::buffer(down_buf_.get(), buffered), kTuple);
      if (ec) co_return finish();
      if (counts() != nullptr) counts()->bytes_received += buffered;  // the replayed ClientHello
    }
    enter(Phase::Splice, options().timeouts.tcp_idle);
    asio::co_spawn(worker_.io(), [self] { return self->pump(self->up_, self->down_, self->up_buf_, self->up_probe_); },
                   asio::detached);
    co_await pump(down_, up_, down_buf_, down_probe_);
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

  // SniDispatch: the listener the SNI selects serves. A passthrough one: this connection goes on
  // (false). A terminating one (HTTPS, TLS Terminate): the socket moves to a TLS stream that
  // replays the hello, served by the HTTP connection manager or a terminated L4 connection (true).
  bool handOff(size_t buffered) {
    if constexpr (kTls) {
      return false;
    } else {
      const GenerationPtr& generation = worker_.generation();
      const SocketConfig* config = generation ? generation->find(acceptor_->identity()) : nullptr;
      const snapshot::Listener* listener = config ? http::selectListener(*config->socket, server_name_) : nullptr;
      if (listener == nullptr || listener->kind == ListenerKind::TlsPassthrough) return false;
      const bool http = listener->kind == ListenerKind::HttpConnectionManager;
      SSL* ssl = config->tls ? config->tls->newSsl(http ? tls::SocketTls::Application::Http
                                                        : tls::SocketTls::Application::Stream)
                             : nullptr;
      if (ssl == nullptr) {
        finish();
        return true;
      }
      tls::Stream stream(std::move(down_), ssl, std::string(down_buf_.get(), buffered));
      phase_ = Phase::Done;
      timer_.cancel();
      if (http) {
        startH1Connection(worker_, acceptor_, std::move(stream), config->tls);
      } else {
        std::make_shared<L4Connection<tls::Stream>>(worker_, acceptor_, std::move(stream), Mode::TlsTerminate,
                                                    config->tls)
            ->start();
      }
      return true;
    }
  }

  // The listener of `socket` this connection's mode serves: TCP the socket's one listener,
  // TLS the one the SNI selects, which on a SniDispatch socket must be of this connection's kind.
  const snapshot::Listener* selectListener(const snapshot::Socket& socket) const {
    if (mode_ == Mode::Tcp) return socket.listeners.empty() ? nullptr : &socket.listeners.front();
    const snapshot::Listener* listener = http::selectListener(socket, server_name_);
    if (listener == nullptr || socket.kind != ListenerKind::SniDispatch) return listener;
    const ListenerKind wanted = kTls ? ListenerKind::TcpProxy : ListenerKind::TlsPassthrough;
    return listener->kind == wanted ? listener : nullptr;
  }

  bool stillServed(const Generation& generation) const {
    const SocketConfig* config = generation.find(acceptor_->identity());
    const snapshot::Listener* listener = config ? selectListener(*config->socket) : nullptr;
    if (listener == nullptr || listener->gateway + "/" + listener->name != served_.listener) return false;
    const snapshot::RouteTable* table = http::selectTable(listener->hosts, server_name_);
    if (table == nullptr || table->rules.empty() || table->rules.front().route != served_.route) return false;
    for (const snapshot::WeightedBackend& backend : table->rules.front().backends) {
      const snapshot::Cluster* cluster = backend.cluster ? generation.snapshot->clusters.get(*backend.cluster) : nullptr;
      if (cluster != nullptr && cluster->name == served_.cluster) return true;
    }
    return false;
  }

  // The serving route of the socket (by SNI for TLS), a weighted backend of it, then its
  // endpoints from the round-robin position on until one connects.
  asio::awaitable<bool> connectBackend() {
    const GenerationPtr generation = worker_.generation();  // pinned until connected
    const SocketConfig* config = generation ? generation->find(acceptor_->identity()) : nullptr;
    if (config == nullptr) co_return false;
    const snapshot::Listener* listener = selectListener(*config->socket);
    const snapshot::RouteTable* table = listener ? http::selectTable(listener->hosts, server_name_) : nullptr;
    if (table == nullptr || table->rules.empty()) co_return false;
    const snapshot::Rule& rule = table->rules.front();
    const snapshot::WeightedBackend* backend = http::pickBackend(rule, worker_.random());
    if (backend == nullptr || !backend->cluster) co_return false;
    const snapshot::Cluster* cluster = generation->snapshot->clusters.get(*backend->cluster);
    if (cluster == nullptr || cluster->endpoints.empty()) co_return false;
    served_ = {listener->gateway + "/" + listener->name, rule.route, cluster->name};
    const auto& endpoints = cluster->endpoints;
    const size_t first = worker_.nextEndpoint(*backend->cluster, endpoints.size());
    for (size_t i = 0; i < endpoints.size(); ++i) {
      if (drainDue()) co_return false;
      enter(Phase::Connect, options().timeouts.upstream_connect);
      const snapshot::Endpoint& endpoint = endpoints[(first + i) % endpoints.size()];
      error_code ec = co_await upstream::connect(up_, endpoint);
      if (!ec) co_return true;
      spdlog::debug("socket {}: connect to {}:{} failed: {}", acceptor_->identity(), endpoint.ip, endpoint.port,
                    ec.message());
      if (!downSocket().is_open()) co_return false;
    }
    co_return false;
  }

  // The end of one direction: TCP FIN; a terminated TLS client also gets close_notify first.
  void shutdownSend(tcp::socket& to) {
    error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }
  void shutdownSend(tls::Stream& to) {
    if (!to.next_layer().is_open()) return;  // see finish()
    to.shutdown();
    shutdownSend(to.next_layer());
  }

  // Copies `from` to `to` until `from` ends; its end (FIN; for a TLS client close_notify, or a
  // FIN without it) becomes a shutdown of `to`'s write side. The second pump to end finishes
  // the connection; an error ends both. A plain socket's direction reads into a small probe of
  // its own and holds a worker buffer only while a read fills what it offered (a bulk
  // transfer): idle, it holds none. (A TLS stream always reads into the worker buffer.)
  template <class From, class To>
  asio::awaitable<void> pump(From& from, To& to, std::unique_ptr<char[]>& buffer, std::span<char> probe) {
    auto self = this->shared_from_this();
    constexpr bool kProbed = std::is_same_v<From, tcp::socket>;
    while (true) {
      if (!kProbed && !buffer) buffer = worker_.takeBuffer();
      const std::span<char> into = buffer ? std::span<char>(buffer.get(), capacity()) : probe;
      auto [rec, n] = co_await from.async_read_some(asio::buffer(into.data(), into.size()), kTuple);
      if (rec == asio::error::eof || rec == asio::ssl::error::stream_truncated) {
        // Both directions ended: finish() closes both sockets, so no shutdown is needed.
        if (pumps_done_ == 0) shutdownSend(to);
        break;
      }
      if (rec) {
        closeBoth();
        break;
      }
      last_activity_ = Clock::now();
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(into.data(), n), kTuple);
      if (wec) {
        closeBoth();
        break;
      }
      if (observe::ConnectionCounts* counted = counts()) {
        (static_cast<const void*>(&from) == static_cast<const void*>(&down_) ? counted->bytes_received
                                                                              : counted->bytes_sent) += n;
      }
      if constexpr (kProbed) {
        if (buffer && n < into.size()) {
          worker_.giveBuffer(std::move(buffer));  // drained: back to the probe
        } else if (!buffer && n == into.size()) {
          buffer = worker_.takeBuffer();  // more is coming
        }
      }
    }
    worker_.giveBuffer(std::move(buffer));
    if (++pumps_done_ == 2) finish();
  }

  Worker& worker_;
  std::shared_ptr<net::Acceptor> acceptor_;
  const Mode mode_;
  Down down_;
  tcp::socket up_;
  asio::steady_timer timer_;
  std::shared_ptr<const tls::SocketTls> tls_;  // terminated: the SNI callback reads it during the handshake
  std::unique_ptr<char[]> down_buf_, up_buf_;  // client -> backend, backend -> client; held while in use
  std::array<char, 512> down_probe_, up_probe_;
  std::string server_name_;                    // TLS: the SNI, lower case ("" without one)
  Served served_;
  Phase phase_ = Phase::Hello;
  Clock::time_point phase_deadline_ = Clock::time_point::max(), last_activity_{};
  std::optional<Clock::time_point> socket_drain_at_, route_drain_at_;
  uint32_t timer_seq_ = 0;
  int pumps_done_ = 0;
};

using PlainConnection = L4Connection<tcp::socket>;

}  // namespace

void startTcpProxy(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  if (!acceptor->tls()) {
    std::make_shared<PlainConnection>(worker, std::move(acceptor), std::move(socket), Mode::Tcp)->start();
    return;
  }
  const GenerationPtr& generation = worker.generation();
  const SocketConfig* config = generation ? generation->find(acceptor->identity()) : nullptr;
  if (config == nullptr || !config->tls) return;  // no certificate for this socket any more: the socket closes
  SSL* ssl = config->tls->newSsl(tls::SocketTls::Application::Stream);
  if (ssl == nullptr) return;
  std::make_shared<L4Connection<tls::Stream>>(worker, std::move(acceptor), tls::Stream(std::move(socket), ssl),
                                              Mode::TlsTerminate, config->tls)
      ->start();
}

void startTlsPassthrough(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  std::make_shared<PlainConnection>(worker, std::move(acceptor), std::move(socket), Mode::TlsPassthrough)->start();
}

void startSniDispatch(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  std::make_shared<PlainConnection>(worker, std::move(acceptor), std::move(socket), Mode::SniDispatch)->start();
}

}  // namespace gatehouse::dataplane
